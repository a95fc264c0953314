/* Single-step across far transfers and privilege changes in 32-bit protected mode (SDM Vol. 3 19.3.1.4:
   a trap after every instruction that began with TF=1, at the CS:EIP where execution continues; the
   instruction that sets TF (POPF, IRETD) is not trapped itself):
   - far CALL into code segment 0x38 (base SEG_BASE), a NOP there, far RET back to 0x08: each traps with
     the CS:EIP of the next instruction (EIP = offset in its segment);
   - IRETD from CPL0 to CPL3 whose EFLAGS image has TF=1 (rt_run_user with user_eflags.TF): no trap for
     the IRETD, the first CPL3 instruction (CALL *user_fn) traps at the body's entry, and so on until
     the body's POPF clears TF. */
#include "../rt32.inc"

scenario_main:
        call sf_body
        orl $EFLAGS_TF, user_eflags
        CALLAT 1, su_body
        andl $~EFLAGS_TF, user_eflags
        ret

        .globl sf_body, sf_0, sf_1, sf_2, sf_3, sf_far, sf_far1
sf_body:
        pushf
        pop %eax
        mov %eax, %ebx
        or $EFLAGS_TF, %eax
        push %eax
        popf                            /* TF on */
sf_0:   lcall $SEL_BCODE, $(sf_far - SEG_BASE)  /* #DB at 0x38:sf_far-SEG_BASE */
sf_1:   push %ebx                       /* #DB at sf_2 */
sf_2:   popf                            /* TF off: #DB at sf_3 */
sf_3:   ret
sf_far: nop                             /* #DB at 0x38:sf_far1-SEG_BASE */
sf_far1:
        lret                            /* #DB at 0x08:sf_1 */

        .globl su_body, su_0, su_1, su_2
su_body:                                /* entered at CPL3 with TF=1 */
        pushf                           /* #DB at su_0 */
su_0:   andl $~EFLAGS_TF, (%esp)        /* #DB at su_1 */
su_1:   popf                            /* TF off: #DB at su_2 */
su_2:   ret
