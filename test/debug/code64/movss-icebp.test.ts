// MOV SS + ICEBP with TF=1. Rules: MOV SS suppresses the single-step trap that would follow it
// (SDM Vol. 3 6.8.3); ICEBP/INT1 (0xF1) generates a trap-like #DB "without setting any bits in DR6"
// (SDM Vol. 2 INT1; Vol. 3 Table 19-2 has no DR6 flag for it), and delivering it clears TF, so no BS
// is reported for an ICEBP even when TF was set; IRETQ restores TF and the instruction after the
// second ICEBP traps normally. Expected DR6: 0xFFFF0FF0 for both ICEBPs, 0xFFFF4FF0 after.
import { describe, it } from 'vitest';
import { atCpl, CS_KERNEL, CS_USER, DR6_BS, DR6_INIT, expectRun, runGuest, VEC_DB, VENDORS, type Expect } from './harness.js';

const BS = DR6_INIT | DR6_BS;

describe.each(VENDORS)('MOV SS + ICEBP (%s)', (vendor) => {
  it('ICEBP in the MOV SS shadow and right after: DR6 cause bits clear, then BS; CPL0 and CPL3', async () => {
    const run = await runGuest('movss-icebp', { vendor });
    const seq: Expect[] = [
      { vec: VEC_DB, rip: 'msi_2', dr6: DR6_INIT, rf: 0, tf: 1, why: 'ICEBP after MOV SS: no BS, no B0-3' },
      { vec: VEC_DB, rip: 'msi_3', dr6: DR6_INIT, rf: 0, tf: 1, why: 'second ICEBP (TF back from IRETQ): still no BS' },
      { vec: VEC_DB, rip: 'msi_4', dr6: BS, rf: 0, tf: 1 },
      { vec: VEC_DB, rip: 'msi_5', dr6: BS, rf: 0, tf: 1 },
      { vec: VEC_DB, rip: 'msi_6', dr6: BS, rf: 0, tf: 0 },
    ];
    expectRun(run, [...atCpl(seq, CS_KERNEL), ...atCpl(seq, CS_USER)]);
  });
});
