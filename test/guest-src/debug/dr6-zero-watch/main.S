/* DR6 zeroed at boot, then a plain data-breakpoint #DB (Linux 6.1's cpu_init -> clear_all_debug_regs
   writes 0 to DR6; upstream commit 5f465c148c61 "x86/traps: Initialize DR6 by writing its
   architectural reset value", v6.16, replaced that write with 0xFFFF0FF0). Where DR6.BLD (bit 11,
   active low) is software-writable - Intel with bus-lock detect, independent of DEBUGCTL - the write
   of 0 clears it, and a #DB that is not a bus lock leaves BLD unmodified (SDM Vol. 3 19.2.3), so the
   first data-breakpoint #DB reads DR6 = 0xFFFF07F1: software that tests BLD (Linux's exc_debug_user
   -> handle_bus_lock) sees a bus lock that never happened. Once the handler writes 0xFFFF0FF0 the
   next #DB reads 0xFFFF0FF1. On AMD BLD is writable only while DEBUGCTL bit 2 is set (APM 13.1.3.6),
   here it is clear, so both read 0xFFFF0FF1.
   DR0 = svar, R/W0 = 11 (read or write), LEN0 = 01 (2 bytes), L0: the breakpoint of
   tools/testing/selftests/x86/mov_ss_trap.c. The reads run at CPL3. */
#include "../rt.inc"

scenario_main:
        WRDR 6, 0
        lea svar(%rip), %rax
        mov %rax, %dr0
        WRDR 7, (DR7_INIT | 0x1 | (3 << 16) | (1 << 18))
        lea dz_body(%rip), %rdi
        call rt_run_user
        WRDR 7, DR7_INIT
        ret

        .globl dz_body, dz_0, dz_1, dz_2
dz_body:
dz_0:   mov svar(%rip), %rax            /* read of the watched word: #DB, BLD still 0 from the write */
dz_1:   mov svar(%rip), %rax            /* again, after the handler's write of 0xFFFF0FF0 */
dz_2:   ret

        .data
        .balign 8
        .globl svar
svar:   .quad 0
        .text
