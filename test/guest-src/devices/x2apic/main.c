/* x2APIC guest: switches the local APIC from xAPIC to x2APIC mode through IA32_APIC_BASE and uses
 * the MSR interface (Intel SDM Vol. 3A 11.12, Table 11-6): ID/version/LDR reads, SELF IPI, the ICR
 * as one 64-bit MSR, the timer, EOI; checks the #GP cases (RDMSR of the write-only EOI, the invalid
 * x2APIC -> xAPIC transition) and that the xAPIC page stops answering; then disables the APIC and
 * re-enables it in xAPIC mode. Prints what it sees on COM1 for test/devices/x2apic-guest.test.ts. */
#include "runtime.h"

#define APIC_BASE 0xfee00000ul
#define APIC_VERSION 0x30
#define APIC_SVR 0xf0
#define MSR_APIC_BASE 0x1b
#define APIC_BASE_EN (1u << 11)
#define APIC_BASE_EXTD (1u << 10)
#define MSR_X2APIC_ID 0x802
#define MSR_X2APIC_VERSION 0x803
#define MSR_X2APIC_TPR 0x808
#define MSR_X2APIC_EOI 0x80b
#define MSR_X2APIC_LDR 0x80d
#define MSR_X2APIC_SVR 0x80f
#define MSR_X2APIC_ICR 0x830
#define MSR_X2APIC_LVT_TIMER 0x832
#define MSR_X2APIC_TIMER_INITIAL 0x838
#define MSR_X2APIC_TIMER_CURRENT 0x839
#define MSR_X2APIC_TIMER_DIVIDE 0x83e
#define MSR_X2APIC_SELF_IPI 0x83f

static volatile u32 *reg(u32 off) { return (volatile u32 *)(APIC_BASE + off); }
static u64 rdmsr(u32 msr) {
  u32 lo, hi;
  __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
  return ((u64)hi << 32) | lo;
}

static volatile u32 hits[256];
static volatile u32 gp_count;

static void on_interrupt(struct frame *f) {
  hits[f->vector]++;
  wrmsr(MSR_X2APIC_EOI, 0);
}

/* #GP from RDMSR/WRMSR: both are 2-byte instructions (0F 32 / 0F 30); skip them. */
static void on_gp(struct frame *f) {
  gp_count++;
  f->rip += 2;
}

static void line(const char *what, u64 v) {
  puts(what);
  put_hex(v);
  putc('\n');
}

int main(void) {
  idt_set_handler(0x45, on_interrupt);
  idt_set_handler(0x46, on_interrupt);
  idt_set_handler(0x47, on_interrupt);
  idt_set_handler(VEC_GP, on_gp);
  outb(0x21, 0xff);
  outb(0xa1, 0xff);

  rdmsr(MSR_X2APIC_VERSION);
  line("x2apic msr in xapic mode #GP: ", gp_count);

  wrmsr(MSR_APIC_BASE, rdmsr(MSR_APIC_BASE) | APIC_BASE_EXTD);
  line("base: ", rdmsr(MSR_APIC_BASE));
  line("id: ", rdmsr(MSR_X2APIC_ID));
  line("version: ", rdmsr(MSR_X2APIC_VERSION));
  line("ldr: ", rdmsr(MSR_X2APIC_LDR));
  line("mmio version: ", *reg(APIC_VERSION));
  wrmsr(MSR_X2APIC_SVR, 0x1ff);

  gp_count = 0;
  rdmsr(MSR_X2APIC_EOI);
  wrmsr(MSR_APIC_BASE, APIC_BASE | APIC_BASE_EN); /* x2APIC -> xAPIC: invalid */
  line("#GP (eoi read, x2apic->xapic): ", gp_count);

  wrmsr(MSR_X2APIC_SELF_IPI, 0x45);
  wrmsr(MSR_X2APIC_ICR, (0ull << 32) | 0x46); /* fixed, physical destination 0 = this APIC */
  __asm__ volatile("sti; nop; cli");
  line("self ipi: ", hits[0x45]);
  line("icr: ", hits[0x46]);

  wrmsr(MSR_X2APIC_TPR, 0x40);
  wrmsr(MSR_X2APIC_SELF_IPI, 0x45);
  __asm__ volatile("sti; nop; cli");
  line("held by tpr 0x40: ", hits[0x45] == 1);
  wrmsr(MSR_X2APIC_TPR, 0);
  __asm__ volatile("sti; nop; cli");
  line("after tpr 0: ", hits[0x45]);

  wrmsr(MSR_X2APIC_TIMER_DIVIDE, 0xb);
  wrmsr(MSR_X2APIC_LVT_TIMER, 0x47);
  wrmsr(MSR_X2APIC_TIMER_INITIAL, 5000);
  __asm__ volatile("sti; hlt; cli");
  line("timer: ", hits[0x47]);
  line("timer current: ", rdmsr(MSR_X2APIC_TIMER_CURRENT));

  /* Disable, then back to xAPIC: the registers start from their reset values. */
  wrmsr(MSR_APIC_BASE, APIC_BASE);
  wrmsr(MSR_APIC_BASE, APIC_BASE | APIC_BASE_EN);
  line("xapic again, version: ", *reg(APIC_VERSION));
  line("svr after disable: ", *reg(APIC_SVR));
  puts("done\n");
  return 0;
}
