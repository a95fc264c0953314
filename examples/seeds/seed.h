/* Shared by the seed example guests (examples/seeds/<scenario>/main.c): a #DB handler that prints what
 * the guest observes, one line per #DB, so `dbstub run` and `dbstub session --serial` show it directly:
 *   guest #DB 1: at <label> dr6=0x... rf=0 cpl=3
 * <label> is "name" when RIP equals a registered label, "after name" when RIP is the instruction after it
 * (a trap), else the hex RIP. The handler then writes the DR6 reset value (as Linux does), clears TF and,
 * for a fault-like #DB (instruction breakpoint B0-B3 on an execute slot, or BD), sets RF in the frame so
 * the faulting instruction completes on return (SDM Vol. 3 18.3.1.1). */
#include "runtime.h"

#define DR6_RESET 0xffff0ff0ull
#define DR6_BD (1ull << 13)
#define RFLAGS_TF (1ull << 8)
#define RFLAGS_RF (1ull << 16)
#define MSR_IA32_DEBUGCTL 0x1d9
#define DEBUGCTL_BUS_LOCK_DETECT (1ull << 2) /* Intel BUS_LOCK_DETECT, AMD BLCKDB */


struct seed_label { const char *name; u64 at, after; };
static struct seed_label seed_labels[8];
static int seed_nlabels;
static volatile u64 seed_db_count;
/* Code breakpoints (DR7 R/W=00) the guest armed itself: the handler sets RF only for those (fault-like). */
static volatile u64 seed_exec_slots;

/* Register label `name` for the instruction at `at` that ends at `end`, so a trap after it prints "after name". */
static void seed_label(const char *name, const void *at, const void *end) {
  if (seed_nlabels < 8) seed_labels[seed_nlabels++] = (struct seed_label){ name, (u64)at, (u64)end };
}

static void seed_put_where(u64 rip) {
  for (int i = 0; i < seed_nlabels; i++) {
    if (rip == seed_labels[i].at) { puts(seed_labels[i].name); return; }
    if (rip == seed_labels[i].after) { puts("after "); puts(seed_labels[i].name); return; }
  }
  put_hex(rip);
}

static void seed_db_handler(struct frame *f) {
  u64 dr6 = rd_dr6();
  u64 n = ++seed_db_count;
  puts("guest #DB ");
  put_dec(n);
  puts(": at ");
  seed_put_where(f->rip);
  puts(" dr6=");
  put_hex(dr6);
  puts(" rf=");
  put_dec((f->rflags & RFLAGS_RF) ? 1 : 0);
  puts(" cpl=");
  put_dec(f->cs & 3);
  puts("\n");
  wr_dr6(DR6_RESET);
  f->rflags &= ~RFLAGS_TF;
  if ((dr6 & seed_exec_slots & 0xf) || (dr6 & DR6_BD)) f->rflags |= RFLAGS_RF;
  if (n > 16) exit(0x60); /* a #DB storm: stop */
}

static void seed_bp_handler(struct frame *f) {
  puts("guest #BP at ");
  put_hex(f->rip);
  puts(" (a breakpoint exception the guest did not execute)\n");
}

static void seed_init(void) {
  idt_set_handler(VEC_DB, seed_db_handler);
  idt_set_handler(VEC_BP, seed_bp_handler);
}

/* The split lock of seeds 000 and 001: a LOCK INC of the dword at offset 62 of a 64-byte aligned line
 * crosses into the next line (SDM Vol. 3 9.1.2.2 / "split lock"). Call seed_split_lock_at_cpl3() after
 * seed_init(); it labels the locked instruction "buslock_insn" so a trap after it prints "after buslock_insn". */
extern char buslock_insn[], buslock_end[];
static volatile u8 seed_lockbuf[128] __attribute__((aligned(64)));

static __attribute__((unused)) u64 seed_user_split_lock(u64 arg) {
  (void)arg;
  __asm__ volatile(".globl buslock_insn\nbuslock_insn: lock incl (%0)\n.globl buslock_end\nbuslock_end: nop\n" : : "r"(&seed_lockbuf[62]) : "memory");
  return 0;
}

static __attribute__((unused)) void seed_split_lock_at_cpl3(void) {
  seed_label("buslock_insn", buslock_insn, buslock_end);
  run_at_cpl3(seed_user_split_lock, 0);
}

static void seed_done(void) {
  puts("guest saw ");
  put_dec(seed_db_count);
  puts(" #DB(s)\n");
}
