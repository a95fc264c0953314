/* Exit-heavy guest: CPUID leaf 0 in a loop (every CPUID is a VM exit in kvm mode, as kvm-unit-tests' vmexit
 * cpuid test makes it), with a dot on the serial port every 1024 iterations. Leaf 0 reads the same in both modes
 * (the KVM model answers from the CPU's own table for it), so bare and kvm runs can be compared register for
 * register (test/hv/intercept-retire.test.ts). */
#include "runtime.h"

int main(void) {
  for (u64 i = 0;; i++) {
    u32 a = 0, b, c = 0, d;
    __asm__ volatile("cpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d));
    if ((i & 1023) == 0) putc('.');
  }
}
