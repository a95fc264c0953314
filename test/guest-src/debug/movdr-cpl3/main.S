/* MOV DR at CPL>0 is #GP(0) (SDM 19.2, MOV DR exceptions): fault, RIP at the MOV, error code 0. */
#include "../rt.inc"

scenario_main:
        SETV fault_skip, 3
        lea mdu_body(%rip), %rdi
        call rt_run_user
        ret

        .globl mdu_body, mdu_0, mdu_1, mdu_2, mdu_3, mdu_4
mdu_body:
mdu_0:  mov %dr6, %rax
mdu_1:  mov %rax, %dr7
mdu_2:  mov %dr0, %rax
mdu_3:  mov %rax, %dr3
mdu_4:  ret
