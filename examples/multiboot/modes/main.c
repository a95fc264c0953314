/* modes: prints where it is going, then leaves protected mode (start.S). The kernel command line
 * (QEMU -append / dbstub --append) names the target: "real" (the default) or "v86". */
#include "../common/kernel.h"

extern __attribute__((noreturn)) void enter_real(void);
extern __attribute__((noreturn)) void enter_v86(void);

void modes_main(u32 magic, u32 info) {
  serial_init();
  const struct mb_info *mbi = (const struct mb_info *)(uptr)info;
  check(magic == MB_BOOTLOADER_MAGIC, "bad Multiboot magic in EAX");
  const char *cmdline = (mbi->flags & MBI_FLAG_CMDLINE) ? (const char *)(uptr)mbi->cmdline : "";
  if (has_word(cmdline, "v86")) {
    puts("modes: entering virtual-8086 mode (IRETD with EFLAGS.VM=1)\n");
    enter_v86();
  }
  puts("modes: entering real-address mode (CR0.PE=0)\n");
  enter_real();
}
