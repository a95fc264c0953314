/* What the KVM model offers a guest beyond the CPU (issue 16): the hypervisor bit CPUID.1:ECX[31], KVM's
 * leaves 0x40000000 (max leaf, "KVMKVMKVM\0\0\0") and 0x40000001 (features), and kvm-clock: writing the guest
 * physical address of a struct pvclock_wall_clock to MSR_KVM_WALL_CLOCK_NEW and of a struct
 * pvclock_vcpu_time_info (| 1, enable) to MSR_KVM_SYSTEM_TIME_NEW makes KVM fill them (Linux x86.c
 * kvm_write_wall_clock, kvm_guest_time_update). Bare mode: no hypervisor, the MSRs #GP.
 * test/cpu/features/kvmclock.test.ts decides per mode; the guest prints what it reads. */
#include "runtime.h"

#define MSR_KVM_WALL_CLOCK_NEW 0x4b564d00
#define MSR_KVM_SYSTEM_TIME_NEW 0x4b564d01

struct pvclock_vcpu_time_info {
  u32 version, pad0;
  u64 tsc_timestamp, system_time;
  u32 tsc_to_system_mul;
  signed char tsc_shift;
  u8 flags, pad[2];
} __attribute__((packed));
struct pvclock_wall_clock { u32 version, sec, nsec; } __attribute__((packed));

/* volatile: KVM writes them behind the compiler's back (the WRMSR asm has no memory operand). */
static volatile struct pvclock_vcpu_time_info ti __attribute__((aligned(64)));
static volatile struct pvclock_wall_clock wc __attribute__((aligned(16)));
static volatile int gp;
static void on_gp(struct frame *f) { gp = 1; f->rip += 2; } /* WRMSR / RDMSR are 2 bytes */

static void cpuid(u32 leaf, u32 *a, u32 *b, u32 *c, u32 *d) {
  __asm__ volatile("cpuid" : "=a"(*a), "=b"(*b), "=c"(*c), "=d"(*d) : "a"(leaf), "c"(0));
}
static u64 rdtsc(void) { u32 lo, hi; __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi)); return ((u64)hi << 32) | lo; }
static u64 rdmsr(u32 msr) { u32 lo = 0, hi = 0; __asm__ volatile("rdmsr" : "+a"(lo), "+d"(hi) : "c"(msr)); return ((u64)hi << 32) | lo; }
static void line(const char *name, u64 v) { puts(name); putc(' '); put_hex(v); putc('\n'); }
static void str(const char *name, u32 r) { puts(name); putc(' '); for (int i = 0; i < 4; i++) putc((char)(r >> (8 * i)) ? (char)(r >> (8 * i)) : '.'); putc('\n'); }

int main(void) {
  idt_set_handler(VEC_GP, on_gp);
  u32 a, b, c, d;
  cpuid(1, &a, &b, &c, &d);
  line("hypervisor-bit", c >> 31);
  cpuid(0x40000000, &a, &b, &c, &d);
  line("kvm-max-leaf", a); str("sig0", b); str("sig1", c); str("sig2", d);
  cpuid(0x40000001, &a, &b, &c, &d);
  line("kvm-features", a);

  wc.version = 7; /* odd: "random junk" KVM rounds up before counting */
  gp = 0;
  wrmsr(MSR_KVM_WALL_CLOCK_NEW, (u64)&wc);
  if (gp) { puts("wall-clock gp\n"); return 0; }
  line("wc-version", wc.version); line("wc-sec", wc.sec); line("wc-nsec", wc.nsec);
  line("wc-msr", rdmsr(MSR_KVM_WALL_CLOCK_NEW) == (u64)&wc);

  ti.version = 4; ti.flags = 0;
  u64 before = rdtsc();
  wrmsr(MSR_KVM_SYSTEM_TIME_NEW, (u64)&ti | 1);
  u64 after = rdtsc();
  line("ti-version", ti.version);
  line("ti-mul", ti.tsc_to_system_mul); line("ti-shift", (u64)(i64)ti.tsc_shift); line("ti-flags", ti.flags);
  line("ti-tsc-in-window", before <= ti.tsc_timestamp && ti.tsc_timestamp <= after);
  /* kvmclock and the TSC count the same nanoseconds from the same start: equal at the update. */
  line("ti-system-minus-tsc", ti.system_time - ti.tsc_timestamp);
  line("st-msr", rdmsr(MSR_KVM_SYSTEM_TIME_NEW) == ((u64)&ti | 1));
  /* Disabling (bit 0 clear) leaves the structure alone. */
  ti.version = 100;
  wrmsr(MSR_KVM_SYSTEM_TIME_NEW, (u64)&ti);
  line("ti-after-disable", ti.version);
  return 0;
}
