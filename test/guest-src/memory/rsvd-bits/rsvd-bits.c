/* Reserved bits in 4-level paging entries (SDM Vol. 3A 4.5, Table 4-14..4-20; 4.7 PFEC.RSVD): a present entry with
 * a bit set above MAXPHYADDR (40 here: CPUID 80000008H:EAX[7:0]) or, in a 2-MByte PDE, in bits 20:13, makes the
 * access #PF with error code P|RSVD plus W/U/I as for any #PF; the same translation without the bit works.
 * kvm-unit-tests x86/access.c "pde.13" expected error code 0xf and dbstub gave 7. The guest maps its own
 * PML4 slot 1 (0x8000000000) -> PDPT -> PD: PD[0] a 4-KiB page table, PD[1] a 2-MByte page; prints
 * "case error-code" per access (0 = no fault). */
#include "runtime.h"

#define P 1ull
#define RW 2ull
#define PS (1ull << 7)
#define BASE 0x8000000000ull

static u64 pdpt[512] __attribute__((aligned(4096)));
static u64 pd[512] __attribute__((aligned(4096)));
static u64 pt[512] __attribute__((aligned(4096)));
static u8 page[4096] __attribute__((aligned(4096)));
static volatile u64 pf_code;
static volatile int faulted;
static volatile u64 skip;

static void on_pf(struct frame *f) {
  pf_code = f->error_code;
  faulted = 1;
  f->rip += skip;
}

static void flush(void) {
  u64 cr3;
  __asm__ volatile("mov %%cr3, %0; mov %0, %%cr3" : "=r"(cr3) : : "memory");
}

static u64 read_at(u64 va) {
  faulted = 0;
  skip = 3; /* mov (%rax), %rax: 48 8b 00 */
  u64 v = va;
  __asm__ volatile(".byte 0x48, 0x8b, 0x00" : "+a"(v) : : "memory");
  return faulted ? pf_code : 0;
}
static u64 write_at(u64 va) {
  faulted = 0;
  skip = 3; /* mov %rdx, (%rax): 48 89 10 */
  __asm__ volatile(".byte 0x48, 0x89, 0x10" : : "a"(va), "d"(0x55ull) : "memory");
  return faulted ? pf_code : 0;
}
static void show(const char *name, u64 code) { puts(name); puts(" "); put_hex(code); puts("\n"); }

int main(void) {
  idt_set_handler(VEC_PF, on_pf);
  u64 cr3;
  __asm__ volatile("mov %%cr3, %0" : "=r"(cr3));
  u64 *pml4 = (u64 *)(cr3 & ~0xfffull);
  pml4[1] = (u64)pdpt | P | RW;
  pdpt[0] = (u64)pd | P | RW;
  pd[0] = (u64)pt | P | RW;
  pt[0] = (u64)page | P | RW;
  pd[1] = 0x200000ull | P | RW | PS; /* 2 MiB at physical 2 MiB (RAM) */
  flush();
  show("pte-clean-read", read_at(BASE));
  pt[0] = (u64)page | P | RW | (1ull << 45); /* above MAXPHYADDR */
  flush();
  show("pte-bit45-read", read_at(BASE));
  show("pte-bit45-write", write_at(BASE));
  pt[0] = (u64)page | P | RW;
  pd[0] = (u64)pt | P | RW | (1ull << 51); /* non-leaf above MAXPHYADDR */
  flush();
  show("pde-bit51-read", read_at(BASE));
  pd[0] = (u64)pt | P | RW;
  flush();
  show("pde-clean-read", read_at(BASE));
  show("pde2m-clean-read", read_at(BASE + 0x200000));
  pd[1] = 0x200000ull | P | RW | PS | (1ull << 13); /* 2-MByte PDE bit 13: reserved */
  flush();
  show("pde2m-bit13-read", read_at(BASE + 0x200000));
  show("pde2m-bit13-write", write_at(BASE + 0x200000));
  pd[1] = 0x200000ull | P | RW | PS;
  pdpt[0] = (u64)pd | P | RW | (1ull << 40); /* PDPTE bit 40 */
  flush();
  show("pdpte-bit40-read", read_at(BASE + 0x200000));
  pdpt[0] = (u64)pd | P | RW;
  flush();
  show("restored-read", read_at(BASE + 0x200000));
  pml4[1] = 0;
  flush();
  puts("done\n");
  return 0;
}
