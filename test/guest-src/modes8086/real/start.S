/* modes8086/real: real-address mode with known results (SDM Vol. 3 chapter 20.1). Multiboot enters in 32-bit
 * protected mode; run_real loads GS with a flat 4-GiB data segment, drops to real-address mode the way SDM
 * Vol. 3 10.9.2 lays out, runs the 16-bit stub (copied to STUB_BASE) and returns to protected mode. The stub
 * records each result as a dword at RES + 4 * slot; main.c prints them. The expectations are in
 * test/cpu/modes/real-v86-guests.test.ts, from the SDM. Interrupts stay off (IF=0) throughout. */
#include "../../../../examples/multiboot/common/entry32.h"

#define STUB_BASE 0x7000               /* reachable as STUB_SEG:offset */
#define STUB_SEG (STUB_BASE >> 4)
#define RES 0x6000                     /* result slots, addressed through ES=0 */
#define REAL_SP 0x6ff0
#define SEL_CODE32 0x08
#define SEL_DATA32 0x10
#define SEL_CODE16 0x18
#define SEL_DATA16 0x20
#define SEL_FLAT16 0x28                /* base 0, 4-GiB limit, B=0: GS keeps it in real mode ("unreal" mode) */
#define OFF(l) ((l) - stub_start)
#define R(k) (RES + 4 * (k))
#define EFLAGS_TF 0x100
#define EFLAGS_AC 0x40000
#define DR7_FIXED 0x400
#define DR7_L0 0x1
#define DR7_L1 0x4
#define DR7_L2 0x10
#define EFLAGS_RF 0x10000
#define DR7_RW1_WRITE 0x100000
#define DR6_INIT 0xffff0ff0
#define SLOT_QEMU_SUBSET 31            /* set by main.c: skip what QEMU TCG does not model */
#define SLOT_DB 40                      /* #DB records: DR6, IP pairs */

        multiboot32_entry boot_stack_top
        push    %ebx
        push    %eax
        call    real_main
1:      hlt
        jmp     1b

        .globl  run_real
run_real:
        pushal
        mov     %esp, saved_esp
        copy_stub STUB_BASE
        lgdt    gdt_ptr
        ljmp    $SEL_CODE16, $(STUB_BASE + OFF(pm16_entry))
back32:                                 /* protected mode again, from the stub's far jump */
        load_flat_data SEL_DATA32
        mov     saved_esp, %esp
        popal
        ret

.macro rec k
        mov     %eax, %es:R(\k)
.endm

/* ---- 16-bit stub, copied to STUB_BASE ---- */
        .code16
        .globl  stub_start
stub_start:
pm16_entry:                             /* 16-bit protected mode, CS base 0 */
        mov     $SEL_DATA16, %ax
        mov     %ax, %ds
        mov     %ax, %es
        mov     %ax, %ss
        mov     %ax, %fs
        mov     $SEL_FLAT16, %ax
        mov     %ax, %gs
        lidt    STUB_BASE + OFF(ivt_ptr)
        mov     %cr0, %eax
        and     $~1, %eax
        mov     %eax, %cr0
        ljmp    $STUB_SEG, $OFF(real_entry)
real_entry:
        mov     %cs, %ax
        mov     %ax, %ds
        xor     %ax, %ax
        mov     %ax, %es
        mov     %ax, %ss
        mov     $REAL_SP, %esp
        movw    $OFF(h_de), %es:0x00            /* IVT: offset, then segment (SDM Vol. 3 Figure 20-2) */
        movw    $STUB_SEG, %es:0x02
        movw    $OFF(h_db), %es:0x04
        movw    $STUB_SEG, %es:0x06
        movw    $OFF(h_bp), %es:0x0c
        movw    $STUB_SEG, %es:0x0e
        movw    $OFF(h_gp), %es:0x34
        movw    $STUB_SEG, %es:0x36
        movw    $OFF(h_int40), %es:0x100
        movw    $STUB_SEG, %es:0x102
        mov     %cr0, %eax
        rec     0
        /* BCD and the other forms that exist only outside 64-bit mode */
        xor     %eax, %eax
        mov     $0x79, %al
        add     $0x35, %al
        daa
        rec     1
        pushfl
        popl    %eax
        and     $0xd5, %eax                     /* SF ZF AF PF CF */
        rec     2
        xor     %eax, %eax
        mov     $0x4f, %al
        aam
        rec     3
        aad
        rec     4
        mov     $0x1234, %eax
        stc
        .byte   0xd6                    /* SALC */
        rec     5
        xor     %eax, %eax
        mov     $OFF(xlat_table), %bx
        mov     $2, %al
        xlat
        rec     6
        xor     %eax, %eax
        mov     $5, %ecx
