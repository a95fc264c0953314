// Branch single-step in 32-bit protected mode. Rules: Intel SDM Vol. 3 19.4.3 "Single-Stepping on Branches"
// (DEBUGCTL.BTF=1 with TF=1: #DB (BS) only after taken branches, EIP = target; the processor clears BTF when it
// generates a debug exception); AMD APM Vol. 2 13.1.4 (DebugCtl.BTF, same behaviour).
import { describe, expect, it } from 'vitest';
import { atCpl, CS32_KERNEL, CS32_USER, DR6_BS, DR6_INIT, expectRun, runGuest32, VEC_DB, VENDORS, type Expect } from './harness.js';

const BS = DR6_INIT | DR6_BS;
const DEBUGCTL_BTF = 2n;
const h8 = (v: bigint) => '0x' + v.toString(16).padStart(8, '0');

describe.each(VENDORS)('32-bit branch single-step, DEBUGCTL.BTF (%s)', (vendor) => {
  // bare mode only: the KVM model keeps BTF across an injected #DB on Intel and drops guest BTF on AMD, a
  // documented KVM difference (test/kvm-scenarios/bare-vs-kvm.test.ts expectBtfDifference), not a CPU property.
  it('#DB only after taken JMP/Jcc/CALL/RET; #DB clears BTF; CPL0 and CPL3 (bare mode)', async () => {
    const run = await runGuest32('btf', 'bare', { vendor });
    const seq: Expect[] = [
      { vec: VEC_DB, rip: 'bt_j1', dr6: BS, rf: 0, tf: 1, why: 'taken JMP, EIP = target (NOP before it: none)' },
      { vec: VEC_DB, rip: 'bt_j2', dr6: BS, rf: 0, tf: 1, why: 'taken JZ; the JNZ fell through' },
      { vec: VEC_DB, rip: 'bt_fn', dr6: BS, rf: 0, tf: 1, why: 'CALL' },
      { vec: VEC_DB, rip: 'bt_ret', dr6: BS, rf: 0, tf: 1, why: 'RET' },
      { vec: VEC_DB, rip: 'bt_j3', dr6: BS, rf: 0, tf: 1, why: 'JMP; no re-arm any more' },
      { vec: VEC_DB, rip: 'bt_s1', dr6: BS, rf: 0, tf: 1, why: 'BTF cleared by the last #DB: plain step' },
      { vec: VEC_DB, rip: 'bt_s2', dr6: BS, rf: 0, tf: 1 },
      { vec: VEC_DB, rip: 'bt_s3', dr6: BS, rf: 0, tf: 0 },
    ];
    expectRun(run, [...atCpl(seq, CS32_KERNEL), ...atCpl(seq, CS32_USER)]);
    const perCpl = [[0xb0, h8(DEBUGCTL_BTF)], ...seq.map(() => [0xdb, h8(0n)]), [0xe0, h8(0n)]];
    expect(run.marks.map((m) => [m.tag, h8(m.value)])).toEqual([...perCpl, ...perCpl]);
  });
});
