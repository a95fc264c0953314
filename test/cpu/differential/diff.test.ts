// Differential test of the simulated CPU against the host CPU (issue 2): thousands of random
// instruction snippets (every ALU/shift/rotate/mul/div/bit/bsf/bsr/setcc/cmovcc/inc/dec/neg/not/
// adc/sbb/xadd/cmpxchg/bswap/shld/shrd/movsx/movzx/lea/xchg/cwd/string form in 8/16/32/64-bit
// sizes, register and memory operands) run natively and in src/cpu; all 16 GPRs, the status flags
// (minus what the SDM calls undefined for that instruction and input), DF, the scratch memory window,
// the final RIP and any exception (vector, faulting RIP, error code) must agree.
//
// Seed: DIFF_SEED (default fixed for CI), count: DIFF_CASES. DIFF_REPORT=<file> writes every
// mismatch there. DIFF_INCLUDE_KNOWN_BUGS=1 also generates the input classes of KNOWN_SIM_BUGS. The generator lives in scripts/diff-harness/gen.ts.
import { beforeAll, describe } from 'vitest';
import { familyChecks, statsSummary, writeDiffReport } from './family-checks.js';
import { FORMS } from '../../../scripts/diff-harness/gen.js';
import { countFromEnv, type FamilyStats, prepare, type Prepared, runSim, seedFromEnv } from '../../../scripts/diff-harness/harness.js';
import { hostCanRunNative } from '../../../scripts/diff-harness/native.js';
import { hostVendor } from '../../../scripts/diff-harness/sim.js';
import { createCpu, createPhysicalMemory } from '../../../src/cpu/index.js';

/**
 * Input classes left out of the generator because of a known simulator bug (tag -> bug). The
 * generator tags such cases and draws others instead; the count of avoided cases is printed.
 * Give each entry a failing reproducer in test/cpu/instructions/ (it.fails, so the suite stays green and
 * notices the fix); remove the entry and flip the test once the bug is fixed.
 */
const KNOWN_SIM_BUGS: Record<string, string> = {};
// Fixed since first found (kept as generator tags, compared again): 'lea-noncanonical-ea' (LEA faulted
// on a non-canonical address), 'count0-r32' (32-bit shifts by 0 kept bits 63:32), 'lock-90' (LOCK NOP
// and LOCK XCHG r, rAX executed) - all fixed in e51ad02; 'stray-rex' (REX followed by another prefix
// raised #UD) and 'rmw-pagecross' (#PF W/R=0 on an RMW crossing into a missing page) - fixed with fixed-bugs.test.ts.

const seed = seedFromEnv();
const count = countFromEnv(8000);

describe.runIf(hostCanRunNative())(`cpu vs host (${hostVendor()}), seed ${seed}, ${count} cases`, () => {
  let prepared: Prepared;
  let stats: Map<string, FamilyStats>;
  beforeAll(() => {
    const t0 = performance.now();
    const avoided = new Map<string, number>();
    const avoidTags = process.env.DIFF_INCLUDE_KNOWN_BUGS ? [] : Object.keys(KNOWN_SIM_BUGS);
    prepared = prepare({ seed, count, avoidTags, avoided });
    const t1 = performance.now();
    stats = runSim({ createCpu, createPhysicalMemory }, prepared);
    const t2 = performance.now();
    const lines = statsSummary(stats, 8);
    const skipped = [...avoided].map(([t, n]) => `  ${n} cases avoided (${t}): ${KNOWN_SIM_BUGS[t]}`);
    console.log(`generate+assemble+native ${(t1 - t0).toFixed(0)} ms, simulator ${(t2 - t1).toFixed(0)} ms\n${lines}\n${skipped.join('\n')}`);
    writeDiffReport(stats);
  });

  familyChecks(FORMS.map((x) => x.family), () => stats);
});
