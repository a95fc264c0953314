/* #DB handled by a separate task through a task gate in IDT vector 1 (32-bit protected mode only; SDM Vol. 3
   19.3 "the debug-exception handler can be ... a separate task", 6.12.2 Interrupt Tasks, 8.3 task switching):
   no frame is pushed; the interrupted task's CS/EIP/EFLAGS are saved in its TSS (0x28); the handler task
   (TSS 0x30, NT=1 after the switch) returns with IRETD. To get past the instruction breakpoint the handler
   moves DR0 away; built with DTG_USE_RF (db-task-gate-rf) it sets RF in the interrupted task's saved EFLAGS
   instead: "it is copied into the RF flag in the EFLAGS register by IRETD/IRETQ or a task switch that
   causes the return" (SDM Vol. 3 19.3.1.1). The switch into the
   handler task clears DR7 L0-L3 (19.2.4): the handler logs DR7 with L2 cleared, G0/G1 kept.
   The handler task builds an interrupt-style frame from TSS 0x28 and enters the runtime's logger, whose
   final IRETD is the task return. TSS 0x30 is re-initialised before each expected #DB.
   Events: instruction breakpoint DR0 (G0) at dtg_hit; data write DR1 (G1, R/W1=01) on dtg_var; ICEBP. */
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
        .set TSS_IOMAP, 102
        .set GATE_TASK, 0x85            /* present, DPL0, task gate (type 5) */
        .set DR7_G0, 0x2
        .set DR7_G1, 0x8
        .set DR7_L2, 0x10

        .macro INIT_HANDLER_TASK
        movl $dtg_handler, tss_h + TSS_EIP
        movl $2, tss_h + TSS_EFLAGS
        movl $dtg_stack_top, tss_h + TSS_ESP
        movl $SEL_KCODE, tss_h + TSS_CS
        movl $SEL_KDATA, tss_h + TSS_SS
        movl $SEL_KDATA, tss_h + TSS_DS
        movl $SEL_KDATA, tss_h + TSS_ES
        movl $SEL_KDATA, tss_h + TSS_FS
        movl $SEL_KDATA, tss_h + TSS_GS
        movw $104, tss_h + TSS_IOMAP
        .endm

scenario_main:
        mov $tss_h, %eax                /* descriptor 0x30 base = tss_h */
        mov %ax, gdt + SEL_TSS2 + 2
        shr $16, %eax
        mov %al, gdt + SEL_TSS2 + 4
        mov %ah, gdt + SEL_TSS2 + 7
        /* IDT vector 1: task gate for TSS 0x30 (SDM Vol. 3 Figure 6-2) */
        movw $0, idt + 8
        movw $SEL_TSS2, idt + 8 + 2
        movb $0, idt + 8 + 4
        movb $GATE_TASK, idt + 8 + 5
        movw $0, idt + 8 + 6
        WRDR 6, DR6_INIT
        WRDR 0, dtg_hit
        WRDR 1, dtg_var
        WRDR 2, dtg_never
        WRDR 7, (DR7_INIT | DR7_G0 | DR7_G1 | DR7_L2 | (1 << 20))
        INIT_HANDLER_TASK
        .globl dtg_hit, dtg_w, dtg_w_after, dtg_icebp_after
        nop
dtg_hit: nop                            /* #DB (fault) through the task gate; resumes with RF from the TSS */
        INIT_HANDLER_TASK
dtg_w:  movl $1, dtg_var                /* #DB (trap) after it */
dtg_w_after:
        INIT_HANDLER_TASK
        .byte 0xf1                      /* ICEBP: #DB (trap) */
dtg_icebp_after:
        mov %dr7, %eax
        MARK 0x77, %eax                 /* DR7 back in the interrupted task: L2 cleared by the switches */
        WRDR 7, DR7_INIT
        ret

/* The handler task: enter the runtime's logger with a frame made from the interrupted task's TSS. */
dtg_handler:
#ifdef DTG_USE_RF
        orl $EFLAGS_RF, tss + TSS_EFLAGS        /* resume past an instruction breakpoint through RF */
#else
        mov $dtg_never, %eax                    /* or move the instruction breakpoint away */
        mov %eax, %dr0
#endif
        pushl tss + TSS_EFLAGS
        pushl tss + TSS_CS
        pushl tss + TSS_EIP
        pushl $0                        /* no error code */
        pushl $1                        /* vector */
        jmp exc_common                  /* logs; its IRETD with NT=1 returns to the interrupted task */
dtg_never:
        ud2

        .data
        .balign 4
        .globl dtg_var
dtg_var: .long 0
        .bss
        .balign 16
tss_h:  .skip 104
        .balign 16
dtg_stack: .skip 4096
dtg_stack_top:
        .text
