/* Bench guest: the integer loop. The host may patch bench_params before running (the bench does,
 * through guest memory; gdb can with `set var`). Prints the checksum and exits with 0. */
#include "runtime.h"
#include "../core/workload.h"

/* iterations, tick_every. Defaults: about 36 M instructions, no watchpoint store. */
volatile u64 bench_params[2] = {2000000ull, 0};

int main(void) {
  u64 r = int_loop(bench_params[0], bench_params[1]);
  puts("int_loop=");
  put_hex64(r);
  putc('\n');
  return 0;
}
