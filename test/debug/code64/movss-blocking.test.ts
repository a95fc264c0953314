// MOV SS blocking (Intel SDM Vol. 3 6.8.3 "Masking Exceptions and Interrupts When Switching Stacks":
// after MOV SS/POP SS, interrupts, debug exceptions and single-step traps are inhibited until the
// boundary after the next instruction; "any single-step trap that would be delivered following the
// MOV to SS ... is suppressed"). With TF on, no #DB after MOV SS; the next #DB follows the
// instruction after it.
import { describe, it } from 'vitest';
import { atCpl, CS_KERNEL, CS_USER, DR6_BS, DR6_INIT, expectRun, runGuest, VEC_DB, VENDORS, type Expect } from './harness.js';

const BS = DR6_INIT | DR6_BS;

describe.each(VENDORS)('MOV SS blocking (%s)', (vendor) => {
  it('single-step suppressed for MOV SS, first #DB after the following instruction; CPL0 and CPL3', async () => {
    const run = await runGuest('movss-blocking', { vendor });
    const seq: Expect[] = [
      { vec: VEC_DB, rip: 'mss_2', dr6: BS, rf: 0, tf: 1, why: 'no #DB at mss_1 (after MOV SS)' },
      { vec: VEC_DB, rip: 'mss_3', dr6: BS, rf: 0, tf: 1 },
      { vec: VEC_DB, rip: 'mss_4', dr6: BS, rf: 0, tf: 0 },
    ];
    expectRun(run, [...atCpl(seq, CS_KERNEL), ...atCpl(seq, CS_USER)]);
  });
});
