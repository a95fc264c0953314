// Freestanding integer workload: compiled for the guest (gcc -O0..-O3) and natively; both must agree.
typedef unsigned long u64; typedef long i64; typedef unsigned int u32; typedef int i32;
typedef unsigned char u8; typedef unsigned short u16;

struct rec { u64 a, b; u32 c; u16 d; u8 e[10]; };

static u64 rng = 88172645463325252ull;
static u64 xs(void) { rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17; return rng; }

__attribute__((noinline)) static void sort(i64 *v, int n) {
  for (int i = 1; i < n; i++) { i64 x = v[i]; int j = i - 1; while (j >= 0 && v[j] > x) { v[j + 1] = v[j]; j--; } v[j + 1] = x; }
}
__attribute__((noinline)) static u64 sw(u64 x) {
  switch (x % 11) {
    case 0: return x * 3; case 1: return x ^ 0x5555; case 2: return x >> 3; case 3: return x + 77;
    case 4: return ~x; case 5: return x * x; case 6: return x / 7; case 7: return x % 13;
    case 8: return (x << 5) | (x >> 59); default: return x - 1;
  }
}
__attribute__((noinline)) static void mcpy(void *d, const void *s, u64 n) { u8 *a = d; const u8 *b = s; while (n--) *a++ = *b++; }

u64 result[16];
i64 arr[64];
struct rec recs[8];

u64 work(void) {
  u64 h = 1469598103934665603ull;
  for (int i = 0; i < 64; i++) arr[i] = (i64)xs() >> (i & 31);
  sort(arr, 64);
  for (int i = 0; i < 64; i++) { h ^= (u64)arr[i]; h *= 1099511628211ull; }
  for (u64 i = 1; i < 2000; i++) {
    u64 x = xs();
    h += sw(x);
    h ^= x / (i | 1);
    h += (u64)((i64)x / -(i64)(i + 3));
    h += (u32)x / (u32)(i + 1) + (i32)x % (i32)(i + 5);
    h += __builtin_popcountll(x) + __builtin_ctzll(x | 1) + __builtin_clzll(x | 1);
    h = (h << 7) | (h >> 57);
    h += (unsigned __int128)x * h >> 64;
    h += (u64)(((__int128)(i64)x * (i64)h) >> 70);
    u8 b = (u8)x;
    h += (signed char)b + (u16)(x >> 16) + (short)(x >> 32);
    h += (x & 1) ? 3 : 5;
    h += (i64)x < 0;
  }
  for (int k = 0; k < 8; k++) { recs[k].a = xs(); recs[k].b = k; recs[k].c = k * 3; recs[k].d = k; for (int j = 0; j < 10; j++) recs[k].e[j] = j + k; }
  struct rec t = recs[3]; recs[3] = recs[5]; recs[5] = t;
  struct rec z = {0}; recs[7] = z;
  for (int k = 0; k < 8; k++) { h ^= recs[k].a + recs[k].b * 3 + recs[k].c + recs[k].d + recs[k].e[9]; h *= 31; }
  char buf[40]; mcpy(buf, "freestanding integer workload!", 31);
  for (int k = 0; k < 31; k++) h = h * 131 + buf[k];
  result[0] = h;
  return h;
}

#ifdef NATIVE
#include <stdio.h>
int main(void) { printf("%llu\n", (unsigned long long)work()); return 0; }
#else
void _start(void) { u64 h = work(); __asm__ volatile("mov %0, %%rax; hlt" :: "r"(h) : "rax"); for (;;) ; }
#endif
