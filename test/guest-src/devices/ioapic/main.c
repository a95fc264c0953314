/* I/O APIC and pc-testdev guest: reads the I/O APIC's registers after reset, raises ISA lines through
 * pc-testdev's IRQ ports (0x2000 + line) and checks edge/level delivery, Remote IRR, TMR, the EOI
 * broadcast, coalescing, masking and the version-0x20 EOI register; then pc-testdev's data port and its
 * MMIO scratch window. The cases follow kvm-unit-tests' x86/ioapic.c; the expected values are QEMU 7.2's
 * (hw/intc/ioapic.c, hw/misc/pc-testdev.c) and the 82093AA datasheet's. Each line "name value" is checked
 * by test/devices/ioapic-guest.test.ts. */
#include "runtime.h"

#define IOAPIC 0xfec00000ul
#define IOREGSEL 0x00
#define IOWIN 0x10
#define IOAPIC_EOI 0x40
#define APIC 0xfee00000ul
#define APIC_EOI 0xb0
#define APIC_SVR 0xf0
#define APIC_TMR 0x180
#define TESTDEV_DATA 0xe0
#define TESTDEV_DATA_BYTE 0xe8
#define TESTDEV_IRQ 0x2000
#define TESTDEV_IOMEM 0xff000000ul

#define TRIG_LEVEL (1u << 15)
#define REMOTE_IRR (1u << 14)
#define MASKED (1u << 16)
#define LINE 0x0e

static u32 io_rd(u32 reg) { *(volatile u32 *)(IOAPIC + IOREGSEL) = reg; return *(volatile u32 *)(IOAPIC + IOWIN); }
static void io_wr(u32 reg, u32 v) { *(volatile u32 *)(IOAPIC + IOREGSEL) = reg; *(volatile u32 *)(IOAPIC + IOWIN) = v; }
static u32 apic_rd(u32 off) { return *(volatile u32 *)(APIC + off); }
static void apic_wr(u32 off, u32 v) { *(volatile u32 *)(APIC + off) = v; }
static void eoi(void) { apic_wr(APIC_EOI, 0); }
static void set_line(u32 line, int v) { outb((u16)(TESTDEV_IRQ + line), (u8)v); }
static void redir(u32 line, u32 vec, u32 flags) { io_wr(0x11 + 2 * line, 0); io_wr(0x10 + 2 * line, vec | flags); }
static int tmr_bit(u32 vec) { return (apic_rd(APIC_TMR + (vec / 32) * 0x10) >> (vec % 32)) & 1; }
static void show(const char *name, u64 v) { puts(name); putc(' '); put_hex(v); putc('\n'); }
static inline void outw(u16 p, u16 v) { __asm__ volatile("outw %0, %1" : : "a"(v), "Nd"(p)); }
static inline void outl(u16 p, u32 v) { __asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(p)); }
static inline u16 inw(u16 p) { u16 v; __asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(p)); return v; }
static inline u32 inl(u16 p) { u32 v; __asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(p)); return v; }

static volatile u32 hits[256];
static volatile u32 remote_in_handler, tmr_in_handler;
static volatile int mode; /* what the handler does */
enum { H_EOI, H_DEASSERT_EOI, H_DEASSERT_SECOND, H_COALESCE, H_READ_STATE, H_MASK_EOI, H_NO_EOI };

static void on_irq(struct frame *f) {
  u32 v = (u32)f->vector;
  u32 n = ++hits[v];
  switch (mode) {
  case H_EOI: eoi(); break;
  case H_DEASSERT_EOI: set_line(LINE, 0); eoi(); break;
  case H_DEASSERT_SECOND: if (n == 2) set_line(LINE, 0); eoi(); break;
  case H_COALESCE: if (n == 1) { set_line(LINE, 0); set_line(LINE, 1); } set_line(LINE, 0); eoi(); break;
  case H_READ_STATE:
    remote_in_handler = (io_rd(0x10 + 2 * LINE) & REMOTE_IRR) != 0;
    tmr_in_handler = tmr_bit(v);
    set_line(LINE, 0);
    eoi();
    break;
  case H_MASK_EOI: io_wr(0x10 + 2 * LINE, io_rd(0x10 + 2 * LINE) | MASKED); eoi(); break;
  case H_NO_EOI: break;
  }
}

