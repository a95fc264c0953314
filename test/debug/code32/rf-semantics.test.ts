// RF in 32-bit protected mode. Rules: Intel SDM Vol. 3 2.3 (EFLAGS.RF: instruction breakpoints are ignored for
// the instruction that begins with RF=1; the processor clears RF after it completes), 19.3.1.1 (instruction
// breakpoint: fault, pushed RF=0, the handler sets RF in the image); AMD APM Vol. 2 13.1.1.4 / 3.1.6.
import { describe, it } from 'vitest';
import { atCpl, CS32_KERNEL, CS32_USER, DR6_B2, DR6_B3, DR6_INIT, expectRun, MODES, runGuest32, VEC_DB, VENDORS, type Expect } from './harness.js';

describe.each(VENDORS)('32-bit RF semantics (%s)', (vendor) => {
  it.each(MODES)('RF skips the breakpoint for one instruction; without RF it re-triggers (bounded); CPL0 and CPL3 (%s mode)', async (mode) => {
    const run = await runGuest32('rf-semantics', mode, { vendor });
    const withRf: Expect[] = [
      { vec: VEC_DB, rip: 'rf_hit1', dr6: DR6_INIT | DR6_B2, rf: 0 },
      { vec: VEC_DB, rip: 'rf_hit2', dr6: DR6_INIT | DR6_B3, rf: 0, why: 'RF cleared after rf_hit1 completed' },
    ];
    const noRf: Expect[] = [1, 2, 3].map(() => ({ vec: VEC_DB, rip: 'rf_hit1', dr6: DR6_INIT | DR6_B2, rf: 0 as const }));
    expectRun(run, [...atCpl(withRf, CS32_KERNEL), ...atCpl(withRf, CS32_USER), ...atCpl(noRf, CS32_KERNEL), ...atCpl(noRf, CS32_USER)]);
  });
});
