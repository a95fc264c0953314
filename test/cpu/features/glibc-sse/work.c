/* SSE work shared by the dbstub guest (guest.c) and a native build of the same code (host.c): glibc's own
 * SSE2 string functions, taken from the system's static libc.a (__strlen_sse2 ... the variants glibc's
 * IFUNC resolvers pick on a CPU offering SSE2 but not SSSE3/AVX2), checked against plain byte loops over
 * every alignment and many lengths; then gcc-vectorised integer loops and double/float arithmetic and
 * conversions under each MXCSR rounding mode. Every result goes through emit(); test/cpu/features/
 * glibc-sse.test.ts requires the guest's lines to equal the host CPU's. Compiled with -O3 -msse2 so gcc
 * emits SSE2 for the loops and the floating-point code. */
typedef unsigned char u8;
typedef unsigned int u32;
typedef unsigned long long u64;
typedef unsigned long size_t;

void emit(const char *name, u64 v);

size_t __strlen_sse2(const char *s);
void *__memchr_sse2(const void *s, int c, size_t n);
int __memcmp_sse2(const void *a, const void *b, size_t n);
void *__memmove_sse2_unaligned(void *d, const void *s, size_t n);
void *__memcpy_sse2_unaligned(void *d, const void *s, size_t n);
void *__memset_sse2_unaligned(void *d, int c, size_t n);
char *__strchr_sse2(const char *s, int c);
char *__strrchr_sse2(const char *s, int c);
int __strcmp_sse2(const char *a, const char *b);
char *__strcpy_sse2(char *d, const char *s);

/* The tunables glibc's memmove/memset read (sysdeps/x86/dl-cacheinfo.h sets them at start-up; these are
 * its defaults for a CPU without ERMS preference: large enough that rep movsb/stosb and non-temporal
 * stores are never chosen for the sizes used here). */
long __x86_shared_non_temporal_threshold = 0x7fffffffffffffffL;
long __x86_rep_movsb_threshold = 0x7fffffffffffffffL;
long __x86_rep_stosb_threshold = 0x7fffffffffffffffL;
long __x86_rep_movsb_stop_threshold = 0x7fffffffffffffffL;

#define N 512
static u8 a[N + 64] __attribute__((aligned(64)));
static u8 b[N + 64] __attribute__((aligned(64)));
static u64 fails;

static size_t ref_strlen(const char *s) { size_t n = 0; while (s[n]) n++; return n; }
static u64 mix(u64 h, u64 v) { return (h ^ v) * 0x100000001b3ull; }

static void fill(u8 *p, u32 seed, size_t n) {
  for (size_t k = 0; k < n; k++) { seed = seed * 1103515245u + 12345u; p[k] = (u8)(1 + (seed >> 16) % 200); }
}

static void strings(void) {
  u64 h = 0xcbf29ce484222325ull;
  for (u32 align = 0; align < 32; align++) {
    for (u32 len = 0; len < 200; len += 1 + len / 8) {
      fill(a, align * 131 + len, N + 64);
      char *s = (char *)a + align;
      s[len] = 0;
      size_t got = __strlen_sse2(s);
      if (got != ref_strlen(s)) fails++;
      h = mix(h, got);
      int c = s[len / 2];
      char *p = __strchr_sse2(s, c), *q = __strrchr_sse2(s, c);
      char *rp = 0, *rq = 0;
      for (size_t k = 0; k <= len; k++) { if ((u8)s[k] == (u8)c) { if (!rp) rp = s + k; rq = s + k; } }
      if (c == 0) { rp = s + len; rq = s + len; }
      if (p != rp || q != rq) fails++;
      h = mix(h, (u64)(p - s)); h = mix(h, (u64)(q - s));
      const u8 *m = __memchr_sse2(s, c, len);
      const u8 *rm = 0;
      for (size_t k = 0; k < len; k++) if ((u8)s[k] == (u8)c) { rm = (const u8 *)s + k; break; }
      if (m != rm) fails++;
      /* strcpy, strcmp, memcmp with one differing byte somewhere */
      char *d = (char *)b + (align * 7) % 32;
      __strcpy_sse2(d, s);
      if (__strcmp_sse2(d, s) != 0) fails++;
      if (len) {
        d[len / 3] ^= 0x20;
        int r1 = __strcmp_sse2(d, s), r2 = __memcmp_sse2(d, s, len);
        int ref = (u8)d[len / 3] - (u8)s[len / 3];
        if ((r1 > 0) != (ref > 0) || (r1 < 0) != (ref < 0) || (r2 > 0) != (ref > 0) || (r2 < 0) != (ref < 0)) fails++;
        h = mix(h, (u64)(r1 > 0) | ((u64)(r2 > 0) << 1));
      }
      /* memset, memcpy, memmove (overlapping both ways) */
      __memset_sse2_unaligned(b + align, (int)(len & 0xff), len);
      for (size_t k = 0; k < len; k++) if (b[align + k] != (u8)len) { fails++; break; }
      fill(a, len, N + 64);
      __memcpy_sse2_unaligned(b + (align ^ 5), a + align, len + 17);
      for (size_t k = 0; k < len + 17; k++) if (b[(align ^ 5) + k] != a[align + k]) { fails++; break; }
      __memmove_sse2_unaligned(a + align + 3, a + align, len + 9);
      for (size_t k = 0; k < len + 9; k++) h = mix(h, a[align + 3 + k]);
    }
  }
  emit("glibc.strings.hash", h);
  emit("glibc.strings.fails", fails);
}

/* gcc vectorises these (-O3 -msse2): PADDD/PMULUDQ/PCMPGT/PMINUB/PMAXSW, shuffles and unpacks. */
static u32 vi[256] __attribute__((aligned(16)));
static short vs[256] __attribute__((aligned(16)));
static void loops(void) {
  for (u32 k = 0; k < 256; k++) { vi[k] = k * 2654435761u; vs[k] = (short)(k * 977); }
  u32 sum = 0, mx = 0; u64 prod = 0; short mn = 32767; int cnt = 0;
  for (u32 k = 0; k < 256; k++) sum += vi[k] ^ (vi[k] >> 7);
  for (u32 k = 0; k < 256; k++) mx = vi[k] > mx ? vi[k] : mx;
  for (u32 k = 0; k < 256; k++) prod += (u64)vi[k] * (vi[(k * 5) & 255]);
  for (u32 k = 0; k < 256; k++) mn = vs[k] < mn ? vs[k] : mn;
  for (u32 k = 0; k < 256; k++) cnt += (int)vi[k] < 0;
  for (u32 k = 0; k < 256; k++) vs[k] = (short)(vs[k] * 3 + (vs[(k + 1) & 255] >> 2));
  u64 hs = 0; for (u32 k = 0; k < 256; k++) hs = mix(hs, (u64)(unsigned short)vs[k]);
  emit("loops.sum", sum); emit("loops.max", mx); emit("loops.prod", prod);
  emit("loops.min16", (u64)(unsigned short)mn); emit("loops.negatives", (u64)cnt); emit("loops.shorts", hs);
}

static u64 bits(double d) { union { double d; u64 u; } x = {d}; return x.u; }
static u32 fbits(float f) { union { float f; u32 u; } x = {f}; return x.u; }
static void set_mxcsr(u32 v) { __asm__ volatile("ldmxcsr %0" : : "m"(v)); }
static u32 get_mxcsr(void) { u32 v; __asm__ volatile("stmxcsr %0" : "=m"(v)); return v; }

static volatile double vd[16] = {1.0, -2.5, 3.141592653589793, 1e308, -1e-310, 0.1, 7.0, 1e-300,
                                 123456789.987654321, -0.0, 2.0, 1.0 / 3, 6.02214076e23, -9.5, 0.5, 4503599627370497.0};
static volatile float vf[8] = {1.5f, -0.1f, 3.4e38f, 1e-40f, 16777217.0f, -7.25f, 0.3333333f, 2.0f};

static void floats(void) {
  static const char *mode[4] = {"rn", "rd", "ru", "rz"};
  char name[32];
  for (u32 rc = 0; rc < 4; rc++) {
    set_mxcsr(0x1f80 | (rc << 13));
    u64 h = 0;
    for (int i = 0; i < 16; i++) {
      for (int j = 0; j < 16; j++) {
        double x = vd[i], y = vd[j];
        h = mix(h, bits(x + y)); h = mix(h, bits(x - y)); h = mix(h, bits(x * y)); h = mix(h, bits(x / y));
        h = mix(h, (u64)(x < y) | (u64)(x == y) << 1 | (u64)(x > y) << 2);
      }
      double x = vd[i];
      h = mix(h, bits(__builtin_sqrt(x < 0 ? -x : x)));
      h = mix(h, (u64)(long long)x); /* cvttsd2si */
      long long r; __asm__("cvtsd2si %1, %0" : "=r"(r) : "x"(x)); h = mix(h, (u64)r);
      h = mix(h, fbits((float)x)); /* cvtsd2ss */
      h = mix(h, bits((double)(long long)(x * 1000.0)));
    }
    for (int i = 0; i < 8; i++) {
      for (int j = 0; j < 8; j++) {
        float x = vf[i], y = vf[j];
        h = mix(h, fbits(x + y)); h = mix(h, fbits(x * y)); h = mix(h, fbits(x / y)); h = mix(h, fbits(x - y));
      }
      h = mix(h, bits((double)vf[i])); h = mix(h, (u64)(int)vf[i]); h = mix(h, fbits((float)(int)(vf[i] * 3)));
    }
    name[0] = 0;
    const char *p = "float."; int n = 0;
    while (*p) name[n++] = *p++;
    for (p = mode[rc]; *p;) name[n++] = *p++;
    name[n] = 0;
    emit(name, h);
    emit("float.mxcsr-flags", get_mxcsr() & 0x3f);
  }
  set_mxcsr(0x1f80);
}

void run_all(void) {
  strings();
  loops();
  floats();
}
