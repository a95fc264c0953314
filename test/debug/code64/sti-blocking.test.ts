// STI blocking (SDM Vol. 3 6.8.3 and STI: the STI shadow inhibits maskable interrupts until the end
// of the next instruction; it does not inhibit debug exceptions, unlike MOV SS): with TF on, the #DB
// for STI comes immediately after STI (RIP = the next instruction), IF=1 in the pushed image.
import { describe, it } from 'vitest';
import { atCpl, CS_KERNEL, CS_USER, DR6_BS, DR6_INIT, expectRun, runGuest, VEC_DB, VENDORS, type Expect } from './harness.js';

const BS = DR6_INIT | DR6_BS;

describe.each(VENDORS)('STI blocking (%s)', (vendor) => {
  it('the STI shadow does not delay single-step: #DB right after STI; CPL0 and CPL3 (IOPL=3)', async () => {
    const run = await runGuest('sti-blocking', { vendor });
    const seq: Expect[] = [
      { vec: VEC_DB, rip: 'sti_1', dr6: BS, rf: 0, tf: 1, if: 1, why: 'trap after STI itself' },
      { vec: VEC_DB, rip: 'sti_2', dr6: BS, rf: 0, tf: 1, if: 1 },
      { vec: VEC_DB, rip: 'sti_3', dr6: BS, rf: 0, tf: 1, if: 1 },
      { vec: VEC_DB, rip: 'sti_4', dr6: BS, rf: 0, tf: 0, if: 0 },
    ];
    expectRun(run, [...atCpl(seq, CS_KERNEL), ...atCpl(seq, CS_USER)]);
  });
});
