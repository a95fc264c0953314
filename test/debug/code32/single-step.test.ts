// TF single-step in 32-bit protected mode. Rules: Intel SDM Vol. 3 19.3.1.4 "Single-Step Exception
// Condition" (trap after every instruction that began with TF=1, DR6.BS; POPF/IRET that set TF are not
// themselves trapped), 6.12.1.2 (an interrupt gate clears TF after pushing EFLAGS: stepping INT n traps before
// the handler's first instruction), 19.3.1.1 (pushed RF for trap-class #DB is the current RF, 0); AMD APM
// Vol. 2 13.1.4. DR6 = 0xFFFF0FF0 | BS = 0xFFFF4FF0 (the handler rewrites DR6 after each #DB).
import { describe, it } from 'vitest';
import {
  atCpl, CS32_KERNEL, CS32_USER, DR6_BS, DR6_INIT, expectRun, MODES, runGuest32, VEC_DB, VEC_UD, VENDORS, type Expect,
} from './harness.js';

const BS = DR6_INIT | DR6_BS;

describe.each(VENDORS)('32-bit single-step (%s)', (vendor) => {
  it.each(MODES)('POPF/IRETD set TF, INT n, UD2; CPL0 and CPL3 (%s mode)', async (mode) => {
    const run = await runGuest32('single-step', mode, { vendor });
    const seq: Expect[] = [
      { vec: VEC_DB, rip: 'ss_b', dr6: BS, rf: 0, tf: 1, why: 'NOP after the POPF that set TF' },
      { vec: VEC_DB, rip: 'ss_c', dr6: BS, rf: 0, tf: 1 },
      { vec: VEC_DB, rip: 'ss_d', dr6: BS, rf: 0, tf: 0, why: 'POPF clearing TF still traps' },
      { vec: VEC_DB, rip: 'ss_f', dr6: BS, rf: 0, tf: 1, why: 'first instruction after the IRETD that set TF' },
      { vec: VEC_DB, rip: 'si_int', dr6: BS, rf: 0, tf: 1 },
      { vec: VEC_DB, rip: 'si_handler', dr6: BS, cs: CS32_KERNEL, rf: 0, tf: 0, why: 'INT n stepped: trap at the handler entry' },
      { vec: VEC_DB, rip: 'si_ud', dr6: BS, rf: 0, tf: 1, why: 'instruction after the handler IRETD' },
      { vec: VEC_UD, rip: 'si_ud', tf: 1, why: 'UD2 faults: no single-step #DB for it' },
      { vec: VEC_DB, rip: 'si_pop', dr6: BS, rf: 0, tf: 1, why: 'instruction after the #UD handler IRETD' },
      { vec: VEC_DB, rip: 'si_end', dr6: BS, rf: 0, tf: 0, why: 'POPF clearing TF still traps' },
    ];
    expectRun(run, [...atCpl(seq, CS32_KERNEL), ...atCpl(seq, CS32_USER)]);
  });
});
