// IRETQ and EFLAGS.NT in IA-32e mode (Linux 6.1 tools/testing/selftests/x86/syscall_nt.c, "Set NT|TF and
// issue a syscall": the kernel returns from each single-step #DB with IRETQ of a user image holding NT=1).
// SDM Vol. 2A IRET (IA-32e-MODE: "IF NT = 1 THEN #GP(0)") and AMD APM Vol. 3 IRET test the NT flag the
// IRET executes with; the popped image's NT is simply loaded (QEMU helper_iret_protected tests env->eflags).
import { describe, expect, it } from 'vitest';
import { CS_KERNEL, CS_USER, DR6_BS, DR6_INIT, expectRun, marks, runGuest, VEC_DB, VEC_GP, VENDORS, type Expect } from './harness.js';

const NT = 0x4000n, TF = 0x100n;
const step = (rip: string, tf: 0 | 1): Expect => ({ vec: VEC_DB, rip, dr6: DR6_INIT | DR6_BS, cs: CS_USER, tf });

describe.each(VENDORS)('IRETQ and EFLAGS.NT (%s)', (vendor) => {
  for (const mode of ['bare', 'kvm'] as const) {
    it(`#GP(0) with RFLAGS.NT=1; an image with NT=1 returns and loads NT; CPL3 single-steps with NT|TF (${mode})`, async () => {
      const run = await runGuest('iret-nt', { vendor, mode });
      expectRun(run, [
        { vec: VEC_GP, rip: 'k1_iret', err: 0n, cs: CS_KERNEL, why: 'IRETQ with RFLAGS.NT=1 in IA-32e mode' },
        step('u_push', 1), step('u_pop', 1), step('u_save', 1), step('u_rest', 1), step('u_popf', 1),
        step('u_end', 0),
      ]);
      expect(marks(run)).toEqual([
        [1, `0x${NT.toString(16).padStart(16, '0')}`],
        [2, `0x${(NT | TF).toString(16).padStart(16, '0')}`],
      ]);
    });
  }
});
