/* Local APIC guest: masks the 8259As, enables the xAPIC, runs the LVT timer periodic and one-shot,
 * waits for it with STI;HLT, and sends self-IPIs held back by TPR and by IF=0. Everything it observes goes to COM1; the test
 * (test/devices/lapic-guest.test.ts) checks the lines. Register offsets: Intel SDM Vol. 3A
 * Table 11-1. */
#include "runtime.h"

#define APIC_BASE 0xfee00000ul
#define APIC_VERSION 0x30
#define APIC_TPR 0x80
#define APIC_EOI 0xb0
#define APIC_SVR 0xf0
#define APIC_ICR_LOW 0x300
#define APIC_LVT_TIMER 0x320
#define APIC_TIMER_INITIAL 0x380
#define APIC_TIMER_CURRENT 0x390
#define APIC_TIMER_DIVIDE 0x3e0
#define SVR_ENABLE 0x100
#define LVT_PERIODIC (1u << 17)
#define LVT_MASKED (1u << 16)
#define ICR_SELF (1u << 18)
#define MSR_APIC_BASE 0x1b
#define APIC_BASE_BSP (1u << 8)
#define APIC_BASE_EN (1u << 11)
#define ALTERNATE_APIC_BASE 0xfed40000ul /* the address kvm-unit-tests' x86/apic.c test_apicbase uses */

#define VEC_TIMER 0x40
#define VEC_ONESHOT 0x41
#define VEC_IPI 0x45
#define VEC_IPI_HIGH 0x62
#define VEC_SPURIOUS 0xff

static volatile u32 *reg(u32 off) { return (volatile u32 *)(APIC_BASE + off); }
static u32 apic_read(u32 off) { return *reg(off); }
static void apic_write(u32 off, u32 v) { *reg(off) = v; }
static u64 rdmsr(u32 msr) {
  u32 lo, hi;
  __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
  return ((u64)hi << 32) | lo;
}
static void spin(int n) {
  for (volatile int i = 0; i < n; i++) {
  }
}

static volatile u32 hits[256];
static volatile u32 order[16];
static volatile u32 norder;
static volatile u32 count_at_wake;

static void eoi(void) { apic_write(APIC_EOI, 0); }

static void on_interrupt(struct frame *f) {
  hits[f->vector]++;
  if (norder < 16) order[norder++] = (u32)f->vector;
  if (f->vector == VEC_TIMER && hits[VEC_TIMER] == 1) count_at_wake = apic_read(APIC_TIMER_CURRENT);
  if (f->vector != VEC_SPURIOUS) eoi();
}

static void line(const char *what, u64 v) {
  puts(what);
  put_hex(v);
  putc('\n');
}

