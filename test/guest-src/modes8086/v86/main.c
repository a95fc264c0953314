/* modes8086/v86: runs the virtual-8086 stub under its monitor (start.S) and prints the record slots. */
#include "../../../../examples/multiboot/common/kernel.h"

extern void run_v86(void);

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
  (void)info;
  serial_init();
  check(magic == MB_BOOTLOADER_MAGIC, "bad Multiboot magic in EAX");
  for (u32 k = 0; k < 40; k++) RES[k] = 0xdeadbeef;
  puts("v86: entering virtual-8086 mode\n");
  run_v86();
  puts("v86: back in protected mode\n");
  record("gp0.", 0, 1);
  record("gp1.", 11, 1);
  record("int30.", 22, 0);
  kv("pushf", RES[32]);
  kv("lsr", RES[33]);
  kv("db.dr6", RES[34]);
  kv("db.eip", RES[35]);
  kv("db.cs", RES[36]);
  kv("db.eflags", RES[37]);
  kv("gp_count", RES[38]);
  debug_exit(EXIT_OK);
}
