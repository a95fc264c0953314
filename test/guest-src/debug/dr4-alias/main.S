/* DR4/DR5 (SDM 19.2.2): with CR4.DE=0 they alias DR6/DR7; with CR4.DE=1 any MOV referencing
   them is #UD (fault: RIP at the MOV). CPL0 only (MOV DR at CPL3 is #GP first). */
#include "../rt.inc"

scenario_main:
        mov %cr4, %rax
        and $~CR4_DE, %rax
        mov %rax, %cr4
        movabs $(DR6_INIT | DR6_BS | 2), %rax
        mov %rax, %dr4                  /* writes DR6 */
        mov %dr6, %rax
        MARK 0x46, %rax                 /* DR6 after writing DR4 */
        mov %dr4, %rax
        MARK 0x44, %rax                 /* DR4 reads DR6 */
        WRDR 5, (DR7_INIT | (1 << 16))  /* writes DR7 (R/W0=01, no enable bit) */
        mov %dr7, %rax
        MARK 0x57, %rax
        mov %dr5, %rax
        MARK 0x55, %rax
        WRDR 7, DR7_INIT
        WRDR 6, DR6_INIT
        mov %cr4, %rax
        or $CR4_DE, %rax
        mov %rax, %cr4
        SETV fault_skip, 3
        .globl de_0, de_1, de_2, de_3, de_4
de_0:   mov %dr4, %rax                  /* #UD */
de_1:   mov %rax, %dr4                  /* #UD */
de_2:   mov %dr5, %rax                  /* #UD */
de_3:   mov %rax, %dr5                  /* #UD */
de_4:   mov %dr6, %rax                  /* DR6 itself is fine: no exception */
        MARK 0x66, %rax
        mov %cr4, %rax
        and $~CR4_DE, %rax
        mov %rax, %cr4
        ret
