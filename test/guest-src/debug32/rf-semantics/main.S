/* RF in 32-bit protected mode (SDM Vol. 3 2.3 EFLAGS.RF, 19.3.1.1): with RF=1 in the IRETD image the
   breakpointed instruction runs; RF is cleared after it completes, so a breakpoint on the very next
   instruction fires. Without RF the same breakpoint re-triggers on every return; the handler bounds
   it (db_limit=3: on the third #DB it writes DR7=0x400). CPL0 and CPL3. */
#include "../rt32.inc"
        .set DR7_G2, 0x20
        .set DR7_G3, 0x80

scenario_main:
        WRDR 2, rf_hit1
        WRDR 3, rf_hit2
        SETV db_flags, (DBF_RESET_DR6 | DBF_SET_RF)       /* phase 1: handler sets RF */
        WRDR 7, (DR7_INIT | DR7_G2 | DR7_G3)
        CALLAT 0, rf_body
        CALLAT 1, rf_body
        SETV db_flags, DBF_RESET_DR6                      /* phase 2: no RF, only DR2, 3 #DBs */
        SETV db_count, 0
        SETV db_limit, 3
        WRDR 7, (DR7_INIT | DR7_G2)
        CALLAT 0, rf_body
        SETV db_count, 0
        WRDR 7, (DR7_INIT | DR7_G2)
        CALLAT 1, rf_body
        WRDR 7, DR7_INIT
        ret

        .globl rf_body, rf_hit1, rf_hit2
rf_body:
rf_hit1: nop
rf_hit2: nop
        ret
