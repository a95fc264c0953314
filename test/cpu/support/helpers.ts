// Shared by the per-group CPU tests: run snippets in the simulator (and, on an x86-64 Linux host,
// natively as a cross-check of the expectation itself), then assert hand-computed results.
import { expect } from 'vitest';
import { assembleMany } from '../../../scripts/diff-harness/asm.js';
import { compare, report } from '../../../scripts/diff-harness/compare.js';
import type { GenCase } from '../../../scripts/diff-harness/gen.js';
import { R64 } from '../../../scripts/diff-harness/gen.js';
import { type CaseInput, type CaseResult, CODE_ADDR, SCRATCH_ADDR } from '../../../scripts/diff-harness/layout.js';
import { hostCanRunNative, runNative } from '../../../scripts/diff-harness/native.js';
import { hostVendor, SimMachine } from '../../../scripts/diff-harness/sim.js';
import { createCpu, createPhysicalMemory } from '../../../src/cpu/index.js';

export { CODE_ADDR, SCRATCH_ADDR };
export { AF, CF, DF, OF, PF, SF, ZF, ARITH } from '../../../scripts/diff-harness/layout.js';

export type RegName = (typeof R64)[number];
const M64 = (1n << 64n) - 1n;

/** Default register image: every byte distinct and non-zero, so a partial write shows. */
export function defaultGpr(i: number): bigint {
  return (0xf0e0d0c0b0a09080n + BigInt(i) * 0x0101010101010101n) & M64;
}

export interface Snip {
  /** Intel syntax (';'-separated), or raw bytes. */
  code: string | number[];
  regs?: Partial<Record<string, bigint>>;
  flags?: number;
  /** Bytes placed at window offset `off` (SCRATCH_ADDR + off); the rest of the window is a fixed fill. */
  mem?: { off: number; bytes: number[] };
  /** Flags the SDM leaves undefined for this snippet (excluded from the native cross-check). */
  undef?: number;
}

export interface Ran {
  input: CaseInput;
  sim: CaseResult & { note?: string };
  native: CaseResult | undefined;
  snip: Snip;
}

let machine: SimMachine | undefined;
export function sim(): SimMachine {
  machine ??= new SimMachine({ createCpu, createPhysicalMemory }, hostVendor());
  return machine;
}

export function runAll(snips: Snip[]): Ran[] {
  const asmIdx = snips.map((s, i) => (typeof s.code === 'string' ? i : -1)).filter((i) => i >= 0);
  const asm = assembleMany(asmIdx.map((i) => snips[i]!.code as string));
  const codes: Uint8Array[] = snips.map((s) => (typeof s.code === 'string' ? new Uint8Array(0) : new Uint8Array(s.code)));
  asmIdx.forEach((si, k) => (codes[si] = asm[k]!));
  const inputs: CaseInput[] = snips.map((s, i) => {
    const gpr = R64.map((name, r) => s.regs?.[name] ?? defaultGpr(r));
    const patch = s.mem ? { off: s.mem.off, bytes: new Uint8Array(s.mem.bytes) } : undefined;
    return { gpr, rflags: s.flags ?? 0, memSeed: 0x1234n, patch, code: codes[i]! };
  });
  const nat = hostCanRunNative() ? runNative(inputs) : undefined;
  return inputs.map((input, i) => ({ input, sim: sim().run(input), native: nat?.[i], snip: snips[i]! }));
}

export function run1(s: Snip): Ran {
  return runAll([s])[0]!;
}

/** The simulator agrees with the host CPU on everything the SDM defines (all GPRs, flags, memory, outcome). */
export function expectMatchesHost(r: Ran): void {
  if (!r.native) return;
  const g: GenCase = {
    family: 'group', form: 'group', asm: typeof r.snip.code === 'string' ? r.snip.code : 'bytes',
    gpr: r.input.gpr, rflags: r.input.rflags, memSeed: r.input.memSeed, undefFlags: r.snip.undef ?? 0,
    gprMask: new Array<bigint>(16).fill(M64), memIgnore: [], notes: r.snip.undef ? ['flags the SDM leaves undefined'] : [], tags: [],
  };
  const diffs = compare(g, r.native, r.sim);
  if (diffs.length) throw new Error(`simulator differs from the host CPU:\n${report(g, r.input, r.native, r.sim, diffs)}`);
}

export interface Expect {
  vector?: number; // -1 (default): completed
  regs?: Partial<Record<string, bigint>>;
  /** Flags that must be set / clear. */
  set?: number;
  clear?: number;
  mem?: { off: number; bytes: number[] };
  rip?: bigint;
  /** Exception error code bits: (code & mask) === value. */
  errorCode?: { mask: number; value: number };
  /** #PF faulting address. */
  cr2?: bigint;
}

function check(label: string, res: CaseResult & { note?: string }, e: Expect): void {
  const where = `${label}${res.note ? ` (${res.note})` : ''}`;
  expect(res.vector, `${where}: outcome`).toBe(e.vector ?? -1);
  if (e.rip !== undefined) expect(res.rip, `${where}: RIP`).toBe(e.rip);
  if (e.errorCode) expect(res.errorCode & e.errorCode.mask, `${where}: error code 0x${res.errorCode.toString(16)}`).toBe(e.errorCode.value);
  if (e.cr2 !== undefined) expect(`0x${res.cr2.toString(16)}`, `${where}: CR2`).toBe(`0x${e.cr2.toString(16)}`);
  for (const [name, v] of Object.entries(e.regs ?? {})) {
    const i = R64.indexOf(name);
    expect(i, `unknown register ${name}`).toBeGreaterThanOrEqual(0);
    expect(`0x${res.gpr[i]!.toString(16)}`, `${where}: ${name}`).toBe(`0x${BigInt.asUintN(64, v!).toString(16)}`);
  }
  if (e.set !== undefined) expect(res.rflags & e.set, `${where}: flags that must be set`).toBe(e.set);
  if (e.clear !== undefined) expect(res.rflags & e.clear, `${where}: flags that must be clear`).toBe(0);
  if (e.mem) expect([...res.mem.subarray(e.mem.off, e.mem.off + e.mem.bytes.length)], `${where}: memory`).toEqual(e.mem.bytes);
}

/** Assert the expectation on the simulator; on an x86-64 host also on the native run (so a wrong
 *  expectation is caught as such) and compare the two fully. */
export function expectRun(r: Ran, e: Expect): void {
  const what = typeof r.snip.code === 'string' ? r.snip.code : r.snip.code.map((b) => b.toString(16).padStart(2, '0')).join(' ');
  if (r.native) check(`${what}: native (checks the test itself)`, r.native, e);
  check(`${what}: simulator`, r.sim, e);
  expectMatchesHost(r);
}

export const lo = (v: bigint, bits: number): bigint => v & ((1n << BigInt(bits)) - 1n);
export const withLow = (full: bigint, bits: number, low: bigint): bigint => (full & ~((1n << BigInt(bits)) - 1n) & M64) | lo(low, bits);
