/* modes8086/v86: runs the virtual-8086 stub under its monitor (start.S) and prints the record slots. */
#include "../../../../examples/multiboot/common/kernel.h"

extern void run_v86(void);
extern u32 qemu_dr7;

#define RES ((volatile u32 *)0x6000)
static const char *const FRAME[] = { "entry_ds", "err", "eip", "cs", "eflags", "esp", "ss", "es", "ds", "fs", "gs" };

static void record(const char *prefix, u32 first, int with_err) {
  u32 slot = first;
  for (u32 k = 0; k < sizeof FRAME / sizeof FRAME[0]; k++) {
    if (k == 1 && !with_err) continue;
    puts(prefix);
    kv(FRAME[k], RES[slot++]);
  }
}

void v86_main(u32 magic, u32 info) {
  serial_init();
  check(magic == MB_BOOTLOADER_MAGIC, "bad Multiboot magic in EAX");
  const struct mb_info *mbi = (const struct mb_info *)(uptr)info;
  const char *cmdline = (mbi->flags & MBI_FLAG_CMDLINE) ? (const char *)(uptr)mbi->cmdline : "";
  /* QEMU 7.2 TCG and instruction breakpoints in 16-bit code do not go together (modes8086.test.ts). */
  if (has_word(cmdline, "qemu-subset")) qemu_dr7 = 0x400;
  for (u32 k = 0; k < 44; k++) RES[k] = 0xdeadbeef;
  puts("v86: entering virtual-8086 mode\n");
  run_v86();
  puts("v86: back in protected mode\n");
  record("gp0.", 0, 1);
  record("gp1.", 11, 1);
  record("int30.", 22, 0);
  kv("pushf", RES[32]);
  kv("lsr", RES[33]);
  kv("db0.dr6", RES[34]);
  kv("db0.eip", RES[35]);
  kv("db0.cs", RES[36]);
  kv("db0.eflags", RES[37]);
  kv("db1.dr6", RES[38]);
  kv("db1.eip", RES[39]);
  kv("db1.cs", RES[40]);
  kv("db1.eflags", RES[41]);
  kv("gp_count", RES[42]);
  debug_exit(EXIT_OK);
}
