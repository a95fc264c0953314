/* Instruction breakpoint in IA-32e compatibility mode (SDM Vol. 3 19.2.4, 19.3.1.1; 6.14 delivery through
   the 64-bit IDT): fault-like #DB with RIP = the breakpoint's linear address and the compatibility-mode
   CS in the 64-bit frame, B2 set; BS preset by software stays. The handler sets RF in the frame so
   IRETQ resumes past the breakpoint in compatibility mode. CPL0 (CS 0x18) and CPL3 (CS 0x23). */
#include "../compat64.inc"
        .set DR7_G2, 0x20

scenario_main:
        SETV db_flags, (DBF_RESET_DR6 | DBF_SET_RF)
        WRDR 2, cib_hit
        WRDR 7, (DR7_INIT | DR7_G2)
        .irp user, 0, 1
        WRDR 6, DR6_INIT
        CALLAT \user, cib_body          /* #DB RIP=cib_hit DR6=0xFFFF0FF4 */
        WRDR 6, (DR6_INIT | DR6_BS | 2)
        CALLAT \user, cib_body          /* #DB RIP=cib_hit DR6=0xFFFF4FF4 */
        .endr
        WRDR 7, DR7_INIT
        WRDR 6, DR6_INIT
        ret

        .code32
        .globl cib_body, cib_hit, cib_after
cib_body:
        nop
cib_hit: nop
cib_after:
        ret
        .code64
