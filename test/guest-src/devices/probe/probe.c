/* Device probe: reads the registers of the PC devices a test kernel touches and prints one
 * "name value" line each on COM1, then exits through isa-debug-exit. The same image runs under
 * qemu-system-x86_64 -kernel and under dbstub; test/devices/probe.test.ts compares the two.
 * Only values that do not depend on wall-clock time are printed (time-dependent ones as a 0/1 fact). */
typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;
typedef unsigned long long u64;

static inline void outb(u16 p, u8 v) { __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(p)); }
static inline void outw(u16 p, u16 v) { __asm__ volatile("outw %0, %1" : : "a"(v), "Nd"(p)); }
static inline void outl(u16 p, u32 v) { __asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(p)); }
static inline u8 inb(u16 p) { u8 v; __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(p)); return v; }
static inline u16 inw(u16 p) { u16 v; __asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(p)); return v; }
static inline u32 inl(u16 p) { u32 v; __asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(p)); return v; }
static u64 rdmsr(u32 msr) {
  u32 lo, hi;
  __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
  return ((u64)hi << 32) | lo;
}

#define COM1 0x3f8
static void putc(char c) {
  while (!(inb(COM1 + 5) & 0x20)) {}
  outb(COM1, (u8)c);
}
static void puts(const char *s) { while (*s) putc(*s++); }
static void put_hex(u64 v) {
  char b[17];
  int n = 0;
  do { b[n++] = "0123456789abcdef"[v & 15]; v >>= 4; } while (v);
  puts("0x");
  while (n) putc(b[--n]);
}
static void show(const char *name, u64 v) { puts(name); putc(' '); put_hex(v); putc('\n'); }

/* ---- local APIC (xAPIC page, paging off: physical = linear) ---- */
#define APIC 0xfee00000u
static u32 apic_rd(u32 off) { return *(volatile u32 *)(APIC + off); }
static void apic_wr(u32 off, u32 v) { *(volatile u32 *)(APIC + off) = v; }
static u8 apic_rd8(u32 off) { return *(volatile u8 *)(APIC + off); }

static void delay(void) { for (volatile u32 i = 0; i < 200000; i++) {} }

static void uart(void) {
  /* The usual polled-driver init: IER off, 38400 8N1, FIFOs on and cleared, DTR|RTS|OUT2. */
  outb(COM1 + 1, 0x00);
  outb(COM1 + 3, 0x80);
  outb(COM1 + 0, 0x03);
  outb(COM1 + 1, 0x00);
  outb(COM1 + 3, 0x03);
  outb(COM1 + 2, 0xc7);
  outb(COM1 + 4, 0x0b);
  outb(COM1 + 3, 0x83);
  u8 dll = inb(COM1 + 0), dlm = inb(COM1 + 1);
  outb(COM1 + 3, 0x03);
  show("uart.dll", dll);
  show("uart.dlm", dlm);
  show("uart.ier", inb(COM1 + 1));
  show("uart.iir", inb(COM1 + 2));
  show("uart.lcr", inb(COM1 + 3));
  show("uart.mcr", inb(COM1 + 4));
  show("uart.lsr", inb(COM1 + 5) & 0x7f); /* bit 7 (FIFO error) aside */
  outb(COM1 + 7, 0x5a);
  show("uart.scr", inb(COM1 + 7));
  /* Loopback: the byte comes back in RBR, MSR mirrors MCR. Nothing leaves the UART meanwhile, so
   * the values are printed after loopback is off again. */
  outb(COM1 + 4, 0x1e);
  u8 msr = inb(COM1 + 6);
  outb(COM1 + 0, 0xae);
  u8 lsr1 = inb(COM1 + 5), rbr = inb(COM1 + 0), lsr2 = inb(COM1 + 5);
  outb(COM1 + 4, 0x0b);
  show("uart.loop.msr", msr);
  show("uart.loop.lsr", lsr1);
  show("uart.loop.rbr", rbr);
  show("uart.loop.lsr2", lsr2);
  /* THR-empty interrupt identification with IER.ETBEI. */
  outb(COM1 + 1, 0x02);
  u8 iir1 = inb(COM1 + 2), iir2 = inb(COM1 + 2);
  outb(COM1 + 1, 0x00);
  show("uart.iir.thre", iir1);
  show("uart.iir.after", iir2);
}

