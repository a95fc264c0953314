/* Seed 000 (QEMU "i386: Add Bus Lock Detect support"): a split lock at CPL3 with DEBUGCTL bit 2 set (AMD
 * BLCKDB / Intel BUS_LOCK_DETECT) raises a trap-like #DB with DR6.BLD (bit 11) cleared, RIP after the
 * locked instruction (docs/semantics.md §7.1). Run under gdb with `hbreak buslock_insn` and a stepi over it
 * (hbreak.gdb), the single-step exit carries BS|BLD and kvm_handle_debug decides who gets it (§4). */
#include "../seed.h"

int main(void) {
  seed_init();
  puts("000: split lock at CPL3 with DEBUGCTL.BUS_LOCK_DETECT\n");
  wrmsr(MSR_IA32_DEBUGCTL, DEBUGCTL_BUS_LOCK_DETECT);
  seed_split_lock_at_cpl3();
  wrmsr(MSR_IA32_DEBUGCTL, 0);
  seed_done();
  return 0;
}
