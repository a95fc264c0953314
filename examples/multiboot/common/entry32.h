/* Multiboot v1 header and the first instructions of _start, for the ELF32 Multiboot kernels' start.S
 * (pm32, modes, test/guest-src/devices/probe). Header layout: Multiboot Specification 0.6.96, 3.1.1;
 * the loader enters _start in 32-bit protected mode with flat segments and paging off, EAX = 0x2BADB002
 * and EBX = the information structure (3.2). Include from a .S file, then write `multiboot32_entry
 * STACK_TOP` and continue _start after it; EAX and EBX are still the loader's there. */
#ifndef MB_ENTRY32_H
#define MB_ENTRY32_H

#define MB_HEADER_MAGIC 0x1badb002
#define MB_PAGE_ALIGN (1 << 0)     /* modules on 4 KiB boundaries */
#define MB_MEMORY_INFO (1 << 1)    /* mem_lower/mem_upper and the memory map */
#define MB_HEADER_FLAGS (MB_PAGE_ALIGN | MB_MEMORY_INFO)

.macro multiboot32_entry stack_top
        .section .multiboot, "a"
        .align  4
        .long   MB_HEADER_MAGIC
        .long   MB_HEADER_FLAGS
        .long   -(MB_HEADER_MAGIC + MB_HEADER_FLAGS) /* checksum: the three fields sum to 0 */

        .section .text.start, "ax"
        .code32
        .globl  _start
_start:
        cli                             /* the specification has IF clear already; be explicit */
        mov     $\stack_top, %esp
.endm

#endif
