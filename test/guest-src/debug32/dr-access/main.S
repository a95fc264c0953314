/* Access to the debug registers in 32-bit protected mode:
   - DR4/DR5 (SDM Vol. 3 19.2.2): with CR4.DE=0 they alias DR6/DR7; with CR4.DE=1 any MOV referencing
     them is #UD (fault, EIP at the MOV);
   - MOV DR at CPL3 is #GP(0) (SDM Vol. 2 MOV-Move to/from Debug Registers: CPL > 0), EIP at the MOV.
   Marks: 0x46 DR6 after writing DR4, 0x44 DR4 read, 0x57 DR7 after writing DR5, 0x55 DR5 read, 0x66
   DR6 read with CR4.DE=1. */
#include "../rt32.inc"

scenario_main:
        mov %cr4, %eax
        and $~CR4_DE, %eax
        mov %eax, %cr4
        mov $(DR6_INIT | DR6_BS | 2), %eax
        mov %eax, %dr4                  /* writes DR6 */
        mov %dr6, %eax
        MARK 0x46, %eax
        mov %dr4, %eax
        MARK 0x44, %eax
        WRDR 5, (DR7_INIT | (1 << 16))  /* writes DR7 (R/W0=01, no enable) */
        mov %dr7, %eax
        MARK 0x57, %eax
        mov %dr5, %eax
        MARK 0x55, %eax
        WRDR 7, DR7_INIT
        WRDR 6, DR6_INIT
        mov %cr4, %eax
        or $CR4_DE, %eax
        mov %eax, %cr4
        SETV fault_skip, 3
        .globl de_0, de_1, de_2, de_3, de_4
de_0:   mov %dr4, %eax                  /* #UD */
de_1:   mov %eax, %dr4                  /* #UD */
de_2:   mov %dr5, %eax                  /* #UD */
de_3:   mov %eax, %dr5                  /* #UD */
de_4:   mov %dr6, %eax                  /* DR6 itself: fine */
        MARK 0x66, %eax
        mov %cr4, %eax
        and $~CR4_DE, %eax
        mov %eax, %cr4
        CALLAT 1, mdu_body
        ret

        .globl mdu_body, mdu_0, mdu_1, mdu_2, mdu_3, mdu_4
mdu_body:
mdu_0:  mov %dr6, %eax                  /* #GP(0) */
mdu_1:  mov %eax, %dr7                  /* #GP(0) */
mdu_2:  mov %dr0, %eax                  /* #GP(0) */
mdu_3:  mov %eax, %dr3                  /* #GP(0) */
mdu_4:  ret
