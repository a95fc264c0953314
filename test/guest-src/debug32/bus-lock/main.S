/* Bus lock detection in 32-bit protected mode (Intel SDM Vol. 3 IA32_DEBUGCTL bit 2 BUS_LOCK_DETECT,
   CPUID.(EAX=7,ECX=0):ECX[24]; AMD APM Vol. 2 13.1.3.6 Bus Lock Trap): a LOCKed RMW or XCHG with
   memory whose operand crosses a 64-byte line is a bus lock; with DEBUGCTL bit 2 set and CPL>0 it
   raises a trap-like #DB after the instruction with DR6.BLD (bit 11, active low) cleared. Nothing at
   CPL0. WRMSR of bit 2 without the feature is #GP(0). Marks: 0x1d9 DEBUGCTL read back, 0xa0 the
   split dword after each run. */
#include "../rt32.inc"

        .macro RUN user
        mov $buf, %esi
        CALLAT \user, bl_body
        mov buf+62, %eax
        MARK 0xa0, %eax
        .endm

scenario_main:
        SETV fault_skip, 2
        WRDR 6, DR6_INIT
        RUN 0                           /* DEBUGCTL = 0: nothing */
        RUN 1
        mov $MSR_DEBUGCTL, %ecx
        mov $DEBUGCTL_BLD, %eax
        xor %edx, %edx
        .globl bl_wrmsr
bl_wrmsr:
        wrmsr
        mov $MSR_DEBUGCTL, %ecx
        rdmsr
        MARK 0x1d9, %eax
        RUN 0                           /* CPL0: nothing */
        RUN 1                           /* CPL3: #DB after each split locked access */
        mov $MSR_DEBUGCTL, %ecx
        xor %eax, %eax
        xor %edx, %edx
        wrmsr
        ret

        .globl bl_body, bl_0, bl_1, bl_2, bl_3
bl_body:                                /* %esi = 64-byte aligned buffer */
bl_0:   lock addl $1, 62(%esi)          /* dword across the line at +64: bus lock */
bl_1:   xchg %eax, 126(%esi)            /* implicitly locked, across +128: bus lock (value not checked) */
bl_2:   lock addl $1, 192(%esi)         /* inside one line: not a bus lock */
bl_3:   ret

        .data
        .balign 64
        .globl buf
buf:    .skip 256
        .text
