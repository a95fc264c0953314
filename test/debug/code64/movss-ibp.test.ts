// MOV SS on a watched operand followed by an instruction with an instruction breakpoint (Linux 6.1
// tools/testing/selftests/x86/mov_ss_trap.c "MOV SS; breakpointed NOP": DR0 R/W=11 LEN=2 on the SS image,
// DR1 execute on the NOP, both global; the handler resets DR6 and sets RF as Linux's does). The selftest's
// observed rule is "breakpoint: only one #DB is delivered".
// - Intel: the instruction breakpoint is not recognised in the MOV-SS shadow (src/cpu/debug.ts,
//   docs/semantics.md §2.8); the NOP runs and the held data-breakpoint trap is delivered after it, at the RET,
//   with B0: DR6 0xFFFF0FF1.
// - AMD: the instruction breakpoint is recognised in the shadow. It is a fault, and a fault drops the trap MOV
//   SS held back ("Any fault: drop the pending #DB trap"): one #DB at the NOP with B1, DR6 0xFFFF0FF2. Before
//   the fix the held trap came as a second #DB at the #DB handler's first instruction (on Linux: on the
//   handler's own IST stack, where mov_ss_trap_64 looped forever).
import { describe, it } from 'vitest';
import { atCpl, CS_KERNEL, CS_USER, DR6_B0, DR6_B1, DR6_INIT, expectRun, runGuest, VEC_DB, type Expect } from './harness.js';

const perVendor: Record<'intel' | 'amd', Expect[]> = {
  intel: [{ vec: VEC_DB, rip: 'mi_ret', dr6: DR6_INIT | DR6_B0, rf: 0, why: 'held B0 after the NOP; the NOP\'s instruction breakpoint is not recognised in the shadow' }],
  amd: [{ vec: VEC_DB, rip: 'mi_nop', dr6: DR6_INIT | DR6_B1, rf: 0, why: 'instruction-breakpoint fault in the shadow; the held B0 trap dropped' }],
};

describe.each(['intel', 'amd'] as const)('MOV SS; breakpointed NOP (%s)', (vendor) => {
  for (const mode of ['bare', 'kvm'] as const)
    it(`exactly one #DB, at CPL0 and CPL3 (${mode})`, async () => {
      const run = await runGuest('movss-ibp', { vendor, mode });
      expectRun(run, [...atCpl(perVendor[vendor], CS_KERNEL), ...atCpl(perVendor[vendor], CS_USER)]);
    });
});
