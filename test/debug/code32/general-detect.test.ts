// General detect in 32-bit protected mode. Rules: Intel SDM Vol. 3 19.2.4 (DR7.GD), 19.3.1.3 (fault-class #DB
// before any MOV to/from DR0-DR7, DR6.BD, the processor clears GD on entry), 19.2.3 (BD never cleared by the
// processor); AMD APM Vol. 2 13.1.1.6 (general detect), 13.1.1.3.
import { describe, expect, it } from 'vitest';
import { CS32_KERNEL, DR6_BD, DR6_INIT, DR7_INIT, expectRun, MODES, runGuest32, VEC_DB, VENDORS, type Expect } from './harness.js';

const BD = DR6_INIT | DR6_BD; // 0xFFFF2FF0
const h8 = (v: bigint) => '0x' + v.toString(16).padStart(8, '0');

describe.each(VENDORS)('32-bit general detect (%s)', (vendor) => {
  it.each(MODES)('fault at the MOV DR, BD set, GD cleared, RF 0; the MOV then completes (%s mode)', async (mode) => {
    const run = await runGuest32('general-detect', mode, { vendor });
    const one = (rip: string): Expect => ({ vec: VEC_DB, rip, dr6: BD, dr7: DR7_INIT, cs: CS32_KERNEL, rf: 0, tf: 0 });
    expectRun(run, [one('gd_0'), one('gd_1'), one('gd_2'), one('gd_3'), one('gd_4')]);
    expect(run.marks.map((m) => [m.tag, h8(m.value)])).toEqual([
      [0x70, h8(DR7_INIT)], // GD clear after delivery
      [0x11, h8(0x1000n)], // the faulted MOV to DR1 took effect on re-execution
      [0x73, h8(DR7_INIT)],
      [0x64, h8(BD)], // BD sticky
    ]);
  });
});
