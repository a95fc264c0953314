/* HLT single-stepped (issue 15: bare mode delivered the #DB but left the CPU halted, so the run
   ended "HLT forever" at the handler's first instruction). HLT is a trap-class instruction for
   single-step like any other: the #DB is taken after it, with the saved RIP at the next instruction
   (SDM Vol. 3 19.3.1.4), and delivering any event leaves the HLT state (SDM Vol. 3 9.10 / HLT in
   Vol. 2A: "An enabled interrupt (including NMI and SMI), a debug exception, the BINIT# signal, the
   INIT# signal, or the RESET# signal will resume execution"). IF=0 here, so nothing else can wake
   it: only the single-step #DB ends the halt. */
#include "../rt.inc"

scenario_main:
        cli
        pushfq
        pop %rax
        mov %rax, %rbx
        and $~RFLAGS_TF, %rbx
        or $RFLAGS_TF, %rax
        push %rax
        popfq                           /* sets TF: no trap after the POPF itself */
        .globl hs_hlt, hs_after, hs_pop, hs_end
hs_hlt: hlt                             /* #DB trap, RIP = hs_after: the halt ends */
hs_after:
        push %rbx                       /* #DB, RIP = hs_pop */
hs_pop: popfq                           /* clears TF, began with TF=1: #DB, RIP = hs_end */
hs_end: ret
