/* NMI delivery guest: self-NMIs through the local APIC's ICR (delivery mode NMI) and through an I/O APIC
 * redirection entry in NMI mode, taken with IF=0 (NMIs ignore IF), one NMI latched while the handler runs and
 * delivered after its IRET, and an IRET inside the handler ending the blocking early (SDM Vol. 3 6.7.1; the
 * cases of kvm-unit-tests' x86/eventinj.c). Each line "name value" is checked by test/devices/nmi-guest.test.ts. */
#include "runtime.h"

#define APIC 0xfee00000ul
#define APIC_SVR 0xf0
#define APIC_ICR_LOW 0x300
#define APIC_ICR_HIGH 0x310
#define ICR_NMI (4u << 8)
#define ICR_ASSERT (1u << 14)
#define ICR_SELF (1u << 18)
#define IOAPIC 0xfec00000ul
#define TESTDEV_IRQ 0x2000

static void apic_wr(u32 off, u32 v) { *(volatile u32 *)(APIC + off) = v; }
static void io_wr(u32 reg, u32 v) { *(volatile u32 *)(IOAPIC) = reg; *(volatile u32 *)(IOAPIC + 0x10) = v; }
static void self_nmi(void) { apic_wr(APIC_ICR_HIGH, 0); apic_wr(APIC_ICR_LOW, ICR_NMI | ICR_ASSERT | ICR_SELF); }
static void show(const char *name, u64 v) { puts(name); putc(' '); put_hex(v); putc('\n'); }

extern const char after_iret[], after_send[];
static volatile u32 count, nested_count, mode;
static volatile u64 nested_rip, first_rip, first_rflags;

static void on_nmi(struct frame *f) {
  if (mode == 0) { count++; first_rip = f->rip; first_rflags = f->rflags; return; }
  if (mode == 1) { /* latch one more: it must wait for this handler's IRET */
    count++;
    mode = 2;
    self_nmi();
    self_nmi(); /* a second edge while one is latched: still one NMI */
    show("nested.in-handler", nested_count);
    return;
  }
  if (mode == 2) { nested_count++; nested_rip = f->rip; return; }
  if (mode == 3) { /* an IRET inside the handler unblocks NMIs at once */
    count++;
    mode = 2;
    self_nmi();
    show("iret.before", nested_count);
    __asm__ volatile("mov %%rsp, %%rax\n\t"
                     "pushq $0x10\n\t"
                     "pushq %%rax\n\t"
                     "pushfq\n\t"
                     "pushq $0x8\n\t"
                     "leaq after_iret(%%rip), %%rcx\n\t"
                     "pushq %%rcx\n\t"
                     "iretq\n\t"
                     ".globl after_iret\n"
                     "after_iret:\n\t"
                     "nop"
                     : : : "rax", "rcx", "memory");
    show("iret.after", nested_count);
    show("iret.nested-at-after-iret", nested_rip == (u64)after_iret);
    return;
  }
}

int main(void) {
  idt_set_handler(VEC_NMI, on_nmi);
  outb(0x21, 0xff); outb(0xa1, 0xff);
  apic_wr(APIC_SVR, 0x1ff);

  /* IF=0: an NMI is taken anyway, right after the ICR write. */
  __asm__ volatile("cli");
  mode = 0;
  self_nmi();
  __asm__ volatile(".globl after_send\nafter_send: nop");
  show("cli.count", count);
  show("cli.handler-if", (first_rflags >> 9) & 1);

  /* Nested: latched while the handler runs, delivered once after its IRET. */
  count = 0; nested_count = 0; mode = 1;
  self_nmi();
  __asm__ volatile("nop");
  show("nested.count", count);
  show("nested.after-iret", nested_count);

  /* IRET inside the handler. */
  count = 0; nested_count = 0; mode = 3;
  self_nmi();
  __asm__ volatile("nop");
  show("iret.count", count);
  show("iret.nested", nested_count);

  /* I/O APIC pin in NMI delivery mode (edge): the vector field is ignored. */
  count = 0; mode = 0;
  io_wr(0x10 + 2 * 5, (4u << 8) | 0x33);
  io_wr(0x11 + 2 * 5, 0);
  outb(TESTDEV_IRQ + 5, 1); outb(TESTDEV_IRQ + 5, 0);
  __asm__ volatile("nop");
  show("ioapic-nmi.count", count);
  puts("done\n");
  return 0;
}
