/* STI shadow in 32-bit protected mode (SDM Vol. 3 6.8.3; Vol. 2 STI): the STI shadow inhibits
   maskable interrupts only; it does not delay single-step: the first #DB comes right after STI. */
#include "../rt32.inc"

scenario_main:
        CALLAT 0, sti_body
        CALLAT 1, sti_body
        ret

        .globl sti_body, sti_0, sti_1, sti_2, sti_3, sti_4
sti_body:
        cli
        pushf
        pop %eax
        or $EFLAGS_TF, %eax
        push %eax
        popf                            /* TF on (IF=0 in the image) */
sti_0:  sti                             /* #DB EIP=sti_1 despite the STI shadow */
sti_1:  and $~EFLAGS_TF, %eax           /* #DB EIP=sti_2 */
sti_2:  push %eax                       /* #DB EIP=sti_3 */
sti_3:  popf                            /* TF=0, IF=0: #DB EIP=sti_4 */
sti_4:  ret
