/* Instruction breakpoint on DR2 (SDM 19.2.4, 19.3.1.1): fault-like #DB before the instruction,
   RIP at it, B2 set, and B0-B3 reflect this #DB's matches (B1 preset by software is cleared)
   while BS preset by software stays (never cleared by the processor, SDM 19.2.3). The handler
   sets RF in the frame so IRETQ resumes past the breakpoint. */
#include "../rt.inc"
        .set DR7_G2, 0x20

scenario_main:
        SETV db_flags, (DBF_RESET_DR6 | DBF_SET_RF)
        lea ibp_hit(%rip), %rax
        mov %rax, %dr2
        WRDR 7, (DR7_INIT | DR7_G2)
        WRDR 6, DR6_INIT
        call ibp_body                   /* #DB RIP=ibp_hit DR6=0xFFFF0FF4 */
        WRDR 6, (DR6_INIT | DR6_BS | 2)
        call ibp_body                   /* #DB RIP=ibp_hit DR6=0xFFFF4FF4 */
        WRDR 6, DR6_INIT
        lea ibp_body(%rip), %rdi
        call rt_run_user                /* same at CPL3 */
        WRDR 6, (DR6_INIT | DR6_BS | 2)
        lea ibp_body(%rip), %rdi
        call rt_run_user
        WRDR 7, DR7_INIT
        ret

        .globl ibp_body, ibp_hit, ibp_after
ibp_body:
        nop
ibp_hit: nop
ibp_after:
        ret
