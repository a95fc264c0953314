/* The MSRs boot code touches on each vendor (issue 15: kvm-unit-tests' common setup writes AMD's legacy
 * performance counters and took #GP on --vendor amd). Each probe prints "name result value": ok with
 * what RDMSR read back, or gp. The test decides per vendor what each must give. */
#include "runtime.h"

#define MSR_IA32_UCODE_REV 0x8b
#define MSR_IA32_MCG_CAP 0x179
#define MSR_IA32_MCG_STATUS 0x17a
#define MSR_IA32_MISC_ENABLE 0x1a0
#define MSR_K7_EVNTSEL0 0xc0010000
#define MSR_K7_PERFCTR0 0xc0010004
#define MSR_F15H_PERF_CTL0 0xc0010200 /* PerfCtrExtCore counters: not advertised */
#define MSR_IA32_PERFEVTSEL0 0x186    /* Intel architectural PMU: not advertised (CPUID.0AH version 0) */
#define MSR_IA32_PMC0 0xc1

#define MSR_APIC_BASE 0x1b
#define APIC_BASE_EXTD (1u << 10)
#define MSR_X2APIC_LVT_CMCI 0x82f
#define MSR_X2APIC_LVT_LINT0 0x835
#define CR4_UMIP (1ul << 11)
#define CR4_FSGSBASE (1ul << 16)
#define CR4_OSXSAVE (1ul << 18)

static volatile int faulted;
static volatile u64 fault_err;
static volatile u64 skip = 2; /* RDMSR and WRMSR are 2 bytes; MOV CR4 3 */
static void on_gp(struct frame *f) { faulted = 1; fault_err = f->error_code; f->rip += skip; }

/* LTR / LLDT of a 16-byte system descriptor whose base (bits 63:32 in the second quadword) is not
 * canonical: #GP(selector). Uses a copy of the boot GDT with the two descriptors appended. */
struct dtr { u16 limit; u64 base; } __attribute__((packed));
static u64 gdt_copy[32] __attribute__((aligned(16)));
static void probe_system_base(void) {
  struct dtr old, nw;
  __asm__ volatile("sgdt %0" : "=m"(old));
  const u64 *g = (const u64 *)old.base;
  int n = (old.limit + 1) / 8;
  for (int i = 0; i < n; i++) gdt_copy[i] = g[i];
  /* limit 0x67, base[31:0] 0x1000, P=1 DPL0, type 9 (available 64-bit TSS) / type 2 (LDT) */
  u64 lo = 0x67ull | (0x1000ull << 16);
  gdt_copy[n] = lo | (0x89ull << 40);
  gdt_copy[n + 1] = 0xaaaaaaaaull; /* base[63:32]: bits 63:47 not a sign extension */
  gdt_copy[n + 2] = lo | (0x82ull << 40);
  gdt_copy[n + 3] = 0xaaaaaaaaull;
  nw.limit = (n + 4) * 8 - 1;
  nw.base = (u64)gdt_copy;
  __asm__ volatile("lgdt %0" : : "m"(nw));
  u16 tss = n * 8, ldt = (n + 2) * 8;
  skip = 3; /* LTR r16 / LLDT r16: 0f 00 /3 and /2, 3 bytes */
  faulted = 0;
  __asm__ volatile("ltr %0" : : "r"(tss));
  puts("ltr-noncanonical "); if (faulted) { puts("gp "); put_hex(fault_err); } else puts("ok"); puts("\n");
  faulted = 0;
  __asm__ volatile("lldt %0" : : "r"(ldt));
  puts("lldt-noncanonical "); if (faulted) { puts("gp "); put_hex(fault_err); } else puts("ok"); puts("\n");
  skip = 2;
  __asm__ volatile("lgdt %0" : : "m"(old));
}

static u32 cpuid1_edx(void) {
  u32 a, b, c, d;
  __asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(1), "c"(0));
  return d;
}

static int set_cr4_bit(u64 bit) {
  u64 cr4;
  __asm__ volatile("mov %%cr4, %0" : "=r"(cr4));
  faulted = 0;
  skip = 3;
  __asm__ volatile("mov %0, %%cr4" : : "r"(cr4 | bit)); /* 0f 22 e0+r: 3 bytes */
  skip = 2;
  int ok = !faulted;
  if (ok) __asm__ volatile("mov %0, %%cr4" : : "r"(cr4));
  return ok;
}

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
  /* The microcode revision as Linux's early_init_intel asks for it: write 0, CPUID(1), read. */
  show_wr("ucode-rev", MSR_IA32_UCODE_REV, 0);
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
  /* CPUID.1:EDX.APIC (bit 9) follows IA32_APIC_BASE.EN. */
  u64 base;
  rd(MSR_APIC_BASE, &base);
  wr(MSR_APIC_BASE, base & ~((1ull << 11) | APIC_BASE_EXTD));
  puts("cpuid-apic-disabled "); put_hex((cpuid1_edx() >> 9) & 1); puts("\n");
  wr(MSR_APIC_BASE, base);
  puts("cpuid-apic-enabled "); put_hex((cpuid1_edx() >> 9) & 1); puts("\n");
  probe_system_base();
  /* x2APIC mode: LVT CMCI does not exist (6 LVTs, MCG_CAP.MCG_CMCI_P = 0), LINT0 does. */
  wr(MSR_APIC_BASE, base | APIC_BASE_EXTD);
  show_rd("x2apic-lvt-cmci", MSR_X2APIC_LVT_CMCI);
  show_wr("x2apic-lvt-cmci-write", MSR_X2APIC_LVT_CMCI, 0x10000);
  show_rd("x2apic-lvt-lint0", MSR_X2APIC_LVT_LINT0);
  /* CR4 bits of features CPUID does not advertise: #GP (FSGSBASE). UMIP and XSAVE are advertised
   * (test/guest-src/platform/umip, test/guest-src/platform/xsave): their bits can be set. */
  puts("cr4-osxsave "); puts(set_cr4_bit(CR4_OSXSAVE) ? "ok\n" : "gp\n");
  puts("cr4-umip "); puts(set_cr4_bit(CR4_UMIP) ? "ok\n" : "gp\n");
  puts("cr4-fsgsbase "); puts(set_cr4_bit(CR4_FSGSBASE) ? "ok\n" : "gp\n");
  /* INVLPG of a non-canonical address: a NOP, no #GP. */
  faulted = 0;
  skip = 3;
  __asm__ volatile("invlpg (%0)" : : "r"(0x8000000000000000ull) : "memory"); /* 0f 01 38+r */
  skip = 2;
  puts("invlpg-noncanonical "); puts(faulted ? "gp\n" : "ok\n");
  puts("done\n");
  return 0;
}
