/* DR6 fixed bits (SDM 19.2.3; seed 004; seed 001 for AMD): writing 0 to DR6 reads back
   0xFFFF07F0 where BLD (bit 11) is software-writable, 0xFFFF0FF0 where it is not; RTM (bit 16)
   likewise with RTM enumerated. On AMD, BLD is writable only while DEBUGCTL bit 2 is set.
   CPL0 only. Marks: 0x700 = CPUID.(7,0):ECX, 0x701 = EBX; 0x600.. = DR6 read back after each
   write (see the test); 0x1d9 = DEBUGCTL after the WRMSR. */
#include "../rt.inc"

        .macro W6 val, tag
        movabs $\val, %rax
        mov %rax, %dr6
        mov %dr6, %rax
        MARK \tag, %rax
        .endm

scenario_main:
        push %rbx
        mov $7, %eax
        xor %ecx, %ecx
        cpuid
        mov %rcx, %rax
        MARK 0x700, %rax
        mov %rbx, %rax
        MARK 0x701, %rax
        pop %rbx
        W6 0, 0x600
        W6 DR6_INIT, 0x601
        SETV fault_skip, 2
        mov $MSR_DEBUGCTL, %ecx
        mov $DEBUGCTL_BLD, %eax
        xor %edx, %edx
        .globl dr6_wrmsr
dr6_wrmsr:
        wrmsr                           /* #GP(0) when bus-lock detect is not enumerated */
        mov $MSR_DEBUGCTL, %ecx
        rdmsr
        shl $32, %rdx
        or %rdx, %rax
        MARK 0x1d9, %rax
        W6 0, 0x602
        W6 DR6_INIT, 0x603
        W6 0, 0x604                     /* leave BLD written as 0 ... */
        mov $MSR_DEBUGCTL, %ecx
        xor %eax, %eax
        xor %edx, %edx
        wrmsr
        mov %dr6, %rax
        MARK 0x605, %rax                /* ... then turn the trap off and look again (value not asserted) */
        W6 0, 0x606
        W6 DR6_INIT, 0x607
        ret
