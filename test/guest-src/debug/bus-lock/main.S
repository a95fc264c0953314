/* Bus lock detection (Intel SDM Vol. 3 "bus lock" / DEBUGCTL.BUS_LOCK_DETECT; AMD APM Vol. 2
   13.1.3.6 Bus Lock Trap; seeds 000/001): a LOCKed read-modify-write or XCHG with memory whose
   operand crosses a 64-byte line is a bus lock. With DEBUGCTL bit 2 set and CPL>0 it raises a
   trap-like #DB after the instruction with DR6.BLD (bit 11, active low) cleared; other #DBs
   leave BLD as is. At CPL0 or with the bit clear nothing is raised. The access completes.
   WRMSR of the bit without CPUID.(7,0):ECX[24] is #GP(0).
   Marks: 0x1d9 = DEBUGCTL read back; 0xA0/0xA1 = the split dword/qword after each run;
   0x66 = DR6 after the software reset at the end. */
#include "../rt.inc"

        .macro RUN user
        lea buf(%rip), %rsi
        .if \user
        lea bl_body(%rip), %rdi
        call rt_run_user
        .else
        call bl_body
        .endif
        mov buf+62(%rip), %eax
        MARK 0xa0, %rax                 /* MARK clobbers %rsi: address buf directly */
        mov buf+124(%rip), %rax
        MARK 0xa1, %rax
        .endm

scenario_main:
        SETV fault_skip, 2
        WRDR 6, DR6_INIT
        /* phase A: DEBUGCTL = 0 */
        RUN 0
        RUN 1
        /* phase B: DEBUGCTL.BLD = 1 (#GP if not enumerated) */
        mov $MSR_DEBUGCTL, %ecx
        mov $DEBUGCTL_BLD, %eax
        xor %edx, %edx
        .globl bl_wrmsr
bl_wrmsr:
        wrmsr
        mov $MSR_DEBUGCTL, %ecx
        rdmsr
        shl $32, %rdx
        or %rdx, %rax
        MARK 0x1d9, %rax
        RUN 0
        RUN 1
        /* phase C: BLD sticky. Handler leaves DR6 alone and clears TF. */
        SETV db_flags, DBF_CLEAR_TF
        lea buf(%rip), %rsi
        lea bl_sticky(%rip), %rdi
        call rt_run_user
        WRDR 6, DR6_INIT
        mov %dr6, %rax
        MARK 0x66, %rax
        SETV db_flags, DBF_RESET_DR6
        mov $MSR_DEBUGCTL, %ecx
        xor %eax, %eax
        xor %edx, %edx
        wrmsr
        ret

        .globl bl_body, bl_0, bl_1, bl_2, bl_3, bl_sticky, bls_0, bls_1, bls_2, bls_3
bl_body:                                /* %rsi = 64-byte aligned buffer */
        movabs $0x1122334455667788, %rax
bl_0:   lock addl $1, 62(%rsi)          /* dword across the line at +64: bus lock */
bl_1:   xchg %rax, 124(%rsi)            /* implicitly locked qword across +128: bus lock */
bl_2:   lock addl $1, 192(%rsi)         /* inside one line: not a bus lock */
bl_3:   ret

bl_sticky:
bls_0:  lock addl $1, 62(%rsi)          /* bus lock #DB: DR6 = 0xFFFF07F0 */
bls_1:  pushfq
        orq $RFLAGS_TF, (%rsp)
        popfq
bls_2:  nop                             /* single-step #DB: BS added, BLD still clear */
bls_3:  ret

        .data
        .balign 64
        .globl buf
buf:    .skip 256
        .text
