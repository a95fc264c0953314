/* Bench guest: the C workload (fill, heap sort, CRC32) over a buffer in .bss. The host may patch
 * bench_params (element count, repetitions) before running. */
#include "runtime.h"
#include "../core/workload.h"

#define MAX_WORDS (4u << 20) /* 16 MiB of words at most */
static u32 words[MAX_WORDS];
static u32 table[256];

/* words (<= MAX_WORDS), repetitions. Default: 1 MiB of data, once. */
volatile u64 bench_params[2] = {256u << 10, 1};

int main(void) {
  u64 n = bench_params[0] > MAX_WORDS ? MAX_WORDS : bench_params[0];
  u32 crc = 0;
  for (u64 r = 0; r < bench_params[1]; r++) crc += sort_crc(words, n, 12345u, table); /* same input every repetition: equal work per rep */
  puts("sort_crc=");
  put_hex64(crc);
  putc('\n');
  return 0;
}
