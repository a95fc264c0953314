# dbstub session build/guests/seeds/000-bus-lock.elf examples/seeds/000-bus-lock/hbreak-stepi.gdb --vendor amd --serial
# Seed 000: a gdb hardware breakpoint on the guest's split-lock instruction (CPL3, DEBUGCTL bit 2 set).
# The hbreak stops before the instruction (fault-like, DR6 B0); the stepi then executes it, and the
# single-step exit carries BS and the bus lock (SVM: DR6 0xffff47f0). QEMU's kvm_handle_debug claims the
# step for gdb; whether the guest also gets its bus-lock #DB, and with which DR6, is the routing switch
# (--qemu-db-routing) and --exception-payload (docs/semantics.md §4, row "SVM gdb stepi + bus lock").
hbreak buslock_insn
continue
stepi
monitor info db 2
delete
continue
