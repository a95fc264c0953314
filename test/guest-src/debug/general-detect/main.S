/* General detect (SDM 19.2.4 GD, 19.3.1.3): with DR7.GD=1 any MOV to/from DR0-DR7 raises a
   fault-like #DB before it executes: RIP at the MOV, DR6.BD set, and the processor clears GD
   when it delivers the #DB so the handler can use the debug registers; the MOV then re-executes
   normally on return. Seed 002: hardware does not set RF in the pushed image for GD #DBs. */
#include "../rt.inc"

        .macro ARM_GD
        WRDR 7, (DR7_INIT | DR7_GD)
        .endm

scenario_main:
        .globl gd_0, gd_1, gd_2, gd_3, gd_4
        ARM_GD
gd_0:   mov %dr0, %rax                  /* #DB RIP=gd_0 BD; DR7 seen by the handler = 0x400 */
        mov %dr7, %rax
        MARK 0x70, %rax                 /* GD stayed clear */
        ARM_GD
        movabs $0x1000, %rax
gd_1:   mov %rax, %dr1                  /* write access: #DB RIP=gd_1 */
        mov %dr1, %rax
        MARK 0x11, %rax                 /* the write took effect after the #DB */
        ARM_GD
gd_2:   mov %dr6, %rax                  /* even DR6/DR7 themselves: #DB RIP=gd_2 */
        ARM_GD
gd_3:   mov %dr7, %rax                  /* #DB RIP=gd_3 */
        MARK 0x73, %rax                 /* re-executed read of DR7: GD clear */
        /* BD is sticky: with the handler not rewriting DR6, a second GD #DB still shows it */
        SETV db_flags, 0
        WRDR 6, DR6_INIT
        ARM_GD
gd_4:   mov %dr2, %rax                  /* #DB RIP=gd_4 DR6=0xFFFF2FF0 */
        mov %dr6, %rax
        MARK 0x64, %rax                 /* BD never cleared by the CPU */
        WRDR 6, DR6_INIT
        SETV db_flags, DBF_RESET_DR6
        xor %eax, %eax
        mov %rax, %dr1
        ret
