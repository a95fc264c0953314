# dbstub session examples/prebuilt/hello.elf examples/gdb/tour.gdb --qemu-db-routing corrected
# The README's 60-second tour: debug registers, a hardware breakpoint, stepi, a watchpoint, and the
# monitor commands that show the hypervisor's view (info dr) and the #DB routing decisions (info db).
info registers dr6 dr7
hbreak main
continue
stepi
watch xorshift_state
continue
monitor info dr
monitor info db 4
delete
continue
