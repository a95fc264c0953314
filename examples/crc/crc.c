/* CPU workload: CRC32 (reflected, polynomial 0xEDB88320) of a 64 KiB buffer filled by an LCG, computed
 * bit by bit. Prints the CRC and exits with (crc & 0x7f), so the status is ((crc & 0x7f) << 1) | 1.
 * The test recomputes the same value in JavaScript. */
#include "runtime.h"

#define LEN 65536
static u8 buf[LEN];

int main(void) {
  u32 x = 12345;
  for (int i = 0; i < LEN; i++) {
    x = x * 1103515245u + 12345u;
    buf[i] = (u8)(x >> 16);
  }
  u32 c = 0xffffffffu;
  for (int i = 0; i < LEN; i++) {
    c ^= buf[i];
    for (int k = 0; k < 8; k++) c = (c & 1) ? (c >> 1) ^ 0xedb88320u : c >> 1;
  }
  c = ~c;
  puts("crc32=");
  put_hex64(c);
  putc('\n');
  return (int)(c & 0x7f);
}
