/* pm32 entry: Multiboot hands over in 32-bit protected mode, paging off, IF=0, EAX=0x2BADB002,
 * EBX=info (Multiboot Specification 0.6.96, 3.2). The kernel stays in 32-bit protected mode. */
#include "../common/entry32.h"

        multiboot32_entry boot_stack_top
        push    %ebx                    /* kmain32(magic, info) */
        push    %eax
        .globl  entry32_call
entry32_call:
        call    kmain32
1:      cli
        hlt
        jmp     1b

/* Interrupt stubs (SDM Vol. 3 6.12.1 (Exception- or Interrupt-Handler Procedures)): the CPU pushes
 * EFLAGS, CS, EIP and for some vectors an error code; we make every frame alike with a 0 in its
 * place, push the vector and PUSHAD, and call isr_dispatch(struct frame *). */
        .macro  stub vec, has_error
        .globl  isr_\vec
isr_\vec:
        .if     \has_error == 0
        pushl   $0
        .endif
        pushl   $\vec
        jmp     isr_common
        .endm

        .irp    v, 0,1,2,3,4,5,6,7,9,15,16,18,19,20,22,23,24,25,26,27,28,31
        stub    \v, 0
        .endr
        .irp    v, 8,10,11,12,13,14,17,21,29,30
        stub    \v, 1
        .endr
        stub    64, 0
        stub    65, 0
        stub    255, 0

isr_common:
        pusha
        cld
        push    %esp
        call    isr_dispatch
        add     $4, %esp
        popa
        add     $8, %esp
        iret

        .section .rodata
        .align  4
        .globl  isr_vectors_0_31
isr_vectors_0_31:
        .irp    v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
        .long   isr_\v
        .endr

        .bss
        .align  16
boot_stack:
        .space  32768
boot_stack_top:
