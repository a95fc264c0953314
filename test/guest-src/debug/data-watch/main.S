/* Data breakpoints on DR1 (SDM 19.2.4-19.2.5, 19.3.1.2): trap-like #DB after the accessing
   instruction (RIP = next instruction), B1 set. R/W1=01 breaks on writes only, R/W1=11 on reads
   or writes; LEN1 = 1/2/4/8 bytes (encodings 00/01/11/10) with DR1 aligned to the length; an
   access hits when any byte of it lies in [DR1, DR1+len). BS preset by software stays set.
   Every combination runs at CPL0 and at CPL3. Phase marks: M <len*0x100 + rw*0x10 + bs> <cpl>. */
#include "../rt.inc"

        .macro PHASE len, lenbits, rw, bs, user
        .if \bs
        SETV dr6_reset, (DR6_INIT | DR6_BS)
        .else
        SETV dr6_reset, DR6_INIT
        .endif
        mov dr6_reset(%rip), %rax
        mov %rax, %dr6
        WRDR 7, (DR7_INIT | 0x4 | (\rw << 20) | (\lenbits << 22))
        mov $(\user * 3), %eax
        MARK (\len * 0x100 + \rw * 0x10 + \bs), %rax
        lea wvar(%rip), %rsi
        mov $\len, %ecx
        .if \user
        lea wb_body(%rip), %rdi
        call rt_run_user
        .else
        call wb_body
        .endif
        WRDR 7, DR7_INIT
        .endm

scenario_main:
        lea wvar(%rip), %rax
        mov %rax, %dr1
        .irp user, 0, 1
        .irp bs, 0, 1
        PHASE 1, 0, 1, \bs, \user
        PHASE 2, 1, 1, \bs, \user
        PHASE 4, 3, 1, \bs, \user
        PHASE 8, 2, 1, \bs, \user
        PHASE 1, 0, 3, \bs, \user
        PHASE 2, 1, 3, \bs, \user
        PHASE 4, 3, 3, \bs, \user
        PHASE 8, 2, 3, \bs, \user
        .endr
        .endr
        SETV dr6_reset, DR6_INIT
        ret

        .globl wb_body, wb_0, wb_1, wb_2, wb_3, wb_4, wb_5, wb_6
wb_body:                                /* %rsi = DR1 address, %rcx = LEN in bytes */
        lea -1(%rsi,%rcx), %rdi
        lea (%rsi,%rcx), %r8
        xor %eax, %eax
wb_0:   movb $0x11, (%rdi)              /* write, last byte in range: W and RW hit */
wb_1:   movb $0x22, (%r8)               /* write, first byte past the range: no hit */
wb_2:   mov (%rdi), %al                 /* read in range: RW hits, W does not */
wb_3:   mov (%r8), %al                  /* read past the range: no hit */
wb_4:   mov %ax, -1(%rsi)               /* 2-byte write straddling DR1: W and RW hit */
wb_5:   mov -4(%rsi), %rax              /* 8-byte read overlapping [DR1, DR1+4): RW hits */
wb_6:   ret

        .data
        .balign 64
        .skip 16
        .globl wvar
wvar:   .skip 16
        .skip 32
        .text
