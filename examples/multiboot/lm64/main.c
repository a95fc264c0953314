/* lm64: a Multiboot kernel that enters in 32-bit protected mode (start.S), switches to long mode and
 * exercises what hypervisor test kernels use on a QEMU PC: its own GDT with a TSS and an IDT,
 * exceptions with and without error codes, the 8259 PICs masked, the local APIC timer (one-shot and
 * periodic) waking HLT, the STI shadow, a self-IPI held back by the TPR, fw_cfg, a CPL3 round trip,
 * and x2APIC when CPUID offers it. The COM1 transcript is the same under qemu-system-x86_64 -kernel
 * and dbstub for the same -m/-append/-initrd (test/multiboot). Exits through isa-debug-exit. */
#include "../common/kernel.h"
#include "../common/expect.h"

/* ---- descriptors (SDM Vol. 3 3.4.5 (Segment Descriptors), 7.2.3 (TSS Descriptor in 64-bit mode)) ---- */
#define SEL_KERNEL_CODE 0x08
#define SEL_KERNEL_DATA 0x10
#define SEL_USER_DATA 0x1b
#define SEL_USER_CODE 0x23
#define SEL_TSS 0x28
#define SEL_KERNEL_CODE32 0x38
#define SEL_USER_CODE32 0x43
#define SEL_BEYOND_GDT 0x63 /* index 12 with RPL 3: past the GDT limit, so MOV to DS #GPs */
#define DESC_KERNEL_CODE64 0x00af9a000000ffffull
#define DESC_KERNEL_DATA 0x00cf92000000ffffull
#define DESC_USER_DATA 0x00cff2000000ffffull
#define DESC_USER_CODE64 0x00affa000000ffffull
#define DESC_KERNEL_CODE32 0x00cf9a000000ffffull /* L=0, D=1: compatibility mode */
#define DESC_USER_CODE32 0x00cffa000000ffffull
#define TSS_TYPE_AVAILABLE_64 0x9
#define DESC_PRESENT (1ull << 47)
#define GATE_TYPE_INTERRUPT_64 0xe
#define GATE_PRESENT 0x80
#define RFLAGS_IF (1u << 9)
#define RFLAGS_TF (1u << 8)
#define RFLAGS_DF (1u << 10)
/* SYSCALL/SYSRET (SDM Vol. 3 5.8.8): STAR[47:32] = kernel CS (SS = +8); STAR[63:48] = base for SYSRET
 * to 64-bit code: CS = base + 16, SS = base + 8 (RPL 3), i.e. 0x23 and 0x1b in this GDT. */
#define IA32_EFER 0xc0000080
#define EFER_SCE (1u << 0)
#define IA32_STAR 0xc0000081
#define IA32_LSTAR 0xc0000082
#define IA32_FMASK 0xc0000084
#define STAR_SYSRET_BASE 0x10
#define SYS_INSN_NR 2

enum { VEC_SYSCALL = 0x80 };
#define SYS_BACK_TO_KERNEL 1
#define USER_RESULT_MAGIC 0x5a5a

struct frame {
  u64 r15, r14, r13, r12, r11, r10, r9, r8, rbp, rdi, rsi, rdx, rcx, rbx, rax;
  u64 vector, error_code;
  u64 rip, cs, rflags, rsp, ss;
};

struct tss64 {
  u32 reserved0;
  u64 rsp[3];
  u64 reserved1;
  u64 ist[7];
  u64 reserved2;
  u16 reserved3, iomap_base;
} __attribute__((packed));

struct idt_gate {
  u16 offset_lo, selector;
  u8 ist, type_attr;
  u16 offset_mid;
  u32 offset_hi, reserved;
} __attribute__((packed));

static u64 gdt[9] __attribute__((aligned(16)));
static struct tss64 tss __attribute__((aligned(16)));
static struct idt_gate idt[256] __attribute__((aligned(16)));
static u8 isr_stack[16384] __attribute__((aligned(16)));
static u8 user_stack[8192] __attribute__((aligned(16)));

extern const u64 isr_vectors_0_31[32];
extern char isr_64[], isr_65[], isr_128[], isr_255[];
extern u64 enter_user(const void *entry, u64 user_rsp, u64 arg, u64 cs);
extern void compat_call(void);
extern char compat_user[];
extern char syscall_entry[], user_syscall_ret[];
extern volatile u32 compat_results[3]; /* DEC EAX result, bytes per PUSH, CS */
extern __attribute__((noreturn)) void resume_kernel(u64 value);

struct pseudo_desc {
  u16 limit;
  u64 base;
} __attribute__((packed));

static void set_gate(int vec, void *handler, int dpl) {
  uptr a = (uptr)handler;
  idt[vec] = (struct idt_gate){(u16)a, SEL_KERNEL_CODE, 0, (u8)(GATE_PRESENT | (dpl << 5) | GATE_TYPE_INTERRUPT_64),
                               (u16)(a >> 16), (u32)(a >> 32), 0};
}

