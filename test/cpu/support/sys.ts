// A protected-mode machine for the system-architecture tests: 4 MiB RAM, a GDT with flat 32-bit kernel and
// user segments, a 64-bit code segment and a 32-bit TSS, an IDT area, code assembled with the system
// toolchain (as --64 with .code32/.code64 inside the source, so one snippet can switch modes), a fake
// interrupt controller (the unit boundary: the real LAPIC belongs to src/devices) and an I/O port that
// records checkpoints (the CPU mode and EFER at the moment the guest writes port 0xE9).
import { createCpu, createPhysicalMemory } from '../../../src/cpu/index.js';
import type {
  ArchState, CpuMode, ExceptionEvent, GuestCpu, InterruptController, MmioRegion, PhysicalMemory, SegmentState, TaskSwitchEvent,
} from '../../../src/cpu/api.js';
import type { Cpu } from '../../../src/cpu/cpu.js';
import { asm } from './asm.js';

export const GDT = 0x800, IDT = 0x1000, TSS = 0x1800;
export const PT_AREA = 0x100000; // page tables built by the tests
export const CODE = 0x10000, DATA = 0x40000, STACK = 0x80000, KSTACK0 = 0x90000, USTACK = 0x70000;
export const KCS = 0x08, KDS = 0x10, UCS = 0x18 | 3, UDS = 0x20 | 3, CS64 = 0x28, TSS_SEL = 0x30, EXTRA = 0x38;

// Descriptor attributes in api.ts packing (type | S | DPL<<5 | P | AVL | L | D/B | G).
export const A_CODE32 = 0xb | 0x10 | 0x80 | 0x400 | 0x800;
export const A_DATA32 = 0x3 | 0x10 | 0x80 | 0x400 | 0x800;
export const A_UCODE32 = A_CODE32 | (3 << 5);
export const A_UDATA32 = A_DATA32 | (3 << 5);
export const A_CODE64 = 0xb | 0x10 | 0x80 | 0x200 | 0x800;
export const A_TSS32 = 0x9 | 0x80;

/** An 8-byte segment descriptor from base, limit (20 bits as stored) and api.ts-packed attributes. */
export function descriptor(base: number, limit20: number, attrs: number): bigint {
  const lo = ((base & 0xffff) << 16 | (limit20 & 0xffff)) >>> 0;
  const hi = ((base >>> 16) & 0xff) | ((attrs & 0xff) << 8) | (((limit20 >>> 16) & 0xf) << 16) | (((attrs >> 8) & 0xf) << 20) | (base & 0xff000000);
  return (BigInt(hi >>> 0) << 32n) | BigInt(lo);
}

/** An 8-byte 32-bit interrupt (type 0xE) or trap (0xF) gate. */
export function gate32(sel: number, offset: number, type: 0xe | 0xf, dpl = 0): bigint {
  const lo = ((sel & 0xffff) << 16 | (offset & 0xffff)) >>> 0;
  const hi = ((offset & 0xffff0000) | 0x8000 | (dpl << 13) | (type << 8)) >>> 0;
  return (BigInt(hi) << 32n) | BigInt(lo);
}

/** Fake interrupt controller: a set of pending vectors, highest first; records what the CPU did. */
export class FakePic implements InterruptController {
  pending: number[] = [];
  acked: number[] = [];
  asked = 0;
  msrs = new Map<number, bigint>();
  x2apic = false;
  /** TPR class as CR8 sees it. */
  cr8 = 0;
  cr8Writes: number[] = [];
  readCr8(): number { return this.cr8; }
  writeCr8(v: number): void { this.cr8 = v; this.cr8Writes.push(v); }
  pendingVector(): number { this.asked++; return this.pending.length ? Math.max(...this.pending) : -1; }
  acknowledge(v: number): void { this.acked.push(v); this.pending = this.pending.filter((x) => x !== v); }
  readMsr(i: number): bigint | undefined { return this.msrs.get(i); }
  writeMsr(i: number, v: bigint): boolean { if (i === 0x1b || (i >= 0x800 && i <= 0x8ff)) { this.msrs.set(i, v); return true; } return false; }
}

export interface Checkpoint { value: number; mode: CpuMode; efer: bigint; cpl: number; clock: number }

export interface Sys {
  cpu: GuestCpu;
  c: Cpu;
  mem: PhysicalMemory;
  dv: DataView;
  pic: FakePic;
  /** Events offered to the CPU's host (delivered unless `intercept` is true). */
  exc: ExceptionEvent[];
  intercept: boolean;
  /** Task switches offered to the host (CpuHost.interceptTaskSwitch), in order. */
  taskSwitches: TaskSwitchEvent[];
  /** The host's exception decision (default: record in `exc`, intercept when `intercept`). */
  onException(ev: ExceptionEvent): boolean;
  logs: { level: string; event: string; data: Record<string, unknown> }[];
  checkpoints: Checkpoint[];
  w32(a: number, v: number): void;
  r32(a: number): number;
  w64(a: number, v: bigint): void;
  r64(a: number): bigint;
  /** Assemble (as --64; start the source with .code32 for 32-bit code) at `at`. */
  load(src: string, at?: number): void;
  setGdt(index: number, d: bigint): void;
  setIdt32(vec: number, g: bigint): void;
}

