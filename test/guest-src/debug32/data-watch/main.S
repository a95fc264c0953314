/* Data breakpoints on DR1 in 32-bit protected mode (SDM Vol. 3 19.2.4-19.2.5, 19.3.1.2): trap-like
   #DB after the accessing instruction (EIP = next instruction), B1 set. R/W1=01 breaks on writes,
   R/W1=11 on reads or writes; LEN1 = 1/2/4 bytes (encodings 00/01/11). An access hits when any of
   its bytes lies in the watched range. BS preset by software stays set. Alignment (19.2.5): the
   processor ignores the low address bits of DRn below LEN, so an unaligned DR1 watches the aligned
   range that contains it. Every combination at CPL0 and CPL3.
   Phase marks: M <len*0x100 + rw*0x10 + bs> <cpl>; alignment phases: M <0xa00 + len> <cpl>. */
#include "../rt32.inc"

        .macro PHASE len, lenbits, rw, bs, user
        .if \bs
        SETV dr6_reset, (DR6_INIT | DR6_BS)
        .else
        SETV dr6_reset, DR6_INIT
        .endif
        mov dr6_reset, %eax
        mov %eax, %dr6
        WRDR 7, (DR7_INIT | 0x4 | (\rw << 20) | (\lenbits << 22))
        mov $(\user * 3), %eax
        MARK (\len * 0x100 + \rw * 0x10 + \bs), %eax
        mov $wvar, %esi
        mov $\len, %ecx
        CALLAT \user, wb_body
        WRDR 7, DR7_INIT
        .endm

/* DR1 = wvar + len - 1 (unaligned for len 2 and 4), write-only: the access to wvar (below DR1 but in
   the aligned range) hits, the byte at wvar + len does not. */
        .macro ALIGNPHASE len, lenbits, user
        WRDR 1, (wvar + \len - 1)
        WRDR 7, (DR7_INIT | 0x4 | (1 << 20) | (\lenbits << 22))
        mov $(\user * 3), %eax
        MARK (0xa00 + \len), %eax
        mov $wvar, %esi
        mov $\len, %ecx
        CALLAT \user, wa_body
        WRDR 7, DR7_INIT
        .endm

scenario_main:
        .irp user, 0, 1
        WRDR 1, wvar
        .irp bs, 0, 1
        PHASE 1, 0, 1, \bs, \user
        PHASE 2, 1, 1, \bs, \user
        PHASE 4, 3, 1, \bs, \user
        PHASE 1, 0, 3, \bs, \user
        PHASE 2, 1, 3, \bs, \user
        PHASE 4, 3, 3, \bs, \user
        .endr
        SETV dr6_reset, DR6_INIT
        WRDR 6, DR6_INIT
        ALIGNPHASE 2, 1, \user
        ALIGNPHASE 4, 3, \user
        .endr
        ret

        .globl wb_body, wb_0, wb_1, wb_2, wb_3, wb_4, wb_5, wb_6, wa_body, wa_0, wa_1, wa_2
wb_body:                                /* %esi = watched address, %ecx = LEN in bytes */
        lea -1(%esi,%ecx), %edi
        lea (%esi,%ecx), %edx
        xor %eax, %eax
wb_0:   movb $0x11, (%edi)              /* write, last byte in range: W and RW hit */
wb_1:   movb $0x22, (%edx)              /* write, first byte past the range: no hit */
wb_2:   mov (%edi), %al                 /* read in range: RW hits, W does not */
wb_3:   mov (%edx), %al                 /* read past the range: no hit */
wb_4:   mov %ax, -1(%esi)               /* 2-byte write straddling the range start: W and RW hit */
wb_5:   mov -2(%esi), %eax              /* 4-byte read overlapping the range start: RW hits */
wb_6:   ret

wa_body:                                /* %esi = aligned base, %ecx = LEN */
wa_0:   movb $0x33, (%esi)              /* below DR1, inside the aligned range: hit */
wa_1:   movb $0x44, (%esi,%ecx)         /* first byte past it: no hit */
wa_2:   ret

        .data
        .balign 64
        .skip 16
        .globl wvar
wvar:   .skip 16
        .skip 32
        .text
