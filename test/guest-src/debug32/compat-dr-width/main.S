/* Debug-register width in IA-32e compatibility mode (SDM Vol. 3 19.2.6 "Debug Registers and Intel 64
   Processors"; AMD APM Vol. 2 13.1.1): in 32-bit modes (protected and compatibility) a MOV to a debug
   register fills its upper 32 bits with zeros and a MOV from one returns the lower 32 bits; in 64-bit mode
   all 64 bits are read and written.
   64-bit: DR0 = 0x1234567800abcdef, DR1 = 0xffffffff11111111. Compatibility mode (CPL0): read DR0 into
   cdw_r0, write DR1 = 0x00c0ffee. 64-bit again: mark DR0 and DR1.
   Marks: 0x30 the compat read of DR0 (zero-extended by the store), 0x40 DR0 in 64-bit (unchanged), 0x41 DR1
   in 64-bit (upper half zeroed by the compat write). */
#include "../compat64.inc"

scenario_main:
        movabs $0x1234567800abcdef, %rax
        mov %rax, %dr0
        movabs $0xffffffff11111111, %rax
        mov %rax, %dr1
        movq $-1, cdw_r0(%rip)
        CALLAT 0, cdw_body
        mov cdw_r0(%rip), %rax
        MARK 0x30, %rax
        mov %dr0, %rax
        MARK 0x40, %rax
        mov %dr1, %rax
        MARK 0x41, %rax
        xor %eax, %eax
        mov %rax, %dr0
        mov %rax, %dr1
        ret

        .code32
        .globl cdw_body
cdw_body:
        mov %dr0, %eax                  /* low 32 bits: 0x00abcdef */
        mov %eax, cdw_r0
        movl $0, cdw_r0 + 4
        mov $0x00c0ffee, %eax
        mov %eax, %dr1                  /* DR1 = 0x0000000000c0ffee */
        ret
        .code64

        .data
        .balign 8
        .globl cdw_r0
cdw_r0: .quad 0
        .text