export function seg(selector: number, attrs: number, base = 0n, limit = 0xffffffff): SegmentState {
  return { selector, base, limit, attrs };
}

/** A CPU in 32-bit protected mode (CR0 = PE|ET, flat segments, paging off, IF=0), as the Multiboot loader
 *  hands it over, plus the tables above. */
export function makeSys(opts: { mmio?: MmioRegion[]; cpl3?: boolean; vendor?: 'intel' | 'amd'; state?: (s: ArchState) => void } = {}): Sys {
  const mem = createPhysicalMemory(4 << 20);
  const dv = new DataView(mem.u8.buffer, mem.u8.byteOffset, mem.u8.byteLength);
  const pic = new FakePic();
  const exc: ExceptionEvent[] = [];
  const logs: Sys['logs'] = [];
  const checkpoints: Checkpoint[] = [];
  let cpuRef: GuestCpu | undefined;
  const sys = {} as Sys;
  const cpu = createCpu({
    vendor: opts.vendor ?? 'intel', features: { busLockDetect: false, rtm: false }, memory: mem,
    io: {
      in: () => 0xffffffff,
      out: (port, _size, value) => {
        if (port === 0xe9 && cpuRef) {
          checkpoints.push({ value, mode: cpuRef.mode, efer: cpuRef.getMsr(0xc0000080)!, cpl: cpuRef.getCpl(), clock: cpuRef.clock });
        }
      },
    },
    host: { interceptException: (ev) => sys.onException(ev), interceptInstruction: () => false, interceptTaskSwitch: (ev) => { sys.taskSwitches.push(ev); } },
    observers: [{ onLog: (level, event, data) => { logs.push({ level, event, data }); } }],
    mmio: opts.mmio,
    interrupts: pic,
  });
  cpuRef = cpu;
  const setGdt = (index: number, d: bigint): void => dv.setBigUint64(GDT + index * 8, d, true);
  setGdt(1, descriptor(0, 0xfffff, A_CODE32));
  setGdt(2, descriptor(0, 0xfffff, A_DATA32));
  setGdt(3, descriptor(0, 0xfffff, A_UCODE32));
  setGdt(4, descriptor(0, 0xfffff, A_UDATA32));
  setGdt(5, descriptor(0, 0xfffff, A_CODE64));
  setGdt(6, descriptor(TSS, 0x67, A_TSS32));
  // 32-bit TSS: SS0:ESP0 for privilege changes to ring 0.
  dv.setUint32(TSS + 4, KSTACK0, true);
  dv.setUint32(TSS + 8, KDS, true);
  const user = !!opts.cpl3;
  const st: ArchState = {
    gpr: new Array(16).fill(0n), rip: BigInt(CODE), rflags: 2n,
    seg: [seg(KDS, A_DATA32), user ? seg(UCS, A_UCODE32) : seg(KCS, A_CODE32), user ? seg(UDS, A_UDATA32) : seg(KDS, A_DATA32),
      seg(KDS, A_DATA32), seg(KDS, A_DATA32), seg(KDS, A_DATA32)],
    gdtr: { base: BigInt(GDT), limit: 0x3f }, idtr: { base: BigInt(IDT), limit: 0x7ff },
    tr: { selector: TSS_SEL, base: BigInt(TSS), limit: 0x67, attrs: 0x8b }, ldtr: { selector: 0, base: 0n, limit: 0, attrs: 0 },
    cr0: 0x11n, cr2: 0n, cr3: 0n, cr4: 0n, cr8: 0n, efer: 0n, fsBase: 0n, gsBase: 0n, kernelGsBase: 0n,
  };
  st.gpr[4] = BigInt(user ? USTACK : STACK);
  opts.state?.(st);
  cpu.setState(st);
  Object.assign(sys, {
    cpu, c: cpu as unknown as Cpu, mem, dv, pic, exc, intercept: true, taskSwitches: [], logs, checkpoints,
    onException: (ev: ExceptionEvent) => { exc.push(ev); return sys.intercept; },
    w32: (a: number, v: number) => dv.setUint32(a, v >>> 0, true),
    r32: (a: number) => dv.getUint32(a, true),
    w64: (a: number, v: bigint) => dv.setBigUint64(a, v, true),
    r64: (a: number) => dv.getBigUint64(a, true),
    load: (src: string, at = CODE) => mem.writePhys(at, asm(src, at)),
    setGdt,
    setIdt32: (vec: number, g: bigint) => dv.setBigUint64(IDT + vec * 8, g, true),
  });
  return sys;
}
