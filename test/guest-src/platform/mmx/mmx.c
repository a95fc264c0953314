/* MMX and the x87 state it lives in (src/cpu/mmx-state.ts). Expected values from the SDM: Vol. 1 9.5 (MMn is
 * the significand of physical register Rn), Vol. 3 12.2 and Table 12-2 (every MMX instruction sets TOP to 0
 * and all tags valid, EMMS all tags empty; a written register gets bits 79:64 all ones; a read leaves the
 * register as it was), 12.2.1 (FSTENV/FSAVE store tags computed from the contents: an MMX-written register
 * is "special"), Vol. 2 per instruction (MOVQ2DQ zeroes bits 127:64; #MF with a pending x87 exception,
 * #NM with CR0.TS, #UD with CR0.EM, none of them needing CR4.OSFXSR), and FILD after EMMS as Linux 6.1 runs
 * it on AMD (Vol. 2 FILD; Vol. 1 8.5.1.1 stack overflow). Each probe prints "name value";
 * test/cpu/features/mmx.test.ts checks the lines. */
#include "runtime.h"

static volatile u64 vec_seen = 0xff;
static volatile u64 resume;
static void on_fault(struct frame *f) { vec_seen = f->vector; f->rip = resume; }
static void show(const char *name, u64 v) { puts(name); putc(' '); put_hex(v); putc('\n'); }
static const char *vname(u64 v) { return v == 0xff ? "ok" : v == VEC_UD ? "ud" : v == VEC_NM ? "nm" : v == 16 ? "mf" : "other"; }
static void showf(const char *name) { puts(name); putc(' '); puts(vname(vec_seen)); putc('\n'); vec_seen = 0xff; }

#define CR0_EM (1ul << 2)
#define CR0_TS (1ul << 3)
#define CR4_OSFXSR (1ul << 9)

#define PROBE(name, insn)                                                                            \
  do {                                                                                               \
    __asm__ volatile("lea 1f(%%rip), %%rax\n\tmov %%rax, resume(%%rip)\n\t" insn "\n1:" : : : "rax"); \
    showf(name);                                                                                     \
  } while (0)

static u8 fx[512] __attribute__((aligned(16)));
static u32 env[7];
static u16 r16(const u8 *p) { return (u16)(p[0] | p[1] << 8); }
static u64 r64(const u8 *p) { u64 v = 0; for (int k = 7; k >= 0; k--) v = v << 8 | p[k]; return v; }
static void w16(u8 *p, u16 v) { p[0] = (u8)v; p[1] = (u8)(v >> 8); }
static void w64(u8 *p, u64 v) { for (int k = 0; k < 8; k++) p[k] = (u8)(v >> (8 * k)); }
static u16 fsw(void) { u16 v; __asm__ volatile("fnstsw %0" : "=m"(v)); return v; }
static u16 ftw(void) { __asm__ volatile("fnstenv %0\n\tfldenv %0" : "+m"(env)); return (u16)env[2]; }
static void fxsave(void) { __asm__ volatile("fxsave64 %0" : "=m"(fx)); }
/* FXSAVE image of physical register n while TOP = 0 (ST(n) = Rn). */
static u64 mant(int n) { return r64(fx + 32 + 16 * n); }
static u16 sexp(int n) { return r16(fx + 40 + 16 * n); }

