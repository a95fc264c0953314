// Differential test of the MMX forms (no prefix, MMX registers) against the host CPU: the integer forms SSE2
// has for XMM, the SSE additions on MMX registers (PSHUFW, PINSRW, PEXTRW, PMOVMSKB, PAVG, PMIN/PMAX, PSADBW,
// PMULHUW, MASKMOVQ, MOVNTQ) and the moves (MOVD/MOVQ with GPRs and memory, MOVQ2DQ/MOVDQ2Q), one per case
// (scripts/diff-harness/gen-sse.ts MMX_FORMS): each MMX register the form names is loaded from XMMn and read
// back into XMM(8+n), then EMMS; every XMM register, the GPRs, flags and the scratch window must agree with
// silicon. The x87 side of MMX (tags, TOP, exponent) is test/cpu/features/mmx.test.ts. Seed: DIFF_SEED;
// count: DIFF_MMX_CASES.
import { beforeAll, describe } from 'vitest';
import { familyChecks, statsSummary, writeDiffReport } from './family-checks.js';
import { MMX_FORMS } from '../../../scripts/diff-harness/gen-sse.js';
import { type FamilyStats, prepareSse, type Prepared, runSim, seedFromEnv } from '../../../scripts/diff-harness/harness.js';
import { hostCanRunNative } from '../../../scripts/diff-harness/native.js';
import { hostVendor } from '../../../scripts/diff-harness/sim.js';
import { createCpu, createPhysicalMemory } from '../../../src/cpu/index.js';

const seed = seedFromEnv();
const count = Number(process.env.DIFF_MMX_CASES ?? 3000);

describe.runIf(hostCanRunNative())(`MMX cpu vs host (${hostVendor()}), seed ${seed}, ${count} cases`, () => {
  let prepared: Prepared;
  let stats: Map<string, FamilyStats>;
  beforeAll(() => {
    prepared = prepareSse({ seed, count }, MMX_FORMS);
    stats = runSim({ createCpu, createPhysicalMemory }, prepared);
    console.log(statsSummary(stats, 10));
    writeDiffReport(stats);
  }, 300_000);

  familyChecks(MMX_FORMS.map((x) => x.family), () => stats);
});
