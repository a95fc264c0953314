/* SSE availability and fault rules the differential harness cannot reach from user space (issue 15/16:
 * CPUID offers SSE, SSE2 and SSE3, so they must execute, and fault as silicon does):
 *   #UD while CR4.OSFXSR = 0 or CR0.EM = 1, #NM with CR0.TS = 1 (SDM Vol. 3 2.5 and Table 2-2, Vol. 2 3.1.1.13);
 *   the MMX forms (no 66 prefix) and EMMS execute whatever CR4.OSFXSR says and #NM with CR0.TS, #UD with
 *   CR0.EM (SDM Vol. 2 PXOR/EMMS "Protected Mode Exceptions"); CVTPI2PS is the documented gap (#UD, not
 *   modelled); #UD with a LOCK prefix;
 *   #GP(0) for a misaligned 128-bit operand of MOVAPS/MOVDQA/PADDB, none for MOVUPS/MOVDQU/LDDQU/MOVSD;
 *   an unmasked SIMD floating-point exception: #XM with CR4.OSXMMEXCPT = 1, #UD without, the destination
 *   unchanged and the MXCSR flag set (SDM Vol. 1 11.5.2, Vol. 3 6.15 "Interrupt 19").
 * Each probe prints "name result"; test/cpu/features/sse.test.ts checks the lines. */
#include "runtime.h"

static volatile u64 vec_seen = 0xff, err_seen;
static volatile u64 resume;
static void on_fault(struct frame *f) { vec_seen = f->vector; err_seen = f->error_code; f->rip = resume; }
static const char *vname(u64 v) {
  return v == 0xff ? "ok" : v == VEC_UD ? "ud" : v == VEC_NM ? "nm" : v == VEC_GP ? "gp" : v == VEC_XM ? "xm" : "other";
}
static void show(const char *name, u64 v) { puts(name); putc(' '); put_hex(v); putc('\n'); }
static void showf(const char *name) { puts(name); putc(' '); puts(vname(vec_seen)); putc('\n'); vec_seen = 0xff; }

#define CR0_EM (1ul << 2)
#define CR0_TS (1ul << 3)
#define CR4_OSFXSR (1ul << 9)
#define CR4_OSXMMEXCPT (1ul << 10)

/* Run one instruction (text), resuming after it when it faults. */
#define PROBE(name, insn, ...)                                                                         \
  do {                                                                                                 \
    __asm__ volatile("lea 1f(%%rip), %%rax\n\tmov %%rax, resume(%%rip)\n\t" insn "\n1:" : : __VA_ARGS__); \
    showf(name);                                                                                       \
  } while (0)

static u8 buf[64] __attribute__((aligned(16)));
static const u32 ones[4] __attribute__((aligned(16))) = {0x3f800000, 0x3f800000, 0x3f800000, 0x3f800000};
static const u32 zeros[4] __attribute__((aligned(16)));
static u32 out[4] __attribute__((aligned(16)));