2:      inc     %ax
        loop    2b
        shl     $16, %ecx
        or      %ecx, %eax
        rec     7
        /* "unreal" mode: GS keeps the 4-GiB limit protected mode gave it, also across a real-mode load */
        mov     $0x100000, %esi
        mov     %gs:(%esi), %eax
        rec     8
        xor     %ax, %ax
        mov     %ax, %gs
        mov     %gs:(%esi), %eax
        rec     9
        /* a word at DS:FFFFH crosses the 64-KiB limit: #GP through the IVT, no error code (QEMU TCG checks no
         * limits: skipped in the QEMU subset) */
        cmpl    $0, %es:R(SLOT_QEMU_SUBSET)
        jne     1f
        .globl  gp_insn
gp_insn:
        mov     0xffff, %ax
1:
        /* INT n through the IVT: FLAGS, CS, IP pushed; IF, TF, AC cleared; a 16-bit IRET restores FLAGS only */
        pushl   $(EFLAGS_AC | 2)
        popfl
        int     $0x40
        .globl  int40_ret
int40_ret:
        pushfl
        popl    %eax
        rec     14
        pushl   $2
        popfl
        /* #DE through the IVT: the frame's IP is the DIV (a fault) */
        mov     $0x64, %ax
        xor     %bl, %bl
        .globl  de_insn
de_insn:
        div     %bl
        /* INT3: a trap, IP after it */
        int3
        .globl  bp_ret
bp_ret:
        /* DR0 instruction breakpoint (linear = CS.base + IP); QEMU 7.2 TCG crashes on it (SIGSEGV): skipped in
         * the QEMU subset */
        cmpl    $0, %es:R(SLOT_QEMU_SUBSET)
        jne     ibp_target
        mov     $(STUB_BASE + OFF(ibp_target)), %eax
        mov     %eax, %dr0
        mov     $(DR7_FIXED | DR7_L0), %eax
        mov     %eax, %dr7
        nop
        .globl  ibp_target
ibp_target:
        nop
        /* TF single step: the trap follows the instruction after the POPF that set TF */
        pushf
        pop     %ax
        or      $EFLAGS_TF, %ax
        push    %ax
        popf
        nop
        .globl  tf_after
tf_after:
        /* DR1 data write breakpoint on DS:watch_var (linear = DS.base + offset), then ICEBP; QEMU 7.2 TCG raises
         * #UD for ICEBP here: both skipped in the QEMU subset */
        cmpl    $0, %es:R(SLOT_QEMU_SUBSET)
        jne     icebp_after
        mov     $(STUB_BASE + OFF(watch_var)), %eax
        mov     %eax, %dr1
        mov     $(DR7_FIXED | DR7_L1 | DR7_RW1_WRITE), %eax
        mov     %eax, %dr7
        movw    $0x55, OFF(watch_var)
        .globl  watch_after
watch_after:
        /* ICEBP (INT1) */
        .byte   0xf1
        .globl  icebp_after
