/* The bench workloads on bare qemu-system-x86_64 (TCG), with the same devices dbstub models: COM1
 * output and isa-debug-exit at port 0xF4 (QEMU: -device isa-debug-exit,iobase=0xf4,iosize=4).
 * Parameters come from the kernel command line (-append "loop ITERS TICK" | "sortcrc WORDS REPS"; QEMU prepends the kernel path). */
#include "../core/workload.h"

#define MAX_WORDS (4u << 20)
static bu32 words[MAX_WORDS];
static bu32 table[256];

static inline void outb(unsigned short port, unsigned char v) { __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port)); }
static void out(const char *s) {
  while (*s) outb(0x3f8, (unsigned char)*s++);
}
static void out_hex(bu64 v) {
  out("0x");
  for (int i = 0; i < 16; i++) {
    char c[2] = {"0123456789abcdef"[(v >> (60 - 4 * i)) & 15], 0};
    out(c);
  }
  out("\n");
}
static const char *word(const char *s, char *buf, int max) {
  while (*s == ' ') s++;
  int n = 0;
  while (*s && *s != ' ' && n < max - 1) buf[n++] = *s++;
  buf[n] = 0;
  return s;
}
static bu64 num(const char *s) {
  bu64 v = 0;
  while (*s >= '0' && *s <= '9') v = v * 10 + (bu64)(*s++ - '0');
  return v;
}

/* Multiboot information: flags at +0, cmdline (physical address) at +16 when flags bit 2 is set. */
void mb_main(bu32 info) {
  const bu32 *mbi = (const bu32 *)(bu64)info;
  const char *cmd = (mbi[0] & 4) ? (const char *)(bu64)mbi[4] : "";
  char w[256], a[24], b[24];
  /* QEMU passes "KERNEL-PATH ARGS...": skip to the workload name. */
  do cmd = word(cmd, w, sizeof w);
  while (w[0] && !(w[0] == 'l' && w[1] == 'o') && !(w[0] == 's' && w[1] == 'o'));
  cmd = word(cmd, a, sizeof a);
  word(cmd, b, sizeof b);
  bu64 p0 = num(a), p1 = num(b);
  if (w[0] == 'l') {
    out("int_loop=");
    out_hex(int_loop(p0, p1));
  } else {
    bu64 n = p0 > MAX_WORDS ? MAX_WORDS : p0;
    bu32 crc = 0;
    for (bu64 r = 0; r < p1; r++) crc += sort_crc(words, n, 12345u, table);
    out("sort_crc=");
    out_hex(crc);
  }
  outb(0xf4, 0); /* isa-debug-exit: QEMU exits with status 1 */
}
