/* Hostile guest (issue 18 item 1): one REP MOVSB copies 16 MiB, in a loop forever. Each execution is one
 * instruction of the run loop's slice however many iterations it runs, so a slice bounded by instructions
 * alone ran for minutes; dbstub must still answer Ctrl-C, signals and new debuggers within milliseconds.
 * Prints "rep-movsb: go" once, then never exits. */
#include "runtime.h"

#define SRC 0x1000000UL /* 16 MiB: inside the default 64 MiB of RAM, identity-mapped (docs/BOOT.md) */
#define DST 0x2000000UL
#define LEN 0x1000000UL

volatile u64 rounds;

int main(void) {
  puts("rep-movsb: go\n");
  for (;;) {
    u64 s = SRC, d = DST, n = LEN;
    __asm__ volatile("cld; rep movsb" : "+S"(s), "+D"(d), "+c"(n) : : "memory");
    rounds++;
  }
}
