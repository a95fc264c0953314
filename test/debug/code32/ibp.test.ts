// Instruction breakpoint in 32-bit protected mode. Rules: Intel SDM Vol. 3 19.2.4 (DR7 G2, R/W2=00, LEN2=00),
// 19.3.1.1 (fault-class #DB: EIP of the instruction, pushed RF=0, the handler sets RF in the frame to resume),
// 19.2.3 (B0-B3 report the conditions of this #DB; BS is never cleared by the processor); AMD APM Vol. 2 13.1.1.
import { describe, it } from 'vitest';
import {
  atCpl, CS32_KERNEL, CS32_USER, DR6_B2, DR6_BS, DR6_INIT, DR7_INIT, expectRun, MODES, runGuest32, VEC_DB, VENDORS, type Expect,
} from './harness.js';

const DR7 = DR7_INIT | 0x20n; // G2

describe.each(VENDORS)('32-bit instruction breakpoint on DR2 (%s)', (vendor) => {
  it.each(MODES)('fault at the instruction with B2; preset BS|B1 gives BS|B2; resumes with RF; CPL0 and CPL3 (%s mode)', async (mode) => {
    const run = await runGuest32('ibp', mode, { vendor });
    const seq: Expect[] = [
      { vec: VEC_DB, rip: 'ibp_hit', dr6: DR6_INIT | DR6_B2, dr7: DR7, rf: 0, tf: 0 },
      { vec: VEC_DB, rip: 'ibp_hit', dr6: DR6_INIT | DR6_BS | DR6_B2, dr7: DR7, rf: 0, tf: 0, why: 'BS sticky, B1 replaced by B2' },
    ];
    expectRun(run, [...atCpl(seq, CS32_KERNEL), ...atCpl(seq, CS32_USER)]);
  });
});
