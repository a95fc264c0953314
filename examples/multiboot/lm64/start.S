/* lm64 entry: the Multiboot loader enters here in 32-bit protected mode, flat segments, paging off,
 * IF=0, EAX=0x2BADB002, EBX=the Multiboot information (Multiboot Specification 0.6.96, 3.2 (Machine
 * state)). We build a PAE identity map of the first 4 GiB and switch to IA-32e mode in the order the
 * SDM gives (Vol. 3 10.8.5 (Initializing IA-32e Mode)): CR4.PAE, EFER.LME, CR0.PG, then a far jump to a
 * 64-bit code segment; then call kmain(magic, info) in 64-bit mode. Also: the interrupt stubs and the
 * CPL3 round trip. */

#define MB_HEADER_MAGIC 0x1badb002
#define MB_PAGE_ALIGN (1 << 0)     /* modules on 4 KiB boundaries */
#define MB_MEMORY_INFO (1 << 1)    /* mem_lower/mem_upper and the memory map */
#define MB_AOUT_KLUDGE (1 << 16)   /* load addresses from this header, not from the ELF */
#define MB_HEADER_FLAGS (MB_PAGE_ALIGN | MB_MEMORY_INFO | MB_AOUT_KLUDGE)

#define CR0_PE (1 << 0)
#define CR0_WP (1 << 16)
#define CR0_PG (1 << 31)
#define CR4_PAE (1 << 5)
#define IA32_EFER 0xc0000080
#define EFER_LME (1 << 8)
#define PG_P 0x001
#define PG_RW 0x002
#define PG_US 0x004
#define PG_PWT 0x008
#define PG_PCD 0x010
#define PG_PS 0x080
#define PD_ENTRIES_4G 2048          /* 4 page directories x 512 entries of 2 MiB */
#define PD_FIRST_UNCACHED 1536      /* 3 GiB and up (LAPIC, IOAPIC, ROM): PCD|PWT */
#define SEL_BOOT_CODE64 0x08
#define SEL_BOOT_DATA 0x10
#define COM1_THR 0x3f8
#define COM1_LSR 0x3fd
#define LSR_THRE 0x20

        .section .multiboot, "a"
        .align  4
mb_header:
        .long   MB_HEADER_MAGIC
        .long   MB_HEADER_FLAGS
        .long   -(MB_HEADER_MAGIC + MB_HEADER_FLAGS)
        .long   mb_header               /* header_addr */
        .long   mb_header               /* load_addr: the image begins with this header */
        .long   _edata                  /* load_end_addr */
        .long   _end                    /* bss_end_addr */
        .long   _start                  /* entry_addr */

        .section .text.start, "ax"
        .code32
        .globl  _start
_start:
        cli
        mov     %eax, mb_magic
        mov     %ebx, mb_info
        mov     $boot_stack_top, %esp
        mov     $msg_entry32, %esi
        call    puts32
        /* Report what the loader promised: CR0.PE=1, CR0.PG=0, EFLAGS.IF=0. */
        mov     %cr0, %eax
        test    $CR0_PE, %eax
        jz      bad_state
        test    $CR0_PG, %eax
        jnz     bad_state
        pushf
        pop     %eax
        test    $0x200, %eax
        jnz     bad_state
        mov     $msg_state_ok, %esi
        call    puts32
        .globl  entry32_paging
entry32_paging:
        /* Page directories: entry i maps 2 MiB at i << 21 (bits 32+ of the address are i >> 11). */
        xor     %ecx, %ecx
1:      mov     %ecx, %eax
        shl     $21, %eax
        or      $(PG_P | PG_RW | PG_US | PG_PS), %eax
        cmp     $PD_FIRST_UNCACHED, %ecx
        jb      2f
        or      $(PG_PCD | PG_PWT), %eax
2:      mov     %eax, pd(,%ecx,8)
        mov     %ecx, %eax
        shr     $11, %eax
        mov     %eax, pd+4(,%ecx,8)
        inc     %ecx
        cmp     $PD_ENTRIES_4G, %ecx
        jne     1b
        /* PDPT[0..3] -> the four page directories, PML4[0] -> PDPT. */
        xor     %ecx, %ecx
3:      mov     %ecx, %eax
        shl     $12, %eax
        add     $pd, %eax
        or      $(PG_P | PG_RW | PG_US), %eax
        mov     %eax, pdpt(,%ecx,8)
        inc     %ecx
        cmp     $4, %ecx
        jne     3b
        movl    $(pdpt + PG_P + PG_RW + PG_US), pml4
        .globl  entry32_long_mode
