/* Data breakpoints on DR1 in IA-32e compatibility mode (SDM Vol. 3 19.2.4-19.2.5, 19.3.1.2): trap-like
   #DB after the access, RIP = next instruction, B1; R/W1 = 01 (writes) or 11 (reads or writes), LEN1 =
   1/2/4 bytes; CPL0 (CS 0x18) and CPL3 (CS 0x23). Phase marks: M <len*0x100 + rw*0x10> <cpl>. */
#include "../compat64.inc"

        .macro PHASE len, lenbits, rw, user
        WRDR 6, DR6_INIT
        WRDR 7, (DR7_INIT | 0x4 | (\rw << 20) | (\lenbits << 22))
        mov $(\user * 3), %eax
        MARK (\len * 0x100 + \rw * 0x10), %rax
        mov $cwvar, %esi
        mov $\len, %ecx
        CALLAT \user, cw_body
        WRDR 7, DR7_INIT
        .endm

scenario_main:
        WRDR 1, cwvar
        .irp user, 0, 1
        .irp rw, 1, 3
        PHASE 1, 0, \rw, \user
        PHASE 2, 1, \rw, \user
        PHASE 4, 3, \rw, \user
        .endr
        .endr
        ret

        .code32
        .globl cw_body, cw_0, cw_1, cw_2, cw_3, cw_4, cw_5, cw_6
cw_body:                                /* %esi = DR1 address, %ecx = LEN */
        lea -1(%esi,%ecx), %edi
        lea (%esi,%ecx), %edx
        xor %eax, %eax
cw_0:   movb $0x11, (%edi)              /* write, last byte in range: W and RW hit */
cw_1:   movb $0x22, (%edx)              /* write past the range: no hit */
cw_2:   mov (%edi), %al                 /* read in range: RW hits */
cw_3:   mov (%edx), %al                 /* read past the range: no hit */
cw_4:   mov %ax, -1(%esi)               /* 2-byte write straddling the start: W and RW hit */
cw_5:   mov -2(%esi), %eax              /* 4-byte read overlapping the start: RW hits */
cw_6:   ret
        .code64

        .data
        .balign 64
        .skip 16
        .globl cwvar
cwvar:  .skip 16
        .skip 32
        .text
