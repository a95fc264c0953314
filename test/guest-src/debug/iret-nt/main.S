/* IRET in IA-32e mode and EFLAGS.NT (Linux's syscall_nt selftest, "Set NT|TF and issue a syscall").
   SDM Vol. 2A IRET, IA-32e-MODE: "IF NT = 1 THEN #GP(0)" tests the NT flag of the RFLAGS the IRET runs
   with, not the image it pops (AMD APM Vol. 3 IRET: #GP(0) when EFLAGS.NT=1 in long mode; QEMU
   helper_iret_protected tests env->eflags). Event delivery clears NT (SDM Vol. 3 6.14.2), so a handler's
   IRETQ always runs with NT=0 and returns to code that set NT with the NT=1 it pushed.
   1. CPL0, RFLAGS.NT=1, IRETQ of a same-level frame whose image has NT=0: #GP(0) at the IRETQ.
   2. CPL0, RFLAGS.NT=0, IRETQ of an image with NT=1: returns and loads NT=1 (mark 1).
   3. CPL3 with NT|TF (IOPL=3 lets POPF set NT): every single-step #DB handler returns with IRETQ of an
      image holding NT=1 and TF=1; user code keeps running and sees NT|TF (mark 2). */
#include "../rt.inc"

        .set RFLAGS_NT, 0x4000

scenario_main:
        SETV fault_skip, 2              /* the #GP of case 1 resumes after the 2-byte IRETQ */
        mov %rsp, %r12
        pushfq
        pop %rbx                        /* rbx: RFLAGS with NT=0 */

        /* 1. IRETQ with RFLAGS.NT=1 */
        mov %rbx, %rax
        or $RFLAGS_NT, %rax
        push %rax
        popfq
        mov %rsp, %rax
        pushq $SEL_KDATA
        push %rax
        push %rbx                       /* popped image: NT=0 */
        pushq $SEL_KCODE
        lea k1_after(%rip), %rax
        push %rax
        .globl k1_iret
k1_iret:
        iretq                           /* #GP(0): NT=1 now */
k1_after:
        mov %r12, %rsp
        push %rbx
        popfq                           /* NT=0 */

        /* 2. IRETQ of an image with NT=1, RFLAGS.NT=0 */
        mov %rsp, %rax
        pushq $SEL_KDATA
        push %rax
        mov %rbx, %rax
        or $RFLAGS_NT, %rax
        push %rax
        pushq $SEL_KCODE
        lea k2_after(%rip), %rax
        push %rax
        .globl k2_iret
k2_iret:
        iretq
k2_after:
        pushfq
        pop %rax
        and $RFLAGS_NT, %eax
        MARK 1, %rax                    /* NT loaded from the image */
        mov %r12, %rsp
        push %rbx
        popfq

        /* 3. CPL3 with NT|TF */
        lea u_body(%rip), %rdi
        call rt_run_user
        mov u_flags(%rip), %rax
        and $(RFLAGS_NT | RFLAGS_TF), %eax
        MARK 2, %rax
        ret

        .globl u_body, u_nop, u_push, u_pop, u_save, u_rest, u_popf, u_end
u_body:                                 /* CPL3, IOPL=3, TF=0 */
        pushfq
        pop %rbx
        mov %rbx, %rax
        or $(RFLAGS_NT | RFLAGS_TF), %rax
        push %rax
        popfq                           /* NT|TF; TF traps from the next instruction on */
u_nop:  nop                             /* #DB, RIP = u_push; the handler IRETQs an NT=1 image */
u_push: pushfq                          /* #DB, RIP = u_pop */
u_pop:  pop %rax                        /* #DB, RIP = u_save */
u_save: mov %rax, u_flags(%rip)         /* #DB, RIP = u_rest */
u_rest: push %rbx                       /* #DB, RIP = u_popf */
u_popf: popfq                           /* #DB, RIP = u_end (TF at its start); NT and TF cleared */
u_end:  ret

        .data
        .balign 8
u_flags: .quad 0
