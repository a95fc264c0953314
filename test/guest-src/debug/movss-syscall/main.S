/* MOV SS on a watched operand, then SYSCALL with a non-canonical user RSP (Linux 6.1
   tools/testing/selftests/x86/mov_ss_trap.c "MOV SS; SYSCALL"; CVE-2018-8897). The data breakpoint hit
   by MOV SS is held for one instruction and delivered after SYSCALL's transfer, at the first kernel
   instruction (SDM Vol. 3 6.8.3), with RSP still the user's (SYSCALL does not switch stacks). Gate 1
   names IST 1 (as Linux's #DB gate does), so the #DB frame lands on the IST stack and holds that RSP;
   the handler's IRETQ reloads it exactly: RSP is a 64-bit register and IRET does not check it for
   canonicality (SDM Vol. 2A IRET: only RIP is). The entry stub records the RSP it runs with and SYSRETs
   with it; user code flips bit 63 back and records its RSP.
   mark 1: RSP at the entry after the #DB handler's IRETQ (expected: user RSP with bit 63 flipped)
   mark 2: user RSP before SYSCALL XOR user RSP after it (expected 0).
   4. CPL0 IRETQ to a same-level frame whose RSP image is non-canonical: mark 3 = RSP loaded. */
#include "../rt.inc"

        .set MSR_STAR, 0xc0000081
        .set MSR_LSTAR, 0xc0000082
        .set MSR_FMASK, 0xc0000084
        .set NONCANON_RSP, 0x8badf00d5aadc0de

scenario_main:
        /* #DB gate: IST 1 (byte 4 of the 16-byte gate), DPL0 */
        lea idt(%rip), %rax
        movb $1, 16 + 4(%rax)
        mov $MSR_STAR, %ecx             /* SYSCALL CS 0x08 SS 0x10; SYSRET CS 0x13+16 = 0x23, SS 0x1b */
        xor %eax, %eax
        mov $0x00130008, %edx
        wrmsr
        mov $MSR_LSTAR, %ecx
        lea ms_entry(%rip), %rax
        mov %rax, %rdx
        shr $32, %rdx
        wrmsr
        mov $MSR_FMASK, %ecx
        mov $(RFLAGS_TF | RFLAGS_IF), %eax
        xor %edx, %edx
        wrmsr

        WRDR 6, DR6_INIT
        lea ssvar_u(%rip), %rax
        mov %rax, %dr0
        WRDR 7, (DR7_INIT | 0x1 | (3 << 16) | (1 << 18))   /* L0, R/W0 = 11 (read/write), LEN0 = 2 bytes */
        lea ms_user(%rip), %rdi
        call rt_run_user
        WRDR 7, DR7_INIT

        mov entry_rsp(%rip), %rax
        MARK 1, %rax
        mov rsp_before(%rip), %rax
        xor rsp_after(%rip), %rax
        MARK 2, %rax

        /* 4. IRETQ (CPL0 -> CPL0) loading a non-canonical RSP */
        mov %rsp, %r12
        pushq $SEL_KDATA
        movabs $NONCANON_RSP, %rax
        push %rax
        pushfq
        pushq $SEL_KCODE
        lea k_after(%rip), %rax
        push %rax
        iretq
k_after:
        mov %rsp, %rax                  /* no stack access with this RSP */
        mov %r12, %rsp
        MARK 3, %rax
        ret

        .globl ms_user, ms_mov, ms_syscall, ms_back, ms_entry
ms_user:                                /* CPL3 */
        mov %rsp, rsp_before(%rip)
        btc $63, %rsp                   /* non-canonical, as the selftest makes it */
ms_mov: mov ssvar_u(%rip), %ss          /* data breakpoint hit; #DB held back */
ms_syscall:
        syscall                         /* #DB at ms_entry (CPL0, IST 1) with DR6.B0 */
ms_back:
        btc $63, %rsp
        mov %rsp, rsp_after(%rip)
        ret

ms_entry:                               /* CPL0, RSP = the user's non-canonical RSP */
        mov %rsp, entry_rsp(%rip)
        sysretq

        .data
        .balign 8
        .globl ssvar_u
ssvar_u: .word SEL_UDATA
        .balign 8
entry_rsp:  .quad 0
rsp_before: .quad 0
rsp_after:  .quad 0
