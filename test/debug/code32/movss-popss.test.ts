// MOV SS / POP SS shadows in 32-bit protected mode. Rules: Intel SDM Vol. 3 6.8.3 (after MOV SS / POP SS, debug
// exceptions and single-step are held until the next instruction completes; the held data breakpoint is
// delivered with what comes next), 19.3.1.4 (single-step), 19.2.3; AMD APM Vol. 2 13.1.4 / 8.x (same shadow);
// seed 003 (MOV SS + TF: one #DB with BS|B0). With ICEBP the held B0 merges into ICEBP's #DB; with INT3 the #BP
// is delivered first and the held #DB hits the #BP handler's first instruction (CS 0x08).
import { describe, it } from 'vitest';
import {
  CS32_KERNEL, CS32_USER, DR6_B0, DR6_BS, DR6_INIT, expectRun, MODES, runGuest32, VEC_BP, VEC_DB, VENDORS, type Expect,
} from './harness.js';

const B0 = DR6_INIT | DR6_B0;
const BS = DR6_INIT | DR6_BS;

function seq(cs: number, icebpB0Lost: boolean): Expect[] {
  return [
    icebpB0Lost
      ? { vec: VEC_DB, rip: 'msw_i2', dr6: DR6_INIT, cs, rf: 0, why: 'KVM/VMX: the held B0 stays in GUEST_PENDING_DBG_EXCEPTIONS and the ICEBP #DB is queued without it (seed 003, issue 19 deviation 4)' }
      : { vec: VEC_DB, rip: 'msw_i2', dr6: B0, cs, rf: 0, why: 'MOV SS + ICEBP: B0 merged into one #DB' },
    { vec: VEC_DB, rip: 'exc_3', dr6: B0, cs: CS32_KERNEL, rf: 0, why: 'MOV SS + INT3: held #DB at the #BP handler entry' },
    { vec: VEC_BP, rip: 'msw_b2', dr6: DR6_INIT, cs, rf: 0 },
    { vec: VEC_DB, rip: 'pss_2', dr6: B0, cs, rf: 0, tf: 0, why: 'POP SS: B0 after the next instruction' },
    { vec: VEC_DB, rip: 'pst_0', dr6: BS, cs, rf: 0, tf: 1, why: 'MOV ESP after the POPF that set TF' },
    { vec: VEC_DB, rip: 'pst_2', dr6: BS | DR6_B0, cs, rf: 0, tf: 1, why: 'TF + POP SS + MOV ESP: step of POP SS suppressed, BS|B0 merged' },
    { vec: VEC_DB, rip: 'pst_3', dr6: BS, cs, rf: 0, tf: 1 },
    { vec: VEC_DB, rip: 'pst_4', dr6: BS, cs, rf: 0, tf: 1 },
    { vec: VEC_DB, rip: 'pst_5', dr6: BS, cs, rf: 0, tf: 1 },
    { vec: VEC_DB, rip: 'pst_6', dr6: BS, cs, rf: 0, tf: 0 },
    { vec: VEC_DB, rip: 'mst_2', dr6: BS, cs, rf: 0, tf: 1, why: 'TF + MOV SS: no #DB after MOV SS itself' },
    { vec: VEC_DB, rip: 'mst_3', dr6: BS, cs, rf: 0, tf: 1 },
    { vec: VEC_DB, rip: 'mst_4', dr6: BS, cs, rf: 0, tf: 0 },
  ];
}

describe.each(VENDORS)('32-bit MOV SS / POP SS shadows (%s)', (vendor) => {
  it.each(MODES)('held data breakpoint and single-step; CPL0 and CPL3 (%s mode)', async (mode) => {
    const run = await runGuest32('movss-popss', mode, { vendor });
    const lost = mode === 'kvm' && vendor === 'intel';
    expectRun(run, [...seq(CS32_KERNEL, lost), ...seq(CS32_USER, lost)]);
  });
});
