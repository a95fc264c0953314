/* The cache-line flush instructions CPUID offers (SDM Vol. 2A CLFLUSH, CLFLUSHOPT, CLWB; CPUID.01H:EDX[19],
 * CPUID.(EAX=07H,ECX=0):EBX[23] and [24]): each executes on a memory operand with no architectural effect on the
 * data (there is no cache to write back here); CLWB with a register operand has no encoding (#UD). Probes
 * print "name ok|ud"; kvm-unit-tests x86/memory.c skips CLFLUSHOPT/CLWB unless CPUID offers them. */
#include "runtime.h"

static volatile int ud;
static volatile u64 skip;
static void on_ud(struct frame *f) { ud = 1; f->rip += skip; }
static u64 line[8] __attribute__((aligned(64))) = {0x1122334455667788ull};

static void show(const char *name) { puts(name); puts(ud ? " ud\n" : " ok\n"); ud = 0; }

int main(void) {
  idt_set_handler(VEC_UD, on_ud);
  u32 a, b, c, d;
  __asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(1), "c"(0));
  puts("cpuid-clflush "); put_hex((d >> 19) & 1); puts("\n");
  __asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(7), "c"(0));
  puts("cpuid-clflushopt "); put_hex((b >> 23) & 1); puts("\n");
  puts("cpuid-clwb "); put_hex((b >> 24) & 1); puts("\n");
  skip = 3;
  __asm__ volatile(".byte 0x0f, 0xae, 0x3b" : : "b"(line) : "memory"); /* clflush (%rbx) */
  show("clflush");
  skip = 4;
  __asm__ volatile(".byte 0x66, 0x0f, 0xae, 0x3b" : : "b"(line) : "memory"); /* clflushopt (%rbx) */
  show("clflushopt");
  __asm__ volatile(".byte 0x66, 0x0f, 0xae, 0x33" : : "b"(line) : "memory"); /* clwb (%rbx) */
  show("clwb");
  __asm__ volatile(".byte 0x66, 0x0f, 0xae, 0xf3" : : : "memory"); /* 66 0f ae /6 with mod=3: not CLWB */
  show("clwb-reg");
  puts("data "); put_hex(line[0]); puts("\n");
  puts("done\n");
  return 0;
}
