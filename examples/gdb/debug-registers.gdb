# dbstub session examples/prebuilt/hello.elf examples/gdb/debug-registers.gdb
# A hardware breakpoint (Z1) is loaded into the debugger's DR0-DR3 through the hypervisor model; the guest's
# own debug registers (dr0-dr3, dr6, dr7, debugctl in gdb's register list) stay the guest's.
hbreak exit
continue
bt 1
info registers dr6 dr7
monitor info dr
monitor info db 4
delete
continue