static void pic(void) {
  outb(0x20, 0x11); outb(0xa0, 0x11);
  outb(0x21, 0x20); outb(0xa1, 0x28);
  outb(0x21, 0x04); outb(0xa1, 0x02);
  outb(0x21, 0x01); outb(0xa1, 0x01);
  show("pic.imr.after-init", (u32)inb(0x21) << 8 | inb(0xa1));
  outb(0x21, 0xff); outb(0xa1, 0xff);
  show("pic.imr", (u32)inb(0x21) << 8 | inb(0xa1));
  outb(0xa0, 0x0b);
  show("pic.slave.isr", inb(0xa0));
}

static void pit(void) {
  outb(0x43, 0x30); /* counter 0, LSB then MSB, mode 0 */
  outb(0x40, 0xff);
  outb(0x40, 0xff);
  outb(0x43, 0xe2); /* read-back: status of counter 0 */
  show("pit.status", inb(0x40));
  outb(0x43, 0x00); /* latch counter 0 */
  u32 a = inb(0x40); a |= (u32)inb(0x40) << 8;
  delay();
  outb(0x43, 0x00);
  u32 b = inb(0x40); b |= (u32)inb(0x40) << 8;
  show("pit.moves", a != b); /* mode 0 counts down from 0xFFFF and wraps: only "it moved" is time-independent */
  outb(0x43, 0x34); /* back to mode 2 as firmware leaves it */
  outb(0x40, 0);
  outb(0x40, 0);

  /* Counter 2 through port 0x61, as kernels calibrate their timers: gate high, speaker off, mode 0,
   * 1193 counts (1 ms on a PC); OUT2 (port 0x61 bit 5) is low until the count runs out. */
  outb(0x61, (inb(0x61) & ~0x02) | 0x01);
  outb(0x43, 0xb0);
  outb(0x42, 1193 & 0xff);
  outb(0x42, 1193 >> 8);
  u8 p1 = inb(0x61);
  u32 polls = 0;
  while (!(inb(0x61) & 0x20) && polls < 100000000) polls++;
  u8 p2 = inb(0x61);
  show("port61.after-load", p1 & 0x23);
  show("port61.out2-rose", polls < 100000000);
  u8 r1 = inb(0x61), r2 = inb(0x61);
  show("port61.refresh-toggles", (r1 ^ r2) & 0x10 ? 1 : 0);
  show("port61.final", p2 & 0x23);
  outb(0x61, inb(0x61) & ~0x03);
  show("port61.gate-off", inb(0x61) & 0x03);
}

static void fwcfg(void) {
  char sig[5] = {0};
  outw(0x510, 0x0000);
  for (int i = 0; i < 4; i++) sig[i] = (char)inb(0x511);
  puts("fwcfg.signature "); puts(sig); putc('\n');
  outw(0x510, 0x0000);
  show("fwcfg.sel-port-read", inb(0x510));
  outw(0x510, 0x0003);
  u64 ram = 0;
  for (int i = 0; i < 8; i++) ram |= (u64)inb(0x511) << (8 * i);
  show("fwcfg.ram", ram);
  outw(0x510, 0x0005);
  show("fwcfg.nb_cpus", inb(0x511) | (u32)inb(0x511) << 8);
  outw(0x510, 0x000f);
  show("fwcfg.max_cpus", inb(0x511) | (u32)inb(0x511) << 8);
  outw(0x510, 0x1234);
  show("fwcfg.unknown", inb(0x511));
  outw(0x510, 0x0000);
  show("fwcfg.inw", inw(0x511));
  outw(0x510, 0x0000);
  show("fwcfg.inl", inl(0x510));
  outw(0x510, 0x0001);
  show("fwcfg.id", inb(0x511));
  outw(0x510, 0x0019);
  u32 n = 0;
  for (int i = 0; i < 4; i++) n = n << 8 | inb(0x511);
  show("fwcfg.files-present", n > 0);
}

static void apic(void) {
  show("apic.base-msr", rdmsr(0x1b));
  show("apic.id", apic_rd(0x20));
  show("apic.version", apic_rd(0x30));
  show("apic.version.byte", apic_rd8(0x30));
  show("apic.version.off4", apic_rd(0x34));
  show("apic.tpr", apic_rd(0x80));
  show("apic.ldr", apic_rd(0xd0));
  show("apic.dfr", apic_rd(0xe0));
  show("apic.svr", apic_rd(0xf0));
  show("apic.lvt.timer", apic_rd(0x320));
  show("apic.lvt.thermal", apic_rd(0x330));
  show("apic.lvt.perf", apic_rd(0x340));
  show("apic.lvt.lint0", apic_rd(0x350));
  show("apic.lvt.lint1", apic_rd(0x360));
  show("apic.lvt.error", apic_rd(0x370));
  show("apic.divide", apic_rd(0x3e0));
  show("apic.initial", apic_rd(0x380));
  apic_wr(0xf0, 0x1ff);
  apic_wr(0x80, 0x5f);
  show("apic.ppr.tpr5f", apic_rd(0xa0));
  apic_wr(0x80, 0x00);
  apic_wr(0x300, (1u << 18) | 0x40); /* fixed self-IPI, IF=0: stays in IRR */
  show("apic.icr", apic_rd(0x300));
  show("apic.irr2", apic_rd(0x220));
  show("apic.isr2", apic_rd(0x120));
  apic_wr(0x3e0, 0xb);
  apic_wr(0x320, 0x10041); /* masked one-shot */
  apic_wr(0x380, 0x10000000);
  delay();
  u32 cur = apic_rd(0x390);
  show("apic.timer-counts-down", cur < 0x10000000 && cur > 0);
  apic_wr(0x380, 0);
  show("apic.timer-stopped", apic_rd(0x390));
  apic_wr(0x320, 0xffffffff);
  show("apic.lvt.timer.all-ones", apic_rd(0x320));
  apic_wr(0x320, 0x10000);
  apic_wr(0xe0, 0);
  show("apic.dfr.zero", apic_rd(0xe0));
  apic_wr(0xe0, 0xffffffff);
  /* Software disable (SVR bit 8 clear): the SDM masks every LVT and keeps them masked; a fixed
   * self-IPI is not accepted while disabled (KVM drops it too). */
  apic_wr(0x320, 0x40);
  apic_wr(0xf0, 0xff);
  show("apic.swdisabled.lvt.timer", apic_rd(0x320));
  apic_wr(0x320, 0x41);
  show("apic.swdisabled.lvt.write", apic_rd(0x320));
  apic_wr(0x300, (1u << 18) | 0x70);
  show("apic.swdisabled.irr3", apic_rd(0x230));
  apic_wr(0xf0, 0x1ff);
  apic_wr(0x320, 0x10000);
  apic_wr(0x280, 0);
  (void)apic_rd(0x400); /* no register there */
  show("apic.esr.before-write", apic_rd(0x280));
  apic_wr(0x280, 0);
  show("apic.esr.after-write", apic_rd(0x280));
}

static void ports(void) {
  show("port.2f8.b", inb(0x2f8));
  show("port.2f8.w", inw(0x2f8));
  show("port.2f8.l", inl(0x2f8));
  show("port.debug-exit.read", inb(0xf4));
  outb(0x80, 0);
  show("port.80.b", inb(0x80));
}

/* What the firmware (none on dbstub, SeaBIOS + the Multiboot option ROM on QEMU) left behind, read
 * before the probe changes anything. COM1 is read before the first byte is printed. */
static void handoff(void) {
  u8 lcr = inb(COM1 + 3), ier = inb(COM1 + 1), mcr = inb(COM1 + 4);
  outb(COM1 + 3, lcr | 0x80);
  u8 dll = inb(COM1 + 0), dlm = inb(COM1 + 1);
  outb(COM1 + 3, lcr);
  puts("probe start\n");
  show("handoff.uart.lcr", lcr);
  show("handoff.uart.ier", ier);
  show("handoff.uart.mcr", mcr);
  show("handoff.uart.divisor", (u32)dlm << 8 | dll);
  show("handoff.pic.imr", (u32)inb(0x21) << 8 | inb(0xa1));
  outb(0x43, 0xe2);
  show("handoff.pit0.status", inb(0x40) & 0x3f); /* OUT (bit 7) and null count depend on time */
  show("handoff.port61.gate-speaker", inb(0x61) & 0x03);
  show("handoff.apic.svr", apic_rd(0xf0));
  show("handoff.apic.lint0", apic_rd(0x350));
  show("handoff.apic.lint1", apic_rd(0x360));
  show("handoff.apic.timer", apic_rd(0x320));
  show("handoff.apic.tpr", apic_rd(0x80));
}

void probe(void) {
  handoff();
  uart();
  pic();
  pit();
  fwcfg();
  apic();
  ports();
  puts("probe end\n");
  outl(0xf4, 0x10); /* status (0x10 << 1) | 1 = 0x21 */
  for (;;) __asm__ volatile("cli; hlt");
}
