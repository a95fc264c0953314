// TF single-step in IA-32e compatibility mode. Rules: Intel SDM Vol. 3 19.3.1.4 (trap after each instruction
// begun with TF=1, BS; POPF that sets TF not trapped), 6.12.1.2 (the gate clears TF: stepping INT n traps at the
// handler's first instruction), 6.14 (IA-32e delivery: 64-bit handler, CS 0x08, 64-bit frame); AMD APM Vol. 2
// 13.1.4. DR6 = 0xFFFF4FF0 each time (handler rewrites DR6).
import { describe, it } from 'vitest';
import {
  atCpl, CS64_KERNEL, CS_COMPAT_KERNEL, CS_COMPAT_USER, DR6_BS, DR6_INIT, expectRun, MODES, runGuest32, VEC_DB, VENDORS, type Expect,
} from './harness.js';

const BS = DR6_INIT | DR6_BS;

describe.each(VENDORS)('compatibility-mode single-step (%s)', (vendor) => {
  it.each(MODES)('POPF sets TF, steps, INT n into a 64-bit handler and back; CPL0 and CPL3 (%s mode)', async (mode) => {
    const run = await runGuest32('compat-step', mode, { vendor });
    const seq: Expect[] = [
      { vec: VEC_DB, rip: 'cs_b', dr6: BS, rf: 0, tf: 1, why: 'NOP after the POPF that set TF' },
      { vec: VEC_DB, rip: 'cs_int', dr6: BS, rf: 0, tf: 1 },
      { vec: VEC_DB, rip: 'csi_handler', dr6: BS, cs: CS64_KERNEL, rf: 0, tf: 0, why: 'INT n stepped: trap at the 64-bit handler entry' },
      { vec: VEC_DB, rip: 'cs_c', dr6: BS, rf: 0, tf: 1, why: 'instruction after the IRETQ back to compatibility mode' },
      { vec: VEC_DB, rip: 'cs_d', dr6: BS, rf: 0, tf: 1 },
      { vec: VEC_DB, rip: 'cs_e', dr6: BS, rf: 0, tf: 0, why: 'POPF clearing TF still traps' },
    ];
    expectRun(run, [...atCpl(seq, CS_COMPAT_KERNEL), ...atCpl(seq, CS_COMPAT_USER)]);
  });
});
