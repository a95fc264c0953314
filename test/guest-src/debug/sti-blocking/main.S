/* STI blocking (SDM Vol. 3 6.8.3 / STI): the STI shadow inhibits maskable interrupts only;
   it does not delay single-step, so the first #DB comes right after the STI. */
#include "../rt.inc"

scenario_main:
        call sti_body
        lea sti_body(%rip), %rdi
        call rt_run_user
        ret

        .globl sti_body, sti_0, sti_1, sti_2, sti_3, sti_4
sti_body:
        cli
        pushfq
        pop %rax
        or $RFLAGS_TF, %rax
        push %rax
        popfq                           /* TF on (IF=0 in the image) */
sti_0:  sti                             /* #DB RIP=sti_1 despite the STI shadow */
sti_1:  and $~RFLAGS_TF, %rax           /* #DB RIP=sti_2 */
sti_2:  push %rax                       /* #DB RIP=sti_3 */
sti_3:  popfq                           /* TF=0, IF=0 again: #DB RIP=sti_4 */
sti_4:  ret
