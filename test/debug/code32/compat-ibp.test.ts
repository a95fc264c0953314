// Instruction breakpoint in IA-32e compatibility mode, delivered through the 64-bit IDT. Rules: Intel SDM Vol. 3
// 19.2.4, 19.3.1.1 (fault-class #DB, RIP of the instruction, pushed RF=0; handler sets RF to resume), 19.2.3
// (B0-B3 report this #DB's conditions, BS sticky), 6.14.2 (64-bit frame: SS:RSP, RFLAGS, CS, RIP whatever the
// interrupted mode); AMD APM Vol. 2 13.1.1, 8.9.3. CS in the frame is the compatibility-mode selector.
import { describe, it } from 'vitest';
import {
  atCpl, CS_COMPAT_KERNEL, CS_COMPAT_USER, DR6_B2, DR6_BS, DR6_INIT, DR7_INIT, expectRun, MODES, runGuest32, VEC_DB, VENDORS, type Expect,
} from './harness.js';

const DR7 = DR7_INIT | 0x20n; // G2

describe.each(VENDORS)('compatibility-mode instruction breakpoint (%s)', (vendor) => {
  it.each(MODES)('fault at the instruction with B2, compat CS in the 64-bit frame; CPL0 and CPL3 (%s mode)', async (mode) => {
    const run = await runGuest32('compat-ibp', mode, { vendor });
    const seq: Expect[] = [
      { vec: VEC_DB, rip: 'cib_hit', dr6: DR6_INIT | DR6_B2, dr7: DR7, rf: 0, tf: 0 },
      { vec: VEC_DB, rip: 'cib_hit', dr6: DR6_INIT | DR6_BS | DR6_B2, dr7: DR7, rf: 0, tf: 0, why: 'BS sticky, B1 replaced by B2' },
    ];
    expectRun(run, [...atCpl(seq, CS_COMPAT_KERNEL), ...atCpl(seq, CS_COMPAT_USER)]);
  });
});
