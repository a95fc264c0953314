/* #UD delivery: UD2 (always #UD) and an SSE instruction, which raises #UD because the boot
 * environment leaves CR4.OSFXSR=0 (SDM Vol. 3 13.1: SSE instructions raise #UD while
 * CR4.OSFXSR=0) and which dbstub's CPU does not implement either. The handler prints the faulting
 * RIP and skips the instruction; the guest exits with 0 (status 1) when both #UDs hit where expected. */
#include "runtime.h"

extern const u8 ud2_site[], sse_site[];
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
  else exit(9);
}

int main(void) {
  idt_set_handler(VEC_UD, on_ud);
  __asm__ volatile(".globl ud2_site\nud2_site: ud2");
  /* pxor %xmm0, %xmm0 spelled as bytes: the guest is compiled with -mno-sse. */
  __asm__ volatile(".globl sse_site\nsse_site: .byte 0x66, 0x0f, 0xef, 0xc0");
  int ok = ud_count == 2 && ud_rips[0] == (u64)ud2_site && ud_rips[1] == (u64)sse_site;
  puts(ok ? "ud: ok\n" : "ud: MISMATCH\n");
  return ok ? 0 : 7;
}
