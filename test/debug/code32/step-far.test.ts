// Single-step across far CALL/RET between code segments and across an IRETD to CPL3 that sets TF, in 32-bit
// protected mode. Rules: Intel SDM Vol. 3 19.3.1.4 (trap after each instruction begun with TF=1; IRET/POPF setting
// TF are not trapped), 6.12.1 (frame CS:EIP = where execution continues, EIP an offset in that CS); AMD APM Vol. 2
// 13.1.4. DR6 = 0xFFFF4FF0 each time.
import { describe, it } from 'vitest';
import { CS32_KERNEL, CS32_USER, DR6_BS, DR6_INIT, expectRun, MODES, runGuest32, VEC_DB, VENDORS } from './harness.js';

const BS = DR6_INIT | DR6_BS;
const SEG_BASE = 0x100000n;
const SEL_BCODE = 0x38;

describe.each(VENDORS)('32-bit single-step across far transfers and IRETD to CPL3 (%s)', (vendor) => {
  it.each(MODES)('each trap names the next CS:EIP (%s mode)', async (mode) => {
    const run = await runGuest32('step-far', mode, { vendor });
    expectRun(run, [
      { vec: VEC_DB, rip: run.sym('sf_far') - SEG_BASE, dr6: BS, cs: SEL_BCODE, rf: 0, tf: 1, why: 'far CALL into the based segment' },
      { vec: VEC_DB, rip: run.sym('sf_far1') - SEG_BASE, dr6: BS, cs: SEL_BCODE, rf: 0, tf: 1 },
      { vec: VEC_DB, rip: 'sf_1', dr6: BS, cs: CS32_KERNEL, rf: 0, tf: 1, why: 'far RET back to 0x08' },
      { vec: VEC_DB, rip: 'sf_2', dr6: BS, cs: CS32_KERNEL, rf: 0, tf: 1 },
      { vec: VEC_DB, rip: 'sf_3', dr6: BS, cs: CS32_KERNEL, rf: 0, tf: 0 },
      { vec: VEC_DB, rip: 'su_body', dr6: BS, cs: CS32_USER, rf: 0, tf: 1, why: 'IRETD set TF: first CPL3 instruction (CALL) traps' },
      { vec: VEC_DB, rip: 'su_0', dr6: BS, cs: CS32_USER, rf: 0, tf: 1 },
      { vec: VEC_DB, rip: 'su_1', dr6: BS, cs: CS32_USER, rf: 0, tf: 1 },
      { vec: VEC_DB, rip: 'su_2', dr6: BS, cs: CS32_USER, rf: 0, tf: 0 },
    ]);
  });
});
