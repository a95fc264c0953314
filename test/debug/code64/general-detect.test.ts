// General detect (SDM Vol. 3 19.2.4 GD flag, 19.3.1.3): with DR7.GD=1 the next MOV to or from any
// debug register raises a fault-like #DB before executing: RIP at the MOV, DR6.BD=1 (0xFFFF2FF0), and
// the processor clears GD when it enters the handler so the handler can use the debug registers
// (the handler's own MOV from DR6/DR7 must not fault; the DR7 it logs is 0x400). On return the MOV
// runs normally. Seed 002: real Intel and AMD hardware do not set RF in the image pushed for a GD #DB.
// BD is never cleared by the processor (19.2.3).
import { describe, expect, it } from 'vitest';
import { CS_KERNEL, DR6_BD, DR6_INIT, DR7_INIT, expectRun, hex64, marks, runGuest, VEC_DB, VENDORS, type Expect } from './harness.js';

const BD = DR6_INIT | DR6_BD; // 0xFFFF2FF0

describe.each(VENDORS)('general detect (%s)', (vendor) => {
  it('fault at the MOV DR, BD set, GD cleared, RF not set; the MOV then completes', async () => {
    const run = await runGuest('general-detect', { vendor });
    const one = (rip: string): Expect => ({ vec: VEC_DB, rip, dr6: BD, dr7: DR7_INIT, cs: CS_KERNEL, rf: 0, tf: 0 });
    expectRun(run, [one('gd_0'), one('gd_1'), one('gd_2'), one('gd_3'), one('gd_4')]);
    expect(marks(run)).toEqual([
      [0x70, hex64(DR7_INIT)], // GD stays clear after delivery
      [0x11, hex64(0x1000n)], // the faulted MOV to DR1 took effect on re-execution
      [0x73, hex64(DR7_INIT)], // re-executed MOV from DR7
      [0x64, hex64(BD)], // BD sticky (handler did not rewrite DR6)
    ]);
  });
});