int main(void) {
  idt_set_handler(VEC_TIMER, on_interrupt);
  idt_set_handler(VEC_ONESHOT, on_interrupt);
  idt_set_handler(VEC_IPI, on_interrupt);
  idt_set_handler(VEC_IPI_HIGH, on_interrupt);
  idt_set_handler(VEC_SPURIOUS, on_interrupt);

  /* Mask both 8259As as kernels do before using the APIC. */
  outb(0x21, 0xff);
  outb(0xa1, 0xff);
  line("pic masks: ", (u64)inb(0x21) << 8 | inb(0xa1));

  line("apic base: ", rdmsr(MSR_APIC_BASE));
  line("apic version: ", apic_read(APIC_VERSION));
  apic_write(APIC_SVR, SVR_ENABLE | VEC_SPURIOUS);

  /* Periodic timer, divide by 1, 20000 bus cycles: wait for five ticks with STI;HLT. */
  apic_write(APIC_TIMER_DIVIDE, 0xb);
  apic_write(APIC_LVT_TIMER, LVT_PERIODIC | VEC_TIMER);
  apic_write(APIC_TIMER_INITIAL, 20000);
  u32 wakes = 0;
  while (hits[VEC_TIMER] < 5) {
    __asm__ volatile("sti; hlt; cli");
    wakes++;
  }
  apic_write(APIC_LVT_TIMER, LVT_MASKED);
  line("periodic ticks: ", hits[VEC_TIMER]);
  line("periodic wakes: ", wakes);
  line("count at first tick > 19000: ", count_at_wake > 19000);

  /* One-shot, divide by 16: exactly one interrupt, then the current count stays 0. */
  apic_write(APIC_TIMER_DIVIDE, 0x3);
  apic_write(APIC_LVT_TIMER, VEC_ONESHOT);
  apic_write(APIC_TIMER_INITIAL, 1000);
  __asm__ volatile("sti; hlt; cli");
  for (volatile int i = 0; i < 20000; i++) {
  }
  line("one-shot hits: ", hits[VEC_ONESHOT]);
  line("one-shot current count: ", apic_read(APIC_TIMER_CURRENT));

  /* SDM Vol. 3A 11.5.4: changing the timer mode does not start the timer; only a write of the initial
   * count does. The expired one-shot switched to periodic stays at 0 and raises nothing. */
  apic_write(APIC_LVT_TIMER, LVT_PERIODIC | VEC_ONESHOT);
  __asm__ volatile("sti");
  spin(20000);
  __asm__ volatile("cli");
  line("expired, then periodic: count ", apic_read(APIC_TIMER_CURRENT));
  line("expired, then periodic: hits ", hits[VEC_ONESHOT]);
  /* A running count keeps counting from where it was when the mode changes (no reload). */
  apic_write(APIC_LVT_TIMER, LVT_MASKED | VEC_ONESHOT);
  apic_write(APIC_TIMER_INITIAL, 100000);
  spin(3000);
  u32 before = apic_read(APIC_TIMER_CURRENT);
  apic_write(APIC_LVT_TIMER, LVT_MASKED | LVT_PERIODIC | VEC_ONESHOT);
  u32 after = apic_read(APIC_TIMER_CURRENT);
  line("running, then periodic: kept counting ", after != 0 && after <= before);
  apic_write(APIC_TIMER_INITIAL, 0);

  /* Self-IPIs with IF=0: held in IRR. TPR 0x50 holds 0x45 back but not 0x62. */
  norder = 0;
  apic_write(APIC_TPR, 0x50);
  apic_write(APIC_ICR_LOW, ICR_SELF | VEC_IPI);
  apic_write(APIC_ICR_LOW, ICR_SELF | VEC_IPI_HIGH);
  line("taken with IF=0: ", norder);
  __asm__ volatile("sti; nop; nop; cli");
  line("taken with TPR=0x50: ", norder);
  line("first: ", order[0]);
  apic_write(APIC_TPR, 0);
  __asm__ volatile("sti; nop; cli");
  line("after TPR=0: ", norder);
  line("second: ", order[1]);

  line("spurious: ", hits[VEC_SPURIOUS]);

  /* IA32_APIC_BASE moves the xAPIC page (SDM Vol. 3A 11.4.4): disable, re-enable at another base, read the
   * version register there, then move it back (kvm-unit-tests x86/apic.c test_apicbase). */
  u64 orig = rdmsr(MSR_APIC_BASE);
  u32 version = apic_read(APIC_VERSION);
  wrmsr(MSR_APIC_BASE, orig & ~(u64)APIC_BASE_EN);
  wrmsr(MSR_APIC_BASE, ALTERNATE_APIC_BASE | APIC_BASE_BSP | APIC_BASE_EN);
  line("relocated base: ", rdmsr(MSR_APIC_BASE));
  line("version at the new base: ", *(volatile u32 *)(ALTERNATE_APIC_BASE + APIC_VERSION) == version);
  wrmsr(MSR_APIC_BASE, orig);
  line("version back at 0xfee00000: ", apic_read(APIC_VERSION) == version);
  puts("done\n");
  return 0;
}
