/* Instruction breakpoint on DR2 in 32-bit protected mode (SDM Vol. 3 19.2.4, 19.3.1.1): fault-like
   #DB before the instruction, EIP at it, B2 set; B0-B3 report this #DB's matches (B1 preset by
   software is cleared) while a preset BS stays (never cleared by the processor, 19.2.3). The pushed
   EFLAGS has RF=0; the handler sets RF in the frame so IRETD resumes past the breakpoint (19.3.1.1). */
#include "../rt32.inc"
        .set DR7_G2, 0x20

scenario_main:
        SETV db_flags, (DBF_RESET_DR6 | DBF_SET_RF)
        mov $ibp_hit, %eax
        mov %eax, %dr2
        WRDR 7, (DR7_INIT | DR7_G2)
        WRDR 6, DR6_INIT
        call ibp_body                   /* #DB EIP=ibp_hit DR6=0xFFFF0FF4 */
        WRDR 6, (DR6_INIT | DR6_BS | 2)
        call ibp_body                   /* #DB EIP=ibp_hit DR6=0xFFFF4FF4 */
        WRDR 6, DR6_INIT
        mov $ibp_body, %eax
        call rt_run_user                /* same at CPL3 */
        WRDR 6, (DR6_INIT | DR6_BS | 2)
        mov $ibp_body, %eax
        call rt_run_user
        WRDR 7, DR7_INIT
        ret

        .globl ibp_body, ibp_hit, ibp_after
ibp_body:
        nop
ibp_hit: nop
ibp_after:
        ret
