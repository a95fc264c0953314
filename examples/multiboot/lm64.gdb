# dbstub session build/guests/multiboot/lm64.elf examples/multiboot/lm64.gdb
# (or the same commands against qemu-system-x86_64 -s -S): stop in the 32-bit entry code, look at the
# mode registers, step across the far jump into 64-bit code, stop in the 64-bit C code.
hbreak entry32_long_mode
continue
p/x $cr0
p/x $efer
thbreak *start64
continue
p/x $cr0
p/x $efer
info registers rip cs
hbreak kmain
continue
info registers rip rdi rsi
kill
