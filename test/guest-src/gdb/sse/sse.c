/* Guest for the SSE register tests: loads a known value into XMM0 with MOVQ, stops at `xmm_loaded` (gdb reads
 * and writes XMM registers there), then stores XMM1 to memory so gdb can check the guest sees its write.
 * The boot environment leaves CR4.OSFXSR clear (docs/boot.md); SSE instructions #UD until it is set
 * (SDM Vol. 3 2.5). Built by test/gdb/guest.ts with -mgeneral-regs-only, so the compiler itself emits no SSE. */
#include "runtime.h"

#define CR4_OSFXSR (1ull << 9)

volatile u64 xmm1_seen[2];
volatile u64 xmm0_value = 0x1122334455667788ull;

int main(void) {
  u64 cr4;
  __asm__ volatile("mov %%cr4, %0" : "=r"(cr4));
  __asm__ volatile("mov %0, %%cr4" : : "r"(cr4 | CR4_OSFXSR));
  __asm__ volatile("movq %0, %%xmm0\n\t"
                   ".globl xmm_loaded\n"
                   "xmm_loaded:\n\t"
                   "movdqu %%xmm1, (%1)\n\t"
                   ".globl xmm_stored\n"
                   "xmm_stored:\n\t"
                   "nop"
                   : : "r"(xmm0_value), "r"(xmm1_seen) : "memory");
  exit(xmm1_seen[0] == 0x55aa ? 0 : 1);
}
