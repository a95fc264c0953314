/* Hostile guest (issue 18 item 4): a loop over an opcode the CPU does not implement, each #UD handled by the
 * guest and skipped. Every #UD logs cpu.ud; unthrottled that was 333,328 lines (64.7 MB) per million
 * instructions. The opcode is an EVEX-encoded AVX-512 load (62 ...): #UD on any CPU whose CPUID has no
 * AVX512F (SDM Vol. 2 2.6.1), which dbstub does not advertise, and a path to the undefined-opcode log.
 * Exits with 0 (status 1) after ROUNDS (50,000) #UDs. */
#include "runtime.h"

#define ROUNDS 50000

extern const u8 ud_site[], ud_resume[];
static volatile u64 uds;

static void on_ud(struct frame *f) {
  if (f->rip != (u64)ud_site) exit(9);
  uds++;
  f->rip = (u64)ud_resume;
}

int main(void) {
  idt_set_handler(VEC_UD, on_ud);
  puts("ud-loop: go\n");
  while (uds < ROUNDS) {
    /* vmovups (%rax),%zmm0, spelled as bytes (the guest is built with -mno-sse). */
    __asm__ volatile(".globl ud_site, ud_resume\nud_site: .byte 0x62, 0xf1, 0x7c, 0x48, 0x10, 0x00\nud_resume:" ::: "memory");
  }
  puts("ud-loop: done\n");
  return 0;
}
