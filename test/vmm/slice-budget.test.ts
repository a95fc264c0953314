// The slice budget (src/vmm/slice-budget.ts): short slices while slices are slow (a cold interpreter, a guest
// that faults or prints), back to the full budget once they are fast, never outside [SLICE_MIN, SLICE_MAX].
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { nextSliceBudget, SLICE_MAX, SLICE_MIN, SLICE_TARGET_MS } from '../../src/vmm/slice-budget.js';

describe('slice budget', () => {
  it('grows from the first slice to the full budget while fast slices use their whole budget', () => {
    let b = SLICE_MIN;
    const seen = [b];
    while (b < SLICE_MAX) seen.push((b = nextSliceBudget(b, 1, true)));
    expect(seen).toEqual([2000, 4000, 8000, 16000, 32000, 64000, 100000]);
    expect(nextSliceBudget(SLICE_MAX, 0.1, true)).toBe(SLICE_MAX);
  });
  it('halves after a slow slice, down to the floor', () => {
    expect(nextSliceBudget(100_000, SLICE_TARGET_MS + 1, true)).toBe(50_000);
    expect(nextSliceBudget(SLICE_MIN, 500, true)).toBe(SLICE_MIN);
  });
  it('a slice that stopped early (breakpoint, HLT) does not grow the budget', () => {
    expect(nextSliceBudget(4000, 0.1, false)).toBe(4000);
  });
  it('stays within its bounds whatever the timings', () => {
    fc.assert(fc.property(fc.array(fc.tuple(fc.double({ min: 0, max: 1000, noNaN: true }), fc.boolean())), (steps) => {
      let b = SLICE_MIN;
      for (const [ms, full] of steps) {
        b = nextSliceBudget(b, ms, full);
        if (b < SLICE_MIN || b > SLICE_MAX || !Number.isInteger(b)) return false;
      }
      return true;
    }));
  });
});
