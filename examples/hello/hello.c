/* The bundled default guest: greets, sorts some numbers, checks a CRC32 and exits.
 * Exit status (isa-debug-exit): 1 when all checks pass ((0 << 1) | 1), 3 when one fails. */
#include "runtime.h"

static u32 crc32(const u8 *p, size_t n) {
  u32 c = 0xffffffffu;
  while (n--) {
    c ^= *p++;
    for (int k = 0; k < 8; k++) c = (c >> 1) ^ (0xedb88320u & -(c & 1));
  }
  return ~c;
}

static u32 xorshift_state = 2463534242u;
static u32 xorshift32(void) {
  u32 x = xorshift_state;
  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  return xorshift_state = x;
}

#define N 16
static u32 values[N];

int main(void) {
  puts("Hello from a dbstub guest!\n");

  for (int i = 0; i < N; i++) values[i] = xorshift32() % 1000;
  for (int i = 1; i < N; i++) { /* insertion sort */
    u32 v = values[i];
    int j = i - 1;
    while (j >= 0 && values[j] > v) {
      values[j + 1] = values[j];
      j--;
    }
    values[j + 1] = v;
  }
  int sorted = 1;
  puts("sorted:");
  for (int i = 0; i < N; i++) {
    putc(' ');
    put_dec(values[i]);
    if (i && values[i - 1] > values[i]) sorted = 0;
  }
  putc('\n');

  static const char check[] = "123456789";
  u32 c = crc32((const u8 *)check, 9);
  puts("crc32(\"123456789\") = ");
  put_hex(c);
  putc('\n');

  int ok = sorted && c == 0xcbf43926u; /* the CRC-32/ISO-HDLC check value */
  puts(ok ? "all checks passed\n" : "CHECK FAILED\n");
  return ok ? 0 : 1;
}
