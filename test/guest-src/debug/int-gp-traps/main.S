/* INT n whose delivery faults (gate DPL < CPL: #GP(vector*8+2), SDM Vol. 2A INT n protected-mode
   exceptions) is a faulting instruction: it does not complete, so the trap-class #DBs it would report
   afterwards are not reported (SDM Vol. 3 18.3.1.2 / 18.3.1.4):
   1. MOV SS from a watched operand, then INT 4 at CPL3 through the DPL0 gate 4: the data-breakpoint #DB
      the MOV SS held back is discarded with the fault (Linux 6.1 mov_ss_trap.c: "Any fault: drop the
      pending #DB trap"; its "MOV SS; INT 1" case), as for MOV SS; CLI. Only the #GP is logged.
   2. INT 4 at CPL3 with TF=1: no single-step #DB before the #GP handler (as for UD2, test step-int);
      the #GP frame has TF=1 and stepping resumes after the handler's IRETQ. */
#include "../rt.inc"

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
        SETV fault_skip, 2              /* each #GP resumes after its 2-byte INT 4 */
        WRDR 6, DR6_INIT
        lea ssvar_u(%rip), %rsi
        mov %rsi, %dr0
        WRDR 7, (DR7_INIT | 0x1 | (3 << 16) | (1 << 18))   /* L0, R/W0 = 11, LEN0 = 2 */
        lea ig_body(%rip), %rdi
        call rt_run_user
        WRDR 7, DR7_INIT
        ret

        .globl ig_body, ig_mov, ig_int, tg_nop, tg_int, tg_push, tg_popf, tg_end
ig_body:                                /* CPL3 */
ig_mov: mov (%rsi), %ss                 /* B0 held back */
ig_int: int $4                          /* #GP(0x22): the held #DB is dropped */
        TF_ON
tg_nop: nop                             /* #DB, RIP = tg_int */
tg_int: int $4                          /* #GP(0x22) only */
tg_push:
        push %rbx                       /* #DB, RIP = tg_popf (TF restored by the #GP handler's IRETQ) */
tg_popf:
        popfq                           /* #DB, RIP = tg_end */
tg_end: ret

        .data
        .balign 8
        .globl ssvar_u
ssvar_u: .word SEL_UDATA
