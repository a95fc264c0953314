// TF single-step across INT n and across a faulting instruction. Rules:
//  - SDM Vol. 3 19.3.1.4 "Single-Step Exception Condition": single-step is a trap taken after an
//    instruction that began with TF=1 (DR6.BS); an instruction that sets TF (POPF, IRET) is not itself
//    trapped, the one after it is (also SDM Vol. 3 2.3, EFLAGS.TF). INT n clears TF, and the documented way
//    to single-step into an interrupt handler is to single-step the INT n that calls it: the INT
//    began with TF=1, so its trap is taken once it has completed, i.e. after the gate has pushed the
//    frame and cleared TF (SDM 6.12.1.2) and before the handler's first instruction: RIP = handler,
//    CS = 0x08, pushed TF=0, so the handler itself runs unstepped; its IRETQ restores TF=1 and the
//    instruction after the INT is trapped (the IRET delay rule).
//  - A faulting instruction (UD2) does not complete: no single-step trap for it (traps are reported
//    after execution, 19.3.1.4 / 19.3.1.2); #UD is delivered with RIP = UD2 and pushed TF=1, its
//    delivery clears TF, and the handler's IRETQ (resuming after UD2) restores TF=1: the next
//    instruction is trapped. AMD: asserted identically (APM Vol. 2 13.1, RFLAGS.TF single-step).
//  - DR6 = 0xFFFF4FF0 each time (the runtime rewrites DR6 to 0xFFFF0FF0 after each #DB); pushed RF = 0.
import { describe, it } from 'vitest';
import { atCpl, CS_KERNEL, CS_USER, DR6_BS, DR6_INIT, expectRun, runGuest, VEC_DB, VEC_UD, VENDORS, type Expect } from './harness.js';

const BS = DR6_INIT | DR6_BS; // 0xFFFF4FF0

describe.each(VENDORS)('single-step across INT n and a fault (%s)', (vendor) => {
  it('INT 0x81: #DB at the handler entry; UD2: #UD only, stepping resumes after the IRETQ; CPL0 and CPL3', async () => {
    const run = await runGuest('step-int', { vendor });
    const seq: Expect[] = [
      { vec: VEC_DB, rip: 'si_int', dr6: BS, rf: 0, tf: 1, why: 'NOP after the POPF that set TF' },
      { vec: VEC_DB, rip: 'si_handler', dr6: BS, cs: CS_KERNEL, rf: 0, tf: 0,
        why: 'INT n single-stepped: trap before the handler first instruction, TF already cleared by the gate' },
      { vec: VEC_DB, rip: 'si_ud', dr6: BS, rf: 0, tf: 1, why: 'instruction after the handler IRETQ (which restored TF)' },
      { vec: VEC_UD, rip: 'si_ud', tf: 1, why: 'UD2 faults: no single-step #DB for it' },
      { vec: VEC_DB, rip: 'si_pop', dr6: BS, rf: 0, tf: 1, why: 'instruction after the #UD handler IRETQ' },
      { vec: VEC_DB, rip: 'si_end', dr6: BS, rf: 0, tf: 0, why: 'POPF clearing TF still traps' },
    ];
    expectRun(run, [...atCpl(seq, CS_KERNEL), ...atCpl(seq, CS_USER)]);
  });
});
