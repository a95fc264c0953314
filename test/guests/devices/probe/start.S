/* Device probe entry. The Multiboot loader enters in 32-bit protected mode, flat segments, paging
 * off, interrupts off (Multiboot Specification 0.6.96, 3.2); the probe never enables interrupts. */
#define MB_HEADER_MAGIC 0x1badb002
#define MB_HEADER_FLAGS 0x3 /* page-align modules, memory info */

        .section .multiboot, "a"
        .align  4
        .long   MB_HEADER_MAGIC
        .long   MB_HEADER_FLAGS
        .long   -(MB_HEADER_MAGIC + MB_HEADER_FLAGS)

        .section .text.start, "ax"
        .code32
        .globl  _start
_start:
        cli
        mov     $stack_top, %esp
        call    probe
1:      cli
        hlt
        jmp     1b

        .section .bss
        .align  16
        .space  8192
stack_top:
