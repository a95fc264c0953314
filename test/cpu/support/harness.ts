// A minimal long-mode machine for CPU unit tests: identity-mapped paging (first 2 MiB in 4 KiB pages,
// user-accessible; the rest of the first GiB in 2 MiB pages), a GDT with kernel/user segments and a
// 64-bit TSS, an IDT whose every vector points at a `hlt` stub at STUB_BASE + 16*vector.
import { createCpu, createPhysicalMemory } from '../../../src/cpu/index.js';
import { ScriptedHost } from './scripted-host.js';
import type { ArchState, GuestCpu, IoBus, PhysicalMemory, SegmentState } from '../../../src/cpu/api.js';
import { asm } from './asm.js';

export const PML4 = 0x1000, PDPT = 0x2000, PD = 0x3000, PT = 0x4000;
export const GDT = 0x5000, TSS = 0x5800, IDT = 0x6000, STUB_BASE = 0x8000;
export const CODE = 0x10000, DATA = 0x40000, KSTACK = 0x80000, RSP0 = 0x9f000, USTACK = 0x70000;
export const KCS = 0x08, KDS = 0x10, UDS = 0x20 | 3, UCS = 0x28 | 3, TSS_SEL = 0x30;

export interface Machine {
  cpu: GuestCpu;
  mem: PhysicalMemory;
  logs: { level: string; event: string; data: Record<string, unknown> }[];
  ioLog: { dir: 'in' | 'out'; port: number; size: number; value: number }[];
  /** The CPU's host: tests set its decisions (onException / onInstruction). */
  host: ScriptedHost;
  w64(addr: number, v: bigint): void;
  r64(addr: number): bigint;
  load(src: string, at?: number): void;
}

function seg(selector: number, attrs: number): SegmentState {
  return { selector, base: 0n, limit: 0xffffffff, attrs };
}
export const ATTR_KCODE = 0xb | 0x10 | 0x80 | 0x200 | 0x800;
export const ATTR_KDATA = 0x3 | 0x10 | 0x80 | 0x400 | 0x800;

export function makeMachine(opts: { vendor?: 'intel' | 'amd'; busLockDetect?: boolean; rtm?: boolean; cr4?: bigint } = {}): Machine {
  const mem = createPhysicalMemory(16 << 20);
  const dv = new DataView(mem.u8.buffer, mem.u8.byteOffset, mem.u8.byteLength);
  const w64 = (a: number, v: bigint): void => dv.setBigUint64(a, v, true);
  const r64 = (a: number): bigint => dv.getBigUint64(a, true);
  // paging
  w64(PML4, BigInt(PDPT | 7));
  w64(PDPT, BigInt(PD | 7));
  w64(PD, BigInt(PT | 7));
  for (let i = 1; i < 512; i++) w64(PD + i * 8, BigInt(i * 0x200000) | 0x87n);
  for (let i = 0; i < 512; i++) w64(PT + i * 8, BigInt(i * 0x1000) | 7n);
  // GDT
  const desc = (type: number, dpl: number, l: boolean, db: boolean): bigint => {
    const attr = BigInt(type | 0x10 | (dpl << 5) | 0x80) | (BigInt((l ? 2 : 0) | (db ? 4 : 0) | 8) << 12n);
    return 0xffffn | (attr << 40n) | (0xfn << 48n);
  };
  w64(GDT + 0x08, desc(0xb, 0, true, false));
  w64(GDT + 0x10, desc(0x3, 0, false, true));
  w64(GDT + 0x18, desc(0xb, 3, false, true));
  w64(GDT + 0x20, desc(0x3, 3, false, true));
  w64(GDT + 0x28, desc(0xb, 3, true, false));
  // TSS descriptor (available 64-bit TSS), limit 0x67 + I/O map; base TSS
  const tssLimit = 0x67 + 0x2000;
  const tssLo = BigInt(tssLimit & 0xffff) | (BigInt(TSS & 0xffffff) << 16n) | (0x89n << 40n) | (BigInt((tssLimit >> 16) & 0xf) << 48n) | (BigInt((TSS >>> 24) & 0xff) << 56n);
  w64(GDT + 0x30, tssLo); w64(GDT + 0x38, 0n);
  w64(TSS + 4, BigInt(RSP0));
  dv.setUint16(TSS + 102, 0x68, true); // I/O bitmap right after the header: all ports denied except as tests clear
  for (let k = 0; k < 0x2000; k++) mem.u8[TSS + 0x68 + k] = 0xff;
  // IDT: interrupt gates, DPL 3 for vectors 3/4/0x80 (so INT3/INTO/INT 0x80 work from user mode)
  for (let v = 0; v < 256; v++) {
    const off = STUB_BASE + v * 16;
    const dpl = v === 3 || v === 0x80 ? 3 : 0;
    const lo = BigInt(off & 0xffff) | (BigInt(KCS) << 16n) | (BigInt(0x8e | (dpl << 5)) << 40n) | (BigInt((off >>> 16) & 0xffff) << 48n);
    w64(IDT + v * 16, lo); w64(IDT + v * 16 + 8, 0n);
    mem.u8[off] = 0xf4; // hlt
  }
  const logs: Machine['logs'] = [];
  const ioLog: Machine['ioLog'] = [];
  const io: IoBus = {
    in(port, size) { ioLog.push({ dir: 'in', port, size, value: 0x12345678 }); return size === 1 ? 0x78 : size === 2 ? 0x5678 : 0x12345678; },
    out(port, size, value) { ioLog.push({ dir: 'out', port, size, value }); },
  };
  const host = new ScriptedHost();
  const cpu = createCpu({
    vendor: opts.vendor ?? 'intel', features: { busLockDetect: opts.busLockDetect ?? true, rtm: opts.rtm ?? false }, memory: mem, io, host,
    observers: [{ onLog: (level, event, data) => { logs.push({ level, event, data }); } }],
  });
  const st: ArchState = {
    gpr: new Array(16).fill(0n),
    rip: BigInt(CODE),
    rflags: 2n,
    seg: [seg(KDS, ATTR_KDATA), seg(KCS, ATTR_KCODE), seg(KDS, ATTR_KDATA), seg(KDS, ATTR_KDATA), seg(0, 0), seg(0, 0)],
    gdtr: { base: BigInt(GDT), limit: 0x3f },
    idtr: { base: BigInt(IDT), limit: 0xfff },
    tr: { selector: TSS_SEL, base: BigInt(TSS), limit: tssLimit, attrs: 0x8b },
    ldtr: { selector: 0, base: 0n, limit: 0, attrs: 0 },
    cr0: 0x80050033n, cr2: 0n, cr3: BigInt(PML4), cr4: opts.cr4 ?? 0x620n, cr8: 0n,
    efer: 0xd01n, fsBase: 0n, gsBase: 0n, kernelGsBase: 0n,
  };
  st.gpr[4] = BigInt(KSTACK);
  cpu.setState(st);
  cpu.setMsr(0xc0000081, (0x18n << 48n) | (0x08n << 32n));
  const m: Machine = {
    cpu, mem, logs, ioLog, host, w64, r64,
    load(src: string, at = CODE) { mem.writePhys(at, asm(src, at)); },
  };
  return m;
}

/** Run until HLT (or budget); return the stop. */
export function runToHlt(m: Machine, budget = 100000) { return m.cpu.run(budget); }
/** Vector whose stub the CPU halted in (RIP is one past the stub's hlt), or -1. */
export function haltedVector(m: Machine): number {
  const rip = Number(m.cpu.getRip()) - 1;
  if (rip < STUB_BASE || rip >= STUB_BASE + 256 * 16 || (rip - STUB_BASE) % 16 !== 0) return -1;
  return (rip - STUB_BASE) / 16;
}
export function reg(m: Machine, r: number): bigint { return m.cpu.getGpr(r as never); }
