// Ties the pieces together: generate -> assemble (one `as` run) -> run natively (one process) ->
// run simulated -> compare. Used by test/cpu/differential.
import { assembleMany } from './asm.js';
import { compare, report } from './compare.js';
import { type GenCase, generate, type GenOptions } from './gen.js';
import { generate32 } from './gen32.js';
import { generateSse, SSE_FORMS, type SseForm } from './gen-sse.js';
import type { CaseInput, CaseResult } from './layout.js';
import { runNative } from './native.js';
import { type CpuFactory, hostVendor, SimMachine } from './sim.js';

export const DEFAULT_SEED = 0x5eed_d1ffn;

/** Seed and case count: fixed in CI, overridable with DIFF_SEED / DIFF_CASES. */
export function seedFromEnv(): bigint {
  const s = process.env.DIFF_SEED;
  return s ? BigInt(s) : DEFAULT_SEED;
}
export function countFromEnv(dflt: number): number {
  const s = process.env.DIFF_CASES;
  return s ? Number(s) : dflt;
}

export interface Prepared {
  gen: GenCase[];
  inputs: CaseInput[];
  native: CaseResult[];
}

export function prepare(opts: GenOptions): Prepared {
  return prepareCases(generate(opts), false);
}
/** The 32-bit (compatibility-mode) sample: gen32.ts forms, `as --32`, native runner --compat32. */
export function prepare32(opts: GenOptions): Prepared {
  return prepareCases(generate32(opts), true);
}
/** The 16-bit sample: the same families assembled for a 16-bit code segment (`.code16`). */
export function prepare16(opts: GenOptions): Prepared {
  return prepareCases(generate32(opts, true), 'code16');
}
/** The 16-bit stack sample: the stack family with SS.B=0 and SS.base = SCRATCH_MAP_BASE, in 32-bit or (code16) 16-bit code. */
export function prepareSs16(opts: GenOptions, code16 = false): Prepared {
  return prepareCases(generate32({ ...opts, only: ['c32-stack'] }, code16, true), code16 ? 'code16+ss16' : 'ss16');
}
/** The SSE sample (gen-sse.ts; `forms`: SSE_FORMS or MMX_FORMS): XMM0-15 and MXCSR are inputs and compared outputs. */
export function prepareSse(opts: GenOptions, forms: readonly SseForm[] = SSE_FORMS): Prepared {
  return prepareCases(generateSse(opts, forms), false);
}
function prepareCases(gen: GenCase[], compat32: boolean | 'code16' | 'ss16' | 'code16+ss16'): Prepared {
  const codes = assembleMany(gen.map((g) => g.asm), compat32 === 'code16' || compat32 === 'code16+ss16' ? 16 : compat32 ? 32 : 64);
  const inputs: CaseInput[] = gen.map((g, i) => ({ gpr: g.gpr, rflags: g.rflags, memSeed: g.memSeed, patch: g.patch, code: codes[i]!, xmm: g.xmm, mxcsr: g.mxcsr }));
  return { gen, inputs, native: runNative(inputs, compat32) };
}

export interface Failure {
  index: number;
  gen: GenCase;
  input: CaseInput;
  native: CaseResult;
  sim: CaseResult;
  diffs: string[];
  text: string;
}

export interface FamilyStats {
  cases: number;
  faults: number;
  failures: Failure[];
  forms: Set<string>;
}

export function runSim(factory: CpuFactory, p: Prepared, vendor = hostVendor()): Map<string, FamilyStats> {
  const g0 = p.gen[0];
  const machine = new SimMachine(factory, vendor, g0?.compat32 === true, g0?.code16 === true, g0?.ss16 === true);
  const stats = new Map<string, FamilyStats>();
  p.gen.forEach((g, i) => {
    let st = stats.get(g.family);
    if (!st) stats.set(g.family, (st = { cases: 0, faults: 0, failures: [], forms: new Set() }));
    st.cases++;
    st.forms.add(g.form);
    const nat = p.native[i]!;
    if (nat.vector >= 0) st.faults++;
    const sim = machine.run(p.inputs[i]!);
    const diffs = compare(g, nat, sim);
    if (diffs.length) st.failures.push({ index: i, gen: g, input: p.inputs[i]!, native: nat, sim, diffs, text: report(g, p.inputs[i]!, nat, sim, diffs) });
  });
  return stats;
}
