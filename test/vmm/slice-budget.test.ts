// The slice budget (src/vmm/slice-budget.ts): every run starts with a short slice and doubles while slices use
// their whole budget, up to 100k; it counts instructions only, so where slices end never depends on time.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { nextSliceBudget, SLICE_MAX, SLICE_MIN } from '../../src/vmm/slice-budget.js';

describe('slice budget', () => {
  it('grows from the first slice to the full budget while slices use their whole budget', () => {
    let b = SLICE_MIN;
    const seen = [b];
    while (b < SLICE_MAX) seen.push((b = nextSliceBudget(b, true)));
    expect(seen).toEqual([2000, 4000, 8000, 16000, 32000, 64000, 100000]);
    expect(nextSliceBudget(SLICE_MAX, true)).toBe(SLICE_MAX);
  });
  it('a slice that stopped early (breakpoint, HLT) leaves the budget as it was', () => {
    expect(nextSliceBudget(4000, false)).toBe(4000);
  });
  it('stays within its bounds for any sequence of slices', () => {
    fc.assert(fc.property(fc.array(fc.boolean()), (fulls) => {
      let b = SLICE_MIN;
      for (const full of fulls) {
        b = nextSliceBudget(b, full);
        if (b < SLICE_MIN || b > SLICE_MAX || !Number.isInteger(b)) return false;
      }
      return true;
    }));
  });
});
