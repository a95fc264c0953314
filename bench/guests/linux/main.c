/* The same workloads as a static Linux x86-64 program (no libc), for qemu-x86_64 (user mode) and its
 * gdbstub:  bench-linux loop ITERS TICK_EVERY  |  bench-linux sortcrc WORDS REPS
 * Prints the result like the dbstub guests and exits 0 (2 on bad arguments). */
#include "../core/workload.h"

#define MAX_WORDS (4u << 20)
static bu32 words[MAX_WORDS];
static bu32 table[256];

static long sys3(long nr, long a, long b, long c) {
  long r;
  __asm__ volatile("syscall" : "=a"(r) : "a"(nr), "D"(a), "S"(b), "d"(c) : "rcx", "r11", "memory");
  return r;
}
static void out(const char *s) {
  long n = 0;
  while (s[n]) n++;
  sys3(1, 1, (long)s, n);
}
static void out_hex(bu64 v) {
  char b[20] = "0x";
  for (int i = 0; i < 16; i++) b[2 + i] = "0123456789abcdef"[(v >> (60 - 4 * i)) & 15];
  b[18] = '\n';
  b[19] = 0;
  out(b);
}
static bu64 num(const char *s) {
  bu64 v = 0;
  while (*s >= '0' && *s <= '9') v = v * 10 + (bu64)(*s++ - '0');
  return v;
}
static int streq(const char *a, const char *b) {
  while (*a && *a == *b) a++, b++;
  return *a == *b;
}

__attribute__((used)) int lmain(long *sp) {
  long argc = sp[0];
  char **argv = (char **)(sp + 1);
  if (argc < 4) return 2;
  bu64 p0 = num(argv[2]), p1 = num(argv[3]);
  if (streq(argv[1], "loop")) {
    out("int_loop=");
    out_hex(int_loop(p0, p1));
  } else if (streq(argv[1], "sortcrc")) {
    bu64 n = p0 > MAX_WORDS ? MAX_WORDS : p0;
    bu32 crc = 0;
    for (bu64 r = 0; r < p1; r++) crc += sort_crc(words, n, 12345u, table);
    out("sort_crc=");
    out_hex(crc);
  } else {
    return 2;
  }
  return 0;
}

__asm__(".text\n.globl _start\n_start:\n"
        "  mov %rsp, %rdi\n"
        "  and $-16, %rsp\n"
        "  call lmain\n"
        "  mov %eax, %edi\n"
        "  mov $231, %eax\n" /* exit_group */
        "  syscall\n"
        "  hlt\n");
