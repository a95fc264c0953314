/* modes8086/real: runs the real-address-mode stub (start.S) and prints its result slots as name=value lines. */
#include "../../../../examples/multiboot/common/kernel.h"

extern void run_real(void);

/* Whether the command line (after QEMU's "KERNEL-PATH ") holds `word` as a whole word. */
static int has_word(const char *s, const char *word) {
  while (*s) {
    while (*s == ' ') s++;
    const char *w = word;
    const char *p = s;
    while (*w && *p == *w) p++, w++;
    if (!*w && (*p == ' ' || !*p)) return 1;
    while (*s && *s != ' ') s++;
  }
  return 0;
}

#define RES ((volatile u32 *)0x6000)
/* Slot the stub reads: nonzero skips the parts QEMU 7.2 TCG does not model (--append qemu-subset). */
#define SLOT_QEMU_SUBSET 31
static const char *const NAMES[] = {
  "cr0", "daa_ax", "daa_flags", "aam_ax", "aad_ax", "salc_eax", "xlat_ax", "loop_ax_cx", "unreal_pm", "unreal_rm",
  "int40_ip", "int40_cs", "int40_flags", "int40_handler_eflags", "int40_after_eflags", "de_ip", "de_cs", "gp_ip",
  "bp_ip", "db0_dr6", "db0_ip", "db1_dr6", "db1_ip", "db2_dr6", "db2_ip", "db3_dr6", "db3_ip", "db_count", "esp",
  "smsw_eax",
};

void real_main(u32 magic, u32 info) {
  serial_init();
  check(magic == MB_BOOTLOADER_MAGIC, "bad Multiboot magic in EAX");
  const struct mb_info *mbi = (const struct mb_info *)(uptr)info;
  const char *cmdline = (mbi->flags & MBI_FLAG_CMDLINE) ? (const char *)(uptr)mbi->cmdline : "";
  for (u32 k = 0; k < sizeof NAMES / sizeof NAMES[0]; k++) RES[k] = 0xdeadbeef;
  RES[SLOT_QEMU_SUBSET] = has_word(cmdline, "qemu-subset");
  puts("real: entering real-address mode\n");
  run_real();
  puts("real: back in protected mode\n");
  for (u32 k = 0; k < sizeof NAMES / sizeof NAMES[0]; k++) kv(NAMES[k], RES[k]);
  debug_exit(EXIT_OK);
}
