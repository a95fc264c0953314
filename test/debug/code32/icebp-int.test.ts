// ICEBP vs INT 1 vs INT3 / INT 3 in 32-bit protected mode. Rules: Intel SDM Vol. 2 "INT n/INTO/INT3/INT1"
// (INT1 = 0xF1 is a trap-like #DB without the gate DPL check; INT n checks gate DPL >= CPL, else #GP with
// error code vector*8+2 (IDT bit 1)); Vol. 3 Table 19-2 (ICEBP sets no DR6 bit), 19.2.3 (BS is never cleared by
// the processor; "certain debug exceptions may clear bits 0-3", so B0-B3 are not preset around ICEBP). INT3 /
// INT 3 / INT 1 are not #DBs: a preset BS|B1 = 0xFFFF4FF2 comes through untouched. On Intel a fault pushes RF=1
// for vectors other than #DB (SDM Vol. 3 19.3.1.1, RF in the EFLAGS image of faults); not asserted for AMD.
// 0xCC and CD 03 both raise #BP through the DPL3 gate with EIP after them (they differ only in V86 mode).
import { describe, it } from 'vitest';
import { CS32_KERNEL, CS32_USER, DR6_BS, DR6_INIT, expectRun, MODES, runGuest32, VEC_BP, VEC_DB, VEC_GP, VENDORS, type Expect } from './harness.js';

const PRESET = DR6_INIT | DR6_BS | 2n; // 0xFFFF4FF2

describe.each(VENDORS)('32-bit ICEBP, INT 1, INT3 (%s)', (vendor) => {
  it.each(MODES)('ICEBP #DB at CPL0/CPL3; INT 1 vector 1 at CPL0, #GP(0x0A) at CPL3; CC and CD 03 #BP (%s mode)', async (mode) => {
    const run = await runGuest32('icebp-int', mode, { vendor });
    const seq = (cs: number, user: boolean): Expect[] => [
      { vec: VEC_DB, rip: 'ib_icebp_after', dr6: DR6_INIT | DR6_BS, cs, rf: 0, tf: 0, why: 'ICEBP: trap, BS preset kept, no DPL check' },
      { vec: VEC_BP, rip: 'ib_cc_after', dr6: PRESET, cs, rf: 0 },
      { vec: VEC_BP, rip: 'ib_cd3_after', dr6: PRESET, cs, rf: 0, why: 'CD 03 = INT3 outside V86 mode' },
      user
        ? { vec: VEC_GP, rip: 'ib_int1', err: 0x0an, cs, ...(vendor === 'intel' ? { rf: 1 as const } : {}), why: 'gate 1 DPL0 < CPL3' }
        : { vec: VEC_DB, rip: 'ib_int1_after', dr6: PRESET, cs, rf: 0, why: 'INT 1: software interrupt to vector 1' },
    ];
    expectRun(run, [...seq(CS32_KERNEL, false), ...seq(CS32_USER, true)]);
  });
});
