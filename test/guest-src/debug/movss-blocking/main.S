/* MOV SS blocking (SDM Vol. 3 6.8.3): the single-step trap that would follow MOV SS is
   suppressed; the next #DB comes after the instruction that follows MOV SS. */
#include "../rt.inc"

scenario_main:
        call mss_body
        lea mss_body(%rip), %rdi
        call rt_run_user
        ret

        .globl mss_body, mss_0, mss_1, mss_2, mss_3, mss_4
mss_body:
        pushfq
        pop %rax
        or $RFLAGS_TF, %rax
        push %rax
        mov %ss, %ecx
        popfq                           /* TF on */
mss_0:  mov %ecx, %ss                   /* would trap, suppressed by the MOV SS shadow */
mss_1:  and $~RFLAGS_TF, %rax           /* #DB RIP=mss_2 */
mss_2:  push %rax                       /* #DB RIP=mss_3 */
mss_3:  popfq                           /* #DB RIP=mss_4 */
mss_4:  ret
