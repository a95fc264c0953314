/* Hostile guest (issue 18 item 1): REP STOSB over 48 MiB, in a loop forever (the adversarial run's case:
 * Ctrl-C took 13-15 s). Prints "rep-stosb: go" once, then never exits. */
#include "runtime.h"

#define DST 0x0400000UL /* 4 MiB .. 52 MiB: inside the default 64 MiB of RAM, clear of the guest at 1 MiB */
#define LEN 0x3000000UL

volatile u64 rounds;

int main(void) {
  puts("rep-stosb: go\n");
  for (;;) {
    u64 d = DST, n = LEN;
    __asm__ volatile("cld; rep stosb" : "+D"(d), "+c"(n) : "a"(rounds) : "memory");
    rounds++;
  }
}
