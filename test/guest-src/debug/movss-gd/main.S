/* MOV SS + general detect (CPL0 only: MOV DR at CPL3 is #GP). DR7.GD=1 makes the MOV to DR6
   right after MOV SS a fault-like #DB (BD) that the MOV SS shadow does NOT suppress; GD is
   cleared on delivery (SDM 19.2.4), so the re-executed MOV DR6 completes and single-steps. */
#include "../rt.inc"

scenario_main:
        WRDR 7, (DR7_INIT | DR7_GD)
        movabs $DR6_INIT, %rdx
        pushfq
        pop %rax
        or $RFLAGS_TF, %rax
        push %rax
        mov %ss, %ecx
        popfq
        .globl mgd_0, mgd_1, mgd_2, mgd_3, mgd_4, mgd_5
mgd_0:  mov %ecx, %ss
mgd_1:  mov %rdx, %dr6                  /* #DB fault RIP=mgd_1 BD; then re-executed: #DB RIP=mgd_2 BS */
mgd_2:  and $~RFLAGS_TF, %rax           /* #DB RIP=mgd_3 */
mgd_3:  push %rax                       /* #DB RIP=mgd_4 */
mgd_4:  popfq                           /* #DB RIP=mgd_5 */
mgd_5:  mov %dr7, %rax
        MARK 0x7, %rax                  /* DR7 after the run: GD stays clear */
        ret
