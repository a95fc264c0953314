// Single-step across SYSCALL and SYSENTER (issue 15). SYSCALL's single-step follows RFLAGS.TF after
// IA32_FMASK (Xen XSA-204; kvm-unit-tests x86/syscall.c test_syscall_tf): no #DB when FMASK clears TF,
// a #DB at the first kernel instruction when TF survives; SYSRET traps at the first user instruction
// when it loads TF=1 from R11. SYSENTER does not clear TF (SDM Vol. 2B
// SYSENTER): trap at IA32_SYSENTER_EIP. AMD: SYSENTER is #UD in long mode (APM Vol. 3 SYSENTER).
import { describe, it } from 'vitest';
import { CS_KERNEL, CS_USER, DR6_BS, DR6_INIT, expectRun, runGuest, VEC_DB, VEC_UD, VENDORS, type Expect } from './harness.js';

const BS = DR6_INIT | DR6_BS;
const step = (rip: string, tf: 0 | 1, why: string): Expect => ({ vec: VEC_DB, rip, dr6: BS, cs: CS_KERNEL, rf: 0, tf, why });

describe.each(VENDORS)('single-step across SYSCALL / SYSENTER (%s)', (vendor) => {
  it('SYSCALL: no #DB when FMASK clears TF, #DB at the entry when TF is kept; SYSENTER traps at SYSENTER_EIP (Intel) / #UD (AMD)', async () => {
    const run = await runGuest('syscall-step', { vendor });
    const sysenter: Expect[] = vendor === 'intel'
      ? [
          step('se_entry', 1, 'SYSENTER keeps TF: trap at the first kernel instruction'),
          step('se_k_jmp', 1, 'kernel stub steps on'),
          step('se_ret', 1, 'back after SYSENTER'),
          step('se_pop', 1, 'push'),
          step('se_end', 0, 'POPF clearing TF still traps'),
        ]
      : [
          { vec: VEC_UD, rip: 'se', tf: 1, why: 'SYSENTER in long mode on AMD: #UD, a fault: no single-step for it' },
          step('se_pop', 1, 'after the #UD handler IRETQ (restored TF=1)'),
          step('se_end', 0, 'POPF clearing TF still traps'),
        ];
    expectRun(run, [
      step('sc1_ret', 1, 'no #DB for the SYSCALL (FMASK cleared TF); the stub POPF restored TF, its JMP traps'),
      step('sc1_pop', 1, 'push'),
      step('sc1_end', 0, 'POPF clearing TF still traps'),
      step('sc_entry_kept', 1, 'SYSCALL with TF kept: trap at the first kernel instruction'),
      step('sc_k_pop', 1, 'kernel stub'),
      step('sc_k_jmp', 1, 'kernel stub'),
      step('sc2_ret', 1, 'back after SYSCALL'),
      step('sc2_pop', 1, 'push'),
      step('sc2_end', 0, 'POPF clearing TF still traps'),
      ...sysenter,
      { ...step('su_ret', 1, 'SYSRET loaded TF=1 from R11: trap at the first user instruction'), cs: CS_USER },
      { ...step('su_pop', 1, 'user code steps on'), cs: CS_USER },
      { ...step('su_end', 0, 'POPF clearing TF still traps'), cs: CS_USER },
    ]);
  });
});
