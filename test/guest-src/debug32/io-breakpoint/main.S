/* I/O breakpoints in 32-bit protected mode (SDM Vol. 3 19.2.4 R/Wn=10 with CR4.DE=1, 19.3.1.2): an
   IN or OUT whose port range overlaps [DR0, DR0+len) raises a trap-like #DB after the instruction
   (EIP = next instruction), B0 set. DR0 = 0x3FE, LEN0 = 2 (ports 0x3FE-0x3FF). CPL0 and CPL3
   (IOPL=3). Then CR4.DE=0: R/W=10 is undefined there (19.2.4), so the guest only checks that the
   architectural case is off again and disarms DR7 before clearing CR4.DE. */
#include "../rt32.inc"

scenario_main:
        mov %cr4, %eax
        or $CR4_DE, %eax
        mov %eax, %cr4
        WRDR 6, DR6_INIT
        WRDR 0, 0x3fe
        WRDR 7, (DR7_INIT | 0x1 | (2 << 16) | (1 << 18))
        CALLAT 0, io_body
        CALLAT 1, io_body
        WRDR 7, DR7_INIT
        mov %cr4, %eax
        and $~CR4_DE, %eax
        mov %eax, %cr4
        ret

        .globl io_body, io_0, io_1, io_2, io_3, io_4, io_5
io_body:
        mov $0x3ff, %edx
io_0:   outb %al, %dx                   /* port 0x3FF in range: #DB EIP=io_1 */
io_1:   inb %dx, %al                    /* #DB EIP=io_2 */
io_2:   mov $0x3fd, %edx
io_3:   inw %dx, %ax                    /* ports 0x3FD-0x3FE overlap 0x3FE: #DB EIP=io_4 */
io_4:   inb %dx, %al                    /* port 0x3FD alone: no #DB */
io_5:   ret
