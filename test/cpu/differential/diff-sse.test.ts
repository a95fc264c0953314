// Differential test of the SSE/SSE2/SSE3 instructions against the host CPU: random XMM0-15 and MXCSR
// inputs, one instruction per case (scripts/diff-harness/gen-sse.ts); every XMM register, MXCSR, the GPRs,
// flags, the scratch window and any exception (#GP for a misaligned operand, #XM for an unmasked SIMD
// floating-point exception) must agree with silicon. Seed: DIFF_SEED; count: DIFF_SSE_CASES.
import { beforeAll, describe } from 'vitest';
import { familyChecks, statsSummary, writeDiffReport } from './family-checks.js';
import { SSE_FORMS } from '../../../scripts/diff-harness/gen-sse.js';
import { type FamilyStats, prepareSse, type Prepared, runSim, seedFromEnv } from '../../../scripts/diff-harness/harness.js';
import { hostCanRunNative } from '../../../scripts/diff-harness/native.js';
import { hostVendor } from '../../../scripts/diff-harness/sim.js';
import { createCpu, createPhysicalMemory } from '../../../src/cpu/index.js';

const seed = seedFromEnv();
const count = Number(process.env.DIFF_SSE_CASES ?? 6000);

describe.runIf(hostCanRunNative())(`SSE cpu vs host (${hostVendor()}), seed ${seed}, ${count} cases`, () => {
  let prepared: Prepared;
  let stats: Map<string, FamilyStats>;
  beforeAll(() => {
    prepared = prepareSse({ seed, count });
    stats = runSim({ createCpu, createPhysicalMemory }, prepared);
    console.log(statsSummary(stats, 10));
    writeDiffReport(stats);
  }, 300_000);

  familyChecks(SSE_FORMS.map((x) => x.family), () => stats);
});
