/* Debug traps inside repeated string I/O instructions (SDM Vol. 3 19.3.1.2): "For repeated INS and OUTS
   instructions that generate an I/O-breakpoint debug exception, the processor generates the exception after
   the completion of the first iteration. Repeated INS and OUTS instructions generate a memory-breakpoint
   debug exception after the iteration in which the memory address breakpoint location is accessed."
   Between iterations the instruction is not complete: the frame EIP is the REP instruction itself with
   ECX/ESI/EDI updated, and IRETD resumes the remaining iterations (SDM Vol. 2 REP).
   This scenario's #DB gate (rs_db) marks ECX (0xc0) before the runtime logs the #DB.
   - REP OUTSB x3 to port 0x3FF, DR0 = 0x3FF I/O (CR4.DE=1): a trap after every iteration, the last one
     with EIP after the instruction;
   - REP INSB x4 from port 0x3FF into dst, DR1 = dst+1 write: one trap after the second iteration. */
#include "../rt32.inc"

scenario_main:
        mov $1, %edi
        mov $rs_db, %esi
        xor %edx, %edx
        call rt_set_gate
        mov %cr4, %eax
        or $CR4_DE, %eax
        mov %eax, %cr4
        WRDR 0, 0x3ff
        WRDR 7, (DR7_INIT | 0x2 | (2 << 16))    /* G0, R/W0=10 (I/O), LEN0=1 */
        call rs_outs
        mov %ecx, %eax
        MARK 0xc1, %eax                 /* ECX after the instruction: 0 */
        WRDR 1, (rs_dst + 1)
        WRDR 7, (DR7_INIT | 0x8 | (1 << 20))    /* G1, R/W1=01, LEN1=1 */
        call rs_ins
        mov %edi, %ebx                  /* MARK uses ESI/EDI: keep EDI for the 0xd1 mark */
        mov %ecx, %eax
        MARK 0xc1, %eax
        mov %ebx, %eax
        sub $rs_dst, %eax
        MARK 0xd1, %eax                 /* EDI advanced by 4 */
        WRDR 7, DR7_INIT
        mov %cr4, %eax
        and $~CR4_DE, %eax
        mov %eax, %cr4
        ret

rs_db:
        pushal
        MARK 0xc0, %ecx
        popal
        jmp exc_1

        .globl rs_outs, rs_o0, rs_o1, rs_ins, rs_i0, rs_i1
rs_outs:
        mov $rs_src, %esi
        mov $3, %ecx
        mov $0x3ff, %edx
        cld
rs_o0:  rep outsb
rs_o1:  ret
rs_ins:
        mov $rs_dst, %edi
        mov $4, %ecx
        mov $0x3ff, %edx
        cld
rs_i0:  rep insb
rs_i1:  ret

        .data
rs_src: .byte 1, 2, 3, 4
        .balign 16
        .globl rs_dst
rs_dst: .skip 16
        .text