entry32_long_mode:
        mov     $pml4, %eax
        mov     %eax, %cr3
        mov     %cr4, %eax
        or      $CR4_PAE, %eax
        mov     %eax, %cr4
        mov     $IA32_EFER, %ecx
        rdmsr
        or      $EFER_LME, %eax
        wrmsr
        mov     %cr0, %eax
        or      $(CR0_PG | CR0_WP), %eax
        mov     %eax, %cr0
        lgdt    boot_gdt_ptr
        ljmp    $SEL_BOOT_CODE64, $start64

bad_state:
        mov     $msg_bad_state, %esi
        call    puts32
        mov     $0x3f, %al
        out     %al, $0xf4
4:      hlt
        jmp     4b

/* puts32(ESI = NUL-terminated string) on COM1, polling LSR.THRE; clobbers EAX, EDX, ESI. */
puts32:
        lodsb
        test    %al, %al
        jz      6f
        mov     %al, %ah
5:      mov     $COM1_LSR, %dx
        in      %dx, %al
        test    $LSR_THRE, %al
        jz      5b
        mov     $COM1_THR, %dx
        mov     %ah, %al
        out     %al, %dx
        jmp     puts32
6:      ret

        .code64
        .globl  start64
start64:
        mov     $SEL_BOOT_DATA, %eax
        mov     %eax, %ds
        mov     %eax, %es
        mov     %eax, %ss
        xor     %eax, %eax
        mov     %eax, %fs
        mov     %eax, %gs
        mov     $boot_stack_top, %rsp
        mov     mb_magic, %edi
        mov     mb_info, %esi
        call    kmain
7:      cli
        hlt
        jmp     7b

/* Interrupt stubs: vectors without a CPU error code push 0 so every frame looks alike (SDM Vol. 3
 * 6.14.1 (64-Bit Mode IDT)): then the vector, the 15 GPRs, and isr_dispatch(struct frame *). */
        .macro  stub vec, has_error
        .globl  isr_\vec
isr_\vec:
        .if     \has_error == 0
        pushq   $0
        .endif
        pushq   $\vec
        jmp     isr_common
        .endm

        .irp    v, 0,1,2,3,4,5,6,7,9,15,16,18,19,20,28,31
        stub    \v, 0
        .endr
        .irp    v, 8,10,11,12,13,14,17,21,29,30
        stub    \v, 1
        .endr
        .irp    v, 22,23,24,25,26,27
        stub    \v, 0
        .endr
        stub    64, 0
        stub    65, 0
        stub    128, 0
        stub    255, 0

isr_common:
        push    %rax
        push    %rbx
        push    %rcx
        push    %rdx
        push    %rsi
        push    %rdi
        push    %rbp
        push    %r8
        push    %r9
        push    %r10
        push    %r11
        push    %r12
        push    %r13
        push    %r14
        push    %r15
        mov     %rsp, %rdi
        cld
        call    isr_dispatch
        pop     %r15
        pop     %r14
        pop     %r13
        pop     %r12
        pop     %r11
        pop     %r10
        pop     %r9
        pop     %r8
        pop     %rbp
        pop     %rdi
        pop     %rsi
        pop     %rdx
        pop     %rcx
        pop     %rbx
        pop     %rax
        add     $16, %rsp
        iretq

        .section .rodata
        .align  32
        .globl  isr_vectors_0_31
isr_vectors_0_31:
        .irp    v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
        .quad   isr_\v
        .endr

/* enter_user(entry RDI, user stack RSI, arg RDX, code selector RCX): IRETQ to CPL3 (SDM Vol. 3
 * 6.14.3 (IRET in IA-32e Mode)); a 64-bit code segment runs the user code in 64-bit mode, a 32-bit one
 * in compatibility mode. Returns at CPL0 with the value the user code passed to int $0x80 once the
 * syscall handler calls resume_kernel(value). */
#define SEL_USER_DATA 0x1b
#define RFLAGS_FIXED 0x2
        .text
        .globl  enter_user
