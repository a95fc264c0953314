// Seed 003 (KVM/VMX "Merge pending debug causes when vectoring #DB"): a data breakpoint (DR0,
// R/W0=11, LEN0=2) hit by MOV SS and the single-step of MOV SS are both held back by the MOV SS
// shadow (Intel SDM Vol. 3 6.8.3); at the boundary after the next instruction (CPUID) one #DB is
// delivered whose DR6 holds all accumulated causes: BS|B0 = 0xFFFF4FF1 ("on bare metal, DR6 reports
// the combined reasons (e.g. BS+B0)"), RIP after CPUID. Later single-steps report BS only (B0-B3
// reflect the breakpoints matched by each #DB; the handler rewrites DR6 to 0xFFFF0FF0 each time).
import { describe, it } from 'vitest';
import { atCpl, CS_KERNEL, CS_USER, DR6_B0, DR6_BS, DR6_INIT, expectRun, runGuest, VEC_DB, VENDORS, type Expect } from './harness.js';

const BS = DR6_INIT | DR6_BS;

describe.each(VENDORS)('MOV SS on a watched operand + TF + CPUID (seed 003) (%s)', (vendor) => {
  it('one #DB after CPUID with DR6 = BS|B0 = 0xFFFF4FF1, then BS; CPL0 and CPL3', async () => {
    const run = await runGuest('movss-watch-tf', { vendor });
    const seq: Expect[] = [
      { vec: VEC_DB, rip: 'wt_2', dr6: BS | DR6_B0, rf: 0, tf: 1, why: 'deferred B0 + BS merged' },
      { vec: VEC_DB, rip: 'wt_3', dr6: BS, rf: 0, tf: 1 },
      { vec: VEC_DB, rip: 'wt_4', dr6: BS, rf: 0, tf: 1 },
      { vec: VEC_DB, rip: 'wt_5', dr6: BS, rf: 0, tf: 0 },
    ];
    expectRun(run, [...atCpl(seq, CS_KERNEL), ...atCpl(seq, CS_USER)]);
  });
});
