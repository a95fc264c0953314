/* I/O breakpoints (SDM Vol. 3 19.2.4 R/Wn=10 with CR4.DE=1, 19.3.1.2): an IN or OUT whose port range
   overlaps [DR0, DR0+len) raises a trap-like #DB after the instruction (RIP = next instruction),
   B0 set. DR0 = 0x3FE, LEN0 = 2 bytes (ports 0x3FE-0x3FF, the COM1 MSR/scratch registers). CPL0 and
   CPL3 (IOPL=3). */
#include "../rt.inc"

        .macro ARM
        WRDR 6, DR6_INIT
        WRDR 0, 0x3fe
        WRDR 7, (DR7_INIT | 0x1 | (2 << 16) | (1 << 18))
        .endm

scenario_main:
        mov %cr4, %rax
        or $CR4_DE, %rax
        mov %rax, %cr4
        ARM
        call io_body
        lea io_body(%rip), %rdi
        call rt_run_user
        WRDR 7, DR7_INIT
        mov %cr4, %rax
        and $~CR4_DE, %rax
        mov %rax, %cr4
        ret

        .globl io_body, io_0, io_1, io_2, io_3, io_4, io_5
io_body:
        mov $0x3ff, %edx
io_0:   outb %al, %dx                   /* port 0x3FF in range: #DB RIP=io_1 */
io_1:   inb %dx, %al                    /* read of 0x3FF: #DB RIP=io_2 */
io_2:   mov $0x3fd, %edx
io_3:   inw %dx, %ax                    /* ports 0x3FD-0x3FE overlap 0x3FE: #DB RIP=io_4 */
io_4:   inb %dx, %al                    /* port 0x3FD alone: no #DB */
io_5:   ret
