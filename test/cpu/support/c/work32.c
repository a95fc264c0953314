/* Mixed integer code for the legacy decoder's length check (compiled with gcc -m32 / -m16 -O2, never run):
 * 64-bit arithmetic on a 32-bit target (ADC/SBB/SHLD/MUL pairs), division, switch tables, string loops,
 * bit tricks, byte/word accesses and calls. */
typedef unsigned long long u64;
typedef long long i64;
typedef unsigned int u32;
typedef unsigned short u16;
typedef unsigned char u8;

u64 mix64(u64 a, u64 b, int n) { return (a << (n & 31)) + (b >> 3) - (a * b) + (a / (b | 1)); }
i64 sdiv64(i64 a, i64 b) { return b ? a / b + a % b : 0; }
u32 crc32(const u8 *p, u32 n) {
  u32 c = 0xffffffffu;
  for (u32 i = 0; i < n; i++) { c ^= p[i]; for (int k = 0; k < 8; k++) c = (c >> 1) ^ (0xedb88320u & -(c & 1)); }
  return ~c;
}
int sw(int x) {
  switch (x) { case 0: return 3; case 1: return 9; case 2: return 27; case 3: return 81; case 4: return 243; case 5: return 7; default: return -1; }
}
void copy(u8 *d, const u8 *s, u32 n) { while (n--) *d++ = *s++; }
void fill16(u16 *d, u16 v, u32 n) { for (u32 i = 0; i < n; i++) d[i] = v; }
int cmpstr(const char *a, const char *b) { while (*a && *a == *b) { a++; b++; } return (u8)*a - (u8)*b; }
u32 bits(u32 x) { return __builtin_popcount(x) + __builtin_ctz(x | 1) + __builtin_clz(x | 1) + __builtin_bswap32(x); }
short sat(int v) { return v > 32767 ? 32767 : v < -32768 ? -32768 : (short)v; }
u32 rot(u32 x, int n) { return (x << (n & 31)) | (x >> ((32 - n) & 31)); }
struct S { u8 a; u16 b; u32 c; u64 d; };
u64 sum(struct S *s, int n) { u64 t = 0; for (int i = 0; i < n; i++) t += s[i].a + s[i].b + s[i].c + s[i].d; return t; }
extern void ext(int, int, int);
void calls(int a) { ext(a, a * 3, a ^ 5); ext(sw(a), (int)bits((u32)a), sat(a * 1000)); }
static volatile u32 port;
void io(u32 v) { for (int i = 0; i < 4; i++) port = v >> (8 * i); }
