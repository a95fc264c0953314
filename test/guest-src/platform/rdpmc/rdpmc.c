/* RDPMC (SDM Vol. 2B RDPMC, APM Vol. 3 RDPMC): reads a performance counter the CPU has, #GP(0) for any other
 * ECX, #GP(0) at CPL3 unless CR4.PCE. The AMD model has the legacy PerfCtr0-3 (read back from WRMSR, 48 bits),
 * the Intel model no counter at all (CPUID.0AH: no architectural PMU). Each probe prints "name value" or
 * "name gp"; test/cpu/features/rdpmc.test.ts decides per vendor. */
#include "runtime.h"

#define MSR_K7_PERFCTR0 0xc0010004
#define CR4_PCE (1ul << 8)

static volatile int faulted;
static void on_gp(struct frame *f) { faulted = 1; f->rip += 2; } /* rdpmc: 0f 33 */

static u64 rdpmc(u32 ecx) {
  u32 lo = 0xdead, hi = 0xbeef;
  __asm__ volatile("rdpmc" : "+a"(lo), "=d"(hi) : "c"(ecx));
  return (u64)hi << 32 | lo;
}
static void probe(const char *name, u32 ecx) {
  faulted = 0;
  u64 v = rdpmc(ecx);
  puts(name); putc(' ');
  if (faulted) puts("gp"); else put_hex(v);
  putc('\n');
}
static u64 user_rdpmc(u64 ecx) { faulted = 0; u64 v = rdpmc((u32)ecx); return faulted ? 0xffff : v; }

int main(void) {
  idt_set_handler(VEC_GP, on_gp);
  for (u32 k = 0; k < 4; k++) { faulted = 0; wrmsr(MSR_K7_PERFCTR0 + k, 0x123456789a00ull + k); } /* #GP on Intel: skipped */
  probe("rdpmc0", 0);
  probe("rdpmc3", 3);
  probe("rdpmc4", 4);
  probe("rdpmc-fixed", 1u << 30);
  probe("rdpmc-vmware", 0x10000);
  u64 cr4;
  __asm__ volatile("mov %%cr4, %0" : "=r"(cr4));
  puts("cpl3-nopce "); put_hex(run_at_cpl3(user_rdpmc, 1)); putc('\n');
  __asm__ volatile("mov %0, %%cr4" : : "r"(cr4 | CR4_PCE));
  puts("cpl3-pce "); put_hex(run_at_cpl3(user_rdpmc, 1)); putc('\n');
  puts("done\n");
  return 0;
}
