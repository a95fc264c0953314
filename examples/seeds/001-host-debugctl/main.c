/* Seed 001 (KVM/SVM "Zero DEBUGCTL before VMRUN if necessary"): the guest never enables bus-lock
 * detection, yet on AMD without LBR virtualization it runs with the host's DEBUGCTL; a host value with
 * bit 2 (BusLockTrap) makes the guest's CPL3 split lock raise a #DB it never asked for (docs/semantics.md §5,
 * §7.14). Compare --svm-zero-debugctl false / true. */
#include "../seed.h"

int main(void) {
  seed_init();
  puts("001: split lock at CPL3, guest DEBUGCTL left at 0\n");
  seed_split_lock_at_cpl3();
  seed_done();
  return 0;
}