int main(void) {
  idt_set_handler(VEC_UD, on_fault);
  idt_set_handler(VEC_NM, on_fault);
  idt_set_handler(16, on_fault);
  u32 a, b, c, d;
  __asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(1), "c"(0));
  show("cpuid.mmx", (d >> 23) & 1);
  wr_cr4(rd_cr4() | CR4_OSFXSR);

  /* Start from TOP = 5, every tag empty, R0-R7 = 1.0 except R6 = +0 (FXRSTOR's slots are ST(i) = R((5 + i) mod 8):
   * R6 is slot 1). */
  __asm__ volatile("fninit");
  for (int k = 0; k < 512; k++) fx[k] = 0;
  w16(fx, 0x037f); w16(fx + 2, 0x2800); w16(fx + 24, 0x1f80);
  for (int n = 0; n < 8; n++) { w64(fx + 32 + 16 * n, n == 1 ? 0 : 0x8000000000000000ull); w16(fx + 40 + 16 * n, n == 1 ? 0 : 0x3fff); }
  __asm__ volatile("fxrstor64 %0" : : "m"(fx));
  show("start.fsw", fsw());
  show("start.ftw", ftw());

  /* A write: MOVQ mm3, rax. TOP 0, all tags valid (FXSAVE's abridged form 0xff), R3 = value with exponent
   * all ones; FNSTENV computes R3 special, R6 zero, the others valid. */
  u64 v = 0x1122334455667788ull;
  __asm__ volatile("movq %0, %%mm3" : : "r"(v));
  show("write.fsw", fsw());
  show("write.ftw", ftw());
  fxsave();
  show("write.fxsave.ftw", fx[4]);
  show("write.r3.mant", mant(3));
  show("write.r3.exp", sexp(3));
  show("write.r1.exp", sexp(1));

  /* EMMS: all tags empty, TOP stays 0, registers untouched. */
  __asm__ volatile("emms");
  show("emms.fsw", fsw());
  show("emms.ftw", ftw());
  fxsave();
  show("emms.fxsave.ftw", fx[4]);
  show("emms.r3.mant", mant(3));

  /* A read: MOVQ rax, mm1 gives R1's significand and leaves R1's exponent (1.0: 0x3fff); tags valid again. */
  u64 r;
  __asm__ volatile("movq %%mm1, %0" : "=r"(r));
  show("read.mm1", r);
  show("read.ftw", ftw());
  fxsave();
  show("read.r1.exp", sexp(1));

  /* Arithmetic writes its destination: PADDB mm1, mm3 (bytes wrap), exponent all ones. */
  __asm__ volatile("paddb %%mm3, %%mm1\n\tmovq %%mm1, %0" : "=r"(r));
  show("paddb.mm1", r);
  fxsave();
  show("paddb.r1.exp", sexp(1));

  /* Between the files: MOVQ2DQ zeroes the high quadword, MOVDQ2Q writes R4. */
  u64 hi = 0x5555aaaa5555aaaaull, lo2 = 0;
  __asm__ volatile("movq %2, %%xmm0\n\tpinsrw $7, %k2, %%xmm0\n\tmovq2dq %%mm3, %%xmm0\n\tmovhlps %%xmm0, %%xmm1\n\tmovq %%xmm1, %0\n\tmovq %%xmm0, %1" : "=r"(hi), "=r"(lo2) : "r"(hi));
  show("movq2dq.lo", lo2);
  show("movq2dq.hi", hi);
  __asm__ volatile("movq %0, %%xmm2\n\tmovdq2q %%xmm2, %%mm4" : : "r"(0x0102030405060708ull));
  fxsave();
  show("movdq2q.r4.mant", mant(4));
  show("movdq2q.r4.exp", sexp(4));

  /* A pending x87 exception (FSW.ES with IE unmasked, loaded by FLDENV): #MF for MMX instructions and EMMS. */
  __asm__ volatile("fnstenv %0" : "=m"(env));
  env[0] = 0x037e; env[1] = 0x0081;
  __asm__ volatile("fldenv %0" : : "m"(env));
  PROBE("pending.pxor", "pxor %%mm0, %%mm0");
  PROBE("pending.emms", "emms");
  __asm__ volatile("fnclex");
  PROBE("cleared.pxor", "pxor %%mm0, %%mm0");

  u64 cr0 = rd_cr0();
  wr_cr0(cr0 | CR0_TS);
  PROBE("ts.paddb", "paddb %%mm1, %%mm0");
  PROBE("ts.emms", "emms");
  wr_cr0(cr0 | CR0_EM);
  PROBE("em.paddb", "paddb %%mm1, %%mm0");
  PROBE("em.emms", "emms");
  wr_cr0(cr0);
  wr_cr4(rd_cr4() & ~CR4_OSFXSR);
  PROBE("no-osfxsr.pshufw", "pshufw $0x1b, %%mm1, %%mm0");
  PROBE("no-osfxsr.movq2dq", "movq2dq %%mm1, %%xmm0");
  __asm__ volatile("emms");

  /* Linux 6.1's AMD sequence (restore_fpregs_from_fpstate): FNCLEX; EMMS; FILD m32int pushes onto the empty
   * stack: TOP 7, R7 = -5 as double extended (significand 0xa0.., exponent 16383 + 2, sign), tag valid.
   * FILD m64int of INT64_MIN: exponent 16383 + 63. FILD m16int of 0: +0, tag zero. */
  static const int i32 = -5; static const long long i64 = (long long)0x8000000000000000ull; static const short i16 = 0;
  __asm__ volatile("fnclex\n\temms\n\tfildl %0" : : "m"(i32));
  show("fild32.fsw", fsw());
  __asm__ volatile("fildll %0\n\tfilds %1" : : "m"(i64), "m"(i16));
  show("fild.ftw", ftw());
  fxsave();
  show("fild.st2.mant", r64(fx + 32 + 32));
  show("fild.st2.exp", r16(fx + 40 + 32));
  show("fild.st1.mant", r64(fx + 32 + 16));
  show("fild.st1.exp", r16(fx + 40 + 16));
  show("fild.st0.exp", r16(fx + 40));
  /* After an MMX instruction every tag is valid: FILD overflows the stack (Vol. 1 8.5.1.1). FCW is still
   * 0x37e from the pending probe (IM clear): IE, SF, C1, ES and B set, nothing pushed (TOP 0, R0 = MM0 = 0). */
  __asm__ volatile("pxor %%mm0, %%mm0\n\tfildl %0" : : "m"(i32));
  show("fild.overflow-unmasked.fsw", fsw());
  fxsave();
  show("fild.overflow-unmasked.st0.mant", r64(fx + 32));
  show("fild.overflow-unmasked.st0.exp", r16(fx + 40));
  /* Masked (FCW 0x37f): IE, SF, C1 and the QNaN floating-point indefinite pushed (TOP 7). */
  static const u16 cw = 0x037f;
  __asm__ volatile("fnclex\n\tfldcw %1\n\tpxor %%mm0, %%mm0\n\tfildl %0" : : "m"(i32), "m"(cw));
  show("fild.overflow.fsw", fsw());
  fxsave();
  show("fild.overflow.st0.mant", r64(fx + 32));
  show("fild.overflow.st0.exp", r16(fx + 40));
  __asm__ volatile("fninit");
  puts("done\n");
  return 0;
}
