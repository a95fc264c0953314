/* modes8086/v86: virtual-8086 mode under a ring-0 monitor (SDM Vol. 3 chapter 20.2-20.3). run_v86 sets up a
 * GDT, a 32-bit TSS (the ring-0 stack and an I/O permission bitmap that denies port 80H) and an IDT, copies the
 * 16-bit stub to STUB_BASE and enters it with IRETD (EFLAGS.VM=1, IOPL 0). The stub runs: CLI (IOPL-sensitive:
 * #GP(0) to the monitor, which sets IOPL 3 in the frame and skips it), PUSHF, INT 30H (through a DPL-3 gate to
 * a CPL-0 handler with the virtual-8086 frame), OUT to port 80H (#GP(0): the bitmap), IN from COM1 (allowed),
 * a TF single step (#DB to the monitor) and INT 31H, whose handler returns to main.c. Every handler records
 * what it saw as dwords at RES + 4 * slot; the expectations are in test/cpu/modes/real-v86-guests.test.ts. */
#include "../../../../examples/multiboot/common/entry32.h"

#define STUB_BASE 0x7000
#define STUB_SEG (STUB_BASE >> 4)
#define RES 0x6000
#define RES_SEG (RES >> 4)              /* FS in virtual-8086 mode: the stub's own records */
#define V86_SP 0x6ff0
#define SEL_CODE32 0x08
#define SEL_DATA32 0x10
#define SEL_TSS 0x18
#define OFF(l) ((l) - stub_start)
#define R(k) (RES + 4 * (k))
#define EFLAGS_FIXED 0x2
#define EFLAGS_TF 0x100
#define EFLAGS_IOPL3 0x3000
#define EFLAGS_VM 0x20000
#define GATE_INT_DPL0 0x8e00
#define GATE_INT_DPL3 0xee00
#define DR6_INIT 0xffff0ff0
#define GP_RECORD 11                    /* dwords per #GP record */
#define SLOT_INT30 22
#define SLOT_PUSHF 32
#define SLOT_LSR 33
#define SLOT_DB 34                      /* two #DB records of 4 dwords: DR6, EIP, CS, EFLAGS */
#define SLOT_GP_COUNT 42
#define EFLAGS_RF 0x10000
#define DR7_FIXED 0x400
#define DR7_L0 0x1

        multiboot32_entry boot_stack_top
        push    %ebx
        push    %eax
        call    v86_main
1:      hlt
        jmp     1b

.macro set_gate vec, handler, kind
        mov     $\handler, %eax
        mov     %ax, idt + 8 * \vec
        movw    $SEL_CODE32, idt + 8 * \vec + 2
        movw    $\kind, idt + 8 * \vec + 4
        shr     $16, %eax
        mov     %ax, idt + 8 * \vec + 6
.endm

        .globl  run_v86
run_v86:
        pushal
        mov     %esp, saved_esp
        copy_stub STUB_BASE
        lgdt    gdt_ptr
        ljmp    $SEL_CODE32, $1f
1:
        load_flat_data SEL_DATA32
        set_gate 1, h_db, GATE_INT_DPL0
        set_gate 13, h_gp, GATE_INT_DPL0
        set_gate 0x30, h_int30, GATE_INT_DPL3
        set_gate 0x31, h_int31, GATE_INT_DPL3
        lidt    idt_ptr
        movl    $tss_stack_top, tss + 4         /* ESP0 */
        movl    $SEL_DATA32, tss + 8            /* SS0 */
        movw    $(tss_iomap - tss), tss + 102
        movb    $0x01, tss_iomap + (0x80 / 8)   /* port 80H denied */
        fill_tss_base
        mov     $SEL_TSS, %ax
        ltr     %ax
        /* DR0 on the stub's v86_ibp: linear = CS.base + IP (not in the QEMU subset: main.c clears qemu_dr7) */
        mov     $(STUB_BASE + OFF(v86_ibp)), %eax
        mov     %eax, %dr0
        mov     qemu_dr7, %eax
        mov     %eax, %dr7
        pushl   $0                      /* GS */
        pushl   $RES_SEG                /* FS */
        pushl   $STUB_SEG               /* DS */
        pushl   $STUB_SEG               /* ES */
        pushl   $0                      /* SS */
        pushl   $V86_SP                 /* ESP */
        pushl   $(EFLAGS_VM | EFLAGS_FIXED)
        pushl   $STUB_SEG               /* CS */
        pushl   $OFF(v86_entry)
        iret

/* #GP from virtual-8086 mode. Frame: error code, EIP, CS, EFLAGS, ESP, SS, ES, DS, FS, GS. Records the DS the
 * handler started with, then the frame; the first #GP (CLI at IOPL 0) gets IOPL 3 and a 1-byte skip, the next
 * (OUT to a denied port) a 2-byte skip. */
