/* See workload.h. No libc: these are built freestanding for three different environments. */
#include "workload.h"

volatile bu64 bench_tick;

__attribute__((noinline)) bu64 int_loop(bu64 iters, bu64 tick_every) {
  bu64 a = 0x9e3779b97f4a7c15ull, b = 1, c = 2;
  bu64 k = tick_every;
  for (bu64 i = 0; i < iters; i++) {
    a = a * 6364136223846793005ull + 1442695040888963407ull;
    b ^= a >> 29;
    b += b << 7;
    c = (c ^ b) + (a >> 11);
    if (k != 0 && --k == 0) {
      k = tick_every;
      bench_tick = i;
    }
  }
  return a ^ b ^ c;
}

static void sift_down(bu32 *w, bu64 root, bu64 end) {
  for (;;) {
    bu64 child = 2 * root + 1;
    if (child >= end) return;
    if (child + 1 < end && w[child] < w[child + 1]) child++;
    if (w[root] >= w[child]) return;
    bu32 t = w[root];
    w[root] = w[child];
    w[child] = t;
    root = child;
  }
}

__attribute__((noinline)) bu32 sort_crc(bu32 *w, bu64 n, bu32 seed, bu32 *table) {
  bu32 x = seed;
  for (bu64 i = 0; i < n; i++) {
    x = x * 1103515245u + 12345u;
    w[i] = x ^ (x >> 15);
  }
  /* Heap sort: in place, no recursion, O(n log n) compares on data-dependent branches. */
  for (bu64 i = n / 2; i-- > 0;) sift_down(w, i, n);
  for (bu64 end = n; end-- > 1;) {
    bu32 t = w[0];
    w[0] = w[end];
    w[end] = t;
    sift_down(w, 0, end);
  }
  for (bu32 i = 0; i < 256; i++) {
    bu32 c = i;
    for (int k = 0; k < 8; k++) c = (c & 1) ? (c >> 1) ^ 0xedb88320u : c >> 1;
    table[i] = c;
  }
  const bu8 *p = (const bu8 *)w;
  bu32 crc = 0xffffffffu;
  for (bu64 i = 0; i < n * 4; i++) crc = table[(crc ^ p[i]) & 0xff] ^ (crc >> 8);
  return ~crc;
}
