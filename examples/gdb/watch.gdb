# dbstub session examples/prebuilt/hello.elf examples/gdb/watch.gdb
# A write watchpoint on the guest's PRNG state: gdb shows the old and the new value once the store completed
# (x86 data breakpoints are trap-like), then the watch is removed and the guest runs to its exit.
hbreak main
continue
watch xorshift_state
continue
p/x $pc
info watchpoints
delete
continue
