/* Truthful CPUID for the TSC_AUX readers and XGETBV (issue 15): CPUID offers RDTSCP
 * (80000001h:EDX[27]) and RDPID (07h:ECX[22]) because IA32_TSC_AUX and both instructions are modelled;
 * kvm-unit-tests' x86/tsc.c runs test_rdtscp/test_rdpid only when they are advertised. XSAVE is offered
 * (01h:ECX[26], test/guest-src/platform/xsave), but with CR4.OSXSAVE = 0 XGETBV is #UD (SDM Vol. 2C XGETBV).
 * Each probe prints "name value" or "name ud". Then IA32_TSC_ADJUST (below). */
#include "runtime.h"

#define MSR_TSC_AUX 0xc0000103
#define MSR_TSC 0x10
#define MSR_TSC_ADJUST 0x3b

static u64 rdmsr(u32 msr) {
  u32 lo, hi;
  __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
  return (u64)hi << 32 | lo;
}
static u64 rdtsc(void) {
  u32 lo, hi;
  __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
  return (u64)hi << 32 | lo;
}

static volatile int ud;
static volatile u64 skip;
static void on_ud(struct frame *f) { ud = 1; f->rip += skip; }

static void cpuid(u32 leaf, u32 sub, u32 *a, u32 *b, u32 *c, u32 *d) {
  __asm__ volatile("cpuid" : "=a"(*a), "=b"(*b), "=c"(*c), "=d"(*d) : "a"(leaf), "c"(sub));
}

/* IA32_TSC_ADJUST (SDM Vol. 3B 18.17.3), the checks of kvm-unit-tests x86/tsc_adjust.c: it starts at 0; a write
 * moves the TSC by the difference; a write of IA32_TSC adds its change to IA32_TSC_ADJUST. */
static void tsc_adjust(void) {
  u32 a, b, c, d;
  cpuid(7, 0, &a, &b, &c, &d);
  puts("cpuid-tsc-adjust "); put_hex((b >> 1) & 1); puts("\n");
  puts("tsc-adjust-reset "); put_hex(rdmsr(MSR_TSC_ADJUST)); puts("\n");
  const u64 jump = 100000000000ull;
  u64 t1 = rdtsc();
  wrmsr(MSR_TSC_ADJUST, jump);
  u64 t2 = rdtsc();
  puts("tsc-adjust-read "); put_hex(rdmsr(MSR_TSC_ADJUST)); puts("\n");
  puts("tsc-moved-by-adjust "); put_hex(t2 - t1 >= jump && t2 - t1 < jump + 1000); puts("\n");
  wrmsr(MSR_TSC_ADJUST, 0);
  u64 t3 = rdtsc();
  puts("tsc-back "); put_hex(t3 < t2 && t3 - t1 < 1000); puts("\n");
  /* IA32_TSC := t4: IA32_TSC_ADJUST gains t4 - (TSC before the write) */
  const u64 t4 = 200000000000ull;
  u64 before = rdtsc();
  wrmsr(MSR_TSC, t4);
  u64 t5 = rdtsc();
  u64 adj = rdmsr(MSR_TSC_ADJUST);
  puts("tsc-write-adjust "); put_hex(adj > t4 - before - 1000 && adj <= t4 - before); puts("\n");
  puts("tsc-after-write "); put_hex(t5 >= t4 && t5 < t4 + 1000); puts("\n");
  /* a negative adjustment is kept as written (a signed 64-bit value) */
  wrmsr(MSR_TSC_ADJUST, (u64)-5);
  puts("tsc-adjust-negative "); put_hex(rdmsr(MSR_TSC_ADJUST)); puts("\n");
}

int main(void) {
  idt_set_handler(VEC_UD, on_ud);
  u32 a, b, c, d;
  cpuid(0x80000001, 0, &a, &b, &c, &d);
  puts("cpuid-rdtscp "); put_hex((d >> 27) & 1); puts("\n");
  cpuid(7, 0, &a, &b, &c, &d);
  puts("cpuid-rdpid "); put_hex((c >> 22) & 1); puts("\n");
  cpuid(1, 0, &a, &b, &c, &d);
  puts("cpuid-xsave "); put_hex((c >> 26) & 1); puts("\n");

  static const u64 values[] = {0, 10, 0x100, 0xffffffff};
  for (int i = 0; i < 4; i++) {
    wrmsr(MSR_TSC_AUX, values[i]);
    u32 lo, hi, aux;
    /* RDX:RAX = TSC, ECX = TSC_AUX; the upper halves of the 64-bit registers are cleared */
    u64 rcx = 0xdeadbeef00000000ull;
    __asm__ volatile("rdtscp" : "=a"(lo), "=d"(hi), "+c"(rcx));
    aux = (u32)rcx;
    puts("rdtscp "); put_hex(aux); puts(rcx >> 32 ? " high-set" : ""); puts("\n");
    u64 rax = 0xdeadbeefdeadbeefull;
    __asm__ volatile(".byte 0xf3, 0x48, 0x0f, 0xc7, 0xf8" : "+a"(rax)); /* rdpid rax (REX.W ignored) */
    puts("rdpid "); put_hex(rax); puts("\n");
    register u64 r9 __asm__("r9") = 0xdeadbeefdeadbeefull;
    __asm__ volatile(".byte 0xf3, 0x41, 0x0f, 0xc7, 0xf9" : "+r"(r9)); /* rdpid r9 (REX.B) */
    puts("rdpid-r9 "); put_hex(r9); puts("\n");
    (void)lo; (void)hi;
  }
  /* RDPID with a memory operand has no encoding (mod != 3): #UD */
  ud = 0; skip = 4;
  __asm__ volatile(".byte 0xf3, 0x0f, 0xc7, 0x38" : : "a"(0) : "memory"); /* f3 0f c7 /7 [rax] */
  puts("rdpid-mem "); puts(ud ? "ud" : "ok"); puts("\n");
  /* RDSEED (0f c7 /7 without F3) is not offered: #UD */
  ud = 0; skip = 3;
  __asm__ volatile(".byte 0x0f, 0xc7, 0xf8" : : : "rax");
  puts("rdseed "); puts(ud ? "ud" : "ok"); puts("\n");
  /* XGETBV with CR4.OSXSAVE = 0 */
  ud = 0; skip = 3;
  u32 xa = 0, xd = 0;
  __asm__ volatile("xgetbv" : "+a"(xa), "=d"(xd) : "c"(0));
  puts("xgetbv "); puts(ud ? "ud" : "ok"); puts("\n");
  tsc_adjust();
  puts("done\n");
  return 0;
}
