/* Round trip CPL0 -> CPL3 -> CPL0 through the IDT:
 *  - run_at_cpl3() IRETQs to user code (CS=0x23);
 *  - user code prints through int $0x80 (CPL3 -> CPL0 via TSS.RSP0 and back by IRETQ);
 *  - user code executes INT3; the #BP handler records the CPL it interrupted;
 *  - user code returns its result through int $0x80 (SYS_RETURN).
 * Prints one line per step and exits with 0 (status 1) when everything matched, 5 (status 11) otherwise. */
#include "runtime.h"

static volatile u64 bp_cs, bp_ss, bp_rsp, bp_count;

static void on_bp(struct frame *f) {
  bp_cs = f->cs;
  bp_ss = f->ss;
  bp_rsp = f->rsp;
  bp_count++;
}

static u64 user_main(u64 arg) {
  u64 cpl = read_cs() & 3;
  user_puts("in user mode\n");
  __asm__ volatile("int3");
  return arg * 3 + cpl; /* 3 at CPL3 */
}

int main(void) {
  idt_set_handler(VEC_BP, on_bp);
  puts("cpl3: kernel cs=");
  put_hex(read_cs());
  putc('\n');

  u64 r = run_at_cpl3(user_main, 100);

  puts("cpl3: back in kernel cs=");
  put_hex(read_cs());
  puts(" result=");
  put_dec(r);
  puts(" bp_cs=");
  put_hex(bp_cs);
  puts(" bp_ss=");
  put_hex(bp_ss);
  puts(" bp_count=");
  put_dec(bp_count);
  putc('\n');

  int ok = r == 303 && bp_cs == SEL_USER_CODE && bp_ss == SEL_USER_DATA && bp_count == 1 && (read_cs() & 3) == 0;
  puts(ok ? "cpl3: ok\n" : "cpl3: MISMATCH\n");
  return ok ? 0 : 5;
}
