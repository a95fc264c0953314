/* MOV SS + ICEBP with TF=1: the MOV SS single-step is suppressed (SDM 6.8.3); ICEBP (INT1,
   0xF1) raises a trap-like #DB that sets no DR6 bit (SDM Vol. 2 INT1, Vol. 3 Table 19-2), and
   event delivery clears TF, so no BS is reported for either ICEBP. */
#include "../rt.inc"

scenario_main:
        call msi_body
        lea msi_body(%rip), %rdi
        call rt_run_user
        ret

        .globl msi_body, msi_0, msi_1, msi_2, msi_3, msi_4, msi_5, msi_6
msi_body:
        pushfq
        pop %rax
        or $RFLAGS_TF, %rax
        push %rax
        mov %ss, %ecx
        popfq
msi_0:  mov %ecx, %ss
msi_1:  .byte 0xf1                      /* #DB RIP=msi_2 DR6=0xFFFF0FF0 */
msi_2:  .byte 0xf1                      /* #DB RIP=msi_3 DR6=0xFFFF0FF0 */
msi_3:  and $~RFLAGS_TF, %rax           /* #DB RIP=msi_4 BS */
msi_4:  push %rax                       /* #DB RIP=msi_5 BS */
msi_5:  popfq                           /* #DB RIP=msi_6 BS */
msi_6:  ret