int main(void) {
  idt_set_handler(VEC_UD, on_fault);
  idt_set_handler(VEC_NM, on_fault);
  idt_set_handler(VEC_GP, on_fault);
  idt_set_handler(VEC_XM, on_fault);
  u32 a, b, c, d;
  __asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(1), "c"(0));
  show("cpuid.mmx", (d >> 23) & 1);
  show("cpuid.sse-sse2", (d >> 25) & 3);
  show("cpuid.sse3", c & 1);

  PROBE("no-osfxsr.pxor", "pxor %%xmm0, %%xmm0", "m"(buf) : "rax");
  PROBE("no-osfxsr.addps", "addps %%xmm1, %%xmm0", "m"(buf) : "rax");
  PROBE("no-osfxsr.mmx.pxor", ".byte 0x0f, 0xef, 0xc0", "m"(buf) : "rax"); /* MMX does not need OSFXSR */
  wr_cr4(rd_cr4() | CR4_OSFXSR);
  PROBE("osfxsr.pxor", "pxor %%xmm0, %%xmm0", "m"(buf) : "rax");
  PROBE("mmx.pxor", ".byte 0x0f, 0xef, 0xc0", "m"(buf) : "rax");          /* pxor %mm0, %mm0 */
  PROBE("mmx.emms", ".byte 0x0f, 0x77", "m"(buf) : "rax");
  PROBE("mmx.cvtpi2ps", ".byte 0x0f, 0x2a, 0xc0", "m"(buf) : "rax");     /* cvtpi2ps %mm0, %xmm0 */
  PROBE("lock.pxor", ".byte 0xf0, 0x66, 0x0f, 0xef, 0xc0", "m"(buf) : "rax");

  u64 cr0 = rd_cr0();
  wr_cr0(cr0 | CR0_TS);
  PROBE("ts.pxor", "pxor %%xmm0, %%xmm0", "m"(buf) : "rax");
  PROBE("ts.movaps-misaligned", "movaps 1+%0, %%xmm0", "m"(buf) : "rax"); /* #NM before the #GP */
  PROBE("ts.mmx.pxor", ".byte 0x0f, 0xef, 0xc0", "m"(buf) : "rax");       /* #NM, as for x87 */
  PROBE("ts.mmx.emms", ".byte 0x0f, 0x77", "m"(buf) : "rax");
  wr_cr0(cr0 | CR0_EM);
  PROBE("em.pxor", "pxor %%xmm0, %%xmm0", "m"(buf) : "rax");
  PROBE("em.mmx.pxor", ".byte 0x0f, 0xef, 0xc0", "m"(buf) : "rax");
  PROBE("em.mmx.emms", ".byte 0x0f, 0x77", "m"(buf) : "rax");
  wr_cr0(cr0);

  PROBE("align.movaps", "movaps 1+%0, %%xmm0", "m"(buf) : "rax");
  show("align.gp-error", err_seen);
  PROBE("align.movdqa-store", "movdqa %%xmm0, 8+%0", "m"(buf) : "rax");
  PROBE("align.paddb", "paddb 4+%0, %%xmm0", "m"(buf) : "rax");
  PROBE("align.movups", "movups 1+%0, %%xmm0", "m"(buf) : "rax");
  PROBE("align.movdqu", "movdqu 3+%0, %%xmm0", "m"(buf) : "rax");
  PROBE("align.lddqu", "lddqu 5+%0, %%xmm0", "m"(buf) : "rax");
  PROBE("align.movsd", "movsd 1+%0, %%xmm0", "m"(buf) : "rax");
  PROBE("align.aligned-movaps", "movaps %0, %%xmm0", "m"(buf) : "rax");

  /* 1.0 / 0.0 with ZM cleared: #XM (OSXMMEXCPT=1) or #UD (=0); xmm2 keeps its ones, MXCSR.ZE set. */
  u32 mx = 0x1f80 & ~(1u << 9), got;
  __asm__ volatile("ldmxcsr %0" : : "m"(mx));
  __asm__ volatile("movaps %0, %%xmm2" : : "m"(ones));
  PROBE("unmasked.no-osxmmexcpt.divps", "divps %0, %%xmm2", "m"(zeros) : "rax");
  __asm__ volatile("stmxcsr %0" : "=m"(got));
  show("unmasked.mxcsr", got);
  __asm__ volatile("ldmxcsr %0" : : "m"(mx));
  wr_cr4(rd_cr4() | CR4_OSXMMEXCPT);
  PROBE("unmasked.divps", "divps %0, %%xmm2", "m"(zeros) : "rax");
  __asm__ volatile("movaps %%xmm2, %0" : "=m"(out));
  show("unmasked.xmm2-kept", out[0]);
  mx = 0x1f80;
  __asm__ volatile("ldmxcsr %0" : : "m"(mx));
  PROBE("masked.divps", "divps %0, %%xmm2", "m"(zeros) : "rax");
  __asm__ volatile("movaps %%xmm2, %0" : "=m"(out));
  show("masked.xmm2", out[0]);
  __asm__ volatile("stmxcsr %0" : "=m"(got));
  show("masked.mxcsr", got);
  puts("done\n");
  exit(0);
}
