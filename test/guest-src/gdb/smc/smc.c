/* Guest for the self-modifying-code test (issue 18 item 5): it rewrites the first byte of smc_target (which
 * starts as `mov $7, %eax`, B8 07 00 00 00) to RET (C3) while gdb has a software breakpoint there, then stops
 * at smc_patched. Its exit status says whether its own byte survived gdb's breakpoint removal at that stop. */
#include "runtime.h"

#define OPCODE_RET 0xc3

__asm__(".text\n"
        ".globl smc_target\n"
        "smc_target:\n\t"
        "mov $7, %eax\n\t"
        "ret\n");
int smc_target(void);

__attribute__((noinline)) void smc_patched(void) { __asm__ volatile("" : : : "memory"); }

int main(void) {
  volatile unsigned char *p = (volatile unsigned char *)(void *)smc_target;
  *p = OPCODE_RET;
  smc_patched();
  /* 0: the guest's RET is still there; 2: the debugger wrote the stale saved byte back. */
  return p[0] == OPCODE_RET ? 0 : 2;
}
