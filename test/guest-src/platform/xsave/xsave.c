/* XSAVE feature set guest (issue 15: kvm-unit-tests' xsave, "XSAVE/XGETBV/XSETBV with real state components,
 * x87 and SSE at least"). CPUID offers XSAVE with XCR0 = x87|SSE supported; this checks XGETBV/XSETBV and their
 * #UD/#GP rules, CPUID leaf 0DH, XSAVE/XRSTOR in the standard form (legacy region, header, RFBM, init on a clear
 * XSTATE_BV bit, MXCSR loaded whenever RFBM[1] or RFBM[2]) and their faults (SDM Vol. 1 chapter 13, Vol. 2C
 * XGETBV, XSETBV, XSAVE, XRSTOR). Each probe prints "name value"; test/cpu/features/xsave.test.ts checks them. */
#include "runtime.h"

static volatile u64 vec_seen = 0xff;
static volatile u64 skip = 3;
static void on_fault(struct frame *f) { vec_seen = f->vector; f->rip += skip; }
static void show(const char *name, u64 v) { puts(name); putc(' '); put_hex(v); putc('\n'); }
static const char *vname(u64 v) { return v == 0xff ? "ok" : v == VEC_UD ? "ud" : v == VEC_NM ? "nm" : v == VEC_GP ? "gp" : "other"; }
static void showf(const char *name) { puts(name); putc(' '); puts(vname(vec_seen)); putc('\n'); vec_seen = 0xff; }

#define CR0_TS (1ul << 3)
#define CR4_OSFXSR (1ul << 9)
#define CR4_OSXSAVE (1ul << 18)

static void cpuid(u32 leaf, u32 sub, u32 r[4]) { __asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3]) : "a"(leaf), "c"(sub)); }
/* 3-byte instructions the #UD/#GP/#NM handler steps over (skip = 3). */
static u64 xgetbv(u64 rcx) { u32 lo = 0xdeadbeef, hi = 0xdeadbeef; __asm__ volatile(".byte 0x0f, 0x01, 0xd0" : "+a"(lo), "+d"(hi) : "c"(rcx)); return (u64)hi << 32 | lo; }
static void xsetbv(u64 rcx, u64 v) { __asm__ volatile(".byte 0x0f, 0x01, 0xd1" : : "c"(rcx), "a"((u32)v), "d"((u32)(v >> 32)) : "memory"); }
static void xsave(u8 *area, u64 mask) { __asm__ volatile(".byte 0x0f, 0xae, 0x21" : : "c"(area), "a"((u32)mask), "d"((u32)(mask >> 32)) : "memory"); }   /* xsave (%rcx) */
static void xrstor(u8 *area, u64 mask) { __asm__ volatile(".byte 0x0f, 0xae, 0x29" : : "c"(area), "a"((u32)mask), "d"((u32)(mask >> 32)) : "memory"); }  /* xrstor (%rcx) */

static u8 area[576 + 64] __attribute__((aligned(64)));
static u8 area2[576] __attribute__((aligned(64)));
static u32 r32(const u8 *p) { return (u32)p[0] | (u32)p[1] << 8 | (u32)p[2] << 16 | (u32)p[3] << 24; }
static u64 r64(const u8 *p) { return (u64)r32(p) | (u64)r32(p + 4) << 32; }
static void w32(u8 *p, u32 v) { for (int k = 0; k < 4; k++) p[k] = (u8)(v >> (8 * k)); }
static void w64(u8 *p, u64 v) { for (int k = 0; k < 8; k++) p[k] = (u8)(v >> (8 * k)); }
static void fill(u8 *p, int n, u8 v) { for (int k = 0; k < n; k++) p[k] = v; }

static u64 xmm0_lo(void) { u64 v; __asm__ volatile("movq %%xmm0, %0" : "=r"(v)); return v; }
static void set_xmm0(u64 v) { __asm__ volatile("movq %0, %%xmm0" : : "r"(v)); }
static u16 fcw(void) { u16 v; __asm__ volatile("fnstcw %0" : "=m"(v)); return v; }
static void set_fcw(u16 v) { __asm__ volatile("fldcw %0" : : "m"(v)); }
static u32 mxcsr(void) { u32 v; __asm__ volatile("stmxcsr %0" : "=m"(v)); return v; }
static void set_mxcsr(u32 v) { __asm__ volatile("ldmxcsr %0" : : "m"(v)); }

static u64 cpl3_xsetbv(u64 unused) { (void)unused; vec_seen = 0xff; xsetbv(0, 3); return vec_seen; }
static u64 cpl3_xgetbv(u64 unused) { (void)unused; vec_seen = 0xff; u64 v = xgetbv(0); return vec_seen == 0xff ? v : 0x100 | vec_seen; }

