/* Exceptions a Multiboot example kernel causes on purpose, and the interrupt vectors lm64 and pm32 handle
 * alike. Include after kernel.h. Each kernel keeps its own frame layout (pushed by its start.S) and passes
 * the fields this code needs; the COM1 lines name the instruction pointer after the mode's register
 * (rip in 64-bit mode, eip in 32-bit mode). */
#ifndef MB_EXPECT_H
#define MB_EXPECT_H

#include "kernel.h"

/* Exception vectors (SDM Vol. 3 Table 6-1). */
enum { VEC_DE = 0, VEC_BP = 3, VEC_UD = 6, VEC_GP = 13, VEC_PF = 14 };

#if defined(__x86_64__)
#define IP_REG_NAME "rip"
#else
#define IP_REG_NAME "eip"
#endif

/* Armed exceptions: the vector, the instruction pointer the frame must report (the faulting instruction
 * for a fault, the next one for a trap such as #BP; SDM Vol. 3 6.5), and where to resume (0: return to
 * the reported instruction pointer). A queue: several can be armed in a row (CPL3: #BP then #GP). */
static volatile struct expected {
  uptr vector, ip, resume;
} expect_q[4];
static volatile u32 expect_head, expect_tail;
#define expect (expect_q[expect_head % 4])

static void arm(uptr vector, void *ip, void *resume) {
  volatile struct expected *e = &expect_q[expect_tail % 4];
  e->vector = vector;
  e->ip = (uptr)ip;
  e->resume = (uptr)resume;
  expect_tail++;
}
static void disarmed(const char *what) { check(expect_head == expect_tail, what); }

/* One interrupt or exception as the kernel's isr_dispatch received it; `frame_fields` prints the
 * kernel's own fields of the "exc:" line (between error= and cr2=). Handles the local APIC vectors and
 * the armed exceptions and returns the instruction pointer to return to; anything else fails the run. */
static uptr dispatch_vector(uptr vector, uptr error_code, uptr ip, void (*frame_fields)(const void *frame),
                            const void *frame) {
  switch (vector) {
  case TIMER_VECTOR:
    timer_interrupt(ip);
    return ip;
  case IPI_VECTOR:
    ipi_count++;
    lapic_eoi();
    return ip;
  case LAPIC_SPURIOUS_VECTOR:
    spurious_count++; /* no EOI for the spurious vector (SDM Vol. 3 11.9) */
    return ip;
  }
  if (expect_head != expect_tail && vector == expect.vector) {
    uptr cr2;
    __asm__ volatile("mov %%cr2, %0" : "=r"(cr2));
    puts("exc: vector=");
    put_dec((u32)vector);
    puts(" error=");
    put_hex(error_code);
    frame_fields(frame);
    if (vector == VEC_PF) {
      puts(" cr2=");
      put_hex(cr2);
    }
    puts(" " IP_REG_NAME "_as_expected=");
    puts(ip == expect.ip ? "yes" : "no");
    puts("\n");
    if (expect.resume) ip = expect.resume;
    expect_head++;
    return ip;
  }
  puts("unexpected exception: vector=");
  put_dec((u32)vector);
  puts(" error=");
  put_hex(error_code);
  puts(" " IP_REG_NAME "=");
  put_hex(ip);
  puts("\n");
  fail("unexpected exception");
}

/* #BP, #UD and #GP, each armed, raised and checked taken: INT3 is a trap (the frame reports the next
 * instruction), UD2 and the MOV to DS of a selector past the GDT limit are faults (the frame reports the
 * instruction; SDM Vol. 3 6.5, 6.15 "Interrupt 13"). `data_sel` is reloaded into DS afterwards. */
extern char bp_after[], ud_site[], ud_end[], gp_site[], gp_end[];
static __attribute__((noinline, noclone)) void bp_ud_gp_exceptions(u32 sel_beyond_gdt, u32 data_sel) {
  arm(VEC_BP, bp_after, 0);
  __asm__ volatile("int3\n.globl bp_after\nbp_after:" ::: "memory");
  disarmed("#BP not taken");
  arm(VEC_UD, ud_site, ud_end);
  __asm__ volatile(".globl ud_site\nud_site: ud2\n.globl ud_end\nud_end:" ::: "memory");
  disarmed("#UD not taken");
  arm(VEC_GP, gp_site, gp_end);
  __asm__ volatile("mov %0, %%eax\n.globl gp_site\ngp_site: mov %%eax, %%ds\n.globl gp_end\ngp_end:\n\t"
                   "mov %1, %%eax\n\tmov %%eax, %%ds"
                   : : "r"(sel_beyond_gdt), "r"(data_sel) : "eax", "memory");
  disarmed("#GP not taken");
}

#endif
