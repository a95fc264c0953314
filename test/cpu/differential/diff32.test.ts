// Differential test of the simulated CPU against the host CPU for 32-bit code (issue 6): random
// snippets of the families whose semantics differ in 32-bit code segments (PUSH/POP/PUSHA/POPA/ENTER/
// LEAVE/CALL/RET with 4/2-byte slots, INC/DEC 40-4F, string ops with 32- and 16-bit addressing, BCD,
// LOOP/JECXZ/JCXZ, LEA and loads with 16-bit addressing, XLAT, moffs32, 82) and the ordinary families at
// 8/16/32 bits (ALU, shifts/rotates, MUL/DIV, BT*, BSF/BSR, SETcc/CMOVcc, XADD/CMPXCHG/XCHG, BSWAP).
// Both sides run the snippet in IA-32e compatibility mode: natively in Linux's 32-bit user code
// segment (the runner's --compat32), simulated with a CS.L=0/CS.D=1 code segment under EFER.LMA. The
// 16-bit sample runs the same families assembled with .code16 in a 16-bit code segment (natively an LDT
// segment from modify_ldt, --code16; simulated CS.D=0), both based at the snippet's page. The 16-bit
// stack sample runs the stack family in 32-bit code with SS a 16-bit data segment based at 0x100000
// (natively an LDT segment loaded around the snippet, --ss16): SP arithmetic and a non-zero SS base.
// EAX..EDI bits 31:0, the status flags (minus what the SDM leaves undefined), DF, the scratch window,
// the final EIP and any exception (vector, EIP, error code, CR2) must agree.
//
// Seed: DIFF_SEED, count: DIFF32_CASES / DIFF16_CASES / DIFF_SS16_CASES (default 3000 / 3000 / 1000 here; the sweep: `DIFF32_CASES=100000 npx vitest run
// test/cpu/differential/diff32.test.ts`; a count of 0 leaves that sample out). DIFF_REPORT=<file> writes every mismatch to <file>.32, .16, .32-ss16, .16-ss16.
import { beforeAll, describe, it } from 'vitest';
import { familyChecks, statsSummary, writeDiffReport } from './family-checks.js';
import { FORMS32 } from '../../../scripts/diff-harness/gen32.js';
import { type FamilyStats, prepare16, prepare32, prepareSs16, type Prepared, runSim, seedFromEnv } from '../../../scripts/diff-harness/harness.js';
import { type NativeMode, nativeModeUnavailable } from '../../../scripts/diff-harness/native.js';
import { hostVendor } from '../../../scripts/diff-harness/sim.js';
import { createCpu, createPhysicalMemory } from '../../../src/cpu/index.js';

const seed = seedFromEnv();
const count = Number(process.env.DIFF32_CASES ?? 3000);
const count16 = Number(process.env.DIFF16_CASES ?? 3000);
const countSs16 = Number(process.env.DIFF_SS16_CASES ?? 1000);

const SAMPLES: { name: string; n: number; mode: NativeMode; prep: (o: { seed: bigint; count: number }) => Prepared; families: string[] }[] = [
  { name: '32-bit code', n: count, mode: true, prep: prepare32, families: FORMS32.map((x) => x.family) },
  { name: '16-bit code', n: count16, mode: 'code16', prep: prepare16, families: FORMS32.map((x) => x.family) },
  { name: '32-bit code on a 16-bit stack segment (SS.B=0, SS.base 0x100000)', n: countSs16, mode: 'ss16', prep: (o) => prepareSs16(o), families: ['c32-stack'] },
  { name: '16-bit code on a 16-bit stack segment (SS.B=0, SS.base 0x100000)', n: countSs16, mode: 'code16+ss16', prep: (o) => prepareSs16(o, true), families: ['c32-stack'] },
];

for (const { name, n, mode, prep, families } of SAMPLES) {
  const unavailable = n > 0 ? nativeModeUnavailable(mode) : undefined;
  if (unavailable) {
    // Visible in the report as skipped, with the reason: the host, not the simulator, refused the mode.
    describe(`cpu vs host, ${name}`, () => it.skip(`skipped: ${unavailable}`, () => undefined));
    continue;
  }
  describe.runIf(n > 0)(`cpu vs host, ${name} (${hostVendor()}), seed ${seed}, ${n} cases`, () => {
  const bits = `${name.startsWith('16') ? 16 : 32}${name.includes('stack') ? '-ss16' : ''}`;
  let prepared: Prepared;
  let stats: Map<string, FamilyStats>;
  beforeAll(() => {
    const t0 = performance.now();
    prepared = prep({ seed, count: n });
    const t1 = performance.now();
    stats = runSim({ createCpu, createPhysicalMemory }, prepared);
    const t2 = performance.now();
    const lines = statsSummary(stats, 16);
    console.log(`generate+assemble+native ${(t1 - t0).toFixed(0)} ms, simulator ${(t2 - t1).toFixed(0)} ms\n${lines}`);
    writeDiffReport(stats, `.${bits}`);
  });

  familyChecks(families, () => stats);
  });
}
