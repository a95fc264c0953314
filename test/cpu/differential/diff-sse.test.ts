// Differential test of the SSE/SSE2/SSE3 instructions against the host CPU: random XMM0-15 and MXCSR
// inputs, one instruction per case (scripts/diff-harness/gen-sse.ts); every XMM register, MXCSR, the GPRs,
// flags, the scratch window and any exception (#GP for a misaligned operand, #XM for an unmasked SIMD
// floating-point exception) must agree with silicon. Seed: DIFF_SEED; count: DIFF_SSE_CASES.
import { writeFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
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
    const lines = [...stats].sort().map(([f, s]) => `${f.padEnd(10)} ${String(s.cases).padStart(5)} cases ${String(s.forms.size).padStart(4)} forms ${String(s.faults).padStart(4)} faults ${s.failures.length} mismatches`);
    console.log(lines.join('\n'));
    if (process.env.DIFF_REPORT) {
      const all = [...stats.values()].flatMap((s) => s.failures.map((f) => f.text));
      writeFileSync(process.env.DIFF_REPORT, all.join('\n\n') + '\n');
    }
  }, 300_000);

  for (const f of [...new Set(SSE_FORMS.map((x) => x.family))]) {
    it(`${f}: simulator matches the host CPU`, () => {
      const s = stats.get(f);
      expect(s?.cases ?? 0).toBeGreaterThan(0);
      if (s!.failures.length) {
        const shown = s!.failures.slice(0, 6).map((x) => x.text).join('\n\n');
        throw new Error(`${s!.failures.length} of ${s!.cases} ${f} cases differ from the host CPU:\n\n${shown}`);
      }
    });
  }
});
