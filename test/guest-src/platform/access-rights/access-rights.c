/* SMEP, SMAP, protection keys for user pages (PKU: CR4.PKE, PKRU, RDPKRU/WRPKRU) and for supervisor pages
 * (PKS: CR4.PKS, IA32_PKRS) as SDM Vol. 3 4.6.1-4.6.2 define them (issue 15: kvm-unit-tests' smap, pku and
 * pks skipped because CPUID offered none of them). Each probe prints "name ok" or "name pf <error code>"
 * (or ud / gp); the test compares the whole transcript.
 *
 * Two aliases of one 2 MiB page (physical 4 MiB), both with protection key 2: linear 4 MiB as a
 * supervisor-mode page (U/S=0), linear 6 MiB as a user-mode page. The boot map makes every page a user page,
 * so the SMEP/SMAP probes first make the first 2 MiB (code, data, stacks, descriptor tables) supervisor. */
#include "runtime.h"

#define PD0 ((volatile u64 *)0x3000) /* page directory of 0-1 GiB, 2 MiB pages (docs/boot.md) */
#define PTE_P 0x1ull
#define PTE_RW 0x2ull
#define PTE_US 0x4ull
#define PTE_PS 0x80ull
#define PKEY_SHIFT 59
#define KEY 2ull
#define PHYS 0x400000ull
#define SUP 0x400000ull /* supervisor alias */
#define USR 0x600000ull /* user alias */

#define CR0_WP (1ull << 16)
#define CR4_SMEP (1ull << 20)
#define CR4_SMAP (1ull << 21)
#define CR4_PKE (1ull << 22)
#define CR4_PKS (1ull << 24)
#define MSR_IA32_PKRS 0x6e1
#define AD(k) (1u << (2 * (k)))
#define WD(k) (2u << (2 * (k)))
#define PFEC_ID 0x10

static volatile int faults, uds, gps;
static volatile u64 err, cr2, skip = 3;

static void on_pf(struct frame *f) {
  faults++;
  err = f->error_code;
  __asm__ volatile("mov %%cr2, %0" : "=r"(cr2));
  /* A refused fetch faults at the called address: return to the caller as the RET there would have. */
  if (err & PFEC_ID) { f->rip = *(u64 *)f->rsp; f->rsp += 8; } else f->rip += 2;
}
static void on_ud(struct frame *f) { uds++; f->rip += 3; }
static void on_gp(struct frame *f) { gps++; f->rip += skip; }

static void reload_cr3(void) { u64 v; __asm__ volatile("mov %%cr3, %0; mov %0, %%cr3" : "=r"(v) : : "memory"); }
static void stac(void) { __asm__ volatile(".byte 0x0f, 0x01, 0xcb" : : : "memory", "cc"); }
static void clac(void) { __asm__ volatile(".byte 0x0f, 0x01, 0xca" : : : "memory", "cc"); }

/* The accesses are 2-byte instructions (mov (%rax),%ecx / mov %ecx,(%rax)) the #PF handler steps over. */
static u32 rd(u64 p) { u32 v = 0; faults = 0; __asm__ volatile(".byte 0x8b, 0x08" : "+c"(v) : "a"(p) : "memory"); return v; }
static void wr(u64 p, u32 v) { faults = 0; __asm__ volatile(".byte 0x89, 0x08" : : "a"(p), "c"(v) : "memory"); }
static void fetch(u64 p) { faults = 0; __asm__ volatile("call *%0" : : "r"(p) : "memory"); }

static void result(const char *name) {
  puts(name);
  if (faults) { puts(" pf "); put_hex(err); if (cr2 >> 21 != 2 && cr2 >> 21 != 3) puts(" cr2?"); }
  else puts(" ok");
  puts("\n");
  faults = 0;
}
static void flag(const char *name, int v) { puts(name); puts(v ? " 1\n" : " 0\n"); }

static u32 rdpkru(u32 ecx, u32 *edx) {
  u32 a = 0xdeadbeef, d = 0xdeadbeef;
  uds = gps = 0;
  __asm__ volatile(".byte 0x0f, 0x01, 0xee" : "+a"(a), "+d"(d) : "c"(ecx));
  *edx = d;
  return a;
}
static void wrpkru(u32 v, u32 ecx, u32 edx) {
  uds = gps = 0;
  __asm__ volatile(".byte 0x0f, 0x01, 0xef" : : "a"(v), "c"(ecx), "d"(edx) : "memory");
}
static void fault_line(const char *name) {
  puts(name);
  puts(uds ? " ud\n" : gps ? " gp\n" : " ok\n");
}

/* CPL3 probes: the result is the #PF error code, or 0. */
static u64 user_write(u64 p) { wr(p, 7); return faults ? err : 0; }
static u64 user_read(u64 p) { rd(p); return faults ? err : 0; }
static u64 user_stac(u64 unused) { (void)unused; uds = 0; stac(); return uds; }
static void user_line(const char *name, u64 e) { puts(name); if (e) { puts(" pf "); put_hex(e); } else puts(" ok"); puts("\n"); }

/* An LDT in the user-mode alias: loading a selector with TI=1 reads it, an implicit supervisor access. */
struct dtr { u16 limit; u64 base; } __attribute__((packed));
static u64 gdt_copy[32] __attribute__((aligned(16)));
static void implicit_ldt_probe(const char *name) {
  struct dtr old, nw;
  __asm__ volatile("sgdt %0" : "=m"(old));
  const u64 *g = (const u64 *)old.base;
  int n = (old.limit + 1) / 8;
  for (int i = 0; i < n; i++) gdt_copy[i] = g[i];
  u64 base = USR + 0x100;
  gdt_copy[n] = 0x7ull | ((base & 0xffffff) << 16) | (0x82ull << 40) | ((base >> 24 & 0xff) << 56);
  gdt_copy[n + 1] = base >> 32;
  *(volatile u64 *)(SUP + 0x100) = 0x00cf93000000ffffull; /* flat writable data, DPL0 */
  nw.limit = (n + 2) * 8 - 1;
  nw.base = (u64)gdt_copy;
  __asm__ volatile("lgdt %0; lldt %w1" : : "m"(nw), "r"((u16)(n * 8)) : "memory");
  faults = 0;
  /* mov %eax, %es with ES = LDT entry 0 (selector 4): 2 bytes */
  __asm__ volatile(".byte 0x8e, 0xc0" : : "a"(4) : "memory");
  result(name);
  __asm__ volatile("mov %0, %%es; lldt %w1; lgdt %2" : : "r"(0x10), "r"((u16)0), "m"(old) : "memory");
}

int main(void) {
  idt_set_handler(VEC_PF, on_pf);
  idt_set_handler(VEC_UD, on_ud);
  idt_set_handler(VEC_GP, on_gp);

  u32 a, b, c, d;
  __asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(7), "c"(0));
  flag("cpuid-smep", b >> 7 & 1);
  flag("cpuid-smap", b >> 20 & 1);
  flag("cpuid-pku", c >> 3 & 1);
  flag("cpuid-ospke", c >> 4 & 1);
  flag("cpuid-pks", c >> 31 & 1);

  PD0[2] = PHYS | PTE_P | PTE_RW | PTE_PS | (KEY << PKEY_SHIFT);
  PD0[3] = PHYS | PTE_P | PTE_RW | PTE_US | PTE_PS | (KEY << PKEY_SHIFT);
  reload_cr3();
  *(volatile u8 *)(SUP + 0x800) = 0xc3; /* ret */

  /* ---- SMEP / SMAP (the first 2 MiB made supervisor-mode while they are on) ---- */
  PD0[0] &= ~PTE_US;
  reload_cr3();
  wr_cr4(rd_cr4() | CR4_SMEP);
  fetch(USR + 0x800); result("smep-fetch-user");
  fetch(SUP + 0x800); result("smep-fetch-supervisor");
  wr_cr4(rd_cr4() & ~CR4_SMEP);
  fetch(USR + 0x800); result("nosmep-fetch-user");

  wr_cr4(rd_cr4() | CR4_SMAP);
  clac();
  rd(USR); result("smap-read-ac0");
  wr(USR, 1); result("smap-write-ac0");
  rd(SUP); result("smap-read-supervisor-ac0");
  stac();
  rd(USR); result("smap-read-ac1");
  rd(USR); result("smap-read-ac1-again");
  wr(USR, 2); result("smap-write-ac1");
  clac();
  rd(USR); result("smap-read-after-clac");
  fetch(USR + 0x800); result("smap-fetch-user");
  stac();
  implicit_ldt_probe("smap-implicit-ldt-ac1");
  clac();
  wr_cr4(rd_cr4() & ~CR4_SMAP);
  implicit_ldt_probe("nosmap-implicit-ldt");
  rd(USR); result("nosmap-read-user");
  PD0[0] |= PTE_US;
  reload_cr3();
  puts(run_at_cpl3(user_stac, 0) ? "cpl3-stac ud\n" : "cpl3-stac ok\n");

  /* ---- CR0.WP on a read-only supervisor page, its translation cached: WP takes effect at once, with no
   * INVLPG or CR3 load in between (SDM Vol. 3 4.6.1; MOV to CR0 flushes nothing unless PG changes, 4.10.4.1) */
  PD0[2] &= ~PTE_RW;
  reload_cr3();
  rd(SUP); result("ro-read-supervisor");
  wr(SUP, 10); result("ro-write-supervisor-wp1");
  wr_cr0(rd_cr0() & ~CR0_WP);
  wr(SUP, 11); result("ro-write-supervisor-wp0");
  wr_cr0(rd_cr0() | CR0_WP);
  wr(SUP, 12); result("ro-write-supervisor-wp1-again");
  puts("ro-value "); put_hex(*(volatile u32 *)SUP); puts("\n");
  PD0[2] |= PTE_RW;
  reload_cr3();

  /* ---- PKU ---- */
  u32 edx;
  rdpkru(0, &edx); fault_line("rdpkru-pke0");
  wrpkru(0, 0, 0); fault_line("wrpkru-pke0");
  wr_cr4(rd_cr4() | CR4_PKE);
  __asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(7), "c"(0));
  flag("cpuid-ospke-pke1", c >> 4 & 1);
  wrpkru(0x12345678, 0, 0);
  u32 v = rdpkru(0, &edx);
  puts("rdpkru "); put_hex(v); puts(" "); put_hex(edx); puts("\n");
  wrpkru(0, 1, 0); fault_line("wrpkru-ecx");
  wrpkru(0, 0, 1); fault_line("wrpkru-edx");
  rdpkru(1, &edx); fault_line("rdpkru-ecx");
  wrpkru(0, 0, 0);
  rd(USR); result("pkru0-read-user");
  wrpkru(AD(KEY), 0, 0);
  rd(USR); result("pkru-ad-read-user");
  wr(USR, 3); result("pkru-ad-write-user");
  rd(SUP); result("pkru-ad-read-supervisor");
  wr(SUP, 4); result("pkru-ad-write-supervisor");
  fetch(USR + 0x800); result("pkru-ad-fetch-user");
  user_line("cpl3-pkru-ad-read", run_at_cpl3(user_read, USR));
  wrpkru(AD(KEY + 1), 0, 0);
  rd(USR); result("pkru-other-key-read");
  wrpkru(WD(KEY), 0, 0);
  rd(USR); result("pkru-wd-read-user");
  wr(USR, 5); result("pkru-wd-write-user-wp1");
  wr_cr0(rd_cr0() & ~CR0_WP);
  wr(USR, 6); result("pkru-wd-write-user-wp0");
  wr_cr0(rd_cr0() | CR0_WP);
  user_line("cpl3-pkru-wd-write", run_at_cpl3(user_write, USR));
  wrpkru(AD(KEY), 0, 0);
  wr_cr4(rd_cr4() & ~CR4_PKE);
  rd(USR); result("pke0-pkru-ad-read-user");

  /* ---- PKS ---- */
  u32 lo, hi;
  __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(MSR_IA32_PKRS));
  puts("pkrs "); put_hex(lo); puts("\n");
  gps = 0; skip = 2;
  wrmsr(MSR_IA32_PKRS, 1ull << 32); fault_line("wrmsr-pkrs-high");
  wr_cr4(rd_cr4() | CR4_PKS);
  wrmsr(MSR_IA32_PKRS, 0);
  rd(SUP); result("pkrs0-read-supervisor");
  wrmsr(MSR_IA32_PKRS, AD(KEY));
  rd(SUP); result("pkrs-ad-read-supervisor");
  wr(SUP, 7); result("pkrs-ad-write-supervisor");
  rd(USR); result("pkrs-ad-read-user");
  fetch(SUP + 0x800); result("pkrs-ad-fetch-supervisor");
  wrmsr(MSR_IA32_PKRS, WD(KEY));
  rd(SUP); result("pkrs-wd-read-supervisor");
  wr(SUP, 8); result("pkrs-wd-write-supervisor-wp1");
  wr_cr0(rd_cr0() & ~CR0_WP);
  wr(SUP, 9); result("pkrs-wd-write-supervisor-wp0");
  wr_cr0(rd_cr0() | CR0_WP);
  wrmsr(MSR_IA32_PKRS, AD(KEY));
  wr_cr4(rd_cr4() & ~CR4_PKS);
  rd(SUP); result("pks0-pkrs-ad-read-supervisor");
  __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(MSR_IA32_PKRS));
  puts("pkrs "); put_hex(lo); puts("\n");
  puts("value "); put_hex(*(volatile u32 *)SUP); puts("\n");
  puts("done\n");
  return 0;
}
