# dbstub session examples/prebuilt/hello.elf examples/gdb/break-step.gdb
# (the session command connects first: file GUEST + target remote)
# A breakpoint at main (hbreak: see src/gdbstub/README.md, known issues), a look at the code and the registers, three single steps, then run to the exit.
hbreak main
continue
info registers rip rsp
x/8i $pc
stepi
stepi
stepi
p/x $pc
info registers dr6 dr7
delete
continue
