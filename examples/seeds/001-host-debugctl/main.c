/* Seed 001 (KVM/SVM "Zero DEBUGCTL before VMRUN if necessary"): the guest never enables bus-lock
 * detection, yet on AMD without LBR virtualization it runs with the host's DEBUGCTL; a host value with
 * bit 2 (BusLockTrap) makes the guest's CPL3 split lock raise a #DB it never asked for (docs/semantics.md §5,
 * §7.14). Compare --svm-zero-debugctl false / true. */
#include "../seed.h"

/* 1 (set by `dbstub seed 001`): instead of the split lock, single-step four instructions with TF, one of them a
 * taken jump. A host DEBUGCTL.BTF running in the guest (the other leak the seed names) turns that into one #DB,
 * after the jump (SDM Vol. 3B 19.4.3: BTF single-steps on branches only). */
volatile u64 seed001_variant;
extern char step_1[], step_2[], step_3[], step_4[], step_end[];

int main(void) {
  seed_init();
  if (seed001_variant == 1) {
    seed_label("step_1", step_1, step_2);
    seed_label("step_2", step_2, step_3);
    seed_label("step_3", step_3, step_4);
    seed_label("step_4", step_4, step_end);
    puts("001: TF single-steps over nop, nop, jmp, nop; guest DEBUGCTL left at 0\n");
    __asm__ volatile(
        "pushfq\n orq $0x100, (%%rsp)\n popfq\n"
        ".globl step_1\nstep_1: nop\n"
        ".globl step_2\nstep_2: nop\n"
        ".globl step_3\nstep_3: jmp step_4\n"
        ".globl step_4\nstep_4: nop\n"
        ".globl step_end\nstep_end: nop\n" ::: "memory", "cc");
  } else {
    puts("001: split lock at CPL3, guest DEBUGCTL left at 0\n");
    seed_split_lock_at_cpl3();
  }
  seed_done();
  return 0;
}
