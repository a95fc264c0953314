// MOV SS + general detect (CPL0 only: MOV DR at CPL3 is #GP before anything else). Rules: GD
// (DR7 bit 13) makes any MOV DR a fault-like #DB before it executes, DR6.BD set, and the processor
// clears DR7.GD when it delivers that #DB (SDM Vol. 3 19.2.4, 19.3.1.3); the MOV SS shadow inhibits
// single-step and data-breakpoint traps but not this fault-like #DB (6.8.3 speaks of traps; "all
// other faults may still be generated"). Seed 002: RF is not set in the image pushed for a GD #DB.
// After IRETQ (TF=1) the MOV to DR6 re-executes and is single-stepped: BS, RIP after it.
import { describe, expect, it } from 'vitest';
import { CS_KERNEL, DR6_BD, DR6_BS, DR6_INIT, DR7_INIT, expectRun, marks, runGuest, VEC_DB, VENDORS } from './harness.js';

const BS = DR6_INIT | DR6_BS;

describe.each(VENDORS)('MOV SS + general detect (%s)', (vendor) => {
  it('GD #DB on the MOV DR right after MOV SS (not suppressed), GD cleared, then single-steps', async () => {
    const run = await runGuest('movss-gd', { vendor });
    expectRun(run, [
      { vec: VEC_DB, rip: 'mgd_1', dr6: DR6_INIT | DR6_BD, dr7: DR7_INIT, cs: CS_KERNEL, rf: 0, tf: 1, why: 'fault at the MOV DR6, BD, GD already clear' },
      { vec: VEC_DB, rip: 'mgd_2', dr6: BS, cs: CS_KERNEL, rf: 0, tf: 1, why: 're-executed MOV DR6 single-stepped' },
      { vec: VEC_DB, rip: 'mgd_3', dr6: BS, cs: CS_KERNEL, rf: 0, tf: 1 },
      { vec: VEC_DB, rip: 'mgd_4', dr6: BS, cs: CS_KERNEL, rf: 0, tf: 1 },
      { vec: VEC_DB, rip: 'mgd_5', dr6: BS, cs: CS_KERNEL, rf: 0, tf: 0 },
    ]);
    expect(marks(run)).toEqual([[0x7, '0x0000000000000400']]);
  });
});
