/* Single-step across SYSCALL and SYSENTER (issue 15).
   - SYSCALL takes its single-step action from RFLAGS.TF as it is after IA32_FMASK is applied, not from
     TF at the start of the instruction: with FMASK clearing TF there is no #DB (the kernel is entered
     with TF=0, nothing to report); with TF left set the trap is taken at the first kernel instruction.
     This is the behaviour behind Xen's XSA-204 (its emulator raised the #DB from the old TF).
   - SYSENTER clears VM, IF and RF but not TF (SDM Vol. 2B SYSENTER), so the trap of a SYSENTER that
     began with TF=1 is taken at the first kernel instruction, RIP = IA32_SYSENTER_EIP (Linux's
     single_step_syscall selftest and its entry_SYSENTER #DB fixup rely on it). AMD: SYSENTER is #UD
     in long mode (APM Vol. 3 SYSENTER): the #UD is a fault, no single-step for it.
   SYSRET likewise steps from the TF it loads from R11: a #DB at the first user instruction (kvm-unit-tests
   x86/syscall.c test_syscall_tf asserts it).
   The kernel stubs below return with POPF (TF from R11, or TF=1 pushed) and an indirect JMP, at CPL0. */
#include "../rt.inc"

        .set MSR_STAR, 0xc0000081
        .set MSR_LSTAR, 0xc0000082
        .set MSR_FMASK, 0xc0000084
        .set MSR_SYSENTER_CS, 0x174
        .set MSR_SYSENTER_ESP, 0x175
        .set MSR_SYSENTER_EIP, 0x176

        .macro WRMSR_SYM msr, sym
        mov $\msr, %ecx
        lea \sym(%rip), %rax
        mov %rax, %rdx
        shr $32, %rdx
        wrmsr
        .endm
        .macro WRMSR_IMM msr, val
        mov $\msr, %ecx
        mov $\val, %eax
        xor %edx, %edx
        wrmsr
        .endm

        .macro TF_ON                    /* rbx = RFLAGS without TF, then TF=1 via POPF */
        pushfq
        pop %rax
        mov %rax, %rbx
        and $~RFLAGS_TF, %rbx
        or $RFLAGS_TF, %rax
        push %rax
        popfq
        .endm

scenario_main:
        mov $MSR_STAR, %ecx             /* SYSCALL CS = 0x08, SS = 0x10 */
        xor %eax, %eax
        mov $SEL_KCODE, %edx
        wrmsr
        WRMSR_SYM MSR_LSTAR, sc_entry_masked
        WRMSR_IMM MSR_FMASK, RFLAGS_TF  /* FMASK clears TF */
        TF_ON
        .globl sc1, sc1_ret, sc1_pop, sc1_end
sc1:    syscall                         /* no #DB: TF=0 after FMASK */
sc1_ret:
        push %rbx                       /* #DB, RIP = sc1_pop */
sc1_pop:
        popfq                           /* #DB, RIP = sc1_end */
sc1_end:

        WRMSR_SYM MSR_LSTAR, sc_entry_kept
        WRMSR_IMM MSR_FMASK, 0          /* TF kept */
        TF_ON
        .globl sc2, sc2_ret, sc2_pop, sc2_end
sc2:    syscall                         /* #DB, RIP = sc_entry_kept (first kernel instruction) */
sc2_ret:
        push %rbx
sc2_pop:
        popfq
sc2_end:

        /* SYSENTER: Intel enters at SYSENTER_EIP with CS = SYSENTER_CS, SS = +8, RSP = SYSENTER_ESP. */
        WRMSR_IMM MSR_SYSENTER_CS, SEL_KCODE
        WRMSR_SYM MSR_SYSENTER_EIP, se_entry
        WRMSR_SYM MSR_SYSENTER_ESP, se_stack_top
        SETV fault_skip, 2              /* AMD: #UD, resume after the 2-byte SYSENTER */
        mov %rsp, %r12
        lea se_ret(%rip), %r13
        TF_ON
        .globl se, se_ret, se_pop, se_end
se:     sysenter                        /* Intel: #DB, RIP = se_entry; AMD: #UD at se */
se_ret:
        push %rbx
se_pop: popfq
se_end:

        /* SYSRET that sets TF (from R11) traps at the first user instruction, CS = 0x23. */
        mov $MSR_STAR, %ecx             /* SYSCALL CS 0x08; SYSRET CS = 0x13+16 = 0x23, SS = 0x1b */
        xor %eax, %eax
        mov $0x00130008, %edx
        wrmsr
        WRMSR_SYM MSR_LSTAR, su_entry
        WRMSR_IMM MSR_FMASK, RFLAGS_TF
        lea su_body(%rip), %rdi
        call rt_run_user
        ret

        .globl su_body, su_ret, su_pop, su_end
su_body:                                /* CPL3, TF=0 */
        pushfq
        pop %rbx
        syscall                         /* to su_entry, which SYSRETs with TF=1 */
su_ret: push %rbx                       /* #DB before it: RIP = su_ret, CS = 0x23 */
su_pop: popfq                           /* #DB, RIP = su_end... */
su_end: ret

        .globl su_entry
su_entry:                               /* CPL0, TF=0 (FMASK) */
        or $RFLAGS_TF, %r11
        sysretq

/* SYSCALL entry with TF cleared by FMASK: restore the caller's RFLAGS (TF=1) from R11 and jump back.
   The POPF sets TF, so the JMP after it is trapped (#DB, RIP = sc1_ret). */
        .globl sc_entry_masked, sc_m_jmp
sc_entry_masked:
        push %r11
        popfq
sc_m_jmp:
        jmp *%rcx

/* SYSCALL entry with TF kept: every instruction here traps. */
        .globl sc_entry_kept, sc_k_pop, sc_k_jmp
sc_entry_kept:
        push %r11                       /* #DB, RIP = sc_k_pop */
sc_k_pop:
        popfq                           /* #DB, RIP = sc_k_jmp */
sc_k_jmp:
        jmp *%rcx                       /* #DB, RIP = sc2_ret */

        .globl se_entry, se_k_jmp
se_entry:
        mov %r12, %rsp                  /* #DB, RIP = se_k_jmp */
se_k_jmp:
        jmp *%r13                       /* #DB, RIP = se_ret */

        .bss
        .balign 16
se_stack:
        .skip 4096
se_stack_top:
