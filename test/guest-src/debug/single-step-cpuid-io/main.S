/* Single-step over CPUID, IN and OUT (SDM Vol. 3 19.3.1.4): every instruction, including
   CPUID and port I/O, traps after it completes while TF=1. CPL3 runs with IOPL=3. */
#include "../rt.inc"

scenario_main:
        call sio_body
        lea sio_body(%rip), %rdi
        call rt_run_user
        ret

        .globl sio_body, sio_0, sio_1, sio_2, sio_3, sio_4, sio_5, sio_6, sio_7, sio_8, sio_9
sio_body:
        push %rbx
        pushfq
        pop %rax
        or $RFLAGS_TF, %rax
        push %rax
        popfq                           /* TF on; first trap after the next instruction */
sio_0:  and $~RFLAGS_TF, %rax           /* #DB RIP=sio_1 */
sio_1:  push %rax                       /* #DB RIP=sio_2 */
sio_2:  xor %eax, %eax                  /* #DB RIP=sio_3 */
sio_3:  cpuid                           /* #DB RIP=sio_4 */
sio_4:  mov $0x3fd, %edx                /* #DB RIP=sio_5 */
sio_5:  inb %dx, %al                    /* COM1 LSR; #DB RIP=sio_6 */
sio_6:  mov $0x3ff, %edx                /* #DB RIP=sio_7 */
sio_7:  outb %al, %dx                   /* COM1 scratch register; #DB RIP=sio_8 */
sio_8:  popfq                           /* TF off, still traps: #DB RIP=sio_9 */
sio_9:  pop %rbx
        ret