static void nop(void) { __asm__ volatile("nop"); }

int main(void) {
  for (int v = 0x60; v < 0x70; v++) idt_set_handler(v, on_irq);
  outb(0x21, 0xff); outb(0xa1, 0xff);
  apic_wr(APIC_SVR, 0x1ff);

  /* Registers after reset (QEMU ioapic_reset_common; version 0x20 with 24 entries). */
  show("ioapic.id", io_rd(0));
  show("ioapic.ver", io_rd(1));
  show("ioapic.arb", io_rd(2));
  u32 all = 0x10000, hi_or = 0;
  for (u32 n = 0; n < 24; n++) { all &= io_rd(0x10 + 2 * n); hi_or |= io_rd(0x11 + 2 * n); }
  show("ioapic.redir.all-masked", all);
  show("ioapic.redir.hi", hi_or);
  show("ioapic.beyond", io_rd(0x10 + 2 * 24));
  show("ioapic.ioregsel", *(volatile u32 *)(IOAPIC + IOREGSEL));
  io_wr(0, 0xffffffff);
  show("ioapic.id.all-ones", io_rd(0));
  show("ioapic.arb.follows-id", io_rd(2));
  io_wr(2, 0); io_wr(1, 0);
  show("ioapic.arb.read-only", io_rd(2));
  show("ioapic.ver.read-only", io_rd(1));
  io_wr(0, 0);
  /* Remote IRR and delivery status are read only; the rest of the entry reads back. */
  io_wr(0x10 + 2 * 3, 0xffffffff); io_wr(0x11 + 2 * 3, 0xffffffff);
  show("ioapic.redir3.lo", io_rd(0x10 + 2 * 3));
  show("ioapic.redir3.hi", io_rd(0x11 + 2 * 3));
  io_wr(0x10 + 2 * 3, MASKED); io_wr(0x11 + 2 * 3, 0);

  __asm__ volatile("sti");

  /* Edge: one interrupt per assertion; TMR clear. */
  mode = H_EOI;
  redir(LINE, 0x60, 0);
  set_line(LINE, 1); set_line(LINE, 0); nop();
  show("edge.hits", hits[0x60]);
  show("edge.tmr", tmr_bit(0x60));

  /* Level: delivered while asserted, Remote IRR set until EOI, TMR set. */
  mode = H_READ_STATE;
  redir(LINE, 0x61, TRIG_LEVEL);
  set_line(LINE, 1); nop();
  show("level.hits", hits[0x61]);
  show("level.remote-irr-in-handler", remote_in_handler);
  show("level.tmr-in-handler", tmr_in_handler);
  show("level.remote-irr-after", (io_rd(0x10 + 2 * LINE) & REMOTE_IRR) != 0);

  /* Still asserted at EOI: delivered again (no masking needed). */
  mode = H_DEASSERT_SECOND;
  redir(LINE, 0x62, TRIG_LEVEL);
  __asm__ volatile("cli");
  set_line(LINE, 1);
  for (int i = 0; i < 10 && hits[0x62] < 2; i++) __asm__ volatile("sti; hlt; cli");
  __asm__ volatile("sti");
  show("level.retrigger.hits", hits[0x62]);

  /* A second assertion while Remote IRR is set is coalesced. */
  mode = H_COALESCE;
  redir(LINE, 0x63, TRIG_LEVEL);
  set_line(LINE, 1); nop();
  show("level.coalesce.hits", hits[0x63]);

  /* Masked edge is ignored (not latched); masked level is delivered when unmasked. */
  mode = H_DEASSERT_EOI;
  redir(LINE, 0x64, MASKED);
  set_line(LINE, 1); set_line(LINE, 0); nop();
  redir(LINE, 0x64, 0); nop();
  show("edge.masked.hits", hits[0x64]);
  redir(LINE, 0x65, TRIG_LEVEL | MASKED);
  set_line(LINE, 1); nop();
  show("level.masked.hits", hits[0x65]);
  redir(LINE, 0x65, TRIG_LEVEL); nop();
  show("level.unmasked.hits", hits[0x65]);

  /* Level, handler masks and EOIs: Remote IRR cleared, nothing more until unmasked. */
  mode = H_MASK_EOI;
  redir(LINE, 0x66, TRIG_LEVEL);
  set_line(LINE, 1); nop();
  show("level.mask-eoi.hits", hits[0x66]);
  io_wr(0x10 + 2 * LINE, 0x66 | TRIG_LEVEL); nop();
  show("level.mask-eoi.unmasked.hits", hits[0x66]);
  set_line(LINE, 0);
  io_wr(0x10 + 2 * LINE, 0x66 | TRIG_LEVEL);

  /* No LAPIC EOI: Remote IRR stays; the I/O APIC's EOI register (version 0x20) clears it. */
  mode = H_NO_EOI;
  redir(LINE, 0x67, TRIG_LEVEL);
  set_line(LINE, 1); nop();
  set_line(LINE, 0);
  show("level.no-eoi.hits", hits[0x67]);
  show("level.no-eoi.remote-irr", (io_rd(0x10 + 2 * LINE) & REMOTE_IRR) != 0);
  *(volatile u32 *)(IOAPIC + IOAPIC_EOI) = 0x67;
  show("ioapic-eoi.remote-irr", (io_rd(0x10 + 2 * LINE) & REMOTE_IRR) != 0);
  eoi(); /* retire 0x67 from the LAPIC's ISR */
  /* Switching a level entry with Remote IRR to edge clears Remote IRR (Linux __eoi_ioapic_pin). */
  redir(LINE, 0x68, TRIG_LEVEL);
  set_line(LINE, 1); nop(); set_line(LINE, 0);
  show("level.stuck.remote-irr", (io_rd(0x10 + 2 * LINE) & REMOTE_IRR) != 0);
  redir(LINE, 0x68, MASKED);
  show("edge-switch.remote-irr", (io_rd(0x10 + 2 * LINE) & REMOTE_IRR) != 0);
  eoi();
  show("stray.hits", hits[0x68]);
  redir(LINE, 0, MASKED);

  /* Two edges with IF=0: the higher vector is taken first, both at the same boundary. */
  mode = H_EOI;
  redir(0x0f, 0x69, 0); redir(LINE, 0x6a, 0);
  __asm__ volatile("cli");
  set_line(0x0f, 1); set_line(0x0f, 0); set_line(LINE, 1); set_line(LINE, 0);
  show("cli.pending", hits[0x69] + hits[0x6a]);
  __asm__ volatile("sti; nop");
  show("sti.hits", hits[0x69] + hits[0x6a]);
  redir(0x0f, 0, MASKED); redir(LINE, 0, MASKED);

  /* pc-testdev data register (0xe0 and the byte-wide window at 0xe8) and MMIO scratch. */
  outl(TESTDEV_DATA, 0x12345678);
  show("testdev.l", inl(TESTDEV_DATA));
  show("testdev.b1", inb(TESTDEV_DATA + 1));
  outw(TESTDEV_DATA + 2, 0xabcd);
  show("testdev.after-w2", inl(TESTDEV_DATA));
  show("testdev.byte-window", inl(TESTDEV_DATA_BYTE));
  outb(TESTDEV_DATA_BYTE + 3, 0x99);
  show("testdev.after-b3", inl(TESTDEV_DATA));
  show("testdev.flush-read", inl(0xe4));
  show("testdev.irq-read", inb(TESTDEV_IRQ));
  volatile u32 *mm = (volatile u32 *)TESTDEV_IOMEM;
  show("iomem.zero", mm[0]);
  mm[1] = 0xcafef00d;
  ((volatile u8 *)mm)[4] = 0x11;
  show("iomem.rw", mm[1]);
  ((volatile u32 *)(TESTDEV_IOMEM + 0xfffc))[0] = 0x55aa;
  show("iomem.last", ((volatile u32 *)(TESTDEV_IOMEM + 0xfffc))[0]);
  puts("done\n");
  return 0;
}
