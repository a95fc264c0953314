// A CPU in 32-bit protected mode with flat segments and paging off (the Multiboot entry state) for the
// instruction tests. setState derives the mode summary (decodeMode, long64, ss32, flatSegs) from CR0, EFER, CS, SS.
import { createCpu, createPhysicalMemory } from '../../../src/cpu/index.js';
import type { ArchState, ExceptionEvent, GuestCpu, PhysicalMemory, SegmentState } from '../../../src/cpu/api.js';
import { MODE_DEF16, MODE_DEF32 } from '../../../src/cpu/decoder.js';
import type { Cpu } from '../../../src/cpu/cpu.js';
import { asm32 } from './asm32.js';

export const GDT = 0x500;
export const CODE = 0x10000, DATA = 0x40000, STACK = 0x80000;
/** 16-bit code segment tests keep IP, data and SP below 64 KiB. */
export const CODE16 = 0x1000, DATA16 = 0x4000, STACK16 = 0x8000;
// Descriptor attributes in api.ts packing: type | S | DPL | P | AVL | L | D/B | G.
export const ATTR_CODE32 = 0xb | 0x10 | 0x80 | 0x400 | 0x800;
export const ATTR_DATA32 = 0x3 | 0x10 | 0x80 | 0x400 | 0x800;
export const ATTR_CODE16 = 0xb | 0x10 | 0x80;
export const ATTR_DATA16 = 0x3 | 0x10 | 0x80;

export interface M32 {
  cpu: GuestCpu;
  c: Cpu;
  mem: PhysicalMemory;
  dv: DataView;
  /** Exceptions the CPU raised (the run stops at the first: delivery is intercepted). */
  exc: ExceptionEvent[];
  io: { port: number; size: number; value: number }[];
  /** Port reads (each returns all ones). */
  ins: { port: number; size: number }[];
  load(src: string, at?: number): void;
  /** Run to the snippet's HLT (or the first exception); returns the stop kind. */
  run(budget?: number): string;
  r(n: number): number;
  set(n: number, v: number): void;
  flags(): number;
}

function seg(selector: number, attrs: number, limit = 0xffffffff): SegmentState { return { selector, base: 0n, limit, attrs }; }

export function make32(opts: { code16?: boolean; stack16?: boolean; ds?: { base: number; limit: number }; ss?: SegmentState; vendor?: 'intel' | 'amd' } = {}): M32 {
  const mem = createPhysicalMemory(4 << 20);
  const dv = new DataView(mem.u8.buffer, mem.u8.byteOffset, mem.u8.byteLength);
  // GDT: 0x08 flat code (32- or 16-bit), 0x10 flat 32-bit data (for segment-register loads).
  const desc = (attrs: number): bigint => 0xffffn | ((BigInt(attrs & 0xff)) << 40n) | (0xfn << 48n) | (BigInt((attrs >> 8) & 0xf) << 52n);
  dv.setBigUint64(GDT + 8, desc(opts.code16 ? ATTR_CODE16 : ATTR_CODE32), true);
  dv.setBigUint64(GDT + 16, desc(ATTR_DATA32), true);
  const exc: ExceptionEvent[] = [];
  const io: M32['io'] = [];
  const ins: M32['ins'] = [];
  const cpu = createCpu({
    vendor: opts.vendor ?? 'intel', features: { busLockDetect: false, rtm: false }, memory: mem,
    io: { in: (port, size) => { ins.push({ port, size }); return 0xffffffff; }, out: (port, size, value) => { io.push({ port, size, value }); } },
    host: { interceptException: (ev) => { exc.push(ev); return true; }, interceptInstruction: () => false, interceptTaskSwitch: () => {} },
  });
  const cs = opts.code16 ? seg(0x08, ATTR_CODE16, 0xffff) : seg(0x08, ATTR_CODE32);
  const ss = opts.ss ?? (opts.stack16 ? seg(0x10, ATTR_DATA16, 0xffff) : seg(0x10, ATTR_DATA32));
  const st: ArchState = {
    gpr: new Array(16).fill(0n), rip: BigInt(opts.code16 ? CODE16 : CODE), rflags: 2n,
    seg: [seg(0x10, ATTR_DATA32), cs, ss,
      opts.ds ? { selector: 0x10, base: BigInt(opts.ds.base), limit: opts.ds.limit, attrs: ATTR_DATA32 } : seg(0x10, ATTR_DATA32),
      seg(0x10, ATTR_DATA32), seg(0x10, ATTR_DATA32)],
    gdtr: { base: BigInt(GDT), limit: 0x17 }, idtr: { base: 0n, limit: 0 },
    tr: { selector: 0, base: 0n, limit: 0x67, attrs: 0x8b }, ldtr: { selector: 0, base: 0n, limit: 0, attrs: 0 },
    cr0: 0x11n, cr2: 0n, cr3: 0n, cr4: 0n, cr8: 0n, efer: 0n, fsBase: 0n, gsBase: 0n, kernelGsBase: 0n,
  };
  st.gpr[4] = BigInt(opts.stack16 ? STACK16 : STACK);
  cpu.setState(st);
  const c = cpu as unknown as Cpu;
  // setState derives the mode summary from CR0/EFER/CS/SS (mode.ts); the tests rely on it being this:
  if (c.long64 || c.decodeMode !== (opts.code16 ? MODE_DEF16 : MODE_DEF32) || c.ss32 !== !(opts.stack16 || (opts.ss && !(opts.ss.attrs & 0x400)))) {
    throw new Error(`make32: unexpected mode summary ${cpu.mode}`);
  }
  const m: M32 = {
    cpu, c, mem, dv, exc, io, ins,
    load(src, at = opts.code16 ? CODE16 : CODE) { mem.writePhys(at, asm32(src, at, opts.code16 ? 16 : 32)); },
    run(budget = 100000) { return cpu.run(budget).kind; },
    r(n) { return Number(cpu.getGpr(n as never) & 0xffffffffn); },
    set(n, v) { cpu.setGpr(n as never, BigInt(v >>> 0)); },
    flags() { return Number(cpu.getRflags()); },
  };
  return m;
}
export const EAX = 0, ECX = 1, EDX = 2, EBX = 3, ESP = 4, EBP = 5, ESI = 6, EDI = 7;
export const CF = 1, PF = 4, AF = 0x10, ZF = 0x40, SF = 0x80, OF = 0x800;
