/* One guest, several #DB scenarios of docs/semantics.md §7, chosen by the host through `scenario` before the
 * run. The guest's own #DB handler logs what it observes (RIP, DR6, DR7, RFLAGS) into db_log[], which the
 * tests read through the ELF symbols; it then writes `db_reset` to DR6 (Linux writes 0xFFFF0FF0), clears
 * TF and, for fault-like #DBs, sets RF in the frame so the instruction completes on return. */
#include "runtime.h"
#include "../db-log.h"

#define MSR_DEBUGCTL 0x1d9

volatile u64 scenario;
volatile u64 enable_bld = 1;
volatile u64 dr6_readback;
volatile u64 bp_count;
/* Scenario 6 (§7.16): set DEBUGCTL.BUS_LOCK_DETECT/BLCKDB around the DR6 write (AMD: BLD writable only then). */
volatile u64 dr6zero_blckdb;
/* Split-lock target: a dword at offset 62 of a 64-byte aligned line crosses into the next line. */
volatile u8 lockbuf[192] __attribute__((aligned(64)));
volatile u16 ss_probe = SEL_KERNEL_DATA;


extern char buslock_insn[], tf_insn[], gd_insn[], cbp_insn[], movss_insn[], after_cpuid[], cpuid_insn[], b1_insn[];

static void db_handler(struct frame *f) {
  u64 dr6 = rd_dr6();
  u64 n = db_record(f, dr6);
  db_resume(f, dr6, n);
}

static void bp_handler(struct frame *f) { (void)f; bp_count++; }

static u64 user_split_lock(u64 arg) {
  (void)arg;
  __asm__ volatile(".globl buslock_insn\nbuslock_insn: lock incl (%0)\n nop\n" : : "r"(&lockbuf[62]) : "memory");
  return 0;
}

static void sc_buslock(void) {
  if (enable_bld) wrmsr(MSR_DEBUGCTL, 1u << 2); /* BUS_LOCK_DETECT / BLCKDB */
  run_at_cpl3(user_split_lock, 0);
  wrmsr(MSR_DEBUGCTL, 0);
}

static void sc_tf(void) {
  __asm__ volatile("pushfq\n orq $0x100, (%%rsp)\n popfq\n .globl tf_insn\ntf_insn: nop\n nop\n" : : : "memory", "cc");
}

static void sc_gd(void) {
  u64 v;
  wr_dr7(0x400 | (1u << 13)); /* GD */
  __asm__ volatile(".globl gd_insn\ngd_insn: mov %%dr0, %0\n" : "=r"(v));
  (void)v;
}

static void sc_codebp(void) {
  u64 v;
  wr_dr0((u64)cbp_insn);
  wr_dr7(0x401); /* L0, execute, len 1 */
  __asm__ volatile(".globl cbp_insn\ncbp_insn: mov %%dr6, %0\n" : "=r"(v));
  (void)v;
  wr_dr7(0x400);
}

static void sc_movss(void) {
  u32 a = 0, b, c = 0, d;
  wr_dr0((u64)&ss_probe);
  wr_dr7(0x401 | (3u << 16) | (1u << 18)); /* L0, R/W=11, LEN=01 (2 bytes) */
  __asm__ volatile(
      "pushfq\n orq $0x100, (%%rsp)\n popfq\n"
      ".globl movss_insn\nmovss_insn: movw (%4), %%ss\n"
      "cpuid\n"
      ".globl after_cpuid\nafter_cpuid: nop\n"
      : "+a"(a), "=b"(b), "+c"(c), "=d"(d)
      : "r"(&ss_probe)
      : "memory", "cc");
  wr_dr7(0x400);
}

static void sc_dr6zero(void) {
  if (dr6zero_blckdb) wrmsr(MSR_DEBUGCTL, 1u << 2);
  wr_dr6(0);
  dr6_readback = rd_dr6();
  if (dr6zero_blckdb) wrmsr(MSR_DEBUGCTL, 0);
}

/* §7.13: a plain CPUID (always intercepted and skipped by KVM) for gdb to stepi over. */
static void sc_cpuid(void) {
  u32 a = 0, b, c = 0, d;
  __asm__ volatile(".globl cpuid_insn\ncpuid_insn: cpuid\n" : "+a"(a), "=b"(b), "+c"(c), "=d"(d) : : "memory");
}

/* §7.3: single-step trap (BS), then, without the guest clearing DR6, a DR1 instruction breakpoint (B1). */
static void sc_tf_then_b1(void) {
  wr_dr1((u64)b1_insn);
  wr_dr7(0x400 | (1u << 2)); /* L1, execute, len 1 */
  __asm__ volatile("pushfq\n orq $0x100, (%%rsp)\n popfq\n nop\n .globl b1_insn\nb1_insn: nop\n" : : : "memory", "cc");
  wr_dr7(0x400);
}

int main(void) {
  idt_set_handler(VEC_DB, db_handler);
  idt_set_handler(VEC_BP, bp_handler);
  switch (scenario) {
    case 1: sc_buslock(); break;
    case 2: sc_tf(); break;
    case 3: sc_gd(); break;
    case 4: sc_codebp(); break;
    case 5: sc_movss(); break;
    case 6: sc_dr6zero(); break;
    case 7: sc_buslock(); sc_tf(); break;
    case 8: __asm__ volatile("int3"); break;
    case 9: dr6_readback = rd_dr6(); break;
    case 10: sc_cpuid(); break;
    case 11: sc_tf_then_b1(); break;
    default: break;
  }
  puts("dbchain done\n");
  return 0;
}
