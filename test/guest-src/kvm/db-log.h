/* The #DB log both KVM-model guests keep (dbchain, upstream): the tests read db_log[] and db_count through
 * the ELF symbols, so the layout is one definition here. A handler calls db_record first, may then do its
 * own work (upstream's OUT, which must come before the DR6 reset: an I/O exit between the #DB and the
 * reset is what the SVM lazy-ownership scenario needs), and ends with db_resume. */
#ifndef KVM_DB_LOG_H
#define KVM_DB_LOG_H

#define DR6_RESET 0xffff0ff0ull
#define RFLAGS_TF (1ull << 8)
#define RFLAGS_RF (1ull << 16)

struct dbrec { u64 rip, dr6, dr7, rflags; };
volatile struct dbrec db_log[16];
volatile u64 db_count;
volatile u64 db_reset = DR6_RESET;
/* The handler leaves DR6 as it found it (a second #DB then shows what stayed sticky). */
volatile u64 db_keep_dr6;

/* Log this #DB (RIP, DR6, DR7, RFLAGS) and count it; returns its index. */
static u64 db_record(struct frame *f, u64 dr6) {
  u64 n = db_count;
  if (n < 16) {
    db_log[n].rip = f->rip;
    db_log[n].dr6 = dr6;
    db_log[n].dr7 = rd_dr7();
    db_log[n].rflags = f->rflags;
  }
  db_count = n + 1;
  return n;
}

/* Reset DR6 (unless kept), stop single-stepping, and resume past a fault-like #DB (an execute breakpoint
 * B0-B3 or BD) with RF (SDM Vol. 3B 19.3.1.1). A runaway chain of #DBs ends the run. */
static void db_resume(struct frame *f, u64 dr6, u64 n) {
  if (!db_keep_dr6) wr_dr6(db_reset);
  f->rflags &= ~RFLAGS_TF;
  if (dr6 & 0x200f) f->rflags |= RFLAGS_RF;
  if (n > 32) exit(0x60);
}

#endif
