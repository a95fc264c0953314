/* #UD delivery to the guest's own handler, three ways:
 *  - UD2: always #UD (SDM Vol. 2B UD);
 *  - an SSE instruction: #UD on any x86-64 because the boot environment leaves CR4.OSFXSR=0
 *    (SDM Vol. 3 13.1);
 *  - an x87 instruction (FLD1): real hardware would execute it (CR0.EM=0), but dbstub's CPU models
 *    only the x87 state and its control instructions, not x87 arithmetic (src/cpu/x87.ts), so it
 *    raises #UD and logs the bytes (event cpu.ud) — the path every unsupported opcode takes.
 * The handler prints the faulting RIP and skips the instruction; the guest exits with 0 (status 1)
 * when all three #UDs hit where expected, 7 (status 15) otherwise. */
#include "runtime.h"

extern const u8 ud2_site[], sse_site[], x87_site[];
static volatile u64 ud_rips[4];
static volatile int ud_count;

static void on_ud(struct frame *f) {
  puts("#UD at rip=");
  put_hex(f->rip);
  putc('\n');
  if (ud_count < 4) ud_rips[ud_count] = f->rip;
  ud_count++;
  if (f->rip == (u64)ud2_site) f->rip += 2;      /* 0f 0b */
  else if (f->rip == (u64)sse_site) f->rip += 4; /* 66 0f ef c0 */
  else if (f->rip == (u64)x87_site) f->rip += 2; /* d9 e8 */
  else exit(9);
}

int main(void) {
  idt_set_handler(VEC_UD, on_ud);
  __asm__ volatile(".globl ud2_site\nud2_site: ud2");
  /* pxor %xmm0, %xmm0 and fld1 spelled as bytes: the guest is compiled with -mno-sse. */
  __asm__ volatile(".globl sse_site\nsse_site: .byte 0x66, 0x0f, 0xef, 0xc0");
  __asm__ volatile(".globl x87_site\nx87_site: .byte 0xd9, 0xe8");
  int ok = ud_count == 3 && ud_rips[0] == (u64)ud2_site && ud_rips[1] == (u64)sse_site && ud_rips[2] == (u64)x87_site;
  puts(ok ? "ud: ok\n" : "ud: MISMATCH\n");
  return ok ? 0 : 7;
}
