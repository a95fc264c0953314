// ICEBP / INT1 (0xF1): "generates a debug exception (#DB) without setting any bits in DR6"
// (SDM Vol. 2 INT1); trap-like, RIP after the instruction (seed 002 lists ICEBP with the traps);
// no IDT gate DPL check (the check applies to INT n/INT3/INTO only), so it works at CPL3 through the
// DPL0 gate 1. DR6 stays 0xFFFF0FF0; a BS preset by software stays (never cleared, 19.2.3).
import { describe, it } from 'vitest';
import { atCpl, CS_KERNEL, CS_USER, DR6_BS, DR6_INIT, expectRun, runGuest, VEC_DB, VENDORS, type Expect } from './harness.js';

describe.each(VENDORS)('ICEBP (%s)', (vendor) => {
  it('trap after 0xF1, DR6 cause bits unchanged; CPL0 and CPL3', async () => {
    const run = await runGuest('icebp', { vendor });
    const seq: Expect[] = [
      { vec: VEC_DB, rip: 'icebp_after', dr6: DR6_INIT, rf: 0, tf: 0 },
      { vec: VEC_DB, rip: 'icebp_after', dr6: DR6_INIT | DR6_BS, rf: 0, tf: 0, why: 'preset BS untouched' },
    ];
    expectRun(run, [...atCpl(seq, CS_KERNEL), ...atCpl(seq, CS_USER)]);
  });
});