int main(void) {
  idt_set_handler(VEC_UD, on_fault);
  idt_set_handler(VEC_NM, on_fault);
  idt_set_handler(VEC_GP, on_fault);
  u32 r[4];

  cpuid(1, 0, r);
  show("cpuid1.xsave", r[2] >> 26 & 1);
  show("cpuid1.osxsave", r[2] >> 27 & 1);
  xgetbv(0); showf("xgetbv.no-osxsave");
  xsetbv(0, 3); showf("xsetbv.no-osxsave");
  xsave(area, ~0ul); showf("xsave.no-osxsave");

  wr_cr4(rd_cr4() | CR4_OSXSAVE | CR4_OSFXSR);
  cpuid(1, 0, r);
  show("cpuid1.osxsave.on", r[2] >> 27 & 1);
  cpuid(0xd, 0, r);
  show("cpuid.d.0.eax", r[0]); show("cpuid.d.0.ebx", r[1]); show("cpuid.d.0.ecx", r[2]); show("cpuid.d.0.edx", r[3]);
  cpuid(0xd, 1, r);
  show("cpuid.d.1.eax", r[0]);
  cpuid(0xd, 2, r);
  show("cpuid.d.2.eax", r[0]);

  show("xcr0.reset", xgetbv(0));
  xsetbv(0, 3); showf("xsetbv.fp-sse");
  show("xcr0", xgetbv(0));
  xsetbv(1ul << 32, 1); showf("xsetbv.rcx-high-ignored");
  show("xcr0.after-alias", xgetbv(0));
  xsetbv(0, 3);
  xsetbv(0, 0); showf("xsetbv.zero");
  xsetbv(0, 2); showf("xsetbv.sse-only");
  xsetbv(0, 7); showf("xsetbv.avx-unsupported");
  xsetbv(0, 1ul << 32 | 3); showf("xsetbv.high-bit");
  xsetbv(1, 1); showf("xsetbv.xcr1");
  xgetbv(1); showf("xgetbv.xcr1");
  show("xcr0.unchanged", xgetbv(0));
  show("cpl3.xsetbv", run_at_cpl3(cpl3_xsetbv, 0));
  show("cpl3.xgetbv", run_at_cpl3(cpl3_xgetbv, 0));

  /* XSAVE of both components: legacy region as FXSAVE lays it out, XSTATE_BV |= RFBM, other header bytes kept */
  set_xmm0(0x1122334455667788ul);
  set_fcw(0x27f);
  set_mxcsr(0x1fa0);
  fill(area, 576, 0xcc);
  fill(area + 512, 64, 0);
  w64(area + 512, 0x80);
  w64(area + 528, 0x5a5a);
  xsave(area, ~0ul); showf("xsave");
  show("xsave.fcw", r32(area) & 0xffff);
  show("xsave.mxcsr", r32(area + 24));
  show("xsave.mxcsr-mask", r32(area + 28));
  show("xsave.xmm0", r64(area + 160));
  show("xsave.xstate-bv", r64(area + 512));
  show("xsave.header-16", r64(area + 528));
  /* x87 only: MXCSR and XMM slots untouched */
  fill(area2, 512, 0xcc);
  fill(area2 + 512, 64, 0);
  xsave(area2, 1); showf("xsave.x87-only");
  show("xsave.x87-only.fcw", r32(area2) & 0xffff);
  show("xsave.x87-only.mxcsr", r32(area2 + 24));
  show("xsave.x87-only.xmm0", r64(area2 + 160));
  show("xsave.x87-only.xstate-bv", r64(area2 + 512));
  xsave(area + 16, ~0ul); showf("xsave.misaligned");
  wr_cr0(rd_cr0() | CR0_TS);
  xsave(area2, ~0ul); showf("xsave.ts");
  wr_cr0(rd_cr0() & ~CR0_TS);

  /* XRSTOR: the header is checked first */
  xrstor(area, ~0ul); showf("xrstor.xstate-bv-unsupported-bit");
  w64(area + 512, 3);
  w64(area + 528, 0);
  w64(area + 520, 1ul << 63);
  xrstor(area, ~0ul); showf("xrstor.compacted");
  w64(area + 520, 0);
  w64(area + 528, 1);
  xrstor(area, ~0ul); showf("xrstor.header-bytes-16-23");
  w64(area + 528, 0);
  /* a restore of both from memory */
  set_xmm0(0); set_fcw(0x37f); set_mxcsr(0x1f80);
  xrstor(area, ~0ul); showf("xrstor");
  show("xrstor.xmm0", xmm0_lo());
  show("xrstor.fcw", fcw());
  show("xrstor.mxcsr", mxcsr());
  /* a reserved MXCSR bit: #GP, nothing loaded */
  set_xmm0(0x77);
  w32(area + 24, 0x10000);
  xrstor(area, ~0ul); showf("xrstor.mxcsr-reserved");
  show("xrstor.mxcsr-reserved.xmm0", xmm0_lo());
  w32(area + 24, 0x1fa0);
  /* XSTATE_BV = 0: both components initialized, MXCSR still from memory (standard form) */
  w64(area + 512, 0);
  w32(area + 24, 0x1f84);
  xrstor(area, ~0ul); showf("xrstor.init");
  show("xrstor.init.xmm0", xmm0_lo());
  show("xrstor.init.fcw", fcw());
  show("xrstor.init.mxcsr", mxcsr());
  /* RFBM = SSE only: x87 untouched */
  set_fcw(0x7f);
  w64(area + 512, 3);
  xrstor(area, 2); showf("xrstor.sse-only");
  show("xrstor.sse-only.fcw", fcw());
  show("xrstor.sse-only.xmm0", xmm0_lo());
  /* XCR0 = x87 only: RFBM drops SSE whatever EDX:EAX asks */
  xsetbv(0, 1);
  set_xmm0(0x99);
  w64(area + 512, 1);
  xrstor(area, ~0ul); showf("xrstor.xcr0-x87");
  show("xrstor.xcr0-x87.xmm0", xmm0_lo());
  show("xrstor.xcr0-x87.fcw", fcw());
  w64(area + 512, 3);
  xrstor(area, ~0ul); showf("xrstor.xcr0-x87.bv-sse-set"); /* XSTATE_BV[1] = 1 but XCR0[1] = 0 */
  xsetbv(0, 3);

  wr_cr4(rd_cr4() & ~CR4_OSXSAVE);
  cpuid(1, 0, r);
  show("cpuid1.osxsave.off", r[2] >> 27 & 1);
  puts("done\n");
  return 0;
}
