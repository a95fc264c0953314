// RF semantics (SDM Vol. 3 2.3 "RF", 19.3.1.1): RF=1 (set by the handler in the IRETQ image)
// suppresses instruction breakpoints for one instruction; the processor clears RF once that
// instruction completes, so a breakpoint on the very next instruction (DR3) fires normally.
// Without RF the breakpoint re-triggers on every IRETQ: the handler bounds it at 3 #DBs and then
// disables DR7. Pushed RF is 0 on every instruction-breakpoint #DB.
import { describe, it } from 'vitest';
import { atCpl, CS_KERNEL, CS_USER, DR6_B2, DR6_B3, DR6_INIT, expectRun, runGuest, VEC_DB, VENDORS, type Expect } from './harness.js';

describe.each(VENDORS)('RF semantics (%s)', (vendor) => {
  it('RF resumes past the breakpoint for one instruction; without RF it re-triggers (bounded); CPL0 and CPL3', async () => {
    const run = await runGuest('rf-semantics', { vendor });
    const withRf: Expect[] = [
      { vec: VEC_DB, rip: 'rf_hit1', dr6: DR6_INIT | DR6_B2, rf: 0 },
      { vec: VEC_DB, rip: 'rf_hit2', dr6: DR6_INIT | DR6_B3, rf: 0, why: 'RF cleared after rf_hit1 completed' },
    ];
    const noRf: Expect[] = [1, 2, 3].map(() => ({ vec: VEC_DB, rip: 'rf_hit1', dr6: DR6_INIT | DR6_B2, rf: 0 as const }));
    expectRun(run, [...atCpl(withRf, CS_KERNEL), ...atCpl(withRf, CS_USER), ...atCpl(noRf, CS_KERNEL), ...atCpl(noRf, CS_USER)]);
  });
});
