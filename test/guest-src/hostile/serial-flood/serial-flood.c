/* Hostile guest (issue 18 soak, log-heavy): prints numbered serial lines as fast as it can, forever. */
#include "runtime.h"

int main(void) {
  for (u64 i = 0;; i++) {
    puts("serial-flood line ");
    put_dec(i);
    putc('\n');
  }
}
