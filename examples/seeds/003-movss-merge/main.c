/* Seed 003 (KVM/VMX "Merge pending debug causes when vectoring #DB"): DR0 watches the MOV SS operand, TF
 * is set, then `mov (mem),%ss; cpuid`. The MOV-SS shadow holds the B0 trap; CPUID exits to KVM on VMX and
 * KVM queues a single-step #DB. Silicon gives DR6 = BS|B0 (0xffff4ff1); KVM without the patch loses B0
 * (0xffff4ff0). docs/semantics.md §6, §7.15. */
#include "../seed.h"

extern char movss_insn[], cpuid_insn[], cpuid_end[], movss2_insn[], icebp_insn[], icebp_end[];
volatile u16 ss_probe = SEL_KERNEL_DATA;
/* 1 (set by `dbstub seed 003`): the seed's other intercepted instruction, ICEBP (INT1), instead of CPUID. */
volatile u64 seed003_variant;

int main(void) {
  u32 a = 0, b, c = 0, d;
  seed_init();
  wr_dr0((u64)&ss_probe);
  wr_dr7(0x401 | (3u << 16) | (1u << 18)); /* L0, R/W0=11 (read/write), LEN0=01 (2 bytes) */
  if (seed003_variant == 1) {
    seed_label("icebp_insn", icebp_insn, icebp_end);
    puts("003: DR0 watches the MOV SS operand, TF=1, mov (mem),%ss; icebp\n");
    __asm__ volatile(
        "pushfq\n orq $0x100, (%%rsp)\n popfq\n"
        ".globl movss2_insn\nmovss2_insn: movw (%0), %%ss\n"
        ".globl icebp_insn\nicebp_insn: .byte 0xf1\n"
        ".globl icebp_end\nicebp_end: nop\n"
        : : "r"(&ss_probe) : "memory", "cc");
    wr_dr7(0x400);
    seed_done();
    return 0;
  }
  seed_label("movss_insn", movss_insn, cpuid_insn);
  seed_label("cpuid_insn", cpuid_insn, cpuid_end);
  puts("003: DR0 watches the MOV SS operand, TF=1, mov (mem),%ss; cpuid\n");
  __asm__ volatile(
      "pushfq\n orq $0x100, (%%rsp)\n popfq\n"
      ".globl movss_insn\nmovss_insn: movw (%4), %%ss\n"
      ".globl cpuid_insn\ncpuid_insn: cpuid\n"
      ".globl cpuid_end\ncpuid_end: nop\n"
      : "+a"(a), "=b"(b), "+c"(c), "=d"(d)
      : "r"(&ss_probe)
      : "memory", "cc");
  wr_dr7(0x400);
  seed_done();
  return 0;
}