enter_user:
        push    %rbx
        push    %rbp
        push    %r12
        push    %r13
        push    %r14
        push    %r15
        mov     %rsp, kernel_resume_rsp
        mov     %rdx, %rax
        pushq   $SEL_USER_DATA
        push    %rsi
        pushq   $RFLAGS_FIXED
        push    %rcx
        push    %rdi
        mov     %rax, %rdi
        iretq

/* SYSCALL entry (SDM Vol. 2B SYSCALL, Vol. 3 5.8.8 (Fast System Calls in 64-Bit Mode)): the CPU
 * saves RIP in RCX and RFLAGS in R11 and keeps the user RSP, so switch to a kernel stack first; call
 * syscall_insn(nr RAX, arg RDI, user RIP RCX, user RFLAGS R11) and return to CPL3 with SYSRETQ. */
        .globl  syscall_entry
syscall_entry:
        mov     %rsp, syscall_user_rsp
        lea     syscall_stack_top(%rip), %rsp
        push    %rcx
        push    %r11
        mov     %rdi, %rsi
        mov     %rax, %rdi
        mov     %rcx, %rdx
        mov     %r11, %rcx
        call    syscall_insn
        pop     %r11
        pop     %rcx
        mov     syscall_user_rsp, %rsp
        sysretq

/* Compatibility mode at CPL0 (SDM Vol. 3 5.2.1 (Code-Segment Descriptor in 64-bit Mode)): RETFQ to
 * a 32-bit code segment (CS.L=0, CS.D=1) runs compat32_body as 32-bit code while EFER.LMA stays 1;
 * its 32-bit RETF returns to 64-bit code. Results land in compat_results (C reads them). */
#define SEL_KERNEL_CODE32 0x38
        .globl  compat_call
compat_call:
        push    %rbx
        push    %rbp
        mov     %rsp, %rbp
        pushq   $SEL_KERNEL_CODE32
        lea     compat32_body(%rip), %rax
        push    %rax
        lretq
compat_back64:
        mov     %rbp, %rsp
        pop     %rbp
        pop     %rbx
        ret

        .code32
compat32_body:
        mov     $5, %eax
        .byte   0x48                    /* DEC EAX here; in 64-bit mode the same byte is a REX.W prefix */
        mov     %eax, compat_results
        mov     %esp, %ecx
        push    %eax                    /* 32-bit stack operations: 4 bytes */
        sub     %esp, %ecx
        pop     %eax
        mov     %ecx, compat_results + 4
        mov     %cs, %eax
        mov     %eax, compat_results + 8
        push    $SEL_BOOT_CODE64
        push    $compat_back64
        lret                            /* 32-bit RETF: pops EIP then CS */

/* 32-bit user code (CPL3, compatibility mode): report CS back through int $0x80 (a 64-bit IDT gate). */
        .globl  compat_user
compat_user:
        mov     %cs, %eax
        mov     %eax, %edi
        mov     $1, %eax                /* SYS_BACK_TO_KERNEL */
        int     $0x80
1:      jmp     1b
        .code64

        .globl  resume_kernel
resume_kernel:
        mov     %rdi, %rax
        mov     kernel_resume_rsp, %rsp
        pop     %r15
        pop     %r14
        pop     %r13
        pop     %r12
        pop     %rbp
        pop     %rbx
        ret

        .section .rodata
msg_entry32:    .asciz "entry32: protected mode entry from the Multiboot loader\n"
msg_state_ok:   .asciz "entry32: cr0.pe=1 cr0.pg=0 eflags.if=0\n"
msg_bad_state:  .asciz "FAIL: entry32 machine state is not the Multiboot one\n"
        .align  8
boot_gdt:
        .quad   0
        .quad   0x00af9a000000ffff      /* 0x08: 64-bit code, DPL0 (L=1, D=0) */
        .quad   0x00cf92000000ffff      /* 0x10: flat data */
boot_gdt_end:
boot_gdt_ptr:
        .word   boot_gdt_end - boot_gdt - 1
        .long   boot_gdt

        .data
        .align  8
        .globl  mb_magic, mb_info
mb_magic:       .long 0
mb_info:        .long 0
kernel_resume_rsp: .quad 0
        .globl  compat_results
compat_results: .long 0, 0, 0
syscall_user_rsp: .quad 0

        .bss
        .align  4096
pml4:   .space  4096
pdpt:   .space  4096
pd:     .space  4 * 4096
        .align  16
boot_stack:
        .space  32768
boot_stack_top:
        .align  16
syscall_stack:
        .space  8192
syscall_stack_top:
