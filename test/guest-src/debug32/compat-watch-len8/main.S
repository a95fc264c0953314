/* 8-byte data breakpoint (DR7 LEN1 = 10b) in IA-32e compatibility mode. Intel SDM Vol. 3 19.2.6 (Debug
   Registers and Intel 64 Processors): "Break point conditions for 8-byte memory read/writes are supported
   in all modes". DR1 = qvar (8-aligned), R/W1 = 01 then 11; CPL0 and CPL3. Mark: M <rw> <cpl>. */
#include "../compat64.inc"

        .macro PHASE rw, user
        WRDR 6, DR6_INIT
        WRDR 7, (DR7_INIT | 0x4 | (\rw << 20) | (2 << 22))
        mov $(\user * 3), %eax
        MARK \rw, %rax
        mov $qvar, %esi
        CALLAT \user, q8_body
        WRDR 7, DR7_INIT
        .endm

scenario_main:
        WRDR 1, qvar
        .irp user, 0, 1
        PHASE 1, \user
        PHASE 3, \user
        .endr
        ret

        .code32
        .globl q8_body, q8_0, q8_1, q8_2, q8_3, q8_4, q8_5, q8_6
q8_body:                                /* %esi = qvar */
        xor %eax, %eax
q8_0:   movb $1, 7(%esi)                /* last byte of the 8: W and RW hit */
q8_1:   movb $2, 8(%esi)                /* first byte past: no hit */
q8_2:   mov 4(%esi), %eax               /* read of the upper dword: RW hits */
q8_3:   mov -4(%esi), %eax              /* read of the dword below: no hit */
q8_4:   mov %eax, 6(%esi)               /* 4-byte write straddling the end: W and RW hit */
q8_5:   movb $3, -1(%esi)               /* byte below: no hit */
q8_6:   ret
        .code64

        .data
        .balign 64
        .skip 16
        .globl qvar
qvar:   .skip 16
        .skip 32
        .text
