/* TSC-deadline mode of the local APIC timer (Intel SDM Vol. 3A 11.5.4.1): the guest checks CPUID.01H:ECX[24],
 * puts the LVT timer in mode 10b, arms IA32_TSC_DEADLINE (MSR 0x6E0) and waits for it with STI;HLT, then probes
 * the rules: the MSR reads back while armed and 0 once fired, a deadline already passed fires at once, writing 0
 * disarms, a deadline that passes while masked disarms without an interrupt, the initial-count register is
 * ignored, the MSR reads 0 and ignores writes in one-shot mode, and switching modes disarms. Everything it sees
 * goes to COM1 as 0/1 answers or counts (never a raw TSC); test/devices/tsc-deadline-guest.test.ts checks the lines. */
#include "runtime.h"

#define APIC_BASE 0xfee00000ul
#define APIC_EOI 0xb0
#define APIC_SVR 0xf0
#define APIC_LVT_TIMER 0x320
#define APIC_TIMER_INITIAL 0x380
#define APIC_TIMER_CURRENT 0x390
#define SVR_ENABLE 0x100
#define LVT_MASKED (1u << 16)
#define LVT_TSC_DEADLINE (2u << 17)
#define MSR_TSC_DEADLINE 0x6e0
#define CPUID_1_ECX_TSC_DEADLINE (1u << 24)

#define VEC_TIMER 0x50
#define VEC_SPURIOUS 0xff

static volatile u32 *reg(u32 off) { return (volatile u32 *)(APIC_BASE + off); }
static u32 apic_read(u32 off) { return *reg(off); }
static void apic_write(u32 off, u32 v) { *reg(off) = v; }
static u64 rdmsr(u32 msr) {
  u32 lo, hi;
  __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
  return ((u64)hi << 32) | lo;
}
static u64 rdtsc(void) {
  u32 lo, hi;
  __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
  return ((u64)hi << 32) | lo;
}

static volatile u32 hits;
static volatile u64 tsc_at_interrupt;

static void on_timer(struct frame *f) {
  (void)f;
  hits++;
  tsc_at_interrupt = rdtsc();
  apic_write(APIC_EOI, 0);
}

static void line(const char *what, u64 v) {
  puts(what);
  put_hex(v);
  putc('\n');
}

static void spin(u32 n) {
  for (volatile u32 i = 0; i < n; i++) {
  }
}

int main(void) {
  u32 a, b, c, d;
  __asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(1), "c"(0));
  line("cpuid tsc-deadline: ", (c & CPUID_1_ECX_TSC_DEADLINE) != 0);
  idt_set_handler(VEC_TIMER, on_timer);
  outb(0x21, 0xff);
  outb(0xa1, 0xff);
  apic_write(APIC_SVR, SVR_ENABLE | VEC_SPURIOUS);

  /* Arm 50000 TSC ticks ahead and halt: exactly one interrupt, at or after the deadline; the MSR then reads 0. */
  apic_write(APIC_LVT_TIMER, LVT_TSC_DEADLINE | VEC_TIMER);
  line("lvt timer: ", apic_read(APIC_LVT_TIMER));
  u64 deadline = rdtsc() + 50000;
  wrmsr(MSR_TSC_DEADLINE, deadline);
  line("armed reads back: ", rdmsr(MSR_TSC_DEADLINE) == deadline);
  u32 wakes = 0;
  while (hits == 0) {
    __asm__ volatile("sti; hlt; cli");
    wakes++;
  }
  line("hlt wakes: ", wakes);
  line("hits: ", hits);
  line("fired at or after the deadline: ", tsc_at_interrupt >= deadline);
  line("fired within 200 ticks of it: ", tsc_at_interrupt - deadline < 200);
  line("after firing reads: ", rdmsr(MSR_TSC_DEADLINE));
  spin(2000);
  line("hits later: ", hits);

  /* A deadline already passed interrupts as soon as interrupts are open. */
  wrmsr(MSR_TSC_DEADLINE, 1);
  line("past deadline, IF=0: ", hits);
  __asm__ volatile("sti; nop; cli");
  line("past deadline, after STI: ", hits);

  /* Writing 0 disarms. */
  wrmsr(MSR_TSC_DEADLINE, rdtsc() + 3000);
  wrmsr(MSR_TSC_DEADLINE, 0);
  __asm__ volatile("sti");
  spin(3000);
  __asm__ volatile("cli");
  line("disarmed by 0: ", hits);

  /* Masked: the deadline passes, the MSR reads 0, unmasking delivers nothing. */
  apic_write(APIC_LVT_TIMER, LVT_MASKED | LVT_TSC_DEADLINE | VEC_TIMER);
  deadline = rdtsc() + 1000;
  wrmsr(MSR_TSC_DEADLINE, deadline);
  while (rdtsc() <= deadline) {
  }
  line("masked, passed, reads: ", rdmsr(MSR_TSC_DEADLINE));
  apic_write(APIC_LVT_TIMER, LVT_TSC_DEADLINE | VEC_TIMER);
  __asm__ volatile("sti; nop; nop; cli");
  line("hits after unmasking: ", hits);

  /* The initial-count register is ignored and the current count reads 0. */
  apic_write(APIC_TIMER_INITIAL, 1000);
  line("initial count: ", apic_read(APIC_TIMER_INITIAL));
  line("current count: ", apic_read(APIC_TIMER_CURRENT));

  /* Leaving the mode disarms; in one-shot mode the MSR reads 0 and ignores writes. */
  wrmsr(MSR_TSC_DEADLINE, rdtsc() + 2000);
  apic_write(APIC_LVT_TIMER, VEC_TIMER);
  wrmsr(MSR_TSC_DEADLINE, rdtsc() + 100);
  line("one-shot mode reads: ", rdmsr(MSR_TSC_DEADLINE));
  apic_write(APIC_LVT_TIMER, LVT_TSC_DEADLINE | VEC_TIMER);
  line("back in deadline mode reads: ", rdmsr(MSR_TSC_DEADLINE));
  __asm__ volatile("sti");
  spin(3000);
  __asm__ volatile("cli");
  line("hits at end: ", hits);
  puts("done\n");
  return 0;
}
