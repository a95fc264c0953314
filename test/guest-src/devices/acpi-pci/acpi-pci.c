/* The PC platform pieces of QEMU's `pc` machine a kernel finds through ACPI (issue 16): PCI configuration
 * mechanism #1 at 0xCF8/0xCFC with the i440FX host bridge at 00:00.0 and nothing else on bus 0, the PIIX4 PM
 * timer at 0x608 (3.579545 MHz, 24 bits), PM1 status/enable/control at 0x600/0x602/0x604, and soft-off: PM1a_CNT
 * with SLP_EN and SLP_TYP 0 (\_S5) ends the run with status 0. test/devices/acpi-pci.test.ts checks the lines. */
#include "runtime.h"

static inline void outl(u16 port, u32 v) { __asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port)); }
static inline u32 inl(u16 port) { u32 v; __asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port)); return v; }
static inline void outw(u16 port, u16 v) { __asm__ volatile("outw %0, %1" : : "a"(v), "Nd"(port)); }
static inline u16 inw(u16 port) { u16 v; __asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(port)); return v; }
static u64 rdtsc(void) { u32 lo, hi; __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi)); return ((u64)hi << 32) | lo; }
static void line(const char *name, u64 v) { puts(name); putc(' '); put_hex(v); putc('\n'); }

static u32 cfg(u32 bus, u32 dev, u32 fn, u32 reg) {
  outl(0xcf8, 0x80000000u | (bus << 16) | (dev << 11) | (fn << 8) | reg);
  return inl(0xcfc);
}

int main(void) {
  /* Linux's pci_check_type1: a byte write to 0xCFB must not change CONFIG_ADDRESS. */
  outl(0xcf8, 0x12345678);
  outb(0xcfb, 0x01);
  line("cf8-after-byte-write", inl(0xcf8));
  outl(0xcf8, 0x80000000);
  line("cf8-enable", inl(0xcf8));
  line("00.0-id", cfg(0, 0, 0, 0x00));
  line("00.0-class-rev", cfg(0, 0, 0, 0x08));
  line("00.0-subsys", cfg(0, 0, 0, 0x2c));
  line("00.0-header", (cfg(0, 0, 0, 0x0c) >> 16) & 0xff);
  line("01.0-id", cfg(0, 1, 0, 0x00));
  line("00.1-id", cfg(0, 0, 1, 0x00));
  line("bus1-id", cfg(1, 0, 0, 0x00));
  /* Command register: I/O, memory, master are writable; the vendor ID is not. */
  cfg(0, 0, 0, 0x04); outl(0xcfc, 0xffffffff);
  line("00.0-command-status", cfg(0, 0, 0, 0x04));
  cfg(0, 0, 0, 0x00); outl(0xcfc, 0);
  line("00.0-id-after-write", cfg(0, 0, 0, 0x00));
  /* A byte read at 0xCFE is bits 23:16 of the dword (the device ID's low byte). */
  outl(0xcf8, 0x80000000); line("cfe-byte", inb(0xcfe));
  outl(0xcf8, 0x00000000); line("disabled-read", inl(0xcfc));

  /* The PM timer against the TSC (1 GHz): 3.579545 counts per microsecond. */
  u32 t0 = inl(0x608) & 0xffffff;
  u64 c0 = rdtsc();
  for (volatile int i = 0; i < 200000; i++) {}
  u32 t1 = inl(0x608) & 0xffffff;
  u64 c1 = rdtsc();
  u64 ticks = (t1 - t0) & 0xffffff, ns = c1 - c0;
  /* ticks per second, from the two reads: within 0.1% of 3579545 */
  u64 hz = ticks * 1000000000ull / ns;
  line("pm-timer-hz-ok", hz > 3575000 && hz < 3584000);
  line("pm-timer-high-byte", inl(0x608) >> 24);
  /* TMR_STS reads set (QEMU's overflow time starts at 0) and is write-1-to-clear. */
  line("pm1-sts-tmr", inw(0x600) & 1);
  outw(0x600, 1);
  line("pm1-sts-tmr-cleared", inw(0x600) & 1);
  outw(0x602, 0x0120);
  line("pm1-en", inw(0x602));
  outw(0x602, 0);
  line("pm1-cnt", inw(0x604));
  puts("power off\n");
  outw(0x604, (0 << 10) | (1 << 13) | 1);
  puts("still running\n");
  return 5;
}
