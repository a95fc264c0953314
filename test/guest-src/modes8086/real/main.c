/* modes8086/real: runs the real-address-mode stub (start.S) and prints its result slots as name=value lines. */
#include "../../../../examples/multiboot/common/kernel.h"

extern void run_real(void);

#define RES ((volatile u32 *)0x6000)
/* Slot the stub reads: nonzero skips the parts QEMU 7.2 TCG does not model (--append qemu-subset). */
#define SLOT_QEMU_SUBSET 31
static const char *const NAMES[] = {
  "cr0", "daa_ax", "daa_flags", "aam_ax", "aad_ax", "salc_eax", "xlat_ax", "loop_ax_cx", "unreal_pm", "unreal_rm",
  "int40_ip", "int40_cs", "int40_flags", "int40_handler_eflags", "int40_after_eflags", "de_ip", "de_cs", "gp_ip",
  "bp_ip", 0, 0, 0, 0, 0, 0, 0, 0, "db_count", "esp", "smsw_eax", "rf_passes", 0, "db_last_di",
};
#define SLOT_DB 40
#define DB_RECORDS 5

void real_main(u32 magic, u32 info) {
  serial_init();
  check(magic == MB_BOOTLOADER_MAGIC, "bad Multiboot magic in EAX");
  const struct mb_info *mbi = (const struct mb_info *)(uptr)info;
  const char *cmdline = (mbi->flags & MBI_FLAG_CMDLINE) ? (const char *)(uptr)mbi->cmdline : "";
  for (u32 k = 0; k < SLOT_DB + 2 * DB_RECORDS; k++) RES[k] = 0xdeadbeef;
  RES[SLOT_QEMU_SUBSET] = has_word(cmdline, "qemu-subset");
  puts("real: entering real-address mode\n");
  run_real();
  puts("real: back in protected mode\n");
  for (u32 k = 0; k < sizeof NAMES / sizeof NAMES[0]; k++)
    if (NAMES[k]) kv(NAMES[k], RES[k]);
  for (u32 n = 0; n < DB_RECORDS; n++) {
    static char name[] = "dbN_dr6";
    name[2] = (char)('0' + n);
    name[4] = 'd', name[5] = 'r', name[6] = '6';
    kv(name, RES[SLOT_DB + 2 * n]);
    name[4] = 'i', name[5] = 'p', name[6] = 0;
    kv(name, RES[SLOT_DB + 2 * n + 1]);
  }
  debug_exit(EXIT_OK);
}