h_gp:
        push    %eax
        push    %ebx
        push    %ecx
        xor     %eax, %eax
        mov     %ds, %ax
        mov     $SEL_DATA32, %ecx
        mov     %ecx, %ds
        mov     gp_count, %ebx
        imul    $(4 * GP_RECORD), %ebx
        mov     %eax, R(0)(%ebx)
        xor     %ecx, %ecx
2:      mov     12(%esp, %ecx, 4), %eax
        mov     %eax, R(1)(%ebx, %ecx, 4)
        inc     %ecx
        cmp     $10, %ecx
        jb      2b
        cmpl    $0, gp_count
        jne     3f
        orl     $EFLAGS_IOPL3, 12 + 12(%esp)
        addl    $1, 12 + 4(%esp)
        jmp     4f
3:      addl    $2, 12 + 4(%esp)
4:      incl    gp_count
        pop     %ecx
        pop     %ebx
        pop     %eax
        add     $4, %esp                /* the error code */
        iret

/* INT 30H from virtual-8086 mode (no error code): the DS it started with, then EIP..GS */
h_int30:
        push    %eax
        push    %ecx
        xor     %eax, %eax
        mov     %ds, %ax
        mov     $SEL_DATA32, %ecx
        mov     %ecx, %ds
        mov     %eax, R(SLOT_INT30)
        xor     %ecx, %ecx
2:      mov     8(%esp, %ecx, 4), %eax
        mov     %eax, R(SLOT_INT30 + 1)(, %ecx, 4)
        inc     %ecx
        cmp     $9, %ecx
        jb      2b
        pop     %ecx
        pop     %eax
        iret

/* #DB from virtual-8086 mode: DR6, EIP, CS, EFLAGS in the next record; TF cleared and RF set in the frame (the
 * IRETD back to virtual-8086 mode loads RF, so an instruction breakpoint does not fault again), DR6 reset */
h_db:
        push    %eax
        push    %ebx
        mov     $SEL_DATA32, %eax
        mov     %eax, %ds
        mov     db_count, %ebx
        shl     $4, %ebx
        mov     %dr6, %eax
        mov     %eax, R(SLOT_DB)(%ebx)
        mov     8(%esp), %eax
        mov     %eax, R(SLOT_DB + 1)(%ebx)
        mov     12(%esp), %eax
        mov     %eax, R(SLOT_DB + 2)(%ebx)
        mov     16(%esp), %eax
        mov     %eax, R(SLOT_DB + 3)(%ebx)
        incl    db_count
        andl    $~EFLAGS_TF, 16(%esp)
        orl     $EFLAGS_RF, 16(%esp)
        mov     $DR6_INIT, %eax
        mov     %eax, %dr6
        pop     %ebx
        pop     %eax
        iret

/* INT 31H: leave virtual-8086 mode for good and return to main.c */
h_int31:
        mov     $SEL_DATA32, %eax
        mov     %eax, %ds
        mov     %eax, %es
        mov     %eax, %fs
        mov     %eax, %gs
        mov     gp_count, %eax
        mov     %eax, R(SLOT_GP_COUNT)
        mov     saved_esp, %esp
        popal
        ret

/* ---- 16-bit stub, copied to STUB_BASE, run in virtual-8086 mode ---- */
        .code16
        .globl  stub_start
stub_start:
v86_entry:
        .globl  v86_cli
v86_cli:
        cli
        pushf
        pop     %ax
        movzwl  %ax, %eax
        mov     %eax, %fs:4 * SLOT_PUSHF
        int     $0x30
        .globl  v86_int_ret
v86_int_ret:
        .globl  v86_out
v86_out:
        out     %al, $0x80
        mov     $0x3fd, %dx
        in      %dx, %al
        movzbl  %al, %eax
        mov     %eax, %fs:4 * SLOT_LSR
        pushf
        pop     %ax
        or      $EFLAGS_TF, %ax
        push    %ax
        popf
        nop
        .globl  v86_tf_after
v86_tf_after:
        nop
        .globl  v86_ibp
v86_ibp:
        nop
        int     $0x31
stub_end:
        .code32

        .data
        .align  8
gdt:
        gdt_flat32                      /* 0x08: 32-bit code, 0x10: 32-bit data */
        gdt_tss32                       /* 0x18: 32-bit available TSS; run_v86 fills in the base */
gdt_end:
        gdt_pointer
idt_ptr:
        .word   idt_end - idt - 1
        .long   idt
saved_esp:
        .long   0
gp_count:
        .long   0
db_count:
        .long   0
        .globl  qemu_dr7
qemu_dr7:                               /* DR7 for the stub: L0, or nothing in the QEMU subset (main.c) */
        .long   DR7_FIXED | DR7_L0
        .align  16
tss:    .space  104
tss_iomap:
        .space  (0x400 / 8)             /* ports 0x000-0x3ff: allowed unless a bit is set */
        .byte   0xff                    /* the bitmap's terminating byte */
tss_end:
        .align  8
idt:    .space  8 * 0x40
idt_end:

        .bss
        .align  16
        .space  4096
tss_stack_top:
        .space  16384
boot_stack_top:
