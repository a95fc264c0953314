/* User-mode instruction prevention (SDM Vol. 3A 2.5 CR4.UMIP; Vol. 2 SGDT, SIDT, SLDT, SMSW, STR): with CR4.UMIP=1
 * the five instructions that reveal system state raise #GP(0) at CPL > 0 and run at CPL0; with UMIP=0 they run at
 * every CPL. CPUID.(EAX=07H,ECX=0):ECX[2] offers it (kvm-unit-tests x86/umip.c runs its UMIP=1 half only then).
 * Each form prints "cplN-umipU name ok|gp". */
#include "runtime.h"

#define CR4_UMIP (1ul << 11)

static volatile u32 gp;
static u8 buf[16] __attribute__((aligned(16)));

static void on_gp(struct frame *f) {
  gp = 1;
  f->rip += 3; /* every probe below is 3 bytes */
}

/* Run probe `n` (a 3-byte instruction; RAX points at buf for the memory forms); 1 if it raised #GP. */
static u64 probe(u64 n) {
  gp = 0;
  void *p = buf;
  switch (n) {
  case 0: __asm__ volatile(".byte 0x0f, 0x01, 0x00" : : "a"(p) : "memory"); break; /* sgdt (%rax) */
  case 1: __asm__ volatile(".byte 0x0f, 0x01, 0x08" : : "a"(p) : "memory"); break; /* sidt (%rax) */
  case 2: __asm__ volatile(".byte 0x0f, 0x00, 0xc0" : : : "rax"); break;            /* sldt %eax */
  case 3: __asm__ volatile(".byte 0x0f, 0x00, 0xc8" : : : "rax"); break;            /* str %eax */
  case 4: __asm__ volatile(".byte 0x0f, 0x01, 0xe0" : : : "rax"); break;            /* smsw %eax */
  case 5: __asm__ volatile(".byte 0x0f, 0x01, 0x20" : : "a"(p) : "memory"); break; /* smsw (%rax) */
  }
  return gp;
}

static const char *const names[] = {"sgdt", "sidt", "sldt", "str", "smsw-reg", "smsw-mem"};

static void round(int umip) {
  for (u64 n = 0; n < 6; n++) {
    for (int cpl3 = 0; cpl3 < 2; cpl3++) {
      u64 faulted = cpl3 ? run_at_cpl3(probe, n) : probe(n);
      puts(cpl3 ? "cpl3-umip" : "cpl0-umip");
      put_hex(umip);
      puts(" ");
      puts(names[n]);
      puts(faulted ? " gp\n" : " ok\n");
    }
  }
}

int main(void) {
  idt_set_handler(VEC_GP, on_gp);
  u32 a, b, c, d;
  __asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(7), "c"(0));
  puts("cpuid-umip "); put_hex((c >> 2) & 1); puts("\n");
  round(0);
  u64 cr4;
  __asm__ volatile("mov %%cr4, %0" : "=r"(cr4));
  __asm__ volatile("mov %0, %%cr4" : : "r"(cr4 | CR4_UMIP));
  round(1);
  __asm__ volatile("mov %0, %%cr4" : : "r"(cr4));
  puts("done\n");
  return 0;
}
