// Debug traps inside repeated string I/O in 32-bit protected mode. SDM Vol. 3 19.3.1.2: a repeated INS/OUTS
// that hits an I/O breakpoint traps after the first iteration; a memory breakpoint traps after the iteration
// that accessed the location. Between iterations EIP stays on the REP instruction with ECX/ESI/EDI updated
// (SDM Vol. 2 REP). Guest test/guest-src/debug32/rep-string: REP OUTSB x3 to port 0x3FF with DR0 an I/O
// breakpoint on it (CR4.DE=1), then REP INSB x4 from port 0x3FF with DR1 a write watchpoint on dst+1.
import { describe, expect, it } from 'vitest';
import { CS32_KERNEL, DR6_B0, DR6_B1, DR6_INIT, expectRun, MODES, runGuest32, VEC_DB, VENDORS } from './harness.js';

describe.each(VENDORS)('32-bit REP INS/OUTS with I/O and data breakpoints (%s)', (vendor) => {
  it.each(MODES)('one trap per OUTSB iteration (EIP on the REP until the last), INSB traps after writing dst+1 (%s mode)', async (mode) => {
    const run = await runGuest32('rep-string', mode, { vendor });
    const io = DR6_INIT | DR6_B0;
    expectRun(run, [
      { vec: VEC_DB, rip: 'rs_o0', dr6: io, cs: CS32_KERNEL, why: 'after iteration 1 of 3: EIP at REP OUTSB' },
      { vec: VEC_DB, rip: 'rs_o0', dr6: io, cs: CS32_KERNEL, why: 'after iteration 2' },
      { vec: VEC_DB, rip: 'rs_o1', dr6: io, cs: CS32_KERNEL, why: 'after the last iteration: instruction complete' },
      { vec: VEC_DB, rip: 'rs_i0', dr6: DR6_INIT | DR6_B1, cs: CS32_KERNEL, why: 'INSB iteration 2 wrote dst+1' },
    ]);
    expect(run.marks.map((m) => [m.tag, Number(m.value)])).toEqual([
      [0xc0, 2], [0xc0, 1], [0xc0, 0], [0xc1, 0], // ECX at each OUTSB #DB, then after the instruction
      [0xc0, 2], [0xc1, 0], [0xd1, 4], // ECX at the INSB #DB, after it, EDI advance
    ]);
  });
});
