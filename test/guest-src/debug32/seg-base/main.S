/* Breakpoints match LINEAR addresses (SDM Vol. 3 19.2.1-19.2.2: DR0-DR3 hold linear addresses; 3.4 linear
   = segment base + offset) while the #DB frame holds the offset (EIP) within CS. Code segment 0x38 and
   data segment 0x40 are based at SEG_BASE = 0x100000:
   - DR0 = linear address of sb_hit (instruction, G0): the far-called body faults there with frame
     EIP = sb_hit - SEG_BASE, CS = 0x38; the handler sets RF;
   - DR1 = linear address of sbvar (R/W1=01, LEN1=1, G1): a write through ES=0x40 at offset
     sbvar - SEG_BASE hits (trap, EIP = sb_w1 - SEG_BASE); a write through the flat DS at the same
     offset (linear sbvar - SEG_BASE, a different byte) does not. */
#include "../rt32.inc"
        .set DR7_G0, 0x2
        .set DR7_G1, 0x8

scenario_main:
        SETV db_flags, (DBF_RESET_DR6 | DBF_SET_RF)
        WRDR 0, sb_hit
        WRDR 1, sbvar
        WRDR 7, (DR7_INIT | DR7_G0 | DR7_G1 | (1 << 20))
        mov $SEL_BDATA, %eax
        mov %eax, %es
        .globl sb_call
sb_call:
        lcall $SEL_BCODE, $(sb_body - SEG_BASE)
        mov $SEL_KDATA, %eax
        mov %eax, %es
        WRDR 7, DR7_INIT
        movzbl sbvar, %eax
        MARK 0x5b, %eax                 /* the ES write landed on sbvar: 0x5a */
        ret

        .globl sb_body, sb_hit, sb_w0, sb_w1, sb_w2
/* Runs in CS 0x38: only relative branches and explicit-segment or absolute data references. */
sb_body:
        nop
sb_hit: nop                             /* #DB (fault) EIP = sb_hit - SEG_BASE */
sb_w0:  movb $0x5a, %es:(sbvar - SEG_BASE)   /* linear sbvar: #DB (trap) EIP = sb_w1 - SEG_BASE */
sb_w1:  movb $0x77, (sbvar - SEG_BASE)       /* DS flat: linear sbvar - SEG_BASE, no hit */
sb_w2:  lret

        .data
        .balign 16
        .globl sbvar
sbvar:  .byte 0
        .balign 16
        .text
