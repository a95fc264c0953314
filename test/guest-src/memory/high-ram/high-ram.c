/* Guest RAM above 2 GiB and above 4 GiB, the PCI hole, and physical space with nothing behind it
 * (issue 15: a store above 2 GiB crashed the server; issue 18 item 7: unbacked addresses are PC open
 * bus). The boot map (docs/boot.md) identity-maps 0..4 GiB with 2 MiB pages; this guest adds the
 * fifth GiB (PDPT entry 4) so it can reach RAM that QEMU's pc machine puts from 4 GiB up.
 * Prints one line per probe; the test decides what each must read for the --memory it ran with. */
#include "runtime.h"

#define PTE_P 0x1ull
#define PTE_RW 0x2ull
#define PTE_PS 0x80ull /* in a PDE: a 2 MiB page */
#define FOUR_GIB 0x100000000ull

static u64 pd_high[512] __attribute__((aligned(4096)));

static inline u64 read_cr3(void) { u64 v; __asm__ volatile("mov %%cr3, %0" : "=r"(v)); return v; }
static inline void write_cr3(u64 v) { __asm__ volatile("mov %0, %%cr3" : : "r"(v) : "memory"); }

static void map_fifth_gib(void) {
  u64 *pml4 = (u64 *)(read_cr3() & ~0xfffull);
  u64 *pdpt = (u64 *)(pml4[0] & 0x000ffffffffff000ull);
  for (int i = 0; i < 512; i++) pd_high[i] = (FOUR_GIB + ((u64)i << 21)) | PTE_PS | PTE_RW | PTE_P;
  pdpt[4] = (u64)pd_high | PTE_RW | PTE_P;
  write_cr3(read_cr3());
}

static void probe(const char *name, u64 addr, u64 value) {
  volatile u64 *p = (volatile u64 *)addr;
  *p = value;
  u64 got = *p;
  volatile u32 *q = (volatile u32 *)(addr + 8); /* a 4-byte read next to it, untouched */
  u32 near = *q;
  puts(name); puts(" "); put_hex64(addr); puts(" wrote "); put_hex64(value); puts(" read "); put_hex64(got);
  puts(" next32 "); put_hex(near); puts("\n");
}

int main(void) {
  map_fifth_gib();
  probe("low-2g", 0x80000000ull, 0x1122334455667788ull);         /* frame 2^31: negative in an Int32Array */
  probe("low-2.5g", 0x9ffffff0ull, 0x2233445566778899ull);       /* the last 16 bytes below 2560 MiB */
  probe("hole-3g", 0xc0000000ull, 0x33445566778899aaull);        /* pc's PCI hole with >= 3.5 GiB RAM */
  probe("hole-3.9g", 0xf0000000ull, 0x445566778899aabbull);
  probe("high-4g", FOUR_GIB, 0x5566778899aabbccull);              /* RAM above 4 GiB (--memory 4096) */
  probe("high-last", FOUR_GIB + 0x3ffffff0ull, 0x66778899aabbccddull);
  /* The same bytes again: a high-RAM store must not have landed in low RAM (aliasing). */
  u64 low = *(volatile u64 *)0x80000000ull;
  puts("recheck-2g "); put_hex64(low); puts("\n");
  puts("done\n");
  return 0;
}
