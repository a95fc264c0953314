// A small long-mode machine for comparing the engines (interp, jit, reference) on the same guest code: identity
// map of the first GiB (2 MiB pages, writable, so code can modify itself), flat 64-bit code/data segments, a
// 64-bit TSS, an IDT whose #DB vector returns to the interrupted code with RF set in the frame (so instruction
// breakpoints re-arm after one instruction, as a debugger's handler does), two software-interrupt vectors that
// return at once (INT 0x80 through IST1, so delivery reads the TSS and switches stacks; INT 0x81 on the current
// stack), and whose other vectors halt in a stub.
import { createCpu, createPhysicalMemory } from '../../../src/cpu/index.js';
import type { ArchState, CpuEngine, DbEvent, GuestCpu, PhysicalMemory, SegmentState, StopReason, Vendor } from '../../../src/cpu/api.js';

export const PML4 = 0x1000, PDPT = 0x2000, PD = 0x3000;
export const GDT = 0x5000, IDT = 0x6000, STUB_BASE = 0x8000;
export const CODE = 0x10000, DATA = 0x40000, STACK = 0x80000;
/** The 64-bit TSS (TR.base) and the stack its IST1 slot names (SDM Vol. 3 Figure 8-11: IST1 at offset 0x24). */
export const TSS = 0x7000, TSS_LIMIT = 0x67, IST_STACK = 0x90000;
const TSS_IST1 = 0x24;
/** Software-interrupt vectors whose stubs IRETQ at once: through IST1, and on the interrupted stack. */
export const VEC_INT_IST = 0x80, VEC_INT_SAME = 0x81;
export const KCS = 0x08, KDS = 0x10;
const ATTR_KCODE = 0xb | 0x10 | 0x80 | 0x200 | 0x800;
const ATTR_KDATA = 0x3 | 0x10 | 0x80 | 0x400 | 0x800;
/** PTE/PDE bits (SDM Vol. 3 Table 5-18): present, writable, 2 MiB page. */
const PTE_P = 1n, PTE_RW = 2n, PDE_PS = 0x80n;
/** Interrupt gate, present, DPL 0 (SDM Vol. 3 Figure 7-8). */
const GATE_INT64 = 0x8en;
/** RFLAGS.RF (bit 16): `or dword ptr [rsp+16], 0x10000` sets it in the interrupt frame's RFLAGS slot. */
const DB_STUB = [0x81, 0x4c, 0x24, 0x10, 0x00, 0x00, 0x01, 0x00, 0x48, 0xcf]; // orl $0x10000,16(%rsp); iretq
const IRETQ = [0x48, 0xcf];
const HLT = 0xf4;
const VEC_DB = 1;

export interface EngineMachine {
  cpu: GuestCpu;
  mem: PhysicalMemory;
  /** Every #DB the CPU reported (onDebugEvent). */
  dbEvents: DbEvent[];
}

const seg = (selector: number, attrs: number): SegmentState => ({ selector, base: 0n, limit: 0xffffffff, attrs });

