// What every differential test file does with the harness's per-family statistics (scripts/diff-harness/
// harness.ts runSim): print one summary line per family, write the mismatches to $DIFF_REPORT when asked, and
// one vitest case per family that fails with the first mismatches.
import { writeFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import type { FamilyStats } from '../../../scripts/diff-harness/harness.js';

/** One line per family, sorted: cases, forms, faults, mismatches. */
export function statsSummary(stats: Map<string, FamilyStats>, width = 10): string {
  return [...stats].sort().map(([f, s]) => `${f.padEnd(width)} ${String(s.cases).padStart(5)} cases ${String(s.forms.size).padStart(4)} forms ${String(s.faults).padStart(4)} faults ${s.failures.length} mismatches`).join('\n');
}

/** Every mismatch's text into $DIFF_REPORT (plus `suffix`), when that variable is set. */
export function writeDiffReport(stats: Map<string, FamilyStats>, suffix = ''): void {
  if (!process.env.DIFF_REPORT) return;
  const all = [...stats.values()].flatMap((s) => s.failures.map((f) => f.text));
  writeFileSync(`${process.env.DIFF_REPORT}${suffix}`, all.join('\n\n') + '\n');
}

/** One test per family: it ran cases, and none differs from the host CPU. `stats` is read when the test runs
 *  (it is filled in beforeAll). */
export function familyChecks(families: Iterable<string>, stats: () => Map<string, FamilyStats>): void {
  for (const f of new Set(families)) {
    it(`${f}: simulator matches the host CPU`, () => {
      const s = stats().get(f);
      expect(s?.cases ?? 0).toBeGreaterThan(0);
      if (s!.failures.length) {
        const shown = s!.failures.slice(0, 6).map((x) => x.text).join('\n\n');
        throw new Error(`${s!.failures.length} of ${s!.cases} ${f} cases differ from the host CPU:\n\n${shown}`);
      }
    });
  }
}
