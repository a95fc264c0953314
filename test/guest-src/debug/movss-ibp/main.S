/* MOV SS on a watched operand followed by an instruction that has an instruction breakpoint (Linux 6.1
   tools/testing/selftests/x86/mov_ss_trap.c "MOV SS; breakpointed NOP": DR0 read/write on the SS image,
   LEN 2, DR1 execute on the NOP, both global). The #DB policy is Linux's: the handler resets DR6 and sets
   RF in the frame (arch/x86/kernel/hw_breakpoint.c hw_breakpoint_handler sets RF for an execute
   breakpoint), at most 8 #DBs (a loop would otherwise never end). Run at CPL0 and CPL3. */
#include "../rt.inc"

        .macro RUN user
        WRDR 6, DR6_INIT
        .if \user
        lea ssvar_u(%rip), %rsi
        .else
        lea ssvar_k(%rip), %rsi
        .endif
        mov %rsi, %dr0
        lea mi_nop(%rip), %rax
        mov %rax, %dr1
        WRDR 7, (DR7_INIT | 0x2 | (3 << 16) | (1 << 18) | 0x8)   /* G0, R/W0 = 11, LEN0 = 2 bytes; G1 execute */
        .if \user
        lea mi_body(%rip), %rdi
        call rt_run_user
        .else
        call mi_body
        .endif
        WRDR 7, DR7_INIT
        .endm

scenario_main:
        movq $(DBF_RESET_DR6 | DBF_SET_RF), db_flags(%rip)
        movq $8, db_limit(%rip)
        RUN 0
        RUN 1
        ret

        .globl mi_body, mi_mov, mi_nop, mi_ret
mi_body:
mi_mov: mov (%rsi), %ss
mi_nop: nop
mi_ret: ret

        .data
        .balign 8
        .globl ssvar_k, ssvar_u
ssvar_k: .word SEL_KDATA
        .balign 8
ssvar_u: .word SEL_UDATA
        .text
