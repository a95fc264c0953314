/* RF (SDM 2.3 RF, 19.3.1.1): with RF=1 in the IRETQ image the breakpointed instruction runs;
   RF is cleared after it completes, so a breakpoint on the very next instruction fires.
   Without RF the same breakpoint re-triggers on every return; the handler bounds it
   (db_limit=3: on the third #DB it writes DR7=0x400). */
#include "../rt.inc"
        .set DR7_G2, 0x20
        .set DR7_G3, 0x80

scenario_main:
        lea rf_hit1(%rip), %rax
        mov %rax, %dr2
        lea rf_hit2(%rip), %rax
        mov %rax, %dr3
        /* phase 1, CPL0 and CPL3: handler sets RF */
        SETV db_flags, (DBF_RESET_DR6 | DBF_SET_RF)
        WRDR 7, (DR7_INIT | DR7_G2 | DR7_G3)
        call rf_body
        lea rf_body(%rip), %rdi
        call rt_run_user
        /* phase 2: handler does not set RF; only DR2 armed; bounded at 3 #DBs */
        SETV db_flags, DBF_RESET_DR6
        SETV db_count, 0
        SETV db_limit, 3
        WRDR 7, (DR7_INIT | DR7_G2)
        call rf_body
        SETV db_count, 0
        WRDR 7, (DR7_INIT | DR7_G2)
        lea rf_body(%rip), %rdi
        call rt_run_user
        WRDR 7, DR7_INIT
        ret

        .globl rf_body, rf_hit1, rf_hit2
rf_body:
rf_hit1: nop
rf_hit2: nop
        ret
