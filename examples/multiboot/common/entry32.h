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

/* Copy the 16-bit stub (stub_start .. stub_end, assembled at its link address) to `dest`, below 1 MiB. */
.macro copy_stub dest
        mov     $stub_start, %esi
        mov     $\dest, %edi
        mov     $(stub_end - stub_start), %ecx
        cld
        rep movsb
.endm
/* DS, ES, SS, FS and GS all loaded with the flat 32-bit data selector `sel` (protected mode again). */
.macro load_flat_data sel
        mov     $\sel, %eax
        mov     %eax, %ds
        mov     %eax, %es
        mov     %eax, %ss
        mov     %eax, %fs
        mov     %eax, %gs
.endm
/* Put the address of `tss` into the base fields of the `gdt_tss` descriptor (gdt_tss32 below). */
.macro fill_tss_base
        mov     $tss, %eax
        mov     %ax, gdt_tss + 2
        shr     $16, %eax
        mov     %al, gdt_tss + 4
        mov     %ah, gdt_tss + 7
.endm

/* The GDT pieces the kernels that leave protected mode share (modes, test/guest-src/modes8086): write `gdt:`,
 * `gdt_flat32` (selectors 0, 0x08 flat 32-bit code, 0x10 flat 32-bit data), then their own descriptors
 * (`gdt_code16_data16`, `gdt_tss32`, ...), then `gdt_end:` and `gdt_pointer` (the LGDT operand `gdt_ptr`). */
.macro gdt_flat32
        .quad   0
        .quad   0x00cf9a000000ffff      /* 32-bit code, base 0, limit 4 GiB */
        .quad   0x00cf92000000ffff      /* 32-bit data, base 0, limit 4 GiB */
.endm
/* 16-bit code and data, base 0, limit 0xffff, byte granular: what real-address mode's segments look like. */
.macro gdt_code16_data16
        .quad   0x00009a000000ffff
        .quad   0x000092000000ffff
.endm
/* `gdt_tss`: a 32-bit available TSS (type 9) for the table from `tss` to `tss_end`; the kernel fills in the
 * base at run time (bytes 2-4 and 7). */
.macro gdt_tss32
gdt_tss:
        .word   tss_end - tss - 1
        .word   0                       /* base 15:0 */
        .byte   0                       /* base 23:16 */
        .byte   0x89
        .byte   0
        .byte   0                       /* base 31:24 */
.endm
.macro gdt_pointer
gdt_ptr:
        .word   gdt_end - gdt - 1
        .long   gdt
.endm

#endif
