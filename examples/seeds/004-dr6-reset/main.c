/* Seed 004 (x86/traps "Initialize DR6 by writing its architectural reset value"): writing 0 to DR6 leaves
 * the fixed-1 bits set, and which bits are fixed depends on the CPU: with bus-lock detect, BLD (bit 11) is
 * writable, so 0 reads back as 0xffff07f0 instead of 0xffff0ff0 (a "bus lock" the guest never had); in a
 * guest, KVM decides from the guest's CPUID (docs/semantics.md §7.16). */
#include "../seed.h"

int main(void) {
  seed_init();
  u64 before = rd_dr6();
  wr_dr6(0);
  u64 zero = rd_dr6();
  wr_dr6(DR6_RESET);
  u64 reset = rd_dr6();
  puts("004: DR6 at entry "); put_hex(before); puts("\n");
  puts("004: DR6 after writing 0: "); put_hex(zero); puts("\n");
  puts("004: DR6 after writing 0xffff0ff0: "); put_hex(reset); puts("\n");
  return 0;
}
