/* dbstub guest around work.c: turns SSE on (the boot environment leaves CR4.OSFXSR clear, docs/boot.md)
 * and prints each result on COM1 in the host build's format. */
#include "runtime.h"
void run_all(void);
void emit(const char *name, u64 v) { puts(name); putc(' '); put_hex(v); putc('\n'); }
int main(void) {
  u64 cr4;
  __asm__ volatile("mov %%cr4, %0" : "=r"(cr4));
  __asm__ volatile("mov %0, %%cr4" : : "r"(cr4 | (1ull << 9) | (1ull << 10))); /* OSFXSR, OSXMMEXCPT */
  run_all();
  puts("done\n");
  exit(0);
}
