/* Single-step basics (SDM Vol. 3 19.3.1.4): TF set by POPF takes effect after the instruction
   that follows the POPF; each instruction executed with TF=1 at its start traps after it. */
#include "../rt.inc"

scenario_main:
        call ss_body                    /* CPL0 */
        lea ss_body(%rip), %rdi
        call rt_run_user                /* CPL3 */
        ret

        .globl ss_body, ss_a, ss_b, ss_c, ss_d
ss_body:
        pushfq
        pop %rax
        or $RFLAGS_TF, %rax
        push %rax
        popfq                           /* sets TF: no trap after the POPF itself */
ss_a:   and $~RFLAGS_TF, %rax           /* first instruction with TF=1: #DB, RIP = ss_b */
ss_b:   push %rax                       /* #DB, RIP = ss_c */
ss_c:   popfq                           /* clears TF, but TF was 1 when it began: #DB, RIP = ss_d */
ss_d:   nop                             /* TF=0: no trap */
        ret
