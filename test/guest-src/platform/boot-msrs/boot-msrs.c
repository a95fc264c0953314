/* The MSRs boot code touches on each vendor (issue 15: kvm-unit-tests' common setup writes AMD's legacy
 * performance counters and took #GP on --vendor amd). Each probe prints "name result value": ok with
 * what RDMSR read back, or gp. The test decides per vendor what each must give. */
#include "runtime.h"

#define MSR_IA32_MCG_CAP 0x179
#define MSR_IA32_MCG_STATUS 0x17a
#define MSR_IA32_MISC_ENABLE 0x1a0
#define MSR_K7_EVNTSEL0 0xc0010000
#define MSR_K7_PERFCTR0 0xc0010004
#define MSR_F15H_PERF_CTL0 0xc0010200 /* PerfCtrExtCore counters: not advertised */
#define MSR_IA32_PERFEVTSEL0 0x186    /* Intel architectural PMU: not advertised (CPUID.0AH version 0) */
#define MSR_IA32_PMC0 0xc1

static volatile int faulted;
static void on_gp(struct frame *f) { faulted = 1; f->rip += 2; } /* RDMSR and WRMSR are 2 bytes */

static int rd(u32 msr, u64 *v) {
  u32 lo = 0, hi = 0;
  faulted = 0;
  __asm__ volatile("rdmsr" : "+a"(lo), "+d"(hi) : "c"(msr));
  *v = ((u64)hi << 32) | lo;
  return !faulted;
}
static int wr(u32 msr, u64 v) {
  faulted = 0;
  __asm__ volatile("wrmsr" : : "c"(msr), "a"((u32)v), "d"((u32)(v >> 32)));
  return !faulted;
}

static void show_rd(const char *name, u32 msr) {
  u64 v;
  puts(name);
  if (rd(msr, &v)) { puts(" ok "); put_hex(v); } else puts(" gp");
  puts("\n");
}
/* Write v, report whether it faulted and what reads back. */
static void show_wr(const char *name, u32 msr, u64 v) {
  u64 r;
  puts(name);
  if (!wr(msr, v)) { puts(" gp\n"); return; }
  puts(" ok ");
  if (rd(msr, &r)) put_hex(r); else puts("(read gp)");
  puts("\n");
}

int main(void) {
  idt_set_handler(VEC_GP, on_gp);
  u32 a, b, c, d;
  __asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(0xa), "c"(0));
  puts("cpuid-0a-eax "); put_hex(a); puts("\n");
  show_rd("mcg-cap", MSR_IA32_MCG_CAP);
  show_wr("mcg-status", MSR_IA32_MCG_STATUS, 0);
  show_wr("mcg-cap-write", MSR_IA32_MCG_CAP, 0);
  show_rd("misc-enable", MSR_IA32_MISC_ENABLE);
  show_wr("misc-enable-rw", MSR_IA32_MISC_ENABLE, 0x1801); /* fast strings on, read-only bits kept */
  show_wr("misc-enable-ro", MSR_IA32_MISC_ENABLE, 0x0001); /* clears BTS/PEBS unavailable: read-only */
  for (int i = 0; i < 4; i++) {
    show_wr("perfevtsel", MSR_K7_EVNTSEL0 + i, 0x4300c0 + i);
    show_wr("perfctr", MSR_K7_PERFCTR0 + i, 0xffff123456789abcull); /* 48 bits kept */
  }
  show_wr("perfevtsel-rsvd", MSR_K7_EVNTSEL0, 1ull << 50);
  show_rd("perf-ctl-ext", MSR_F15H_PERF_CTL0);
  show_rd("perfevtsel0-intel", MSR_IA32_PERFEVTSEL0);
  show_rd("pmc0-intel", MSR_IA32_PMC0);
  puts("done\n");
  return 0;
}
