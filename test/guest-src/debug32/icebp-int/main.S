/* ICEBP vs INT n vs INT3 in 32-bit protected mode.
   - ICEBP / INT1 (0xF1) (SDM Vol. 2 INT1; Vol. 3 Table 19-2): trap-like #DB, EIP after it, no DR6
     cause bit (a preset BS|B1 stays), no gate DPL check: works at CPL3 through the DPL0 gate 1.
   - INT 1 (CD 01) is a software interrupt (SDM Vol. 2 INT n, Vol. 3 6.12.1.1): DR6 untouched, EIP
     after it; at CPL3 through the DPL0 gate: #GP(1*8+2 = 0x0A), EIP at the INT.
   - INT3 (CC) and INT 3 (CD 03): #BP trap through the DPL3 gate 3, EIP after the instruction
     (1 vs 2 bytes); DR6 untouched. */
#include "../rt32.inc"

scenario_main:
        SETV fault_skip, 2
        .irp user, 0, 1
        /* ICEBP with BS preset: B0-B3 are left out (SDM 19.2.3 "certain debug exceptions may clear
           bits 0-3"), so only BS, which the processor never clears, is asserted to survive. */
        SETV dr6_reset, (DR6_INIT | DR6_BS)
        WRDR 6, (DR6_INIT | DR6_BS)
        CALLAT \user, ib_icebp_body
        /* INT3 / INT 3 / INT 1 are not #DBs: DR6 (preset BS|B1) is not touched at all. INT 1 comes last:
           at CPL3 its #GP frame carries RF=1 on Intel, which IRETD would carry into the next instruction. */
        SETV dr6_reset, (DR6_INIT | DR6_BS | 2)
        WRDR 6, (DR6_INIT | DR6_BS | 2)
        CALLAT \user, ib_int_body
        .endr
        SETV dr6_reset, DR6_INIT
        WRDR 6, DR6_INIT
        ret

        .globl ib_icebp_body, ib_icebp, ib_icebp_after
ib_icebp_body:
ib_icebp: .byte 0xf1                    /* #DB, EIP = ib_icebp_after */
ib_icebp_after:
        ret

        .globl ib_int_body, ib_cc, ib_cc_after, ib_cd3, ib_cd3_after, ib_int1, ib_int1_after
ib_int_body:
ib_cc:  int3                            /* #BP, EIP = ib_cc_after */
ib_cc_after:
        nop
ib_cd3: .byte 0xcd, 0x03                /* INT 3 long form: #BP, EIP = ib_cd3_after */
ib_cd3_after:
        nop
ib_int1: int $1                         /* CPL0: vector 1, EIP after; CPL3: #GP(0x0A), EIP here */
ib_int1_after:
        ret
