/* TF single-step in IA-32e compatibility mode (SDM Vol. 3 19.3.1.4; 6.14.2 64-bit frame; 6.12.1.2 the
   gate clears TF): POPF setting TF is not itself trapped; each following instruction traps with RIP after
   it, DR6 = BS; INT 0x81 from compatibility mode goes through the 64-bit IDT to a 64-bit handler (CS 0x08)
   and its step trap is taken before the handler's first instruction; the handler's IRETQ returns to
   compatibility mode with TF=1 restored. */
#include "../compat64.inc"
        .set VEC_SOFT, 0x81

scenario_main:
        mov $VEC_SOFT, %edi
        lea csi_handler(%rip), %rsi
        mov $3, %edx
        call rt_set_gate
        CALLAT 0, cs_body
        CALLAT 1, cs_body
        ret

        .globl csi_handler
csi_handler:
        iretq                           /* 64-bit, CPL0, TF=0; back to compatibility mode with TF=1 */

        .code32
        .globl cs_body, cs_a, cs_b, cs_int, cs_after, cs_c, cs_d, cs_e
cs_body:
        pushf
        pop %eax
        mov %eax, %ebx
        and $~RFLAGS_TF, %ebx
        or $RFLAGS_TF, %eax
        push %eax
        popf                            /* sets TF: no trap after it */
cs_a:   nop                             /* #DB RIP=cs_b */
cs_b:   nop                             /* #DB RIP=cs_int */
cs_int: int $VEC_SOFT                   /* #DB RIP=csi_handler, CS 0x08, pushed TF=0 */
cs_after:
        nop                             /* after the IRETQ: #DB RIP=cs_c */
cs_c:   push %ebx                       /* #DB RIP=cs_d */
cs_d:   popf                            /* clears TF: #DB RIP=cs_e */
cs_e:   ret
        .code64
