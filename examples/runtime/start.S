/* dbstub guest runtime entry and interrupt stubs (GNU as, AT&T syntax).
 * The boot environment (docs/boot.md) enters _start in 64-bit mode at CPL0 with IF=0. */

#define SEL_USER_DATA 0x1b
#define SEL_USER_CODE 0x23
#define SYS_RETURN 0

        .section .text.start, "ax"
        .globl _start
_start:
        mov     $kernel_stack_top, %rsp
        xor     %ebp, %ebp
        call    runtime_init
        call    main
        mov     %eax, %edi
        call    exit
1:      cli
        hlt
        jmp     1b

/* Vectors whose exceptions push an error code (SDM Vol. 3 6.13, Table 6-1):
 * 8 #DF, 10 #TS, 11 #NP, 12 #SS, 13 #GP, 14 #PF, 17 #AC, 21 #CP, 29 #VC, 30 #SX. */
        .text
        .altmacro
        .macro  isr_stub v
        .align  16
isr\v:
        .if (\v == 8) || (\v >= 10 && \v <= 14) || (\v == 17) || (\v == 21) || (\v == 29) || (\v == 30)
        .else
        pushq   $0                      /* dummy error code keeps one frame layout */
        .endif
        pushq   $\v
        jmp     isr_common
        .endm

        .set    vec, 0
        .rept   256
        isr_stub %vec
        .set    vec, vec + 1
        .endr

/* Save the GPRs in struct regs order (rax at the lowest address), call isr_dispatch(frame),
 * restore, drop vector and error code, IRETQ. 15 GPRs + vector + error code + the CPU's 5 words
 * are 22 quadwords, so RSP stays 16-byte aligned for the C call. */
isr_common:
        pushq   %r15
        pushq   %r14
        pushq   %r13
        pushq   %r12
        pushq   %r11
        pushq   %r10
        pushq   %r9
        pushq   %r8
        pushq   %rbp
        pushq   %rdi
        pushq   %rsi
        pushq   %rdx
        pushq   %rcx
        pushq   %rbx
        pushq   %rax
        cld
        mov     %rsp, %rdi
        call    isr_dispatch
        popq    %rax
        popq    %rbx
        popq    %rcx
        popq    %rdx
        popq    %rsi
        popq    %rdi
        popq    %rbp
        popq    %r8
        popq    %r9
        popq    %r10
        popq    %r11
        popq    %r12
        popq    %r13
        popq    %r14
        popq    %r15
        add     $16, %rsp
        iretq

        .macro  stub_addr v
        .quad   isr\v
        .endm
        .section .rodata
        .align  8
        .globl  isr_stub_table
isr_stub_table:
        .set    vec, 0
        .rept   256
        stub_addr %vec
        .set    vec, vec + 1
        .endr

/* u64 run_at_cpl3(u64 (*fn)(u64), u64 arg)
 * Saves the callee-saved registers and RSP, then IRETQs to cpl3_trampoline at CPL3. The way back is
 * int $0x80 (SYS_RETURN), whose C handler calls cpl3_return(value) on the TSS.RSP0 stack. */
        .text
        .globl  run_at_cpl3
run_at_cpl3:
        pushq   %rbp
        pushq   %rbx
        pushq   %r12
        pushq   %r13
        pushq   %r14
        pushq   %r15
        mov     %rsp, cpl3_saved_rsp
        pushq   $SEL_USER_DATA          /* SS */
        mov     $user_stack_top, %rax
        pushq   %rax                    /* RSP */
        pushq   $0x2                    /* RFLAGS: IF=0, IOPL=0 */
        pushq   $SEL_USER_CODE          /* CS */
        mov     $cpl3_trampoline, %rax
        pushq   %rax                    /* RIP */
        iretq

cpl3_trampoline:                        /* CPL3: rdi = fn, rsi = arg */
        mov     %rdi, %rax
        mov     %rsi, %rdi
        call    *%rax
        mov     %rax, %rdi
        mov     $SYS_RETURN, %eax
        int     $0x80
        ud2

        .globl  cpl3_return
cpl3_return:                            /* CPL0, called from the int $0x80 handler */
        mov     cpl3_saved_rsp, %rsp
        mov     %rdi, %rax
        popq    %r15
        popq    %r14
        popq    %r13
        popq    %r12
        popq    %rbx
        popq    %rbp
        ret

        .bss
        .align  16
cpl3_saved_rsp:
        .quad   0
        .align  16
        .space  65536
        .globl  kernel_stack_top
kernel_stack_top:
        .space  16384
        .globl  user_stack_top
user_stack_top:
