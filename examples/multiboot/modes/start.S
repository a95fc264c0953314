/* modes: leaves protected mode for real-address or virtual-8086 mode and runs 16-bit code there.
 * Multiboot enters in 32-bit protected mode (Multiboot Specification 0.6.96, 3.2). The kernel command
 * line picks the target: "real" goes back to real-address mode the way SDM Vol. 3 10.9.2 (Switching
 * Back to Real-Address Mode) lays out; "v86" enters virtual-8086 mode with IRETD and EFLAGS.VM=1 (SDM
 * Vol. 3 20.2.5 (Entering Virtual-8086 Mode)). Either way 16-bit code copied to STUB_BASE prints one
 * line on COM1 and exits through isa-debug-exit: QEMU and dbstub print the same line. */
#include "../common/entry32.h"

#define CR0_PE 0x1
#define EFLAGS_FIXED 0x2
#define EFLAGS_IOPL3 0x3000
#define EFLAGS_VM 0x20000
#define STUB_BASE 0x7000               /* below 1 MiB: reachable as 0x0700:offset */
#define STUB_SEGMENT (STUB_BASE >> 4)
#define REAL_STACK 0x6ff0
#define SEL_CODE32 0x08
#define SEL_DATA32 0x10
#define SEL_CODE16 0x18                /* base 0, limit 64 KiB, 16-bit: the step before clearing CR0.PE */
#define SEL_DATA16 0x20
#define SEL_TSS 0x28
#define COM1_THR 0x3f8
#define COM1_LSR 0x3fd
#define LSR_THRE 0x20
#define DEBUG_EXIT_PORT 0xf4
#define EXIT_OK 0x10

        multiboot32_entry boot_stack_top
        push    %ebx
        push    %eax
        call    modes_main              /* prints, then calls enter_real or enter_v86 */
1:      hlt
        jmp     1b

/* Copy the 16-bit stub below 1 MiB and load our GDT. */
prepare:
        copy_stub STUB_BASE
        lgdt    gdt_ptr
        ret

        .globl  enter_real
enter_real:
        call    prepare
        ljmp    $SEL_CODE16, $(STUB_BASE + (pm16_entry - stub_start))

        .globl  enter_v86
enter_v86:
        call    prepare
        mov     $SEL_DATA32, %eax
        mov     %eax, %ds
        mov     %eax, %es
        mov     %eax, %ss
        /* TSS: the ring-0 stack an event in v86 mode would switch to, and an I/O permission bitmap of
         * zeros: in virtual-8086 mode IN/OUT consult the bitmap, not IOPL (SDM Vol. 1 19.5.2). */
        movl    $tss_stack_top, tss + 4
        movl    $SEL_DATA32, tss + 8
        movw    $(tss_iomap - tss), tss + 102
        fill_tss_base
        mov     $SEL_TSS, %ax
        ltr     %ax
        pushl   $0                      /* GS */
        pushl   $0                      /* FS */
        pushl   $STUB_SEGMENT           /* DS */
        pushl   $STUB_SEGMENT           /* ES */
        pushl   $0                      /* SS */
        pushl   $REAL_STACK             /* ESP */
        pushl   $(EFLAGS_VM | EFLAGS_IOPL3 | EFLAGS_FIXED)
        pushl   $STUB_SEGMENT           /* CS */
        pushl   $(v86_entry - stub_start)
        iret

/* ---- 16-bit stub, copied to STUB_BASE: position independent apart from STUB_BASE ---- */
        .code16
stub_start:
pm16_entry:                             /* 16-bit protected mode, CS base 0 */
        mov     $SEL_DATA16, %ax
        mov     %ax, %ds
        mov     %ax, %es
        mov     %ax, %ss
        mov     %ax, %fs
        mov     %ax, %gs
        lidt    STUB_BASE + (real_ivt - stub_start)
        mov     %cr0, %eax
        and     $~CR0_PE, %eax
        mov     %eax, %cr0
        ljmp    $STUB_SEGMENT, $(real_entry - stub_start)
real_entry:
        mov     %cs, %ax
        mov     %ax, %ds
        mov     %ax, %es
        xor     %ax, %ax
        mov     %ax, %ss
        mov     $REAL_STACK, %sp
        mov     $(msg_real - stub_start), %si
        jmp     print_and_exit
v86_entry:
        mov     $(msg_v86 - stub_start), %si
print_and_exit:
        lodsb
        test    %al, %al
        jz      3f
        mov     %al, %ah
2:      mov     $COM1_LSR, %dx
        in      %dx, %al
        test    $LSR_THRE, %al
        jz      2b
        mov     $COM1_THR, %dx
        mov     %ah, %al
        out     %al, %dx
        jmp     print_and_exit
3:      mov     $EXIT_OK, %al
        out     %al, $DEBUG_EXIT_PORT
4:      jmp     4b
real_ivt:
        .word   0x3ff                   /* the real-mode interrupt vector table: 256 x 4 bytes at 0 */
        .long   0
msg_real:
        .asciz  "real: 16-bit code running in real-address mode\n"
msg_v86:
        .asciz  "v86: 16-bit code running in virtual-8086 mode\n"
stub_end:
        .code32

        .data
        .align  8
gdt:
        gdt_flat32                      /* 0x08: 32-bit code, 0x10: 32-bit data */
        gdt_code16_data16               /* 0x18: 16-bit code, 0x20: 16-bit data, base 0, limit 0xffff */
        gdt_tss32                       /* 0x28: 32-bit available TSS; enter_v86 fills in the base */
gdt_end:
        gdt_pointer

        .align  16
tss:    .space  104
tss_iomap:
        .space  (0x400 / 8)             /* ports 0x000-0x3ff allowed */
        .byte   0xff                    /* the bitmap's terminating byte */
tss_end:

        .bss
        .align  16
        .space  4096
tss_stack_top:
        .space  16384
boot_stack_top:
