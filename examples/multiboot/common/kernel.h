/* Shared by the Multiboot example kernels (lm64: 32-bit entry -> long mode; pm32: stays in 32-bit
 * protected mode). Header-only (static functions) so each kernel is one self-contained link, built
 * for -m64 or -m32 alike: only 32-bit division is used (no libgcc with -nostdlib -m32).
 *
 * Everything printed here must be identical under qemu-system-x86_64 -kernel and under dbstub for
 * the same -m/-append/-initrd: Multiboot info, vectors and error codes, tick counts, fw_cfg values.
 * Never print TSC values, absolute APIC current counts or CPUID brand strings. */
#ifndef MB_KERNEL_H
#define MB_KERNEL_H

typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;
typedef unsigned long long u64;
typedef unsigned long uptr; /* pointer-sized on both -m32 and -m64 */

/* ---- port I/O ---- */
static inline void outb(u16 port, u8 v) { __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port)); }
static inline void outw(u16 port, u16 v) { __asm__ volatile("outw %0, %1" : : "a"(v), "Nd"(port)); }
static inline u8 inb(u16 port) { u8 v; __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port)); return v; }
static inline u32 inl(u16 port) { u32 v; __asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port)); return v; }

/* ---- 16550 UART on COM1 (PC16550D data sheet register map) ---- */
#define COM1 0x3f8
#define UART_THR 0 /* transmit holding (DLAB=0) */
#define UART_DLL 0 /* divisor latch low (DLAB=1) */
#define UART_IER 1
#define UART_DLM 1 /* divisor latch high (DLAB=1) */
#define UART_FCR 2
#define UART_LCR 3
#define UART_MCR 4
#define UART_LSR 5
#define UART_SCR 7
#define UART_LCR_DLAB 0x80
#define UART_LCR_8N1 0x03
#define UART_FCR_ENABLE_CLEAR 0x07 /* FIFO enable, clear RX and TX FIFOs */
#define UART_MCR_DTR_RTS_OUT2 0x0b
#define UART_LSR_THRE 0x20 /* transmitter holding register empty */

static void serial_putc(char c) {
  while (!(inb(COM1 + UART_LSR) & UART_LSR_THRE)) {}
  outb(COM1 + UART_THR, (u8)c);
}
static void puts(const char *s) {
  while (*s) serial_putc(*s++);
}
static void put_hex(u64 v) { /* 0x + minimal digits */
  char b[19];
  int n = 0;
  do {
    b[n++] = "0123456789abcdef"[v & 15];
    v >>= 4;
  } while (v);
  puts("0x");
  while (n) serial_putc(b[--n]);
}
static void put_dec(u32 v) {
  char b[11];
  int n = 0;
  do {
    b[n++] = (char)('0' + v % 10);
    v /= 10;
  } while (v);
  while (n) serial_putc(b[--n]);
}
static void kv(const char *k, u64 v) { /* "k=0x..\n" */
  puts(k);
  puts("=");
  put_hex(v);
  puts("\n");
}

/* Program the UART as a PC firmware/OS would (115200 8N1, FIFOs on) and check the line status and
 * the scratch register the way kernels probe for a 16550. */
static void serial_init(void) {
  outb(COM1 + UART_IER, 0);
  outb(COM1 + UART_LCR, UART_LCR_DLAB);
  outb(COM1 + UART_DLL, 1);
  outb(COM1 + UART_DLM, 0);
  outb(COM1 + UART_LCR, UART_LCR_8N1);
  outb(COM1 + UART_FCR, UART_FCR_ENABLE_CLEAR);
  outb(COM1 + UART_MCR, UART_MCR_DTR_RTS_OUT2);
  outb(COM1 + UART_SCR, 0x5a);
  u8 scr = inb(COM1 + UART_SCR);
  u8 lcr = inb(COM1 + UART_LCR);
  puts("serial: lcr=");
  put_hex(lcr);
  puts(" lsr=");
  put_hex(inb(COM1 + UART_LSR));
  puts(" scratch=");
  put_hex(scr);
  puts("\n");
}

/* ---- isa-debug-exit (QEMU -device isa-debug-exit,iobase=0xf4,iosize=0x04): status (v << 1) | 1 ---- */
#define DEBUG_EXIT_PORT 0xf4
#define EXIT_OK 0x10   /* process status 0x21 = 33 */
#define EXIT_FAIL 0x3f /* process status 0x7f = 127 */
static __attribute__((noreturn)) void debug_exit(u8 v) {
  outb(DEBUG_EXIT_PORT, v);
  for (;;) __asm__ volatile("cli; hlt");
}
static __attribute__((noreturn)) void fail(const char *why) {
  puts("FAIL: ");
  puts(why);
  puts("\n");
  debug_exit(EXIT_FAIL);
}
static void check(int ok, const char *what) {
  if (!ok) fail(what);
}

/* Whether the command line (after QEMU's "KERNEL-PATH ") holds `word` as a whole word. */
static __attribute__((unused)) int has_word(const char *s, const char *word) {
  while (*s) {
    while (*s == ' ') s++;
    const char *w = word;
    const char *p = s;
    while (*w && *p == *w) p++, w++;
    if (!*w && (*p == ' ' || !*p)) return 1;
    while (*s && *s != ' ') s++;
  }
  return 0;
}

/* ---- Multiboot information structure (Multiboot Specification 0.6.96, section 3.3) ---- */
#define MB_BOOTLOADER_MAGIC 0x2badb002
#define MBI_FLAG_MEM (1u << 0)
#define MBI_FLAG_BOOTDEV (1u << 1)
#define MBI_FLAG_CMDLINE (1u << 2)
#define MBI_FLAG_MODS (1u << 3)
#define MBI_FLAG_MMAP (1u << 6)
#define MBI_FLAG_LOADER_NAME (1u << 9)

struct mb_info {
  u32 flags, mem_lower, mem_upper, boot_device, cmdline, mods_count, mods_addr;
  u32 syms[4];
  u32 mmap_length, mmap_addr;
  u32 drives_length, drives_addr, config_table, boot_loader_name;
} __attribute__((packed));
struct mb_module {
  u32 mod_start, mod_end, string, reserved;
} __attribute__((packed));
/* An mmap entry: `size` does not count itself; the next entry starts size + 4 bytes later. */
struct mb_mmap_entry {
  u32 size;
  u64 base_addr, length;
  u32 type;
} __attribute__((packed));

#define PAGE_SIZE 4096u

/* FNV-1a 32-bit: a checksum of each module the test recomputes from the file it wrote. */
static u32 fnv1a(const u8 *p, u32 n) {
  u32 h = 2166136261u;
  for (u32 i = 0; i < n; i++) h = (h ^ p[i]) * 16777619u;
  return h;
}

/* Print what the boot loader handed over. Addresses chosen by the loader (where the info, the mmap
 * buffer, the strings and modules sit) are not printed: only their contents, and whether modules are
 * page aligned as the header's flags bit 0 asks. */
static void print_mb_info(u32 magic, const struct mb_info *mbi) {
  kv("mb: magic", magic);
  check(magic == MB_BOOTLOADER_MAGIC, "bad Multiboot magic in EAX");
  kv("mb: flags", mbi->flags);
  if (mbi->flags & MBI_FLAG_MEM) {
    puts("mb: mem_lower=");
    put_dec(mbi->mem_lower);
    puts("K mem_upper=");
    put_dec(mbi->mem_upper);
    puts("K\n");
  }
  if (mbi->flags & MBI_FLAG_MMAP) {
    uptr p = mbi->mmap_addr, end = p + mbi->mmap_length;
    int i = 0;
    while (p < end) {
      const struct mb_mmap_entry *e = (const struct mb_mmap_entry *)p;
      puts("mb: mmap[");
      put_dec(i++);
      puts("] base=");
      put_hex(e->base_addr);
      puts(" len=");
      put_hex(e->length);
      puts(" type=");
      put_dec(e->type);
      puts("\n");
      p += e->size + 4;
    }
  }
  if (mbi->flags & MBI_FLAG_CMDLINE) {
    puts("mb: cmdline=\"");
    puts((const char *)(uptr)mbi->cmdline);
    puts("\"\n");
  }
  if (mbi->flags & MBI_FLAG_MODS) {
    puts("mb: mods_count=");
    put_dec(mbi->mods_count);
    puts("\n");
    const struct mb_module *m = (const struct mb_module *)(uptr)mbi->mods_addr;
    for (u32 i = 0; i < mbi->mods_count; i++) {
      u32 size = m[i].mod_end - m[i].mod_start;
      puts("mb: mod[");
      put_dec(i);
      puts("] string=\"");
      puts((const char *)(uptr)m[i].string);
      puts("\" size=");
      put_dec(size);
      puts(" fnv1a=");
      put_hex(fnv1a((const u8 *)(uptr)m[i].mod_start, size));
      puts(" page_aligned=");
      puts(m[i].mod_start % PAGE_SIZE ? "no" : "yes");
      puts("\n");
    }
  }
  if (mbi->flags & MBI_FLAG_LOADER_NAME) {
    puts("mb: boot_loader_name=\"");
    puts((const char *)(uptr)mbi->boot_loader_name);
    puts("\"\n");
  }
}

/* ---- QEMU fw_cfg, I/O port interface (QEMU docs/specs/fw_cfg.txt) ---- */
#define FW_CFG_PORT_SEL 0x510
#define FW_CFG_PORT_DATA 0x511
#define FW_CFG_SIGNATURE 0x00
#define FW_CFG_RAM_SIZE 0x03
#define FW_CFG_NB_CPUS 0x05
#define FW_CFG_MAX_CPUS 0x0f

static void fw_cfg_read(u16 key, u8 *buf, u32 n) {
  outw(FW_CFG_PORT_SEL, key);
  for (u32 i = 0; i < n; i++) buf[i] = inb(FW_CFG_PORT_DATA);
}
static u64 fw_cfg_le(u16 key, u32 n) { /* little-endian integer item */
  u8 b[8] = {0};
  fw_cfg_read(key, b, n);
  u64 v = 0;
  for (u32 i = n; i--;) v = (v << 8) | b[i];
  return v;
}
static void print_fw_cfg(void) {
  char sig[5] = {0};
  fw_cfg_read(FW_CFG_SIGNATURE, (u8 *)sig, 4);
  puts("fw_cfg: signature=\"");
  puts(sig);
  puts("\" nb_cpus=");
  put_dec((u32)fw_cfg_le(FW_CFG_NB_CPUS, 2));
  puts(" max_cpus=");
  put_dec((u32)fw_cfg_le(FW_CFG_MAX_CPUS, 2));
  u64 ram = fw_cfg_le(FW_CFG_RAM_SIZE, 8);
  puts(" ram_size=");
  put_hex(ram);
  puts(" (");
  put_dec((u32)(ram >> 20));
  puts(" MiB)\n");
}

/* ---- ACPI tables as the firmware leaves them (SeaBIOS under QEMU installs them before any -kernel runs):
 * the RSDP found by scanning 0xE0000-0xFFFFF at 16-byte steps (ACPI 2.0 5.2.5.1), the RSDT it names, the
 * FADT in the RSDT and the FACS the FADT names; checksums checked (byte sum 0). Physical addresses: call
 * before paging. */
static int acpi_sum_ok(const u8 *p, u32 n) {
  u8 s = 0;
  for (u32 i = 0; i < n; i++) s += p[i];
  return s == 0;
}
static int acpi_sig(const u8 *p, const char *sig) {
  for (int i = 0; sig[i]; i++) if (p[i] != (u8)sig[i]) return 0;
  return 1;
}
static u32 acpi_u32(const u8 *p) { return p[0] | (u32)p[1] << 8 | (u32)p[2] << 16 | (u32)p[3] << 24; }
static void print_acpi(void) {
  const u8 *rsdp = 0;
  for (uptr a = 0xe0000; a < 0x100000; a += 16)
    if (acpi_sig((const u8 *)a, "RSD PTR ") && acpi_sum_ok((const u8 *)a, 20)) { rsdp = (const u8 *)a; break; }
  if (!rsdp) { puts("acpi: no RSDP\n"); return; }
  char oem[7] = {0};
  for (int i = 0; i < 6; i++) oem[i] = (char)rsdp[9 + i];
  puts("acpi: rsdp oem=\"");
  puts(oem);
  puts("\" rev=");
  put_dec(rsdp[15]);
  const u8 *rsdt = (const u8 *)(uptr)acpi_u32(rsdp + 16);
  if (!acpi_sig(rsdt, "RSDT") || !acpi_sum_ok(rsdt, acpi_u32(rsdt + 4))) { puts(" bad RSDT\n"); return; }
  const u8 *fadt = 0;
  for (u32 off = 36; off + 4 <= acpi_u32(rsdt + 4); off += 4) {
    const u8 *t = (const u8 *)(uptr)acpi_u32(rsdt + off);
    if (acpi_sig(t, "FACP")) fadt = t;
  }
  if (!fadt || !acpi_sum_ok(fadt, acpi_u32(fadt + 4))) { puts(" no FADT\n"); return; }
  /* FADT (ACPI 1.0b Table 5-7): FIRMWARE_CTRL at 36, SCI_INT at 46, PM1a_EVT_BLK at 56, PM1a_CNT_BLK at 64,
   * PM_TMR_BLK at 76. */
  puts(" fadt rev=");
  put_dec(fadt[8]);
  puts(" sci=");
  put_dec(fadt[46] | (u32)fadt[47] << 8);
  puts(" pm1a_evt=");
  put_hex(acpi_u32(fadt + 56));
  puts(" pm1a_cnt=");
  put_hex(acpi_u32(fadt + 64));
  puts(" pm_tmr=");
  put_hex(acpi_u32(fadt + 76));
  puts(" facs=");
  puts(acpi_sig((const u8 *)(uptr)acpi_u32(fadt + 36), "FACS") ? "yes\n" : "no\n");
}

/* An unassigned port: the ISA bus floats, reads return all ones. 0x2f8 (COM2) has no device when
 * only one -serial is given. Read twice: dbstub logs the first access only. */
#define UNUSED_PORT 0x2f8
static void probe_unused_port(void) {
  u8 first = inb(UNUSED_PORT), second = inb(UNUSED_PORT);
  puts("io: unused port ");
  put_hex(UNUSED_PORT);
  puts(" reads ");
  put_hex(first);
  puts(" then ");
  put_hex(second);
  puts("\n");
}

/* ---- 8259A PICs: remap to 0x20/0x28 (ICW1-ICW4) then mask every line; 8254 PIT channel 0 left idle ---- */
#define PIC1_CMD 0x20
#define PIC1_DATA 0x21
#define PIC2_CMD 0xa0
#define PIC2_DATA 0xa1
#define PIC_ICW1_INIT_ICW4 0x11 /* ICW1: init, edge triggered, cascade, ICW4 follows */
#define PIC_ICW4_8086 0x01
#define PIC1_VECTOR_BASE 0x20
#define PIC2_VECTOR_BASE 0x28
#define PIC_CASCADE_IRQ 2
static void pic_mask_all(void) {
  outb(PIC1_CMD, PIC_ICW1_INIT_ICW4);
  outb(PIC2_CMD, PIC_ICW1_INIT_ICW4);
  outb(PIC1_DATA, PIC1_VECTOR_BASE);
  outb(PIC2_DATA, PIC2_VECTOR_BASE);
  outb(PIC1_DATA, 1 << PIC_CASCADE_IRQ); /* ICW3 master: slave on IR2 */
  outb(PIC2_DATA, PIC_CASCADE_IRQ);      /* ICW3 slave: its cascade identity */
  outb(PIC1_DATA, PIC_ICW4_8086);
  outb(PIC2_DATA, PIC_ICW4_8086);
  outb(PIC1_DATA, 0xff);
  outb(PIC2_DATA, 0xff);
  puts("pic: masked imr1=");
  put_hex(inb(PIC1_DATA));
  puts(" imr2=");
  put_hex(inb(PIC2_DATA));
  puts("\n");
}

/* ---- local APIC, xAPIC MMIO (SDM Vol. 3 chapter 11 (Advanced Programmable Interrupt Controller)) ---- */
#define IA32_APIC_BASE 0x1b
#define APIC_BASE_BSP (1u << 8)
#define APIC_BASE_EXTD (1u << 10) /* x2APIC mode */
#define APIC_BASE_EN (1u << 11)
#define APIC_BASE_ADDR_MASK 0xfffff000u
#define LAPIC_DEFAULT_BASE 0xfee00000u
#define LAPIC_ID 0x020
#define LAPIC_VERSION 0x030
#define LAPIC_TPR 0x080
#define LAPIC_EOI 0x0b0
#define LAPIC_SVR 0x0f0
#define LAPIC_ISR0 0x100
#define LAPIC_IRR0 0x200 /* IRR bits 32*i..32*i+31 at 0x200 + 0x10*i */
#define LAPIC_ICR_LOW 0x300
#define LAPIC_ICR_HIGH 0x310
#define LAPIC_LVT_TIMER 0x320
#define LAPIC_TIMER_INITIAL 0x380
#define LAPIC_TIMER_CURRENT 0x390
#define LAPIC_TIMER_DIVIDE 0x3e0
#define LAPIC_SVR_ENABLE (1u << 8)
#define LAPIC_LVT_MASKED (1u << 16)
#define LAPIC_LVT_TIMER_PERIODIC (1u << 17)
#define LAPIC_ICR_DELIVERY_STATUS (1u << 12)
#define LAPIC_ICR_DEST_SELF (1u << 18) /* destination shorthand 01: self */
#define LAPIC_DIVIDE_BY_16 0x3
#define LAPIC_SPURIOUS_VECTOR 0xff
#define TIMER_VECTOR 0x40
#define IPI_VECTOR 0x41
#define IPI_VECTOR_CLASS_HIGH 0x50 /* a TPR class above IPI_VECTOR's class 4 */

static inline u32 lapic_read(u32 reg) { return *(volatile u32 *)(uptr)(LAPIC_DEFAULT_BASE + reg); }
static inline void lapic_write(u32 reg, u32 v) { *(volatile u32 *)(uptr)(LAPIC_DEFAULT_BASE + reg) = v; }

static inline u64 rdmsr(u32 msr) {
  u32 lo, hi;
  __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
  return ((u64)hi << 32) | lo;
}
static inline void wrmsr(u32 msr, u64 v) { __asm__ volatile("wrmsr" : : "c"(msr), "a"((u32)v), "d"((u32)(v >> 32))); }
static inline void cpuid(u32 leaf, u32 sub, u32 *a, u32 *b, u32 *c, u32 *d) {
  __asm__ volatile("cpuid" : "=a"(*a), "=b"(*b), "=c"(*c), "=d"(*d) : "a"(leaf), "c"(sub));
}

/* Interrupt bookkeeping shared with the kernels' handlers. */
static volatile u32 timer_ticks, ipi_count, spurious_count;
static volatile uptr last_irq_rip;

static void lapic_eoi(void) { lapic_write(LAPIC_EOI, 0); }

/* The periodic test stops the timer from the handler at its last tick: between the IRET and the CLI
 * of a wake-up an interrupt can be taken, and under QEMU TCG on a loaded host the period may elapse
 * more than once there, so stopping it from the loop would let extra ticks in. */
static volatile u32 timer_stop_at;
static void timer_interrupt(uptr rip) {
  last_irq_rip = rip;
  if (++timer_ticks == timer_stop_at) {
    lapic_write(LAPIC_LVT_TIMER, LAPIC_LVT_MASKED | TIMER_VECTOR);
    lapic_write(LAPIC_TIMER_INITIAL, 0);
  }
  lapic_eoi();
}

static void lapic_enable(void) {
  u64 base = rdmsr(IA32_APIC_BASE);
  puts("apic: base=");
  put_hex(base & APIC_BASE_ADDR_MASK);
  puts(" bsp=");
  put_dec(!!(base & APIC_BASE_BSP));
  puts(" enabled=");
  put_dec(!!(base & APIC_BASE_EN));
  puts("\n");
  lapic_write(LAPIC_SVR, LAPIC_SVR_ENABLE | LAPIC_SPURIOUS_VECTOR);
  lapic_write(LAPIC_TPR, 0);
  puts("apic: id=");
  put_hex(lapic_read(LAPIC_ID) >> 24);
  puts(" version=");
  put_hex(lapic_read(LAPIC_VERSION));
  puts(" svr=");
  put_hex(lapic_read(LAPIC_SVR));
  puts("\n");
}

/* hlt with interrupts enabled only for its duration: STI's interrupt shadow (SDM Vol. 2B STI) keeps
 * an interrupt from arriving between STI and HLT, so the wake-up cannot be lost. */
static inline void sti_hlt_cli(void) { __asm__ volatile("sti; hlt; cli" ::: "memory"); }

#define PERIODIC_TICKS 5
#define ONESHOT_COUNT 0x4000
#define PERIODIC_COUNT 0x2000

static void lapic_timer_tests(void) {
  lapic_write(LAPIC_TIMER_DIVIDE, LAPIC_DIVIDE_BY_16);
  puts("timer: divide=");
  put_hex(lapic_read(LAPIC_TIMER_DIVIDE));
  puts("\n");
  /* One-shot: one interrupt, then the current count stays at 0. */
  timer_ticks = 0;
  lapic_write(LAPIC_LVT_TIMER, TIMER_VECTOR);
  lapic_write(LAPIC_TIMER_INITIAL, ONESHOT_COUNT);
  while (timer_ticks == 0) sti_hlt_cli();
  puts("timer: one-shot ticks=");
  put_dec(timer_ticks);
  puts(" current_after=");
  put_hex(lapic_read(LAPIC_TIMER_CURRENT));
  puts(" lvt=");
  put_hex(lapic_read(LAPIC_LVT_TIMER));
  puts("\n");
  /* Periodic: the handler stops the timer at the PERIODIC_TICKS-th interrupt. Each HLT is woken by at
   * least one tick, so there are between 1 and PERIODIC_TICKS wake-ups (how many depends on timing). */
  timer_ticks = 0;
  timer_stop_at = PERIODIC_TICKS;
  lapic_write(LAPIC_LVT_TIMER, TIMER_VECTOR | LAPIC_LVT_TIMER_PERIODIC);
  lapic_write(LAPIC_TIMER_INITIAL, PERIODIC_COUNT);
  u32 cur = lapic_read(LAPIC_TIMER_CURRENT);
  u32 wakeups = 0;
  while (timer_ticks < PERIODIC_TICKS) {
    sti_hlt_cli();
    wakeups++;
  }
  timer_stop_at = 0;
  puts("timer: periodic ticks=");
  put_dec(timer_ticks);
  puts(" hlt_wakeups_in_range=");
  puts(wakeups >= 1 && wakeups <= PERIODIC_TICKS ? "yes" : "no");
  puts(" current_in_range=");
  puts(cur <= PERIODIC_COUNT ? "yes" : "no");
  puts(" lvt=");
  put_hex(lapic_read(LAPIC_LVT_TIMER));
  puts(" stopped_current=");
  put_hex(lapic_read(LAPIC_TIMER_CURRENT));
  puts("\n");
}

/* The STI shadow with an interrupt already pending: the interrupt is taken after the instruction that
 * follows STI, never between STI and it (SDM Vol. 2B STI; Vol. 3 6.8.1 (Masking Maskable Hardware
 * Interrupts)). A one-shot expires while IF=0; we wait until its vector is
 * requested in the IRR (the current count reaching 0 may precede the request). */
extern char sti_shadow_after[];
static void sti_shadow_test(void) {
  timer_ticks = 0;
  lapic_write(LAPIC_LVT_TIMER, TIMER_VECTOR);
  lapic_write(LAPIC_TIMER_INITIAL, 1);
  while (!(lapic_read(LAPIC_IRR0 + 0x10 * (TIMER_VECTOR / 32)) & (1u << (TIMER_VECTOR % 32)))) {}
  u32 before_sti = timer_ticks;
  u32 seen_in_shadow;
  __asm__ volatile("sti\n\t"
                   "mov %1, %0\n\t" /* runs in the shadow: the interrupt cannot have incremented yet */
                   ".globl sti_shadow_after\n"
                   "sti_shadow_after:\n\t"
                   "nop\n\t"
                   "cli"
                   : "=r"(seen_in_shadow)
                   : "m"(timer_ticks)
                   : "memory");
  puts("sti: pending before=");
  put_dec(before_sti);
  puts(" seen_in_shadow=");
  put_dec(seen_in_shadow);
  puts(" after=");
  put_dec(timer_ticks);
  puts(" taken_at_shadow_end=");
  puts(last_irq_rip == (uptr)sti_shadow_after ? "yes" : "no");
  puts("\n");
}

/* Self-IPI through the ICR (fixed delivery, shorthand self), first held back by the TPR, then taken. */
static void self_ipi_test(void) {
  ipi_count = 0;
  lapic_write(LAPIC_TPR, IPI_VECTOR_CLASS_HIGH);
  lapic_write(LAPIC_ICR_HIGH, 0);
  lapic_write(LAPIC_ICR_LOW, LAPIC_ICR_DEST_SELF | IPI_VECTOR);
  __asm__ volatile("sti; nop; nop; nop; cli" ::: "memory");
  u32 blocked = ipi_count;
  lapic_write(LAPIC_TPR, 0);
  __asm__ volatile("sti; nop; nop; nop; cli" ::: "memory");
  puts("ipi: self vector=");
  put_hex(IPI_VECTOR);
  puts(" taken_with_tpr_high=");
  put_dec(blocked);
  puts(" taken_after_tpr_0=");
  put_dec(ipi_count);
  puts(" icr_idle=");
  puts(lapic_read(LAPIC_ICR_LOW) & LAPIC_ICR_DELIVERY_STATUS ? "no" : "yes");
  puts("\n");
}

/* x2APIC (SDM Vol. 3 11.12): when CPUID.01H:ECX[21] says it exists, switch to it and read the same
 * registers through MSRs 0x800 + offset/16. QEMU 7.2's TCG does not offer x2APIC (KVM does), so the
 * comparison with QEMU leaves out the lines starting "x2apic:". */
#define CPUID_1_ECX_X2APIC (1u << 21)
#define X2APIC_MSR(reg) (0x800u + ((reg) >> 4))
static void x2apic_test(void) {
  u32 a, b, c, d;
  cpuid(1, 0, &a, &b, &c, &d);
  if (!(c & CPUID_1_ECX_X2APIC)) {
    puts("x2apic: not reported by CPUID\n");
    return;
  }
  wrmsr(IA32_APIC_BASE, rdmsr(IA32_APIC_BASE) | APIC_BASE_EN | APIC_BASE_EXTD);
  puts("x2apic: enabled id=");
  put_hex(rdmsr(X2APIC_MSR(LAPIC_ID)));
  puts(" version=");
  put_hex(rdmsr(X2APIC_MSR(LAPIC_VERSION)));
  puts(" svr=");
  put_hex(rdmsr(X2APIC_MSR(LAPIC_SVR)));
  wrmsr(X2APIC_MSR(LAPIC_TPR), 0x20);
  puts(" tpr=");
  put_hex(rdmsr(X2APIC_MSR(LAPIC_TPR)));
  wrmsr(X2APIC_MSR(LAPIC_TPR), 0);
  puts("\n");
}

#endif
