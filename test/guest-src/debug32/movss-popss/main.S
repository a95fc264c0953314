/* MOV SS / POP SS shadows in 32-bit protected mode (SDM Vol. 3 6.8.3 "Masking Exceptions and
   Interrupts When Switching Stacks"; 19.3.1.4): a data breakpoint hit by the stack-segment load
   and the single-step trap of that instruction are held until the next instruction completes.
   DR0 watches the selector operand (R/W0=11, LEN0=2).
   - MOV SS + ICEBP: one #DB after ICEBP carrying B0 (ICEBP adds no bit);
   - MOV SS + INT3: #BP, then the held #DB before the #BP handler's first instruction (exc_3);
   - POP SS (8-byte stack slot at pss_slot) + MOV ESP: one #DB after the MOV with B0;
   - TF=1 + POP SS + MOV ESP: the step of POP SS is suppressed, one #DB after the MOV with BS|B0,
     then ordinary steps with BS only;
   - TF=1 + MOV SS (register source, no breakpoint) : first #DB after the following instruction.
   CPL0 and CPL3 (the slot holds the data selector of the CPL the body runs at). */
#include "../rt32.inc"

        .macro ARM user
        WRDR 6, DR6_INIT
        .if \user
        movl $SEL_UDATA, pss_slot
        .else
        movl $SEL_KDATA, pss_slot
        .endif
        WRDR 0, pss_slot
        WRDR 7, (DR7_INIT | 0x1 | (3 << 16) | (1 << 18))
        .endm

        .macro RUNALL user
        ARM \user
        CALLAT \user, msw_icebp
        CALLAT \user, msw_int3
        CALLAT \user, pss_body
        CALLAT \user, pst_body
        WRDR 7, DR7_INIT
        CALLAT \user, mst_body
        .endm

scenario_main:
        RUNALL 0
        RUNALL 1
        ret

        .globl msw_icebp, msw_i0, msw_i1, msw_i2, msw_int3, msw_b0, msw_b1, msw_b2
msw_icebp:
msw_i0: mov pss_slot, %ss
msw_i1: .byte 0xf1
msw_i2: ret
msw_int3:
msw_b0: mov pss_slot, %ss
msw_b1: int3
msw_b2: ret

        .globl pss_body, pss_0, pss_1, pss_2
pss_body:
        mov %esp, %ebp
        mov $pss_slot, %esp
pss_0:  pop %ss                         /* B0 held back by the POP SS shadow */
pss_1:  mov %ebp, %esp                  /* #DB EIP=pss_2 B0 */
pss_2:  ret

        .globl pst_body, pst_0, pst_1, pst_2, pst_3, pst_4, pst_5
pst_body:
        push %ebx
        pushf
        pop %ebx
        or $EFLAGS_TF, %ebx
        mov %esp, %ebp
        push %ebx
        popf                            /* TF on: first trap after the next instruction */
        .globl pst_m
pst_m:  mov $pss_slot, %esp             /* #DB EIP=pst_0 BS (at CPL0 the frame goes below the slot) */
pst_0:  pop %ss                         /* BS and B0 held back */
pst_1:  mov %ebp, %esp                  /* #DB EIP=pst_2 BS|B0 (ESP back on the real stack first:
                                           a CPL0 frame pushed next to the slot would hit DR0 again) */
pst_2:  nop                             /* #DB EIP=pst_3 BS */
pst_3:  and $~EFLAGS_TF, %ebx           /* #DB EIP=pst_4 */
pst_4:  push %ebx                       /* #DB EIP=pst_5 */
pst_5:  popf                            /* #DB EIP=pst_6 */
        .globl pst_6
pst_6:  pop %ebx
        ret

        .globl mst_body, mst_0, mst_1, mst_2, mst_3, mst_4
mst_body:
        pushf
        pop %eax
        or $EFLAGS_TF, %eax
        push %eax
        mov %ss, %ecx
        popf                            /* TF on */
mst_0:  mov %ecx, %ss                   /* its step is suppressed by the shadow */
mst_1:  and $~EFLAGS_TF, %eax           /* #DB EIP=mst_2 */
mst_2:  push %eax                       /* #DB EIP=mst_3 */
mst_3:  popf                            /* #DB EIP=mst_4 */
mst_4:  ret

        .data
        .balign 64
        .skip 256                       /* room below the slot: at CPL0 the step #DB after MOV ESP,slot pushes here */
        .globl pss_slot
pss_slot: .long 0
        .long 0
        .text
