/* TF single-step in 32-bit protected mode (SDM Vol. 3 19.3.1.4; 6.12.1.2; Vol. 1 3.4.3 TF):
   - POPF that sets TF: no trap after the POPF itself, the next instruction traps (EIP after it);
     a POPF that clears TF still traps (TF was 1 when it began);
   - IRETD that sets TF (popping an EFLAGS image with TF=1): same one-instruction delay;
   - INT n begun with TF=1: the gate clears TF after pushing EFLAGS; the single-step trap of the INT
     is taken before the handler's first instruction (CS 0x08, pushed TF=0);
   - a faulting instruction (UD2) has no single-step trap; its handler's IRETD restores TF=1 and the
     following instruction traps.
   DR6 = 0xFFFF0FF0 | BS = 0xFFFF4FF0 each time (handler rewrites DR6). */
#include "../rt32.inc"
        .set VEC_SOFT, 0x81

scenario_main:
        mov $VEC_SOFT, %edi
        mov $si_handler, %esi
        mov $3, %edx                    /* DPL3: INT 0x81 allowed at CPL3 */
        call rt_set_gate
        SETV fault_skip, 2              /* #UD handler resumes after the 2-byte UD2 */
        call ss_body                    /* CPL0 */
        mov $ss_body, %eax
        call rt_run_user                /* CPL3 */
        ret

        .globl si_handler
si_handler:
        iret                            /* CPL0, TF=0; restores TF=1 from the INT frame */

        .globl ss_body, ss_a, ss_b, ss_c, ss_d, ss_e, ss_f, si_a, si_int, si_after, si_ud, si_ud_next, si_pop, si_end
ss_body:
        pushf
        pop %eax
        mov %eax, %ebx
        and $~EFLAGS_TF, %ebx           /* flags image to leave single-step with */
        or $EFLAGS_TF, %eax
        push %eax
        popf                            /* sets TF: no trap after the POPF itself */
ss_a:   nop                             /* #DB, EIP = ss_b */
ss_b:   push %ebx                       /* #DB, EIP = ss_c */
ss_c:   popf                            /* clears TF, began with TF=1: #DB, EIP = ss_d */
ss_d:   pushf                           /* TF=0: no trap. Now IRETD to ss_e with TF=1 */
        orl $EFLAGS_TF, (%esp)
        push %cs
        push $ss_e
        iret                            /* sets TF: no trap after the IRETD itself */
ss_e:   nop                             /* #DB, EIP = ss_f */
ss_f:   nop                             /* #DB, EIP = si_int */
si_int: int $VEC_SOFT                   /* #DB, EIP = si_handler (CS 0x08, pushed TF=0) */
si_after:
        nop                             /* after the handler's IRETD: #DB, EIP = si_ud */
si_ud:  ud2                             /* #UD, EIP = si_ud, pushed TF=1; no single-step #DB */
si_ud_next:
        push %ebx                       /* after the #UD handler's IRETD: #DB, EIP = si_pop */
si_pop: popf                            /* clears TF: #DB, EIP = si_end */
si_end: ret
