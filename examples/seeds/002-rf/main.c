/* Seed 002 (KVM "Treat #DBs from the emulator as fault-like (code and DR7.GD=1)"): #DB is fault-like for
 * an instruction breakpoint and for general detect (RIP at the instruction, which has not run: the
 * handler must set RF to get past an instruction breakpoint) and trap-like for a data breakpoint (RIP after
 * the instruction, which completed). Neither pushes RFLAGS.RF=1 (SDM Vol. 3 18.3.1.1; hardware does not
 * set RF for GD either, as the seed notes). The handler in ../seed.h sets RF itself for the fault-like
 * ones. docs/semantics.md §7.2, §7.12. */
#include "../seed.h"

extern char ibp_insn[], ibp_end[], dbp_insn[], dbp_end[], gd_insn[], gd_end[];
volatile u64 watched;

int main(void) {
  u64 v;
  seed_init();
  seed_label("ibp_insn", ibp_insn, ibp_end);
  seed_label("dbp_insn", dbp_insn, dbp_end);
  seed_label("gd_insn", gd_insn, gd_end);
  puts("002: DR0 = instruction breakpoint on ibp_insn, DR1 = write watchpoint hit by dbp_insn, then DR7.GD\n");
  wr_dr0((u64)ibp_insn);
  wr_dr1((u64)&watched);
  seed_exec_slots = 1; /* DR0 is an execute slot */
  wr_dr7(0x400 | 0x1 | 0x4 | (1u << 20) | (3u << 22)); /* L0 exec len1; L1 R/W1=01 (write) LEN1=11 (8 bytes) */
  __asm__ volatile(".globl ibp_insn\nibp_insn: nop\n.globl ibp_end\nibp_end: nop\n" ::: "memory");
  __asm__ volatile(".globl dbp_insn\ndbp_insn: movq $1, %0\n.globl dbp_end\ndbp_end: nop\n" : "=m"(watched) : : "memory");
  wr_dr7(0x400 | (1u << 13)); /* GD: the next MOV DR faults */
  __asm__ volatile(".globl gd_insn\ngd_insn: mov %%dr0, %0\n.globl gd_end\ngd_end: nop\n" : "=r"(v));
  (void)v;
  wr_dr7(0x400);
  seed_done();
  return 0;
}
