// Branch single-step (BTF). Rules:
//  - Intel SDM Vol. 3 19.4.3 "Single-Stepping on Branches": with IA32_DEBUGCTL.BTF (MSR 0x1D9 bit 1)
//    and RFLAGS.TF both set, the single-step #DB is generated only after instructions that branch
//    (taken JMP, taken Jcc, CALL, RET here; a Jcc that falls through and non-branch instructions are
//    not trapped). The trap is taken after the branch, so the pushed RIP is the branch target.
//  - Same section: generating a debug exception clears BTF (19.4.3; 18.4.3 / 17.4.3 in older SDM
//    editions); software must set it again to keep stepping on branches. The guest's #DB gate reads
//    DEBUGCTL first (mark 0xDB: 0 every time) and re-arms BTF while the body wants it; once it stops
//    re-arming, TF alone steps every instruction again (SDM 19.3.1.4).
//  - AMD: asserted identically. DebugCtl.BTF is bit 1 there too (docs/semantics.md §1.3); that the CPU
//    clears it on #DB is the behaviour AMD's reviewer said KVM would have to emulate on SVM
//    (docs/semantics.md §5, seed 001 review). The APM text itself was not re-checked here.
//  - DR6.BS is the cause bit for both: single instruction (TF=1, BTF=0) and taken branch (TF=BTF=1)
//    (SDM 19.2.3, DR6.BS); the runtime rewrites DR6 to 0xFFFF0FF0 after each #DB, so each shows 0xFFFF4FF0.
//  - Delivery clears TF in RFLAGS after pushing it (SDM 6.12.1.2), so the handler is not stepped;
//    pushed TF=1 except after the POPF that clears TF. Pushed RF = current RF = 0 (trap, 19.3.1.1).
//  - WRMSR is privileged (#GP at CPL>0): BTF is set at CPL0 before rt_run_user drops to CPL3.
import { describe, expect, it } from 'vitest';
import { atCpl, CS_KERNEL, CS_USER, DR6_BS, DR6_INIT, expectRun, hex64, marks, runGuest, VEC_DB, VENDORS, type Expect } from './harness.js';

const BS = DR6_INIT | DR6_BS; // 0xFFFF4FF0
const DEBUGCTL_BTF = 0x2n;
const MARK_SET = 0xb0, MARK_DB = 0xdb, MARK_END = 0xe0;

describe.each(VENDORS)('branch single-step, DEBUGCTL.BTF (%s)', (vendor) => {
  it('#DB only after taken JMP/Jcc/CALL/RET (RIP = target); #DB clears BTF; CPL0 and CPL3', async () => {
    const run = await runGuest('btf', { vendor });
    const seq: Expect[] = [
      // bt_nop (NOP) and the not-taken JNZ produce nothing.
      { vec: VEC_DB, rip: 'bt_j1', dr6: BS, rf: 0, tf: 1, why: 'taken JMP, RIP = target' },
      { vec: VEC_DB, rip: 'bt_j2', dr6: BS, rf: 0, tf: 1, why: 'taken JZ (JNZ before it fell through: no #DB)' },
      { vec: VEC_DB, rip: 'bt_fn', dr6: BS, rf: 0, tf: 1, why: 'CALL, RIP = callee' },
      { vec: VEC_DB, rip: 'bt_ret', dr6: BS, rf: 0, tf: 1, why: 'RET, RIP = return address (NOP in bt_fn: none)' },
      { vec: VEC_DB, rip: 'bt_j3', dr6: BS, rf: 0, tf: 1, why: 'JMP; handler no longer re-arms BTF' },
      { vec: VEC_DB, rip: 'bt_s1', dr6: BS, rf: 0, tf: 1, why: 'BTF cleared by the last #DB: NOP single-stepped' },
      { vec: VEC_DB, rip: 'bt_s2', dr6: BS, rf: 0, tf: 1, why: 'PUSH single-stepped' },
      { vec: VEC_DB, rip: 'bt_s3', dr6: BS, rf: 0, tf: 0, why: 'POPF clearing TF still traps' },
    ];
    expectRun(run, [...atCpl(seq, CS_KERNEL), ...atCpl(seq, CS_USER)]);
    const perCpl: Array<[number, string]> = [
      [MARK_SET, hex64(DEBUGCTL_BTF)],
      ...seq.map((): [number, string] => [MARK_DB, hex64(0n)]), // BTF already clear on entry to every #DB
      [MARK_END, hex64(0n)],
    ];
    expect(marks(run)).toEqual([...perCpl, ...perCpl]);
  });
});