export function makeEngineMachine(engine: CpuEngine, code: Uint8Array, regs: bigint[], vendor: Vendor = 'intel'): EngineMachine {
  const mem = createPhysicalMemory(8 << 20);
  const dv = new DataView(mem.u8.buffer, mem.u8.byteOffset, mem.u8.byteLength);
  const w64 = (a: number, v: bigint): void => dv.setBigUint64(a, v, true);
  w64(PML4, BigInt(PDPT) | PTE_P | PTE_RW);
  w64(PDPT, BigInt(PD) | PTE_P | PTE_RW);
  for (let i = 0; i < 512; i++) w64(PD + i * 8, BigInt(i * 0x200000) | PTE_P | PTE_RW | PDE_PS);
  const desc = (type: number, l: boolean, db: boolean): bigint => {
    const attr = BigInt(type | 0x10 | 0x80) | (BigInt((l ? 2 : 0) | (db ? 4 : 0) | 8) << 12n);
    return 0xffffn | (attr << 40n) | (0xfn << 48n);
  };
  w64(GDT + KCS, desc(0xb, true, false));
  w64(GDT + KDS, desc(0x3, false, true));
  for (let v = 0; v < 256; v++) {
    const off = STUB_BASE + v * 16;
    const ist = v === VEC_INT_IST ? 1n : 0n; // gate bits 34:32 (SDM Vol. 3 Figure 7-8)
    const lo = BigInt(off & 0xffff) | (BigInt(KCS) << 16n) | (ist << 32n) | (GATE_INT64 << 40n) | (BigInt((off >>> 16) & 0xffff) << 48n);
    w64(IDT + v * 16, lo); w64(IDT + v * 16 + 8, 0n);
    if (v === VEC_DB) mem.u8.set(DB_STUB, off);
    else if (v === VEC_INT_IST || v === VEC_INT_SAME) mem.u8.set(IRETQ, off);
    else mem.u8[off] = HLT;
  }
  w64(TSS + TSS_IST1, BigInt(IST_STACK));
  mem.writePhys(CODE, code);
  const dbEvents: DbEvent[] = [];
  const cpu = createCpu({
    vendor, features: { busLockDetect: true, rtm: false }, memory: mem,
    io: { in: () => 0xffffffff, out: () => undefined },
    observers: [{ onDebugEvent: (ev) => { dbEvents.push(ev); } }],
    engine,
    // The random streams are short: translate a region after 8 executions (these tests were built on that
    // threshold; some seeds lower it to 1), not after the long-run default.
    jitThreshold: 8,
  });
  const st: ArchState = {
    gpr: regs.slice(),
    rip: BigInt(CODE),
    rflags: 2n,
    seg: [seg(KDS, ATTR_KDATA), seg(KCS, ATTR_KCODE), seg(KDS, ATTR_KDATA), seg(KDS, ATTR_KDATA), seg(0, 0), seg(0, 0)],
    gdtr: { base: BigInt(GDT), limit: 0x3f },
    idtr: { base: BigInt(IDT), limit: 0xfff },
    tr: { selector: 0, base: BigInt(TSS), limit: TSS_LIMIT, attrs: 0x8b },
    ldtr: { selector: 0, base: 0n, limit: 0, attrs: 0 },
    cr0: 0x80050033n, cr2: 0n, cr3: BigInt(PML4), cr4: 0x20n, cr8: 0n,
    efer: 0xd00n, fsBase: 0n, gsBase: 0n, kernelGsBase: 0n,
  };
  st.gpr[4] = BigInt(STACK);
  cpu.setState(st);
  return { cpu, mem, dbEvents };
}

/** Vector whose halting stub the CPU stopped in, or -1. */
export function haltedVector(cpu: GuestCpu): number {
  const rip = Number(cpu.getRip()) - 1;
  if (rip < STUB_BASE || rip >= STUB_BASE + 256 * 16 || (rip - STUB_BASE) % 16 !== 0) return -1;
  return (rip - STUB_BASE) / 16;
}

/** JSON.stringify replacer: bigints as hex strings. */
export const big = (_k: string, v: unknown): unknown => (typeof v === 'bigint' ? `0x${v.toString(16)}` : v);

/** Everything two engines must agree on after a slice: the stop, every register (RFLAGS materialised),
 *  instructions retired, DR6/DR7, the number of #DB events and those from index `from` on (payload, kind, RIP,
 *  DR6 before/after, causes). */
export function snapshot(m: EngineMachine, stop: StopReason | undefined, from = 0): string {
  const cpu = m.cpu;
  return JSON.stringify({
    stop, state: cpu.getState(), retired: cpu.instructionsRetired, dr6: cpu.getDr(6), dr7: cpu.getDr(7), dbs: m.dbEvents.length,
    db: m.dbEvents.slice(from).map((e) => ({ p: e.payload, k: e.kind, rip: e.rip, b: e.dr6Before, a: e.dr6After, c: e.causes })),
  }, big);
}

/** Index of the first differing byte, or -1. */
export function bytesDiffer(a: Uint8Array, b: Uint8Array): number {
  for (let k = 0; k < a.length; k++) if (a[k] !== b[k]) return k;
  return -1;
}
