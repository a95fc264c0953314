/* INT 1 (CD 01) is a software interrupt to vector 1, not a #DB (SDM Vol. 2 INT n; Vol. 3 6.4.2):
   DR6 is not touched (preset 0xFFFF4FF2 comes through unchanged), RIP pushed = after the
   instruction, and the gate DPL is checked against CPL: at CPL3 through a DPL0 gate it is
   #GP with error code 1*8+2 = 0x0A (IDT bit), RIP at the INT (fault). INT3 through its DPL3
   gate is #BP with RIP after it. */
#include "../rt.inc"

scenario_main:
        SETV dr6_reset, (DR6_INIT | DR6_BS | 2)
        WRDR 6, (DR6_INIT | DR6_BS | 2)
        SETV fault_skip, 2
        call int1_body                  /* CPL0: gate 1 DPL0 is fine */
        lea int1_body(%rip), %rdi
        call rt_run_user                /* CPL3, gate 1 DPL0: #GP(0x0A) */
        mov $1, %edi
        lea exc_1(%rip), %rsi
        mov $3, %edx
        call rt_set_gate
        lea int1_body(%rip), %rdi
        call rt_run_user                /* CPL3, gate 1 DPL3: vector 1 entered */
        lea int3_body(%rip), %rdi
        call rt_run_user
        SETV dr6_reset, DR6_INIT
        WRDR 6, DR6_INIT
        ret

        .globl int1_body, int1_at, int1_after, int3_body, int3_at, int3_after
int1_body:
int1_at: int $1
int1_after:
        ret
int3_body:
int3_at: int3
int3_after:
        ret
