/* Seed 000 (QEMU "i386: Add Bus Lock Detect support"): a split lock at CPL3 with DEBUGCTL bit 2 set (AMD
 * BLCKDB / Intel BUS_LOCK_DETECT) raises a trap-like #DB with DR6.BLD (bit 11) cleared, RIP after the
 * locked instruction (SEMANTICS.md §7.1). Run under gdb with `hbreak buslock_insn` and a stepi over it
 * (hbreak.gdb), the single-step exit carries BS|BLD and kvm_handle_debug decides who gets it (§4). */
#include "../seed.h"

extern char buslock_insn[], buslock_end[];
/* A dword at offset 62 of a 64-byte aligned line crosses into the next line: a split lock. */
volatile u8 lockbuf[128] __attribute__((aligned(64)));

static u64 user_split_lock(u64 arg) {
  (void)arg;
  __asm__ volatile(".globl buslock_insn\nbuslock_insn: lock incl (%0)\n.globl buslock_end\nbuslock_end: nop\n" : : "r"(&lockbuf[62]) : "memory");
  return 0;
}

int main(void) {
  seed_init();
  seed_label("buslock_insn", buslock_insn, buslock_end);
  puts("000: split lock at CPL3 with DEBUGCTL.BUS_LOCK_DETECT\n");
  wrmsr(MSR_IA32_DEBUGCTL, DEBUGCTL_BUS_LOCK_DETECT);
  run_at_cpl3(user_split_lock, 0);
  wrmsr(MSR_IA32_DEBUGCTL, 0);
  seed_done();
  return 0;
}
