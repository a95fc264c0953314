/* Guest scenarios for issue 19 (the #DB chain against upstream KVM and QEMU), chosen by the host through
 * `scenario` before the run. The #DB handler logs what the guest observes (RIP, DR6, DR7, RFLAGS) into
 * db_log[] (same layout as test/guest-src/kvm/dbchain, read through the ELF symbols by the tests). Scenario 5 is
 * the guest of the KVM selftest tools/testing/selftests/kvm/x86/debug_regs.c, rewritten for this runtime. */
#include "runtime.h"
#include "../db-log.h"

#define MSR_DEBUGCTL 0x1d9
#define MSR_APIC_BASE 0x1b
#define APIC_BASE_EXTD (1ull << 10) /* x2APIC mode (SDM Vol. 3A 11.12.1) */
#define APIC_BASE_EN (1ull << 11)
#define MSR_X2APIC_ICR 0x830
#define ICR_DEST_SELF (1u << 18)
#define ICR_LEVEL_ASSERT (1u << 14)
#define IRQ_VECTOR 0xaa
#define POST_PORT 0x80

volatile u64 scenario;
/* The handler writes to an I/O port: under KVM a port access is a VM exit to the VMM (KVM_EXIT_IO). */
volatile u64 db_io;
volatile u32 watched;
volatile u32 guest_value;
volatile u16 ss_probe = SEL_KERNEL_DATA;
volatile u8 lockbuf[192] __attribute__((aligned(64)));

extern char st1[], st2[], st3[], pre_ibp[], ibp_insn[], icebp_insn[];

static void db_handler(struct frame *f) {
  u64 dr6 = rd_dr6();
  u64 n = db_record(f, dr6);
  if (db_io) outb(POST_PORT, (u8)n);
  db_resume(f, dr6, n);
}

static inline u64 rdmsr(u32 msr) {
  u32 lo, hi;
  __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
  return ((u64)hi << 32) | lo;
}

/* Issue 19 deviation 2(a): three stores to a word the guest watches with DR0 (write, 4 bytes). */
static void sc_watch3(void) {
  wr_dr0((u64)&watched);
  wr_dr7(0x401 | (1u << 16) | (3u << 18)); /* L0, R/W=01 write, LEN=11 (4 bytes) */
  __asm__ volatile(
      ".globl st1\nst1: movl $1, watched(%%rip)\n"
      ".globl st2\nst2: movl $2, watched(%%rip)\n"
      ".globl st3\nst3: movl $3, watched(%%rip)\n"
      "nop\n" : : : "memory");
  wr_dr7(0x400);
}

/* Deviation 2(b): the guest's own DR0 execute breakpoint on ibp_insn. */
static void sc_ibp(void) {
  wr_dr0((u64)ibp_insn);
  wr_dr7(0x401); /* L0, execute */
  __asm__ volatile(".globl pre_ibp\npre_ibp: nop\n.globl ibp_insn\nibp_insn: nop\nnop\n" : : : "memory");
  wr_dr7(0x400);
}

static u64 user_split_lock(u64 arg) {
  (void)arg;
  __asm__ volatile(".globl up_buslock_insn\nup_buslock_insn: lock incl (%0)\n nop\n" : : "r"(&lockbuf[62]) : "memory");
  return 0;
}

/* Deviation 3: a bus lock (#DB, BLD=0 in DR6), then a single-step, with DEBUGCTL.BLCKDB kept on in between
 * (no WRMSR exit) so the only VM exit between the two #DBs is whatever the handler causes (db_io). */
static void sc_buslock_tf(void) {
  wrmsr(MSR_DEBUGCTL, 1u << 2); /* BUS_LOCK_DETECT / BLCKDB */
  run_at_cpl3(user_split_lock, 0);
  __asm__ volatile("pushfq\n orq $0x100, (%%rsp)\n popfq\n .globl up_tf_insn\nup_tf_insn: nop\n nop\n" : : : "memory", "cc");
  wrmsr(MSR_DEBUGCTL, 0);
}

/* Deviation 4 (seed 003, ICEBP variant): DR0 watches the MOV SS operand, TF set, MOV SS, then ICEBP. */
static void sc_icebp_movss(void) {
  wr_dr0((u64)&ss_probe);
  wr_dr7(0x401 | (3u << 16) | (1u << 18)); /* L0, R/W=11, LEN=01 (2 bytes) */
  __asm__ volatile(
      "pushfq\n orq $0x100, (%%rsp)\n popfq\n"
      "movw (%0), %%ss\n"
      ".globl icebp_insn\nicebp_insn: .byte 0xf1\n"
      "nop\n"
      : : "r"(&ss_probe) : "memory", "cc");
  wr_dr7(0x400);
}

/* The guest of debug_regs.c: a pending self-IPI (held back by KVM_GUESTDBG_BLOCKIRQ while single-stepping),
 * INT3, an instruction, a 4-byte store, the single-step run over STI/XOR/CPUID/MOV/WRMSR/CLI (the WRMSR writes
 * IA32_TSC_DEADLINE with CPUID leaf 0's EDX:EAX, which KVM takes in its exit fastpath; the LVT timer is not in
 * TSC-deadline mode, so the LAPIC ignores the value), and a MOV from DR0. */
static void sc_selftest(void) {
  wrmsr(MSR_APIC_BASE, rdmsr(MSR_APIC_BASE) | APIC_BASE_EN | APIC_BASE_EXTD);
  wrmsr(MSR_X2APIC_ICR, ICR_DEST_SELF | ICR_LEVEL_ASSERT | IRQ_VECTOR);
  __asm__ volatile(".globl sw_bp\nsw_bp: int3\n");
  __asm__ volatile(".globl hw_bp\nhw_bp: nop\n");
  __asm__ volatile("mov $1234, %%rax\n mov %%rax, guest_value(%%rip)\n.globl write_data\nwrite_data:\n" : : : "rax", "memory");
  __asm__ volatile(
      ".globl ss_start\nss_start: sti\n"
      "xor %%eax, %%eax\n"
      "cpuid\n"
      "movl $0x6e0, %%ecx\n"
      "wrmsr\n"
      "cli\n"
      : : : "eax", "ebx", "ecx", "edx");
  __asm__ volatile(".globl bd_start\nbd_start: mov %%dr0, %%rax\n" : : : "rax");
}

int main(void) {
  idt_set_handler(VEC_DB, db_handler);
  switch (scenario) {
    case 1: sc_watch3(); break;
    case 2: sc_ibp(); break;
    case 3: sc_buslock_tf(); break;
    case 4: sc_icebp_movss(); break;
    case 5: sc_selftest(); break;
    default: break;
  }
  puts("upstream done\n");
  return 0;
}