icebp_after:
        /* RF: an IRETD that loads RF=1 lets the instruction at its target run once past a DR2 breakpoint there
         * (SDM Vol. 3 18.3.1.1; the IRET pseudo-code loads RF in real-address mode); the next time the
         * breakpoint hits. Skipped in the QEMU subset (TCG 7.2 and real-mode instruction breakpoints, above). */
        xor     %edi, %edi
        cmpl    $0, %es:R(SLOT_QEMU_SUBSET)
        jne     rf_done
        mov     $(STUB_BASE + OFF(rf_target)), %eax
        mov     %eax, %dr2
        mov     $(DR7_FIXED | DR7_L2), %eax
        mov     %eax, %dr7
        pushfl
        orl     $EFLAGS_RF, (%esp)
        pushl   $STUB_SEG
        pushl   $OFF(rf_target)
        iretl
        .globl  rf_target
rf_target:
        inc     %di
        cmp     $2, %di
        jb      rf_target
rf_done:
        movzwl  %di, %eax
        rec     30
        movzwl  OFF(db_count), %eax
        rec     27
        mov     %esp, %eax
        rec     28
        /* SMSW r32 stores all of CR0 (kvm-unit-tests realmode "smsw"): set CD for a bit above 15 */
        mov     %cr0, %ebx
        mov     %ebx, %ecx
        or      $0x40000000, %ebx
        mov     %ebx, %cr0
        smsw    %eax
        mov     %ecx, %cr0
        rec     29
        /* back to protected mode */
        mov     %cr0, %eax
        or      $1, %eax
        mov     %eax, %cr0
        ljmpl   $SEL_CODE32, $back32

/* #DE: record the frame, skip the 2-byte DIV */
h_de:
        push    %bp
        mov     %sp, %bp
        movzwl  2(%bp), %eax
        rec     15
        movzwl  4(%bp), %eax
        rec     16
        addw    $2, 2(%bp)
        pop     %bp
        iret
/* #GP: record the frame's IP, skip the 3-byte MOV */
h_gp:
        push    %bp
        mov     %sp, %bp
        movzwl  2(%bp), %eax
        rec     17
        addw    $3, 2(%bp)
        pop     %bp
        iret
h_bp:
        push    %bp
        mov     %sp, %bp
        movzwl  2(%bp), %eax
        rec     18
        pop     %bp
        iret
h_int40:
        pushfl
        popl    %eax
        rec     13
        push    %bp
        mov     %sp, %bp
        movzwl  2(%bp), %eax
        rec     10
        movzwl  4(%bp), %eax
        rec     11
        movzwl  6(%bp), %eax
        rec     12
        pop     %bp
        iret
/* #DB: record DR6 and the frame's IP in the next pair of slots from SLOT_DB on; clear TF in the frame, disarm
 * DR0-DR3 (a 16-bit frame cannot carry RF) and reset DR6 */
h_db:
        push    %bp
        mov     %sp, %bp
        push    %bx
        mov     %cs:OFF(db_count), %bx
        shl     $3, %bx
        mov     %dr6, %eax
        mov     %eax, %es:R(SLOT_DB)(%bx)
        movzwl  2(%bp), %eax
        mov     %eax, %es:R(SLOT_DB + 1)(%bx)
        incw    %cs:OFF(db_count)
        movzwl  %di, %eax                       /* the RF case tells its passes apart by DI */
        rec     32
        andw    $~EFLAGS_TF, 6(%bp)
        mov     $DR7_FIXED, %eax
        mov     %eax, %dr7
        mov     $DR6_INIT, %eax
        mov     %eax, %dr6
        pop     %bx
        pop     %bp
        iret
ivt_ptr:
        .word   0x3ff
        .long   0
xlat_table:
        .byte   0x10, 0x20, 0x30, 0x40
        .globl  watch_var
watch_var:
        .word   0
db_count:
        .word   0
stub_end:
        .code32

        .data
        .align  8
gdt:
        gdt_flat32                      /* 0x08: 32-bit code, 0x10: 32-bit data */
        gdt_code16_data16               /* 0x18: 16-bit code, 0x20: 16-bit data */
        .quad   0x008f92000000ffff      /* 0x28: data, base 0, limit 4 GiB, B=0 */
gdt_end:
        gdt_pointer
saved_esp:
        .long   0

        .bss
        .align  16
        .space  16384
boot_stack_top:
