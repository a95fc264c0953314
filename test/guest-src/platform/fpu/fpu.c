/* x87/FXSAVE state guest (issue 15/16): CPUID advertises FPU and FXSR, so the state they name must exist.
 * Exercises FNINIT, FLDCW/FNSTCW, FNSTSW, FNCLEX, FNSTENV/FLDENV, FNSAVE/FRSTOR, FWAIT, FXSAVE/FXRSTOR
 * (32- and 64-bit layouts), LDMXCSR/STMXCSR and their #NM/#UD/#GP/#MF rules (SDM Vol. 2A FXSAVE, FXRSTOR,
 * FINIT, FSTENV, FSAVE; Vol. 3 2.5 Table 2-2). x87 arithmetic is not modelled: FLD1 is #UD (asserted so a
 * change is noticed). Each probe prints "name value"; test/cpu/features/fpu.test.ts checks the lines. */
#include "runtime.h"

static volatile u64 vec_seen = 0xff;
static volatile u64 skip;
static void on_fault(struct frame *f) { vec_seen = f->vector; f->rip += skip; }
static void show(const char *name, u64 v) { puts(name); putc(' '); put_hex(v); putc('\n'); }
static const char *vname(u64 v) { return v == 0xff ? "ok" : v == VEC_UD ? "ud" : v == VEC_NM ? "nm" : v == VEC_GP ? "gp" : v == 16 ? "mf" : "other"; }
static void showf(const char *name) { puts(name); putc(' '); puts(vname(vec_seen)); putc('\n'); vec_seen = 0xff; }

#define CR0_MP (1ul << 1)
#define CR0_EM (1ul << 2)
#define CR0_TS (1ul << 3)
#define CR4_OSFXSR (1ul << 9)

static u8 fx[512] __attribute__((aligned(16)));
static u8 fx2[512 + 16] __attribute__((aligned(16)));
static u32 env[7];
static u8 save[108];
static u16 fcw(void) { u16 v; __asm__ volatile("fnstcw %0" : "=m"(v)); return v; }
static u16 fsw(void) { u16 v; __asm__ volatile("fnstsw %0" : "=m"(v)); return v; }
static u16 r16(const u8 *p) { return (u16)(p[0] | p[1] << 8); }
static u32 r32(const u8 *p) { return (u32)r16(p) | (u32)r16(p + 2) << 16; }
static u64 r64(const u8 *p) { return (u64)r32(p) | (u64)r32(p + 4) << 32; }
static void w16(u8 *p, u16 v) { p[0] = (u8)v; p[1] = (u8)(v >> 8); }
static void w64(u8 *p, u64 v) { for (int k = 0; k < 8; k++) p[k] = (u8)(v >> (8 * k)); }

int main(void) {
  idt_set_handler(VEC_UD, on_fault);
  idt_set_handler(VEC_NM, on_fault);
  idt_set_handler(VEC_GP, on_fault);
  idt_set_handler(16, on_fault);
  u32 a, b, c, d;
  __asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(1), "c"(0));
  show("cpuid.fpu", d & 1);
  show("cpuid.mmx", (d >> 23) & 1);
  show("cpuid.fxsr", (d >> 24) & 1);
  show("cpuid.sse-sse2", (d >> 25) & 3);

  /* Reset state (KVM fx_init, QEMU x86_cpu_reset: FNINIT's values). */
  show("reset.fcw", fcw());
  show("reset.fsw", fsw());
  u16 cw = 0x027f;
  __asm__ volatile("fldcw %0" : : "m"(cw));
  show("fldcw.fcw", fcw());
  __asm__ volatile("fninit");
  show("fninit.fcw", fcw());
  u16 ax;
  __asm__ volatile("fnstsw %%ax" : "=a"(ax));
  show("fnstsw-ax", ax);

  /* LDMXCSR needs CR4.OSFXSR; FXSAVE does not (it then leaves MXCSR and XMM out, as QEMU). */
  skip = 3;
  u32 mx = 0x1f80;
  __asm__ volatile("ldmxcsr (%%rax)" : : "a"(&mx) : "memory"); /* 0f ae 10 */
  showf("ldmxcsr.no-osfxsr");
  for (int k = 0; k < 512; k++) fx[k] = 0xcc;
  __asm__ volatile("fxsave64 %0" : "=m"(fx));
  show("fxsave.no-osfxsr.fcw", r16(fx));
  show("fxsave.no-osfxsr.mxcsr-slot", r32(fx + 24));

  wr_cr4(rd_cr4() | CR4_OSFXSR);
  mx = 0x1fa0; /* PM and PE */
  __asm__ volatile("ldmxcsr %0" : : "m"(mx));
  u32 mx2 = 0;
  __asm__ volatile("stmxcsr %0" : "=m"(mx2));
  show("stmxcsr", mx2);
  u64 pat[2] = {0x1122334455667788ull, 0x99aabbccddeeff00ull};
  __asm__ volatile("movdqu %0, %%xmm3" : : "m"(pat));
  cw = 0x0b7f;
  __asm__ volatile("fldcw %0" : : "m"(cw));
  for (int k = 0; k < 512; k++) fx[k] = 0xcc;
  __asm__ volatile("fxsave64 %0" : "=m"(fx));
  show("fxsave.fcw", r16(fx));
  show("fxsave.fsw", r16(fx + 2));
  show("fxsave.ftw-byte5", r16(fx + 4));
  show("fxsave.fop", r16(fx + 6));
  show("fxsave.fip64", r64(fx + 8));
  show("fxsave.mxcsr", r32(fx + 24));
  show("fxsave.mxcsr-mask", r32(fx + 28));
  show("fxsave.xmm3.lo", r64(fx + 160 + 48));
  show("fxsave.xmm3.hi", r64(fx + 160 + 56));
  show("fxsave.reserved-416", fx[416]);

  /* FXRSTOR an image with TOP=7, ST0 (= R7) = 1.0, ST1 (= R0) = +0, abridged tag R7|R0: the full tag is
   * computed from the contents (valid, zero), the rest empty. */
  fx[0] = 0x7b; fx[1] = 0x03;              /* FCW 0x37b */
  w16(fx + 2, 0x3800);                      /* FSW: TOP=7 */
  fx[4] = 0x81;                             /* abridged tag: R0, R7 */
  w64(fx + 32, 0x8000000000000000ull); w16(fx + 40, 0x3fff); /* ST0 = 1.0 */
  w64(fx + 48, 0); w16(fx + 56, 0);          /* ST1 = +0 */
  w64(fx + 160 + 48, 0x0123456789abcdefull);
  __asm__ volatile("fxrstor64 %0" : : "m"(fx));
  __asm__ volatile("fnstenv %0" : "=m"(env));
  show("fnstenv.fcw", env[0]);
  show("fnstenv.fsw", env[1]);
  show("fnstenv.ftw", env[2]);
  show("fnstenv.masks-after", fcw());
  u64 x3;
  __asm__ volatile("movq %%xmm3, %0" : "=r"(x3));
  show("fxrstor.xmm3.lo", x3);
  /* A reserved MXCSR bit in the image: #GP(0), nothing restored. */
  w16(fx + 2, 0);
  fx[24 + 2] = 1; /* MXCSR bit 16 */
  skip = 4;
  __asm__ volatile("fxrstor64 (%%rax)" : : "a"(fx) : "memory"); /* 48 0f ae 08 */
  showf("fxrstor.reserved-mxcsr");
  show("fxrstor.reserved-mxcsr.fsw-kept", fsw());

  /* Misaligned image: #GP(0). */
  __asm__ volatile("fxsave64 (%%rax)" : : "a"(fx2 + 8) : "memory"); /* 48 0f ae 00 */
  showf("fxsave.misaligned");

  /* 32-bit layout (no REX.W): FIP/FCS/FDP/FDS dwords; ST0 slot holds R7 = 1.0. */
  __asm__ volatile("fxsave %0" : "=m"(fx2));
  show("fxsave32.st0.exp", r16(fx2 + 40));
  show("fxsave32.st0.mant", r64(fx2 + 32));
  show("fxsave32.ftw", fx2[4]);

  /* FNSAVE stores the environment and registers, then initializes; FRSTOR brings them back. */
  __asm__ volatile("fnsave %0" : "=m"(save));
  show("fnsave.after.fcw", fcw());
  show("fnsave.image.fsw", r16(save + 4));
  show("fnsave.image.st0.exp", r16(save + 28 + 8));
  __asm__ volatile("frstor %0" : : "m"(save));
  show("frstor.fcw", fcw());
  show("frstor.fsw", fsw());

  /* FWAIT with a pending unmasked exception (FSW.ES) and CR0.NE=1: #MF; FNSTSW does not wait. */
  env[0] = 0x37e;         /* IM clear */
  env[1] = 0x81;          /* IE | ES */
  __asm__ volatile("fldenv %0" : : "m"(env));
  show("pending.fnstsw", fsw());
  skip = 1;
  __asm__ volatile("fwait");
  showf("pending.fwait");
  __asm__ volatile("fnclex");
  __asm__ volatile("fwait");
  showf("fnclex.fwait");
  show("fnclex.fsw", fsw());

  /* CR0.TS: ESC instructions and FXSAVE #NM; FWAIT #NM only with MP too. */
  __asm__ volatile("fninit");
  u64 cr0 = rd_cr0();
  wr_cr0(cr0 | CR0_TS);
  skip = 2;
  __asm__ volatile("fninit");
  showf("ts.fninit");
  skip = 1;
  wr_cr0((cr0 | CR0_TS) & ~CR0_MP);
  __asm__ volatile("fwait");
  showf("ts.fwait.no-mp");
  wr_cr0(cr0 | CR0_TS | CR0_MP);
  __asm__ volatile("fwait");
  showf("ts.fwait.mp");
  skip = 4;
  __asm__ volatile("fxsave64 (%%rax)" : : "a"(fx) : "memory");
  showf("ts.fxsave");
  __asm__ volatile("clts");
  /* CR0.EM: ESC #NM, FXSAVE #UD. */
  wr_cr0(cr0 | CR0_EM);
  skip = 2;
  __asm__ volatile("fninit");
  showf("em.fninit");
  skip = 4;
  __asm__ volatile("fxsave64 (%%rax)" : : "a"(fx) : "memory");
  showf("em.fxsave");
  wr_cr0(cr0);

  /* x87 arithmetic is not modelled: #UD (a documented gap, logged). */
  skip = 2;
  __asm__ volatile("fld1");
  showf("fld1");
  puts("done\n");
  return 0;
}