static void setup_descriptors(void) {
  tss.rsp[0] = (uptr)(isr_stack + sizeof isr_stack);
  tss.iomap_base = sizeof tss; /* no I/O permission bitmap */
  uptr t = (uptr)&tss;
  u64 limit = sizeof tss - 1;
  gdt[0] = 0;
  gdt[1] = DESC_KERNEL_CODE64;
  gdt[2] = DESC_KERNEL_DATA;
  gdt[3] = DESC_USER_DATA;
  gdt[4] = DESC_USER_CODE64;
  gdt[5] = (limit & 0xffff) | ((u64)(t & 0xffffff) << 16) | ((u64)TSS_TYPE_AVAILABLE_64 << 40) | DESC_PRESENT |
           ((u64)((t >> 24) & 0xff) << 56);
  gdt[6] = t >> 32;
  gdt[7] = DESC_KERNEL_CODE32;
  gdt[8] = DESC_USER_CODE32;
  struct pseudo_desc g = {sizeof gdt - 1, (uptr)gdt};
  __asm__ volatile("lgdt %0\n\t"
                   "pushq %1\n\t"
                   "leaq 1f(%%rip), %%rax\n\t"
                   "pushq %%rax\n\t"
                   "lretq\n"
                   "1:\n\t"
                   "mov %2, %%eax\n\t"
                   "mov %%eax, %%ds\n\t"
                   "mov %%eax, %%es\n\t"
                   "mov %%eax, %%ss\n\t"
                   "ltr %w3"
                   :
                   : "m"(g), "i"(SEL_KERNEL_CODE), "i"(SEL_KERNEL_DATA), "r"(SEL_TSS)
                   : "rax", "memory");
  for (int v = 0; v < 32; v++) set_gate(v, (void *)(uptr)isr_vectors_0_31[v], v == VEC_BP ? 3 : 0);
  set_gate(TIMER_VECTOR, isr_64, 0);
  set_gate(IPI_VECTOR, isr_65, 0);
  set_gate(VEC_SYSCALL, isr_128, 3);
  set_gate(LAPIC_SPURIOUS_VECTOR, isr_255, 0);
  struct pseudo_desc i = {sizeof idt - 1, (uptr)idt};
  __asm__ volatile("lidt %0" : : "m"(i));
  u16 tr;
  __asm__ volatile("str %0" : "=r"(tr));
  puts("gdt: loaded, tr=");
  put_hex(tr);
  puts(" tss_busy=");
  put_dec(((gdt[5] >> 40) & 0xf) == 0xb); /* LTR marks the TSS descriptor busy (type 0xB) */
  puts("\nidt: loaded\n");
}

/* ---- interrupts and exceptions (common/expect.h: APIC vectors, exceptions we cause on purpose) ---- */
static void frame_fields(const void *frame) {
  const struct frame *f = frame;
  puts(" cpl=");
  put_dec(f->cs & 3);
  puts(" cs=");
  put_hex(f->cs);
  puts(" ss=");
  put_hex(f->ss);
}

void isr_dispatch(struct frame *f) {
  if (f->vector == VEC_SYSCALL) {
    puts("syscall: from cpl=");
    put_dec(f->cs & 3);
    puts(" cs=");
    put_hex(f->cs);
    puts(" ss=");
    put_hex(f->ss);
    puts(" rax=");
    put_hex(f->rax);
    puts("\n");
    if (f->rax == SYS_BACK_TO_KERNEL) resume_kernel(f->rdi);
    return;
  }
  f->rip = dispatch_vector(f->vector, f->error_code, f->rip, frame_fields, f);
}

extern char de_site[], de_end[], pf_site[], pf_end[];
#define UNMAPPED_4G 0x100000000ull /* PML4[0] -> PDPT[4]: not present, so a read #PFs with error code 0 */

static __attribute__((noinline, noclone)) void kernel_exceptions(void) {
  bp_ud_gp_exceptions(SEL_BEYOND_GDT, SEL_KERNEL_DATA);
  arm(VEC_DE, de_site, de_end);
  __asm__ volatile("xor %%edx, %%edx\n\tmov $1, %%eax\n\txor %%ecx, %%ecx\n"
                   ".globl de_site\nde_site: div %%ecx\n.globl de_end\nde_end:" ::: "rax", "rcx", "rdx", "memory");
  disarmed("#DE not taken");
  arm(VEC_PF, pf_site, pf_end);
  __asm__ volatile("mov %0, %%rcx\n.globl pf_site\npf_site: mov (%%rcx), %%eax\n.globl pf_end\npf_end:"
                   : : "r"(UNMAPPED_4G) : "rax", "rcx", "memory");
  disarmed("#PF not taken");
}

/* ---- CPL3 ---- */
extern char user_bp_after[], user_hlt_site[], user_hlt_end[];
static volatile u16 user_cs_seen;

static volatile u64 syscall_result;

/* SYSCALL from CPL3 lands here on the kernel stack (start.S syscall_entry). */
u64 syscall_insn(u64 nr, u64 arg, u64 user_rip, u64 user_rflags) {
  u16 cs;
  __asm__ volatile("mov %%cs, %0" : "=r"(cs));
  puts("syscall-insn: nr=");
  put_dec((u32)nr);
  puts(" arg=");
  put_hex(arg);
  puts(" cs=");
  put_hex(cs);
  puts(" rcx_is_return=");
  puts(user_rip == (uptr)user_syscall_ret ? "yes" : "no");
  puts(" r11=");
  put_hex(user_rflags);
  puts("\n");
  return arg * 2;
}

