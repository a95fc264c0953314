// Breakpoints compare linear addresses, frames carry offsets. Rules: Intel SDM Vol. 3 19.2.1 (DR0-DR3: "linear
// address"), 3.4.2/3.4.5 (linear address = segment base + offset), 6.12.1 (the frame holds CS and EIP, an offset in
// CS), 19.3.1.1-19.3.1.2; AMD APM Vol. 2 13.1.1.1 (DR0-DR3 hold linear/virtual addresses). Segments 0x38 (code) and
// 0x40 (data) have base 0x100000.
import { describe, expect, it } from 'vitest';
import { DR6_B0, DR6_B1, DR6_INIT, expectRun, MODES, runGuest32, VEC_DB, VENDORS } from './harness.js';

const SEG_BASE = 0x100000n;
const SEL_BCODE = 0x38;

describe.each(VENDORS)('32-bit breakpoints in a segment with a non-zero base (%s)', (vendor) => {
  it.each(MODES)('DR0/DR1 match linear addresses; the frame EIP is the offset in CS 0x38 (%s mode)', async (mode) => {
    const run = await runGuest32('seg-base', mode, { vendor });
    expectRun(run, [
      { vec: VEC_DB, rip: run.sym('sb_hit') - SEG_BASE, dr6: DR6_INIT | DR6_B0, cs: SEL_BCODE, rf: 0, tf: 0, why: 'instruction breakpoint at linear sb_hit' },
      { vec: VEC_DB, rip: run.sym('sb_w1') - SEG_BASE, dr6: DR6_INIT | DR6_B1, cs: SEL_BCODE, rf: 0, tf: 0, why: 'ES-based write to linear sbvar; the DS write at the same offset misses' },
    ]);
    expect(run.marks.map((m) => [m.tag, Number(m.value)])).toEqual([[0x5b, 0x5a]]);
  });
});
