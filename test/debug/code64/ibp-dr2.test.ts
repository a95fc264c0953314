// Instruction breakpoint on DR2 with DR6.BS preset by software. Rules: an execute breakpoint
// (R/W2=00, LEN2=00) is a fault-like #DB taken before the instruction, RIP = the instruction
// (SDM Vol. 3 19.3.1.1, Table 19-2); the pushed RF is not set for it (19.3.1.1 RF list; seed 002);
// B0-B3 report the breakpoints matched by this #DB ("certain debug exceptions may clear bits 0-3")
// while the other DR6 bits are never cleared by the processor (19.2.3): with DR6 preset to
// BS|B1 = 0xFFFF4FF2, the #DB shows BS|B2 = 0xFFFF4FF4 (B1 gone, BS sticky). The handler sets RF
// in the frame so IRETQ resumes past the breakpoint (one #DB per run). DR7 = 0x420 (G2).
import { describe, it } from 'vitest';
import { atCpl, CS_KERNEL, CS_USER, DR6_B2, DR6_BS, DR6_INIT, DR7_INIT, expectRun, runGuest, VEC_DB, VENDORS, type Expect } from './harness.js';

const DR7 = DR7_INIT | 0x20n;

describe.each(VENDORS)('instruction breakpoint on DR2 (%s)', (vendor) => {
  it('fault at the instruction with B2; preset BS|B1 gives BS|B2; CPL0 and CPL3', async () => {
    const run = await runGuest('ibp-dr2', { vendor });
    const seq: Expect[] = [
      { vec: VEC_DB, rip: 'ibp_hit', dr6: DR6_INIT | DR6_B2, dr7: DR7, rf: 0, tf: 0 },
      { vec: VEC_DB, rip: 'ibp_hit', dr6: DR6_INIT | DR6_BS | DR6_B2, dr7: DR7, rf: 0, tf: 0, why: 'BS sticky, B1 replaced by B2' },
    ];
    expectRun(run, [...atCpl(seq, CS_KERNEL), ...atCpl(seq, CS_USER)]);
  });
});
