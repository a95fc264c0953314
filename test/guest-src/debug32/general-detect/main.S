/* General detect in 32-bit protected mode (SDM Vol. 3 19.2.4 GD, 19.3.1.3): with DR7.GD=1 any MOV
   to/from DR0-DR7 raises a fault-like #DB before it executes: EIP at the MOV, DR6.BD set, the
   processor clears GD on delivery so the handler can use the debug registers; the MOV then
   re-executes normally. The pushed RF is 0 (fault-class #DB, 19.3.1.1). */
#include "../rt32.inc"

        .macro ARM_GD
        WRDR 7, (DR7_INIT | DR7_GD)
        .endm

scenario_main:
        .globl gd_0, gd_1, gd_2, gd_3, gd_4
        ARM_GD
gd_0:   mov %dr0, %eax                  /* #DB EIP=gd_0 BD; DR7 seen by the handler = 0x400 */
        mov %dr7, %eax
        MARK 0x70, %eax                 /* GD stayed clear */
        ARM_GD
        mov $0x1000, %eax
gd_1:   mov %eax, %dr1                  /* write access: #DB EIP=gd_1 */
        mov %dr1, %eax
        MARK 0x11, %eax                 /* the write took effect after the #DB */
        ARM_GD
gd_2:   mov %dr6, %eax                  /* even DR6 itself: #DB EIP=gd_2 */
        ARM_GD
gd_3:   mov %dr7, %eax                  /* #DB EIP=gd_3 */
        MARK 0x73, %eax                 /* re-executed read of DR7: GD clear */
        /* BD is sticky: with the handler not rewriting DR6, it is still set afterwards */
        SETV db_flags, 0
        WRDR 6, DR6_INIT
        ARM_GD
gd_4:   mov %dr2, %eax                  /* #DB EIP=gd_4 DR6=0xFFFF2FF0 */
        mov %dr6, %eax
        MARK 0x64, %eax                 /* BD never cleared by the processor */
        WRDR 6, DR6_INIT
        SETV db_flags, DBF_RESET_DR6
        xor %eax, %eax
        mov %eax, %dr1
        ret
