/* Guest for the real-gdb tests: a variable with a known sequence of reads and writes (watchpoints), a spin loop
 * gdb can enable and interrupt, and an exit status gdb reports. Built by test/gdb/guest.ts with the runtime. */
#include "runtime.h"

volatile u64 counter = 100;
volatile u32 spin_enabled;
volatile u32 stop_spin;
volatile u64 sink;

__attribute__((noinline)) u64 peek(void) { return counter; }       /* one read */
__attribute__((noinline)) void bump(void) { counter = counter + 1; } /* read, then write */
__attribute__((noinline)) void spin(void) {
  while (!stop_spin) sink++;
}

int main(void) {
  sink = peek();
  bump();
  bump();
  counter = 7;
  if (spin_enabled) spin();
  exit((u32)counter); /* isa-debug-exit status (7 << 1) | 1 = 15 */
}
