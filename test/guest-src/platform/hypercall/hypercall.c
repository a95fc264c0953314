/* KVM hypercalls (kvm mode) and VMCALL/VMMCALL #UD (bare mode): the vendor's own instruction (VMCALL on
 * Intel, VMMCALL on AMD) with RAX = nr and RBX/RCX/RDX/RSI = a0-a3, the result in RAX (Linux
 * kvm_emulate_hypercall); the other vendor's instruction is rewritten by KVM to the native one
 * (kvm_fix_hypercall) and then runs. Each probe prints "name value" or "name ud";
 * test/cpu/features/hypercall.test.ts decides per mode and vendor. */
#include "runtime.h"

#define KVM_HC_VAPIC_POLL_IRQ 1
#define KVM_HC_CLOCK_PAIRING 9
#define KVM_HC_SEND_IPI 10
#define APIC 0xfee00000ul
#define APIC_SVR 0xf0
#define APIC_EOI 0xb0

static volatile int ud;
static volatile u32 ipi_hits;
static void on_ud(struct frame *f) { ud = 1; f->rip += 3; }
static void on_ipi(struct frame *f) { (void)f; ipi_hits++; *(volatile u32 *)(APIC + APIC_EOI) = 0; }
static int intel;

extern const u8 foreign_vmmcall[], foreign_vmcall[];

static u64 hc(u64 nr, u64 a0, u64 a1, u64 a2, u64 a3) {
  u64 ret = nr;
  if (intel) __asm__ volatile("vmcall" : "+a"(ret) : "b"(a0), "c"(a1), "d"(a2), "S"(a3) : "memory");
  else __asm__ volatile("vmmcall" : "+a"(ret) : "b"(a0), "c"(a1), "d"(a2), "S"(a3) : "memory");
  return ret;
}
static void probe(const char *name, u64 nr, u64 a0, u64 a1, u64 a2, u64 a3) {
  ud = 0;
  u64 r = hc(nr, a0, a1, a2, a3);
  puts(name); putc(' ');
  if (ud) puts("ud"); else put_hex(r);
  putc('\n');
}
static u64 user_hc(u64 arg) { (void)arg; ud = 0; u64 r = hc(KVM_HC_VAPIC_POLL_IRQ, 0, 0, 0, 0); return ud ? 0xdd : r; }

int main(void) {
  idt_set_handler(VEC_UD, on_ud);
  idt_set_handler(0x40, on_ipi);
  u32 a, b, c, d;
  __asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(0));
  intel = b == 0x756e6547; /* "Genu" */
  outb(0x21, 0xff); outb(0xa1, 0xff);
  *(volatile u32 *)(APIC + APIC_SVR) = 0x1ff;

  probe("vapic-poll-irq", KVM_HC_VAPIC_POLL_IRQ, 0, 0, 0, 0);
  probe("unknown", 99, 0, 0, 0, 0);
  probe("clock-pairing", KVM_HC_CLOCK_PAIRING, 0, 0, 0, 0);
  probe("send-ipi-nobody", KVM_HC_SEND_IPI, 0xffffffff, 0, 0xffffffff, 0);
  probe("send-ipi-logical", KVM_HC_SEND_IPI, 1, 0, 0, 0x840);
  probe("send-ipi-self", KVM_HC_SEND_IPI, 1, 0, 0, 0x40);
  __asm__ volatile("sti; nop; cli");
  puts("ipi-hits "); put_hex(ipi_hits); putc('\n');
  puts("cpl3 "); put_hex(run_at_cpl3(user_hc, 0)); putc('\n');

  /* The other vendor's instruction. */
  ud = 0;
  u64 ret = KVM_HC_VAPIC_POLL_IRQ;
  if (intel) __asm__ volatile(".globl foreign_vmmcall\nforeign_vmmcall: vmmcall" : "+a"(ret) : : "memory");
  else __asm__ volatile(".globl foreign_vmcall\nforeign_vmcall: vmcall" : "+a"(ret) : : "memory");
  puts("foreign "); if (ud) puts("ud"); else put_hex(ret); putc('\n');
  puts("foreign-site "); put_hex(intel ? foreign_vmmcall[2] : foreign_vmcall[2]); putc('\n');
  puts("done\n");
  return 0;
}
