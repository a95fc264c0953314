/* Branch single-stepping in 32-bit protected mode (SDM Vol. 3 19.4.3): with IA32_DEBUGCTL.BTF=1
   (bit 1, set by WRMSR) and EFLAGS.TF=1 the single-step #DB (BS) comes only after taken branches,
   EIP = branch target; the processor clears BTF when it generates a debug exception, so this
   scenario's #DB gate (btf_db) re-arms it while btf_rearm != 0 and marks DEBUGCTL on entry (0xdb). */
#include "../rt32.inc"
        .set DEBUGCTL_BTF, 0x2          /* IA32_DEBUGCTL bit 1 */
        .set MARK_DEBUGCTL_SET, 0xb0
        .set MARK_DEBUGCTL_DB, 0xdb
        .set MARK_DEBUGCTL_END, 0xe0

scenario_main:
        mov $1, %edi
        mov $btf_db, %esi
        xor %edx, %edx
        call rt_set_gate
        call arm_btf
        CALLAT 0, btf_body
        call show_debugctl
        call arm_btf
        CALLAT 1, btf_body
        call show_debugctl
        ret

arm_btf:
        movl $1, btf_rearm
        mov $MSR_DEBUGCTL, %ecx
        rdmsr
        or $DEBUGCTL_BTF, %eax
        wrmsr
        rdmsr
        MARK MARK_DEBUGCTL_SET, %eax
        ret
show_debugctl:
        mov $MSR_DEBUGCTL, %ecx
        rdmsr
        MARK MARK_DEBUGCTL_END, %eax
        ret

/* #DB entry: runs with TF=0 (cleared by delivery). DS may be the user data selector (flat, DPL3). */
btf_db:
        pushal
        mov $MSR_DEBUGCTL, %ecx
        rdmsr
        MARK MARK_DEBUGCTL_DB, %eax
        cmpl $0, btf_rearm
        je 1f
        mov $MSR_DEBUGCTL, %ecx
        rdmsr
        or $DEBUGCTL_BTF, %eax
        wrmsr
1:      popal
        jmp exc_1

        .globl btf_body, bt_nop, bt_j1, bt_j2, bt_fn, bt_ret, bt_j3, bt_s1, bt_s2, bt_s3, bt_never
btf_body:
        pushf
        pop %eax
        mov %eax, %ebx
        and $~EFLAGS_TF, %ebx
        or $EFLAGS_TF, %eax
        push %eax
        popf                            /* sets TF */
bt_nop: nop                             /* not a branch: no #DB under BTF */
        jmp bt_j1                       /* taken JMP: #DB, EIP = bt_j1 */
        ud2
bt_j1:  xor %ecx, %ecx
        jnz bt_never                    /* not taken: no #DB */
        jz bt_j2                        /* taken: #DB, EIP = bt_j2 */
        ud2
bt_j2:  call bt_fn                      /* CALL: #DB, EIP = bt_fn */
bt_ret: movl $0, btf_rearm              /* not a branch; from now on BTF stays clear */
        jmp bt_j3                       /* JMP: #DB, EIP = bt_j3; its delivery clears BTF */
        ud2
bt_j3:  nop                             /* ordinary single-step: #DB, EIP = bt_s1 */
bt_s1:  push %ebx                       /* #DB, EIP = bt_s2 */
bt_s2:  popf                            /* clears TF: #DB, EIP = bt_s3 */
bt_s3:  ret
bt_fn:  nop                             /* no #DB */
        ret                             /* RET: #DB, EIP = bt_ret */
bt_never:
        ud2

        .data
        .balign 4
btf_rearm: .long 0
        .text
