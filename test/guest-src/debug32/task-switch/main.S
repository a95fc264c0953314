/* Hardware task switch and the debug unit (32-bit protected mode only; IA-32e mode has no task switching):
   - SDM Vol. 3 19.3.1.5 "Task-Switch Exception Condition" / 8.2.1 (TSS byte 100 bit 0, the T flag): a
     switch to a task whose TSS has T=1 raises a trap-class #DB after the switch completes and before the
     new task's first instruction, DR6.BT (bit 15) set: DR6 = 0xFFFF8FF0, EIP = the new task's entry;
     AMD APM Vol. 2 13.1.1.3 (BT) and 12.2.5 (T bit) agree.
   - SDM Vol. 3 19.2.4: the processor clears DR7 L0-L3 on every task switch (G0-G3 stay).
   Phase 1: JMP far to the TSS (task B), task B marks DR7 and JMPs back. Phase 2: CALL far to the TSS
   (NT=1, back-link), task B marks DR7 and returns with IRETD (task return, SDM 8.3). Task A's TSS has
   T=0, so switching back raises nothing. Marks: 0x70 DR7 before the switch, 0x77 DR7 in task B, 0xa7 DR7
   back in task A. */
#include "../rt32.inc"
        .set TSS_EIP, 32
        .set TSS_EFLAGS, 36
        .set TSS_ESP, 56
        .set TSS_ES, 72
        .set TSS_CS, 76
        .set TSS_SS, 80
        .set TSS_DS, 84
        .set TSS_FS, 88
        .set TSS_GS, 92
        .set TSS_T, 100                 /* bit 0: debug trap on switch to this task */
        .set TSS_IOMAP, 102
        .set DR7_L0, 0x1
        .set DR7_G1, 0x8

/* INIT_TSS_B entry: fresh task B state (the last switch away from it saved its registers there). */
        .macro INIT_TSS_B entry
        movl $\entry, tss_b + TSS_EIP
        movl $2, tss_b + TSS_EFLAGS
        movl $tb_stack_top, tss_b + TSS_ESP
        movl $SEL_KCODE, tss_b + TSS_CS
        movl $SEL_KDATA, tss_b + TSS_SS
        movl $SEL_KDATA, tss_b + TSS_DS
        movl $SEL_KDATA, tss_b + TSS_ES
        movl $SEL_KDATA, tss_b + TSS_FS
        movl $SEL_KDATA, tss_b + TSS_GS
        movw $1, tss_b + TSS_T
        movw $104, tss_b + TSS_IOMAP    /* no I/O bitmap (beyond the limit) */
        .endm

        .macro ARM_DR7
        WRDR 0, tb_never                /* L0: an instruction breakpoint that must not matter */
        WRDR 1, tb_never
        WRDR 7, (DR7_INIT | DR7_L0 | DR7_G1)
        mov %dr7, %eax
        MARK 0x70, %eax                 /* DR7 before the switch: L0 and G1 */
        .endm

scenario_main:
        mov $tss_b, %eax                /* descriptor 0x30 base = tss_b */
        mov %ax, gdt + SEL_TSS2 + 2
        shr $16, %eax
        mov %al, gdt + SEL_TSS2 + 4
        mov %ah, gdt + SEL_TSS2 + 7
        WRDR 6, DR6_INIT
        INIT_TSS_B tb_jmp_entry
        ARM_DR7
        .globl ts_jmp, ts_jmp_back
ts_jmp: ljmp $SEL_TSS2, $0              /* #DB BT at tb_jmp_entry */
ts_jmp_back:
        mov %dr7, %eax
        MARK 0xa7, %eax
        INIT_TSS_B tb_call_entry
        ARM_DR7
        .globl ts_call, ts_call_back
ts_call: lcall $SEL_TSS2, $0            /* #DB BT at tb_call_entry */
ts_call_back:
        mov %dr7, %eax
        MARK 0xa7, %eax
        WRDR 7, DR7_INIT
        ret

        .globl tb_jmp_entry, tb_call_entry, tb_never
tb_jmp_entry:
        mov %dr7, %eax
        MARK 0x77, %eax
        ljmp $SEL_TSS, $0               /* back to task A (its busy flag was cleared by the JMP away) */
tb_call_entry:
        mov %dr7, %eax
        MARK 0x77, %eax
        iret                            /* NT=1: return to task A through the back-link */
tb_never:
        ud2

        .bss
        .balign 16
tss_b:  .skip 104
        .balign 16
tb_stack: .skip 4096
tb_stack_top:
        .text
