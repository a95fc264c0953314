/* One debug-register slot reused the way Linux's perf breakpoints reuse it (Linux 6.1
   arch/x86/kernel/hw_breakpoint.c: arch_install_hw_breakpoint writes DRn then DR7 |= Gn/R/W/LEN|GE,
   arch_uninstall_hw_breakpoint clears them and leaves GE), as ptrace's breakpoint_test drives it:
   DR0 holds an instruction breakpoint, then write watchpoints on successive addresses, a 2-byte write
   and a 4-byte read/write watchpoint, then an instruction breakpoint again; finally DR3 with DR0 left
   holding a disabled address. Each step must match only the current DRn/DR7 (SDM Vol. 3 19.2.4-19.2.5):
   an access to the slot's previous address is no hit. The bodies run at CPL3; the handler rewrites DR6
   as Linux does (debug_read_clear_dr6) and sets RF. Phase marks: M <phase> <DR7 written>. */
#include "../rt.inc"

        .set DR7_GE, 0x200

        .macro PHASE n, dr, addr, dr7, body
        WRDR 7, DR7_GE                  /* uninstall: enables and fields cleared, GE kept */
        lea \addr(%rip), %rax
        mov %rax, %dr\dr
        WRDR 7, \dr7
        mov $\dr7, %eax
        MARK \n, %rax
        lea \body(%rip), %rdi
        call rt_run_user
        .endm

scenario_main:
        SETV db_flags, (DBF_RESET_DR6 | DBF_SET_RF)
        /* G0|GE, R/W0=00 (execute), LEN0=00 */
        PHASE 1, 0, f_exec, 0x202, body_exec
        /* G0|GE, R/W0=01 (write), LEN0=00 (1 byte) */
        PHASE 2, 0, var0, 0x10202, body_w0
        PHASE 3, 0, var1, 0x10202, body_w1
        /* R/W0=01, LEN0=01 (2 bytes) */
        PHASE 4, 0, var2, 0x50202, body_w2
        /* R/W0=11 (read or write), LEN0=11 (4 bytes) */
        PHASE 5, 0, var3, 0xf0202, body_r3
        PHASE 6, 0, f_exec, 0x202, body_exec_again
        /* G3|GE, R/W3=01, LEN3=10 (8 bytes); DR0 still holds f_exec, disabled */
        PHASE 7, 3, var0, 0x90000280, body_w0_dr3
        WRDR 7, DR7_INIT
        ret

        .globl f_exec, body_exec, body_w0, w0_hit, body_w1, w1_hit, body_w2, w2_hit, body_r3, r3_hit
        .globl body_exec_again, body_w0_dr3, w0_dr3_hit
f_exec: ret

body_exec:
        call f_exec                     /* fault-like #DB at f_exec, B0 */
        ret

body_w0:
        movb $0xff, var0(%rip)
w0_hit: ret                             /* trap-like #DB after the write, B0 */

body_w1:
        movb $0xff, var0(%rip)          /* the slot's previous address: no hit */
        movb $0xff, var1(%rip)
w1_hit: ret

body_w2:
        movw $0xffff, var1(%rip)
        movw $0xffff, var2(%rip)
w2_hit: ret

body_r3:
        mov var2(%rip), %eax
        mov var3(%rip), %eax            /* a read hits R/W=11 */
r3_hit: ret

body_exec_again:
        movl $-1, var3(%rip)            /* DR0 is an instruction breakpoint again: no data hit */
        call f_exec
        ret

body_w0_dr3:
        call f_exec                     /* L0/G0 clear: DR0's address alone does nothing */
        movq $-1, var0(%rip)
w0_dr3_hit:
        ret

        .data
        .balign 64
        .globl var0, var1, var2, var3
var0:   .quad 0
var1:   .quad 0
var2:   .quad 0
var3:   .quad 0
        .text
