/* Branch single-stepping (SDM Vol. 3 19.4.3 "Single-Stepping on Branches"): with IA32_DEBUGCTL.BTF=1
   and RFLAGS.TF=1 the single-step #DB (DR6.BS) is generated only after instructions that branch;
   the processor clears BTF when it generates a debug exception, so a debugger re-arms it each time.
   This scenario's #DB gate (btf_db) reports DEBUGCTL as seen on entry (mark 0x0db), re-arms BTF while
   btf_rearm != 0, then logs through the runtime's exc_1. WRMSR is CPL0-only, so BTF is set at CPL0
   before rt_run_user drops to CPL3; TF is set by the body's own POPF at either CPL. */
#include "../rt.inc"

        .set DEBUGCTL_BTF, 0x2          /* IA32_DEBUGCTL bit 1 */
        .set MARK_DEBUGCTL_SET, 0xb0    /* DEBUGCTL after the WRMSR that sets BTF */
        .set MARK_DEBUGCTL_DB, 0xdb     /* DEBUGCTL on entry to #DB */
        .set MARK_DEBUGCTL_END, 0xe0    /* DEBUGCTL after the body */

scenario_main:
        mov $1, %edi
        lea btf_db(%rip), %rsi
        xor %edx, %edx
        call rt_set_gate
        call arm_btf
        call btf_body                   /* CPL0 */
        call show_debugctl
        call arm_btf
        lea btf_body(%rip), %rdi
        call rt_run_user                /* CPL3 */
        call show_debugctl
        ret

arm_btf:
        movq $1, btf_rearm(%rip)
        mov $MSR_DEBUGCTL, %ecx
        rdmsr
        or $DEBUGCTL_BTF, %eax
        wrmsr
        rdmsr
        MARK MARK_DEBUGCTL_SET, %rax
        ret

show_debugctl:
        mov $MSR_DEBUGCTL, %ecx
        rdmsr
        MARK MARK_DEBUGCTL_END, %rax
        ret

/* #DB entry: runs with TF=0 (cleared by delivery), so nothing here is stepped. */
btf_db:
        push %rax
        push %rcx
        push %rdx
        push %rsi
        push %rdi
        mov $MSR_DEBUGCTL, %ecx
        rdmsr
        mov %rax, %rsi
        mov $MARK_DEBUGCTL_DB, %edi
        call rt_mark
        cmpq $0, btf_rearm(%rip)
        je 1f
        mov $MSR_DEBUGCTL, %ecx
        rdmsr
        or $DEBUGCTL_BTF, %eax
        wrmsr
1:      pop %rdi
        pop %rsi
        pop %rdx
        pop %rcx
        pop %rax
        jmp exc_1

        .globl btf_body, bt_nop, bt_j1, bt_j2, bt_fn, bt_ret, bt_j3, bt_s1, bt_s2, bt_s3, bt_never
btf_body:
        pushfq
        pop %rax
        mov %rax, %rbx
        and $~RFLAGS_TF, %rbx           /* flags image to leave single-step with */
        or $RFLAGS_TF, %rax
        push %rax
        popfq                           /* sets TF: TF was 0 when it began, no trap */
bt_nop: nop                             /* not a branch: no #DB under BTF */
        jmp bt_j1                       /* taken JMP: #DB, RIP = bt_j1 */
        ud2
bt_j1:  xor %ecx, %ecx                  /* ZF=1; not a branch */
        jnz bt_never                    /* Jcc not taken: no #DB */
        jz bt_j2                        /* Jcc taken: #DB, RIP = bt_j2 */
        ud2
bt_j2:  call bt_fn                      /* CALL: #DB, RIP = bt_fn */
bt_ret: movq $0, btf_rearm(%rip)        /* not a branch: no #DB; from now on the #DB handler leaves BTF clear */
        jmp bt_j3                       /* JMP: #DB, RIP = bt_j3; its delivery clears BTF */
        ud2
bt_j3:  nop                             /* BTF=0, TF=1: ordinary single-step, #DB RIP = bt_s1 */
bt_s1:  push %rbx                       /* #DB, RIP = bt_s2 */
bt_s2:  popfq                           /* clears TF; TF was 1 when it began: #DB, RIP = bt_s3 */
bt_s3:  ret
bt_fn:  nop                             /* not a branch: no #DB */
        ret                             /* RET: #DB, RIP = bt_ret */
bt_never:
        ud2

        .data
        .balign 8
btf_rearm: .quad 0
        .text
