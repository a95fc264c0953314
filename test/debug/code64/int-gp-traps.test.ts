// INT n whose delivery faults (#GP(vector*8+2): gate DPL < CPL, SDM Vol. 2A INT n) is a fault of that
// instruction: it never completes, so no trap-class #DB is reported for it (SDM Vol. 3 18.3.1.2,
// 18.3.1.4): neither a data-breakpoint #DB held back by a preceding MOV SS (Linux 6.1 mov_ss_trap.c:
// "Any fault: drop the pending #DB trap", its "MOV SS; INT 1" case; the same as MOV SS; CLI) nor the
// single-step trap of an INT n begun with TF=1 (the same as UD2 in test step-int). SDM 6.8.3's "delivered
// after the transfer" applies to an INT n that does transfer to its handler (test movss-watch).
import { describe, it } from 'vitest';
import { CS_USER, DR6_BS, DR6_INIT, expectRun, runGuest, VEC_DB, VEC_GP, VENDORS, type Expect } from './harness.js';

const BS = DR6_INIT | DR6_BS;
const step = (rip: string, tf: 0 | 1): Expect => ({ vec: VEC_DB, rip, dr6: BS, cs: CS_USER, rf: 0, tf });

describe.each(VENDORS)('INT n faulting on its gate DPL reports no trap #DB (%s)', (vendor) => {
  for (const mode of ['bare', 'kvm'] as const) {
    it(`MOV SS; INT 4 at CPL3: #GP only; TF=1 INT 4: #GP only, stepping resumes after the handler (${mode})`, async () => {
      const run = await runGuest('int-gp-traps', { vendor, mode });
      expectRun(run, [
        { vec: VEC_GP, rip: 'ig_int', err: 0x22n, cs: CS_USER, why: 'INT 4 through the DPL0 gate; the held B0 is dropped' },
        step('tg_int', 1),
        { vec: VEC_GP, rip: 'tg_int', err: 0x22n, cs: CS_USER, tf: 1, why: 'no single-step #DB for the faulting INT 4' },
        step('tg_popf', 1),
        step('tg_end', 0),
      ]);
    });
  }
});