/* Runs at CPL3 (all pages are user-accessible): INT3 through a DPL3 gate, a privileged HLT (#GP(0)),
 * SYSCALL/SYSRETQ, then back to CPL0 with int $0x80. */
static __attribute__((noinline, noclone)) void user_main(u64 arg) {
  u16 cs;
  __asm__ volatile("mov %%cs, %0" : "=r"(cs));
  user_cs_seen = cs;
  __asm__ volatile("int3\n.globl user_bp_after\nuser_bp_after:\n\t"
                   ".globl user_hlt_site\nuser_hlt_site: hlt\n.globl user_hlt_end\nuser_hlt_end:" ::: "memory");
  u64 ret;
  __asm__ volatile("syscall\n.globl user_syscall_ret\nuser_syscall_ret:"
                   : "=a"(ret)
                   : "a"(SYS_INSN_NR), "D"(0x21ull)
                   : "rcx", "r11", "rsi", "rdx", "r8", "r9", "r10", "memory");
  syscall_result = ret;
  __asm__ volatile("int $0x80" : : "a"(SYS_BACK_TO_KERNEL), "D"(arg + 1) : "memory");
  for (;;) {}
}

static void cpl3_round_trip(void) {
  wrmsr(IA32_EFER, rdmsr(IA32_EFER) | EFER_SCE);
  wrmsr(IA32_STAR, ((u64)STAR_SYSRET_BASE << 48) | ((u64)SEL_KERNEL_CODE << 32));
  wrmsr(IA32_LSTAR, (uptr)syscall_entry);
  wrmsr(IA32_FMASK, RFLAGS_IF | RFLAGS_TF | RFLAGS_DF);
  arm(VEC_BP, user_bp_after, 0);
  arm(VEC_GP, user_hlt_site, user_hlt_end); /* HLT at CPL3: #GP(0) (SDM Vol. 2A HLT) */
  u64 r = enter_user(user_main, (uptr)(user_stack + sizeof user_stack), USER_RESULT_MAGIC, SEL_USER_CODE);
  puts("cpl3: back at cpl=");
  u16 cs;
  __asm__ volatile("mov %%cs, %0" : "=r"(cs));
  put_dec(cs & 3);
  puts(" user_cs=");
  put_hex(user_cs_seen);
  puts(" result=");
  put_hex(r);
  puts(" sysret_value=");
  put_hex(syscall_result);
  puts("\n");
  check(r == USER_RESULT_MAGIC + 1, "CPL3 round trip result");
  disarmed("CPL3 #BP/#GP not taken");
  /* 32-bit user code: the upper halves of the GPRs are undefined after compatibility mode (SDM Vol. 1
   * 3.4.1.1), so only the low 32 bits of the result count. */
  r = enter_user(compat_user, (uptr)(user_stack + sizeof user_stack), 0, SEL_USER_CODE32);
  puts("cpl3-compat: back at cpl=0 user_cs=");
  put_hex((u32)r);
  puts("\n");
}

static void compat_mode_test(void) {
  compat_call();
  u64 efer = rdmsr(0xc0000080);
  u16 cs;
  __asm__ volatile("mov %%cs, %0" : "=r"(cs));
  puts("compat: cs=");
  put_hex(compat_results[2]);
  puts(" dec_eax=");
  put_hex(compat_results[0]);
  puts(" push_bytes=");
  put_dec(compat_results[1]);
  puts(" back cs=");
  put_hex(cs);
  puts(" efer.lma=");
  put_dec((efer >> 10) & 1);
  puts("\n");
}

static void print_mode(void) {
  u64 cr0, cr4, efer = rdmsr(0xc0000080);
  u16 cs;
  __asm__ volatile("mov %%cr0, %0; mov %%cr4, %1; mov %%cs, %2" : "=r"(cr0), "=r"(cr4), "=r"(cs));
  puts("cpu: long mode efer.lme=");
  put_dec((efer >> 8) & 1);
  puts(" efer.lma=");
  put_dec((efer >> 10) & 1);
  puts(" cr0.pg=");
  put_dec((cr0 >> 31) & 1);
  puts(" cr4.pae=");
  put_dec((cr4 >> 5) & 1);
  puts(" cs=");
  put_hex(cs);
  puts("\n");
}

void kmain(u32 magic, u32 info) {
  serial_init();
  puts("lm64: 64-bit code running\n");
  print_mode();
  print_mb_info(magic, (const struct mb_info *)(uptr)info);
  setup_descriptors();
  kernel_exceptions();
  compat_mode_test();
  probe_unused_port();
  pic_mask_all();
  lapic_enable();
  lapic_timer_tests();
  sti_shadow_test();
  self_ipi_test();
  print_fw_cfg();
  cpl3_round_trip();
  x2apic_test();
  puts("spurious: ");
  put_dec(spurious_count);
  puts("\nlm64: done\n");
  debug_exit(EXIT_OK);
}
