// Single-step basics. Rules (Intel SDM Vol. 3 19.3.1.4 "Single-Step Exception Condition", AMD APM
// Vol. 2 13.1.4): a single-step #DB is a trap taken after every instruction that began with
// RFLAGS.TF=1 (RIP = next instruction, DR6.BS=1); an instruction that sets TF (POPF/IRET) is not
// itself trapped ("one-instruction delay"); POPF that clears TF still traps because TF was 1 when it
// started. DR6 is 0xFFFF0FF0|BS = 0xFFFF4FF0 (handler rewrites DR6 to 0xFFFF0FF0 after each #DB).
// Pushed RF is the current RF (0) for trap-class #DBs (SDM 19.3.1.1 RF list).
import { describe, it } from 'vitest';
import { atCpl, CS_KERNEL, CS_USER, DR6_BS, DR6_INIT, expectRun, runGuest, VEC_DB, VENDORS, type Expect } from './harness.js';

const BS = DR6_INIT | DR6_BS; // 0xFFFF4FF0

describe.each(VENDORS)('single-step basics (%s)', (vendor) => {
  it('POPF sets TF: #DB after the next instruction, then after each one incl. the POPF that clears TF; CPL0 and CPL3', async () => {
    const run = await runGuest('single-step', { vendor });
    const seq: Expect[] = [
      { vec: VEC_DB, rip: 'ss_b', dr6: BS, rf: 0, tf: 1, why: 'AND after POPF: first trapped instruction' },
      { vec: VEC_DB, rip: 'ss_c', dr6: BS, rf: 0, tf: 1 },
      { vec: VEC_DB, rip: 'ss_d', dr6: BS, rf: 0, tf: 0, why: 'POPF clearing TF still traps; pushed image has TF=0' },
    ];
    expectRun(run, [...atCpl(seq, CS_KERNEL), ...atCpl(seq, CS_USER)]);
  });
});
