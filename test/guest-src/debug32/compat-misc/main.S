/* More of the debug unit in IA-32e compatibility mode (every #DB/#BP delivered through the 64-bit IDT,
   SDM Vol. 3 6.14), in this order:
   - general detect (SDM 19.3.1.3): MOV from DR0 in a CPL0 compat segment with DR7.GD=1: fault, BD, GD
     cleared on delivery (the handler sees DR7 = 0x400), the MOV then completes;
   - ICEBP (0xF1) at CPL0 and CPL3 (Vol. 2 INT1): trap, RIP after it, no DR6 bit;
   - INT3 (CC) and INT 3 (CD 03) at CPL3 through the DPL3 gate: #BP, RIP after them;
   - I/O breakpoint (19.2.4 R/W0=10 with CR4.DE=1, DR0 = 0x3FE, LEN 2): OUT/IN on port 0x3FF trap with B0,
     CPL0 and CPL3 (IOPL=3);
   - MOV SS from a watched operand (DR0, R/W0=11, LEN0=2) with TF=1 (6.8.3, 19.3.1.4): the step of MOV SS
     and the data breakpoint are held one instruction, then one #DB with BS|B0; then plain steps;
   - split-lock bus lock with IA32_DEBUGCTL bit 2 (Intel BUS_LOCK_DETECT / AMD BLCKDB): trap with DR6.BLD
     cleared at CPL3 only. */
#include "../compat64.inc"
        .set DR7_GD, 0x2000
        .set MSR_DEBUGCTL, 0x1d9
        .set DEBUGCTL_BLD, 0x4

scenario_main:
        WRDR 7, (DR7_INIT | DR7_GD)
        CALLAT 0, cm_gd
        mov %dr0, %rax
        MARK 0x10, %rax                 /* the re-executed MOV wrote EAX -> DR0 unchanged: 0 */
        CALLAT 0, cm_icebp
        CALLAT 1, cm_icebp
        CALLAT 1, cm_int3
        mov %cr4, %rax
        or $CR4_DE, %rax
        mov %rax, %cr4
        WRDR 0, 0x3fe
        WRDR 7, (DR7_INIT | 0x1 | (2 << 16) | (1 << 18))
        CALLAT 0, cm_io
        CALLAT 1, cm_io
        WRDR 7, DR7_INIT
        mov %cr4, %rax
        and $~CR4_DE, %rax
        mov %rax, %cr4
        movl $SEL_KDATA, ms_slot(%rip)
        WRDR 0, ms_slot
        WRDR 7, (DR7_INIT | 0x1 | (3 << 16) | (1 << 18))
        CALLAT 0, cm_ms
        WRDR 7, DR7_INIT                /* disarm: the slot write below would hit DR0 */
        movl $SEL_UDATA, ms_slot(%rip)
        WRDR 7, (DR7_INIT | 0x1 | (3 << 16) | (1 << 18))
        CALLAT 1, cm_ms
        WRDR 7, DR7_INIT
        WRDR 0, 0
        mov $MSR_DEBUGCTL, %ecx
        mov $DEBUGCTL_BLD, %eax
        xor %edx, %edx
        wrmsr
        mov $bl_buf, %esi
        CALLAT 0, cm_bl                 /* CPL0: no #DB */
        mov $bl_buf, %esi
        CALLAT 1, cm_bl                 /* CPL3: #DB RIP=cm_bl1 */
        mov $MSR_DEBUGCTL, %ecx
        xor %eax, %eax
        xor %edx, %edx
        wrmsr
        mov bl_buf+62(%rip), %eax
        MARK 0xb1, %rax                 /* both locked adds completed: 2 */
        ret

        .code32
        .globl cm_gd, cm_gd0, cm_icebp, cm_icebp_after, cm_int3, cm_cc_after, cm_cd3_after
        .globl cm_io, cm_io1, cm_io2, cm_ms, cm_ms0, cm_ms1, cm_ms2, cm_ms3, cm_ms4, cm_bl, cm_bl1
cm_gd:
        xor %eax, %eax
cm_gd0: mov %dr0, %eax                  /* #DB RIP=cm_gd0 BD, then re-executed */
        ret
cm_icebp:
        .byte 0xf1
cm_icebp_after:
        ret
cm_int3:
        int3
cm_cc_after:
        .byte 0xcd, 0x03
cm_cd3_after:
        ret
cm_io:
        mov $0x3ff, %edx
        outb %al, %dx                   /* #DB RIP=cm_io1 */
cm_io1: inb %dx, %al                    /* #DB RIP=cm_io2 */
cm_io2: ret
cm_ms:
        pushf
        pop %eax
        mov %eax, %ebx
        or $RFLAGS_TF, %eax
        push %eax
        popf                            /* TF on: the next instruction is the first stepped */
cm_ms0: mov ms_slot, %ss                /* step and B0 held by the MOV SS shadow */
cm_ms1: nop                             /* #DB RIP=cm_ms2 BS|B0 */
cm_ms2: push %ebx                       /* #DB RIP=cm_ms3 BS */
cm_ms3: popf                            /* TF off: #DB RIP=cm_ms4 BS */
cm_ms4: ret
cm_bl:
        lock addl $1, 62(%esi)          /* dword across the 64-byte line */
cm_bl1: ret
        .code64

        .data
        .balign 8
        .globl ms_slot
ms_slot: .long 0
        .balign 64
        .globl bl_buf
bl_buf: .skip 128
        .text
