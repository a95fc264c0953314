/* Seed 001 (KVM/SVM "Zero DEBUGCTL before VMRUN if necessary"): the guest never enables bus-lock
 * detection, yet on AMD without LBR virtualization it runs with the host's DEBUGCTL; a host value with
 * bit 2 (BusLockTrap) makes the guest's CPL3 split lock raise a #DB it never asked for (SEMANTICS.md §5,
 * §7.14). Compare --svm-zero-debugctl false / true. */
#include "../seed.h"

extern char buslock_insn[], buslock_end[];
volatile u8 lockbuf[128] __attribute__((aligned(64)));

static u64 user_split_lock(u64 arg) {
  (void)arg;
  __asm__ volatile(".globl buslock_insn\nbuslock_insn: lock incl (%0)\n.globl buslock_end\nbuslock_end: nop\n" : : "r"(&lockbuf[62]) : "memory");
  return 0;
}

int main(void) {
  seed_init();
  seed_label("buslock_insn", buslock_insn, buslock_end);
  puts("001: split lock at CPL3, guest DEBUGCTL left at 0\n");
  run_at_cpl3(user_split_lock, 0);
  seed_done();
  return 0;
}
