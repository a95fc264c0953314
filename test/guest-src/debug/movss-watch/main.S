/* MOV SS on a watched operand (SDM 6.8.3; CVE-2018-8897 as described in the SDM statement it
   cites; seed 003): the data breakpoint hit by MOV SS (DR0, R/W=11, LEN=2 on the selector it
   loads) is held back for one instruction, then delivered together with whatever comes next:
   - ICEBP: one #DB, RIP after ICEBP, DR6 = B0 (the deferred cause merged; INT1 adds none);
   - INT 1 (CD 01): a software interrupt through gate 1 (not a #DB, no DR6 change); the deferred
     #DB is delivered after that transfer, before the handler's first instruction: first record
     #DB at exc_1 (CPL0) with B0, then the INT 1 entry itself (RIP after INT 1, DR6 as reset);
   - INT3: #BP, then the deferred #DB at the #BP handler's first instruction (exc_3).
   Gate 1 is made DPL3 here so that INT 1 is allowed at CPL3. */
#include "../rt.inc"

        .macro RUN body, user
        WRDR 6, DR6_INIT
        .if \user
        lea ssvar_u(%rip), %rsi
        .else
        lea ssvar_k(%rip), %rsi
        .endif
        mov %rsi, %dr0
        WRDR 7, (DR7_INIT | 0x1 | (3 << 16) | (1 << 18))
        .if \user
        lea \body(%rip), %rdi
        call rt_run_user
        .else
        call \body
        .endif
        WRDR 7, DR7_INIT
        .endm

scenario_main:
        mov $1, %edi
        lea exc_1(%rip), %rsi
        mov $3, %edx
        call rt_set_gate
        RUN msw_icebp, 0
        RUN msw_int1, 0
        RUN msw_int3, 0
        RUN msw_icebp, 1
        RUN msw_int1, 1
        RUN msw_int3, 1
        ret

        .globl msw_icebp, msw_i0, msw_i1, msw_i2, msw_int1, msw_n0, msw_n1, msw_n2, msw_int3, msw_b0, msw_b1, msw_b2
msw_icebp:
msw_i0: mov (%rsi), %ss
msw_i1: .byte 0xf1
msw_i2: ret
msw_int1:
msw_n0: mov (%rsi), %ss
msw_n1: int $1
msw_n2: ret
msw_int3:
msw_b0: mov (%rsi), %ss
msw_b1: int3
msw_b2: ret

        .data
        .balign 8
        .globl ssvar_k, ssvar_u
ssvar_k: .word SEL_KDATA
        .balign 8
ssvar_u: .word SEL_UDATA
        .text
