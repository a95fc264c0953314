/* modes8086/real: runs the real-address-mode stub (start.S) and prints its result slots as name=value lines. */
#include "../../../../examples/multiboot/common/kernel.h"

extern void run_real(void);

#define RES ((volatile u32 *)0x6000)
static const char *const NAMES[] = {
  "cr0", "daa_ax", "daa_flags", "aam_ax", "aad_ax", "salc_eax", "xlat_ax", "loop_ax_cx", "unreal_pm", "unreal_rm",
  "int40_ip", "int40_cs", "int40_flags", "int40_handler_eflags", "int40_after_eflags", "de_ip", "de_cs", "gp_ip",
  "bp_ip", "db0_dr6", "db0_ip", "db1_dr6", "db1_ip", "db2_dr6", "db2_ip", "db3_dr6", "db3_ip", "db_count", "esp",
  "smsw_eax",
};

void real_main(u32 magic, u32 info) {
  (void)info;
  serial_init();
  check(magic == MB_BOOTLOADER_MAGIC, "bad Multiboot magic in EAX");
  for (u32 k = 0; k < sizeof NAMES / sizeof NAMES[0]; k++) RES[k] = 0xdeadbeef;
  puts("real: entering real-address mode\n");
  run_real();
  puts("real: back in protected mode\n");
  for (u32 k = 0; k < sizeof NAMES / sizeof NAMES[0]; k++) kv(NAMES[k], RES[k]);
  debug_exit(EXIT_OK);
}
