/* TF single-step across INT n and across a faulting instruction.
   - INT n that began with TF=1 completes by entering its handler through an interrupt gate, which
     clears TF after pushing RFLAGS (SDM Vol. 3 6.12.1.2); the single-step trap of the INT itself is
     then taken before the handler's first instruction (SDM Vol. 3 19.3.1.4: stepping the INT n that
     calls a handler is the documented way to single-step into that handler).
   - A faulting instruction does not complete, so it has no single-step trap (traps are reported
     after the instruction, SDM 19.3.1.4); the fault's delivery clears TF and the handler's IRETQ
     restores TF=1, after which the next instruction is trapped (IRET sets TF: trap after the
     instruction that follows the IRET, SDM Vol. 3 2.3 EFLAGS.TF). */
#include "../rt.inc"

        .set VEC_SOFT, 0x81

scenario_main:
        mov $VEC_SOFT, %edi
        lea si_handler(%rip), %rsi
        mov $3, %edx                    /* DPL3: INT 0x81 allowed at CPL3 */
        call rt_set_gate
        SETV fault_skip, 2              /* #UD handler resumes after the 2-byte UD2 */
        call si_body                    /* CPL0 */
        lea si_body(%rip), %rdi
        call rt_run_user                /* CPL3 */
        ret

        .globl si_handler
si_handler:
        iretq                           /* runs at CPL0 with TF=0; restores TF=1 from the INT frame */

        .globl si_body, si_a, si_int, si_after, si_ud, si_ud_next, si_pop, si_end
si_body:
        pushfq
        pop %rax
        mov %rax, %rbx
        and $~RFLAGS_TF, %rbx
        or $RFLAGS_TF, %rax
        push %rax
        popfq                           /* sets TF: no trap after the POPF itself */
si_a:   nop                             /* #DB, RIP = si_int */
si_int: int $VEC_SOFT                   /* #DB, RIP = si_handler (CS 0x08, pushed TF=0) */
si_after:
        nop                             /* first instruction after the handler's IRETQ: #DB, RIP = si_ud */
si_ud:  ud2                             /* #UD, RIP = si_ud, pushed TF=1; no single-step #DB */
si_ud_next:
        push %rbx                       /* after the #UD handler's IRETQ: #DB, RIP = si_pop */
si_pop: popfq                           /* clears TF, began with TF=1: #DB, RIP = si_end */
si_end: ret
