// General detect, ICEBP, INT3 / INT 3, I/O breakpoint, MOV SS shadow with a data breakpoint and TF, and bus lock in
// IA-32e compatibility mode (delivery through the 64-bit IDT, SDM Vol. 3 6.14). Rules: Intel SDM Vol. 3 19.3.1.3
// (GD: fault, BD, GD cleared), Vol. 2 INT1/INT3 and Vol. 3 Table 19-2 (ICEBP sets no DR6 bit), 19.2.4 (I/O breakpoint
// with CR4.DE), 6.8.3 + 19.3.1.4 (MOV SS holds the data breakpoint and the single-step one instruction; seed 003:
// one #DB with BS|B0), Intel DEBUGCTL.BUS_LOCK_DETECT / AMD APM Vol. 2 13.1.3.6 (trap with DR6.BLD cleared, CPL>0
// only); AMD APM Vol. 2 13.1 for the rest.
import { describe, expect, it } from 'vitest';
import {
  DR7_RW_IO, dr7Local, CS_COMPAT_KERNEL as K, CS_COMPAT_USER as U, DR6_B0, DR6_BD, DR6_BLD, DR6_BS, DR6_INIT, DR7_INIT, expectRun, hex64, MODES, runGuest32,
  VEC_BP, VEC_DB, VENDORS, type Expect,
} from './harness.js';

const BS = DR6_INIT | DR6_BS;
const IO_DR7 = dr7Local(0, DR7_RW_IO, 2);

describe.each(VENDORS)('compatibility mode: GD, ICEBP, INT3, I/O, MOV SS + TF, bus lock (%s)', (vendor) => {
  it.each(MODES)('SDM-exact frames and DR6 through the 64-bit IDT (%s mode)', async (mode) => {
    const run = await runGuest32('compat-misc', mode, { vendor, busLockDetect: true });
    const ms = (cs: number): Expect[] => [
      { vec: VEC_DB, rip: 'cm_ms2', dr6: BS | DR6_B0, cs, rf: 0, tf: 1, why: 'MOV SS held BS and B0: one #DB after the next instruction' },
      { vec: VEC_DB, rip: 'cm_ms3', dr6: BS, cs, rf: 0, tf: 1 },
      { vec: VEC_DB, rip: 'cm_ms4', dr6: BS, cs, rf: 0, tf: 0 },
    ];
    expectRun(run, [
      { vec: VEC_DB, rip: 'cm_gd0', dr6: DR6_INIT | DR6_BD, dr7: DR7_INIT, cs: K, rf: 0, tf: 0, why: 'GD fault, GD cleared' },
      { vec: VEC_DB, rip: 'cm_icebp_after', dr6: DR6_INIT, cs: K, rf: 0, tf: 0 },
      { vec: VEC_DB, rip: 'cm_icebp_after', dr6: DR6_INIT, cs: U, rf: 0, tf: 0, why: 'ICEBP: no gate DPL check' },
      { vec: VEC_BP, rip: 'cm_cc_after', cs: U, rf: 0 },
      { vec: VEC_BP, rip: 'cm_cd3_after', cs: U, rf: 0 },
      { vec: VEC_DB, rip: 'cm_io1', dr6: DR6_INIT | DR6_B0, dr7: IO_DR7, cs: K, rf: 0 },
      { vec: VEC_DB, rip: 'cm_io2', dr6: DR6_INIT | DR6_B0, dr7: IO_DR7, cs: K, rf: 0 },
      { vec: VEC_DB, rip: 'cm_io1', dr6: DR6_INIT | DR6_B0, dr7: IO_DR7, cs: U, rf: 0 },
      { vec: VEC_DB, rip: 'cm_io2', dr6: DR6_INIT | DR6_B0, dr7: IO_DR7, cs: U, rf: 0 },
      ...ms(K),
      ...ms(U),
      { vec: VEC_DB, rip: 'cm_bl1', dr6: DR6_INIT & ~DR6_BLD, cs: U, rf: 0, tf: 0, why: 'split lock at CPL3: BLD cleared (0xFFFF07F0)' },
    ]);
    expect(run.marks.map((m) => [m.tag, hex64(m.value)])).toEqual([[0x10, hex64(0n)], [0xb1, hex64(2n)]]);
  });
});
