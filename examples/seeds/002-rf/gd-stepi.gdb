# dbstub session build/guests/seeds/002-rf.elf examples/seeds/002-rf/gd-stepi.gdb --vendor amd --serial
# Seed 002: gdb single-steps the guest's MOV DR while the guest's DR7.GD is set. On AMD the MOV DR is
# intercepted and emulated; the emulator's general-detect #DB is fault-like with the seed-002 fix
# (--emulator-db-fault-like true): the guest gets GD (DR6 0xffff2ff0) at the MOV. Without it the #DB is
# treated as a trap and the single-step check after the instruction runs too (kvm_vcpu_do_singlestep).
hbreak gd_insn
continue
stepi
p/x $pc
monitor info db 3
delete
continue
