/* Seed 003 exactly: DR0 data breakpoint (R/W=11, LEN=2) on the operand of MOV SS, TF=1, then
   CPUID. The MOV SS shadow holds back both the data breakpoint and the single-step of MOV SS
   (SDM Vol. 3 6.8.3); at the boundary after CPUID one #DB is delivered carrying every accumulated
   cause: DR6 = BS|B0 = 0xFFFF4FF1 on bare metal (seed 003), RIP after CPUID. Then plain
   single-steps (BS only: B0 is reported only by the #DB of the matching access). */
#include "../rt.inc"

        .macro RUN user
        WRDR 6, DR6_INIT
        .if \user
        lea ssvar_u(%rip), %rsi
        .else
        lea ssvar_k(%rip), %rsi
        .endif
        mov %rsi, %dr0
        WRDR 7, (DR7_INIT | 0x1 | (3 << 16) | (1 << 18))
        .if \user
        lea wt_body(%rip), %rdi
        call rt_run_user
        .else
        call wt_body
        .endif
        WRDR 7, DR7_INIT
        .endm

scenario_main:
        RUN 0
        RUN 1
        ret

        .globl wt_body, wt_0, wt_1, wt_2, wt_3, wt_4, wt_5
wt_body:
        push %rbx
        xor %eax, %eax
        pushfq
        pop %r8
        or $RFLAGS_TF, %r8
        push %r8
        popfq                           /* TF on, first trap after the next instruction */
wt_0:   mov (%rsi), %ss                 /* B0 and BS held back by the MOV SS shadow */
wt_1:   cpuid                           /* #DB RIP=wt_2 DR6=0xFFFF4FF1 */
wt_2:   and $~RFLAGS_TF, %r8            /* #DB RIP=wt_3 DR6=0xFFFF4FF0 */
wt_3:   push %r8                        /* #DB RIP=wt_4 */
wt_4:   popfq                           /* #DB RIP=wt_5 */
wt_5:   pop %rbx
        ret

        .data
        .balign 8
        .globl ssvar_k, ssvar_u
ssvar_k: .word SEL_KDATA
        .balign 8
ssvar_u: .word SEL_UDATA
        .text
