/* ICEBP / INT1 (0xF1) (SDM Vol. 2 INT1; Vol. 3 Table 19-2): trap-like #DB, RIP after the
   instruction, no DR6 bit set; BS preset by software is never cleared by the processor.
   No gate DPL check applies (unlike INT n), so it works at CPL3 through the DPL0 gate 1. */
#include "../rt.inc"

scenario_main:
        WRDR 6, DR6_INIT
        call icebp_body                 /* #DB RIP=icebp_after DR6=0xFFFF0FF0 */
        SETV dr6_reset, (DR6_INIT | DR6_BS)
        WRDR 6, (DR6_INIT | DR6_BS)
        call icebp_body                 /* #DB DR6=0xFFFF4FF0 */
        SETV dr6_reset, DR6_INIT
        WRDR 6, DR6_INIT
        lea icebp_body(%rip), %rdi
        call rt_run_user
        SETV dr6_reset, (DR6_INIT | DR6_BS)
        WRDR 6, (DR6_INIT | DR6_BS)
        lea icebp_body(%rip), %rdi
        call rt_run_user
        ret

        .globl icebp_body, icebp_at, icebp_after
icebp_body:
icebp_at: .byte 0xf1
icebp_after:
        ret
