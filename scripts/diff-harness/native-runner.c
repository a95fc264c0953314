/*
 * Native side of the CPU differential test (test/cpu/differential).
 *
 * Reads a batch of test cases from stdin, runs each one directly on the host CPU and writes one
 * result record per case to stdout. The record layouts are mirrored in scripts/diff-harness/native.ts
 * (keep the two in sync; the magic number carries a layout version).
 *
 * Address space shared with the simulated side (scripts/diff-harness/sim.ts), all fixed mappings:
 *   SCRATCH_MAP   two data pages the snippets may address; the last WINDOW bytes (at SCRATCH_ADDR)
 *                 are filled from a splitmix64 stream seeded per case and returned after the run;
 *                 the page after them is unmapped, so page-crossing accesses fault.
 *   CODE_ADDR     the snippet itself, so RIP-relative forms and fault RIPs agree with the simulator.
 *   STATE_ADDR    (native only) register images and the trampoline's bookkeeping.
 *
 * A snippet runs with all 16 GPRs (RSP included) and the arithmetic flags + DF loaded from the case.
 * Exceptions arrive as signals on an alternate stack (the snippet's RSP may be anything); the
 * kernel's sigcontext gives the architectural vector (trapno), error code, RIP, RFLAGS and GPRs
 * at the fault, which is what the simulator's IDT handler sees too.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <ucontext.h>
#include <asm/ldt.h>
#include <sys/syscall.h>
#include <unistd.h>

#define SCRATCH_MAP_BASE 0x100000
#define SCRATCH_MAP 0x2000UL
#define SCRATCH_ADDR 0x101e00
#define WINDOW 0x200
#define CODE_ADDR 0x200000
#define CODE_MAP 0x1000UL
#define STATE_ADDR 0x300000
#define MAX_CODE 64
#define MAGIC 0x44494635u /* "DIF5" */

/* Offsets inside the state page; the trampoline below uses them as absolute addresses. */
#define ST_IN_GPR 0x000    /* 16 x u64 */
#define ST_IN_FLAGS 0x080  /* u64 */
#define ST_OUT_GPR 0x100   /* 16 x u64 */
#define ST_OUT_FLAGS 0x180 /* u64 */
#define ST_SAVED_RSP 0x188
#define ST_JMP_TARGET 0x190
#define ST_RET_TARGET 0x198
#define ST_FAR_PTR 0x1a0 /* m16:32 far pointer CODE_ADDR:USER32_CS for the switch to compatibility mode */
#define ST_IN_MXCSR 0x1b0  /* u32 */
#define ST_OUT_MXCSR 0x1b4 /* u32 */
#define ST_HOST_MXCSR 0x1b8 /* u32: 0x1f80, reloaded before C code runs again */
#define ST_IN_XMM 0x200  /* 16 x 16 bytes */
#define ST_OUT_XMM 0x300 /* 16 x 16 bytes */

/* Compatibility mode (argv[1] == "--compat32"): the snippet runs in Linux's 32-bit user code segment,
 * i.e. IA-32e compatibility mode (SDM Vol. 3 2.2, 5.2.1). Entered from 64-bit code by a far JMP through
 * ST_FAR_PTR (stub at CODE_ADDR + COMPAT_ENTRY), left by `ljmp $USER_CS, $CODE_ADDR + COMPAT_EXIT`
 * appended to the snippet, where 64-bit code continues to snippet_return. DS/ES hold the flat user data
 * selector so 32-bit data accesses see a usable flat segment, as in a 32-bit process. */
#define USER32_CS 0x23
#define USER_CS 0x33
#define USER_DS 0x2b
#define COMPAT_EXIT 0xc0
#define COMPAT_ENTRY 0xe0
/* 16-bit code ("--code16"): an LDT code segment with base CODE_ADDR, limit 0xFFFF and D=0
 * (modify_ldt), entered at IP 0 the same way; the snippet leaves with `66 EA` (ljmpl $USER_CS, ...). */
#define CODE16_SEL 0x07 /* LDT entry 0, RPL 3 */
/* 16-bit stack ("--ss16", with 32-bit code or with --code16): SS is an LDT data segment with base SCRATCH_MAP_BASE,
 * limit 0xFFFF and B=0 while the snippet runs, so pushes and pops move SP (not ESP) and address
 * SCRATCH_MAP_BASE + SP. Loaded by the 64-bit entry stub from ST_SS_RUN (MOV SS, m16), restored from
 * ST_SS_USER on the way out (a fault's signal delivery gives the handler the flat user SS anyway). */
#define SS16_SEL 0x0f /* LDT entry 1, RPL 3 */
#define ST_SS_RUN 0x1a8
#define ST_SS_USER 0x1aa

struct in_rec {
  uint64_t gpr[16];
  uint64_t rflags;
  uint64_t mem_seed;
  uint32_t code_len;
  uint16_t patch_off; /* window bytes [patch_off, patch_off + patch_len) replaced after the fill */
  uint16_t patch_len;
  uint8_t patch[8];
  uint8_t code[MAX_CODE];
  uint8_t xmm[256]; /* XMM0-15 loaded before the snippet */
  uint32_t mxcsr;
  uint32_t pad[3];
};

struct out_rec {
  uint64_t gpr[16];
  uint64_t rflags;
  uint64_t rip;    /* fault RIP, or CODE_ADDR + code_len when the snippet completed */
  int32_t vector;  /* -1: completed; -3: timed out; otherwise the exception vector (sigcontext trapno) */
  uint32_t error_code;
  uint64_t cr2; /* si_addr of a #PF */
  uint8_t mem[WINDOW];
  uint8_t xmm[256]; /* XMM0-15 after the snippet, or at the fault (the signal frame's FXSAVE image) */
  uint32_t mxcsr;
  uint32_t pad[3];
};

_Static_assert(sizeof(struct in_rec) == 496, "in_rec layout");
_Static_assert(sizeof(struct out_rec) == 944, "out_rec layout");

/* The trampoline: save callee-saved registers and the C stack pointer, load the guest image,
 * jump to the snippet; the snippet ends with `jmp *ST_RET_TARGET`, which lands on snippet_return.
 * Absolute 32-bit addressing (no base register) keeps it independent of every GPR. */
#define S_(x) #x
#define S(x) S_(x)
#define ST(off) S(STATE_ADDR) "+" S(off)
__asm__(
    ".text\n"
    ".globl run_snippet\n"
    "run_snippet:\n"
    "  push %rbx\n push %rbp\n push %r12\n push %r13\n push %r14\n push %r15\n"
    "  movq %rsp, " ST(ST_SAVED_RSP) "\n"
    "  pushq " ST(ST_IN_FLAGS) "\n"
    "  popfq\n"
    "  movdqu " ST(ST_IN_XMM + 0x0) ", %xmm0\n"
    "  movdqu " ST(ST_IN_XMM + 0x10) ", %xmm1\n"
    "  movdqu " ST(ST_IN_XMM + 0x20) ", %xmm2\n"
    "  movdqu " ST(ST_IN_XMM + 0x30) ", %xmm3\n"
    "  movdqu " ST(ST_IN_XMM + 0x40) ", %xmm4\n"
    "  movdqu " ST(ST_IN_XMM + 0x50) ", %xmm5\n"
    "  movdqu " ST(ST_IN_XMM + 0x60) ", %xmm6\n"
    "  movdqu " ST(ST_IN_XMM + 0x70) ", %xmm7\n"
    "  movdqu " ST(ST_IN_XMM + 0x80) ", %xmm8\n"
    "  movdqu " ST(ST_IN_XMM + 0x90) ", %xmm9\n"
    "  movdqu " ST(ST_IN_XMM + 0xa0) ", %xmm10\n"
    "  movdqu " ST(ST_IN_XMM + 0xb0) ", %xmm11\n"
    "  movdqu " ST(ST_IN_XMM + 0xc0) ", %xmm12\n"
    "  movdqu " ST(ST_IN_XMM + 0xd0) ", %xmm13\n"
    "  movdqu " ST(ST_IN_XMM + 0xe0) ", %xmm14\n"
    "  movdqu " ST(ST_IN_XMM + 0xf0) ", %xmm15\n"
    "  ldmxcsr " ST(ST_IN_MXCSR) "\n"
    "  movq " ST(ST_IN_GPR + 0x00) ", %rax\n"
    "  movq " ST(ST_IN_GPR + 0x08) ", %rcx\n"
    "  movq " ST(ST_IN_GPR + 0x10) ", %rdx\n"
    "  movq " ST(ST_IN_GPR + 0x18) ", %rbx\n"
    "  movq " ST(ST_IN_GPR + 0x28) ", %rbp\n"
    "  movq " ST(ST_IN_GPR + 0x30) ", %rsi\n"
    "  movq " ST(ST_IN_GPR + 0x38) ", %rdi\n"
    "  movq " ST(ST_IN_GPR + 0x40) ", %r8\n"
    "  movq " ST(ST_IN_GPR + 0x48) ", %r9\n"
    "  movq " ST(ST_IN_GPR + 0x50) ", %r10\n"
    "  movq " ST(ST_IN_GPR + 0x58) ", %r11\n"
    "  movq " ST(ST_IN_GPR + 0x60) ", %r12\n"
    "  movq " ST(ST_IN_GPR + 0x68) ", %r13\n"
    "  movq " ST(ST_IN_GPR + 0x70) ", %r14\n"
    "  movq " ST(ST_IN_GPR + 0x78) ", %r15\n"
    "  movq " ST(ST_IN_GPR + 0x20) ", %rsp\n"
    "  jmp *" ST(ST_JMP_TARGET) "\n"
    ".globl snippet_return\n"
    "snippet_return:\n"
    "  movq %rax, " ST(ST_OUT_GPR + 0x00) "\n"
    "  movq %rcx, " ST(ST_OUT_GPR + 0x08) "\n"
    "  movq %rdx, " ST(ST_OUT_GPR + 0x10) "\n"
    "  movq %rbx, " ST(ST_OUT_GPR + 0x18) "\n"
    "  movq %rsp, " ST(ST_OUT_GPR + 0x20) "\n"
    "  movq %rbp, " ST(ST_OUT_GPR + 0x28) "\n"
    "  movq %rsi, " ST(ST_OUT_GPR + 0x30) "\n"
    "  movq %rdi, " ST(ST_OUT_GPR + 0x38) "\n"
    "  movq %r8, " ST(ST_OUT_GPR + 0x40) "\n"
    "  movq %r9, " ST(ST_OUT_GPR + 0x48) "\n"
    "  movq %r10, " ST(ST_OUT_GPR + 0x50) "\n"
    "  movq %r11, " ST(ST_OUT_GPR + 0x58) "\n"
    "  movq %r12, " ST(ST_OUT_GPR + 0x60) "\n"
    "  movq %r13, " ST(ST_OUT_GPR + 0x68) "\n"
    "  movq %r14, " ST(ST_OUT_GPR + 0x70) "\n"
    "  movq %r15, " ST(ST_OUT_GPR + 0x78) "\n"
    "  stmxcsr " ST(ST_OUT_MXCSR) "\n"
    "  movdqu %xmm0, " ST(ST_OUT_XMM + 0x0) "\n"
    "  movdqu %xmm1, " ST(ST_OUT_XMM + 0x10) "\n"
    "  movdqu %xmm2, " ST(ST_OUT_XMM + 0x20) "\n"
    "  movdqu %xmm3, " ST(ST_OUT_XMM + 0x30) "\n"
    "  movdqu %xmm4, " ST(ST_OUT_XMM + 0x40) "\n"
    "  movdqu %xmm5, " ST(ST_OUT_XMM + 0x50) "\n"
    "  movdqu %xmm6, " ST(ST_OUT_XMM + 0x60) "\n"
    "  movdqu %xmm7, " ST(ST_OUT_XMM + 0x70) "\n"
    "  movdqu %xmm8, " ST(ST_OUT_XMM + 0x80) "\n"
    "  movdqu %xmm9, " ST(ST_OUT_XMM + 0x90) "\n"
    "  movdqu %xmm10, " ST(ST_OUT_XMM + 0xa0) "\n"
    "  movdqu %xmm11, " ST(ST_OUT_XMM + 0xb0) "\n"
    "  movdqu %xmm12, " ST(ST_OUT_XMM + 0xc0) "\n"
    "  movdqu %xmm13, " ST(ST_OUT_XMM + 0xd0) "\n"
    "  movdqu %xmm14, " ST(ST_OUT_XMM + 0xe0) "\n"
    "  movdqu %xmm15, " ST(ST_OUT_XMM + 0xf0) "\n"
    "  ldmxcsr " ST(ST_HOST_MXCSR) "\n"
    "  movq " ST(ST_SAVED_RSP) ", %rsp\n"
    "  pushfq\n"
    "  popq " ST(ST_OUT_FLAGS) "\n"
    "  cld\n" /* the SysV ABI wants DF=0 on return */
    "  pushq $0x202\n popfq\n" /* and no AC/TF left over from a snippet's POPF (16-bit code can pop a high word) */
    "  pop %r15\n pop %r14\n pop %r13\n pop %r12\n pop %rbp\n pop %rbx\n"
    "  ret\n");

extern void run_snippet(void);
extern char snippet_return[];

static sigjmp_buf fault_jmp;
static volatile sig_atomic_t in_snippet;
static struct out_rec *cur_out;

/* Linux sigcontext order differs from the encoding order; map encoding index -> REG_*. */
static const int greg_index[16] = {REG_RAX, REG_RCX, REG_RDX, REG_RBX, REG_RSP, REG_RBP, REG_RSI, REG_RDI,
                                   REG_R8,  REG_R9,  REG_R10, REG_R11, REG_R12, REG_R13, REG_R14, REG_R15};

static void on_fault(int sig, siginfo_t *si, void *ucv) {
  if (!in_snippet) {
    signal(sig, SIG_DFL);
    raise(sig);
    return;
  }
  ucontext_t *uc = (ucontext_t *)ucv;
  greg_t *g = uc->uc_mcontext.gregs;
  if (sig == SIGALRM) {
    /* A snippet that loops (a generator bug or a long REP) is reported, not fatal. */
    cur_out->vector = -3;
    in_snippet = 0;
    siglongjmp(fault_jmp, 1);
  }
  for (int i = 0; i < 16; i++) cur_out->gpr[i] = (uint64_t)g[greg_index[i]];
  cur_out->rflags = (uint64_t)g[REG_EFL];
  cur_out->rip = (uint64_t)g[REG_RIP];
  cur_out->vector = (int32_t)g[REG_TRAPNO];
  cur_out->error_code = (uint32_t)g[REG_ERR];
  cur_out->cr2 = cur_out->vector == 14 ? (uint64_t)(uintptr_t)si->si_addr : 0;
  /* The SSE state at the fault: the kernel saved it (FXSAVE layout) in the signal frame. */
  if (uc->uc_mcontext.fpregs) {
    memcpy(cur_out->xmm, uc->uc_mcontext.fpregs->_xmm, sizeof cur_out->xmm);
    cur_out->mxcsr = uc->uc_mcontext.fpregs->mxcsr;
  }
  in_snippet = 0;
  siglongjmp(fault_jmp, 1);
}

static uint64_t splitmix64(uint64_t *s) {
  uint64_t z = (*s += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

/* Same fill as scripts/diff-harness/memfill.ts. */
static void fill_window(uint8_t *p, uint64_t seed) {
  uint64_t s = seed;
  for (int i = 0; i < WINDOW; i += 8) {
    uint64_t v = splitmix64(&s);
    memcpy(p + i, &v, 8);
  }
}

static void *map_fixed(unsigned long addr, unsigned long len, int prot) {
  void *p = mmap((void *)addr, len, prot, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
  if (p == MAP_FAILED || p != (void *)addr) {
    fprintf(stderr, "native-runner: cannot map %#lx: %s\n", addr, strerror(errno));
    exit(2);
  }
  return p;
}

static int read_all(void *buf, size_t len) {
  uint8_t *p = buf;
  while (len) {
    ssize_t n = read(0, p, len);
    if (n <= 0) return -1;
    p += n;
    len -= (size_t)n;
  }
  return 0;
}

static int write_all(const void *buf, size_t len) {
  const uint8_t *p = buf;
  while (len) {
    ssize_t n = write(1, p, len);
    if (n <= 0) return -1;
    p += n;
    len -= (size_t)n;
  }
  return 0;
}

/* Install LDT entry `entry` as a 16-bit segment (limit 0xFFFF) at `base`: the 16-bit stack (data) or
 * the 16-bit code segment the snippet runs in. */
static int ldt_segment16(unsigned entry, unsigned long base, unsigned contents) {
  struct user_desc d;
  memset(&d, 0, sizeof d);
  d.entry_number = entry; d.base_addr = base; d.limit = 0xffff; d.seg_32bit = 0;
  d.contents = contents; d.useable = 1;
  if (syscall(SYS_modify_ldt, 1, &d, sizeof d) != 0) {
    fprintf(stderr, "native-runner: modify_ldt: %s\n", strerror(errno));
    return -1;
  }
  return 0;
}

int main(int argc, char **argv) {
  int code16 = 0, ss16 = 0, compat32 = 0;
  for (int a = 1; a < argc; a++) {
    if (strcmp(argv[a], "--code16") == 0) code16 = 1;
    else if (strcmp(argv[a], "--ss16") == 0) ss16 = 1;
    else if (strcmp(argv[a], "--compat32") == 0) compat32 = 1;
  }
  compat32 |= code16 | ss16;
  uint32_t hdr[2];
  if (read_all(hdr, sizeof hdr) || hdr[0] != MAGIC) {
    fprintf(stderr, "native-runner: bad header\n");
    return 2;
  }
  uint32_t count = hdr[1];
  struct in_rec *in = calloc(count ? count : 1, sizeof *in);
  struct out_rec *out = calloc(count ? count : 1, sizeof *out);
  if (!in || !out || read_all(in, (size_t)count * sizeof *in)) {
    fprintf(stderr, "native-runner: short input\n");
    return 2;
  }

  uint8_t *scratch_map = map_fixed(SCRATCH_MAP_BASE, SCRATCH_MAP, PROT_READ | PROT_WRITE);
  uint8_t *scratch = scratch_map + (SCRATCH_ADDR - SCRATCH_MAP_BASE);
  uint8_t *code = map_fixed(CODE_ADDR, CODE_MAP, PROT_READ | PROT_WRITE | PROT_EXEC);
  uint8_t *state = map_fixed(STATE_ADDR, 0x1000, PROT_READ | PROT_WRITE);
  *(uint64_t *)(state + ST_JMP_TARGET) = compat32 ? CODE_ADDR + COMPAT_ENTRY : CODE_ADDR;
  *(uint64_t *)(state + ST_RET_TARGET) = (uint64_t)(uintptr_t)snippet_return;
  *(uint32_t *)(state + ST_FAR_PTR) = code16 ? 0 : CODE_ADDR;
  *(uint16_t *)(state + ST_FAR_PTR + 4) = code16 ? CODE16_SEL : USER32_CS;
  *(uint16_t *)(state + ST_SS_RUN) = ss16 ? SS16_SEL : USER_DS;
  *(uint16_t *)(state + ST_SS_USER) = USER_DS;
  if (ss16 && ldt_segment16(1, SCRATCH_MAP_BASE, MODIFY_LDT_CONTENTS_DATA) != 0) return 2;
  if (code16 && ldt_segment16(0, CODE_ADDR, MODIFY_LDT_CONTENTS_CODE) != 0) return 2;
  if (compat32) {
    uint16_t ds = USER_DS;
    __asm__ volatile("mov %0, %%ds\n mov %0, %%es" : : "r"(ds));
  }

  static uint8_t altstack[1 << 16];
  stack_t ss = {.ss_sp = altstack, .ss_size = sizeof altstack, .ss_flags = 0};
  if (sigaltstack(&ss, NULL)) return 2;
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_fault;
  sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGFPE, &sa, NULL);
  sigaction(SIGILL, &sa, NULL);
  sigaction(SIGSEGV, &sa, NULL);
  sigaction(SIGBUS, &sa, NULL);
  sigaction(SIGTRAP, &sa, NULL);
  sigaction(SIGALRM, &sa, NULL);

  for (uint32_t i = 0; i < count; i++) {
    struct in_rec *c = &in[i];
    struct out_rec *o = &out[i];
    if (c->code_len > MAX_CODE - 8) {
      fprintf(stderr, "native-runner: case %u code too long\n", i);
      return 2;
    }
    memset(scratch_map, 0, SCRATCH_MAP);
    fill_window(scratch, c->mem_seed);
    if (c->patch_len > 8 || c->patch_off + c->patch_len > WINDOW) {
      fprintf(stderr, "native-runner: case %u bad patch\n", i);
      return 2;
    }
    memcpy(scratch + c->patch_off, c->patch, c->patch_len);
    memset(code, 0xCC, 0x100);
    memcpy(code, c->code, c->code_len);
    /* jmp qword ptr [abs32 ST_RET_TARGET]: FF /4 with SIB base=101 (no base), index=100 (none). */
    uint8_t *t = code + c->code_len;
    uint32_t ret_slot = (uint32_t)(STATE_ADDR + ST_RET_TARGET);
    if (compat32) {
      /* 32-bit code: ljmp $USER_CS, $CODE_ADDR+COMPAT_EXIT (EA ptr16:32), 64-bit code there goes on. */
      uint32_t exit_at = CODE_ADDR + COMPAT_EXIT;
      uint16_t cs64 = USER_CS;
      if (code16) *t++ = 0x66; /* ptr16:32 in a 16-bit code segment */
      t[0] = 0xEA; memcpy(t + 1, &exit_at, 4); memcpy(t + 5, &cs64, 2);
      t = code + COMPAT_EXIT;
      /* 64-bit exit: mov ss, word ptr [abs32 ST_SS_USER] (8E /2), then the jmp below. */
      uint32_t ss_user = (uint32_t)(STATE_ADDR + ST_SS_USER), ss_run = (uint32_t)(STATE_ADDR + ST_SS_RUN);
      t[0] = 0x8E; t[1] = 0x14; t[2] = 0x25; memcpy(t + 3, &ss_user, 4);
      t += 7;
      /* 64-bit entry stub: mov ss, [abs32 ST_SS_RUN]; jmp far m16:32 [abs32 ST_FAR_PTR] (FF /5). */
      uint8_t *e = code + COMPAT_ENTRY;
      uint32_t far_slot = (uint32_t)(STATE_ADDR + ST_FAR_PTR);
      e[0] = 0x8E; e[1] = 0x14; e[2] = 0x25; memcpy(e + 3, &ss_run, 4);
      e += 7;
      e[0] = 0xFF; e[1] = 0x2C; e[2] = 0x25;
      memcpy(e + 3, &far_slot, 4);
    }
    t[0] = 0xFF; t[1] = 0x24; t[2] = 0x25;
    memcpy(t + 3, &ret_slot, 4);

    memcpy(state + ST_IN_GPR, c->gpr, sizeof c->gpr);
    memcpy(state + ST_IN_XMM, c->xmm, sizeof c->xmm);
    *(uint32_t *)(state + ST_IN_MXCSR) = c->mxcsr;
    *(uint32_t *)(state + ST_HOST_MXCSR) = 0x1f80;
    /* Only the arithmetic flags, DF and the fixed bit 1 come from the case (no TF/AC/IF games). */
    *(uint64_t *)(state + ST_IN_FLAGS) = (c->rflags & 0xCD5ULL) | 0x2ULL | 0x200ULL /* keep IF */;

    cur_out = o;
    struct itimerval limit = {.it_interval = {0, 0}, .it_value = {0, 200000}}; /* 200 ms per case */
    struct itimerval off = {{0, 0}, {0, 0}};
    if (sigsetjmp(fault_jmp, 1) == 0) {
      setitimer(ITIMER_REAL, &limit, NULL);
      in_snippet = 1;
      run_snippet();
      in_snippet = 0;
      memcpy(o->gpr, state + ST_OUT_GPR, sizeof o->gpr);
      o->rflags = *(uint64_t *)(state + ST_OUT_FLAGS);
      memcpy(o->xmm, state + ST_OUT_XMM, sizeof o->xmm);
      o->mxcsr = *(uint32_t *)(state + ST_OUT_MXCSR);
      o->rip = (code16 ? 0 : CODE_ADDR) + c->code_len; /* 16-bit code: IP, an offset from CS.base = CODE_ADDR */
      o->vector = -1;
      o->error_code = 0;
      o->cr2 = 0;
    }
    setitimer(ITIMER_REAL, &off, NULL);
    __asm__ volatile("pushq $0x202\n popfq" ::: "cc", "memory"); /* a faulting snippet may have set AC */
    __asm__ volatile("ldmxcsr %0" : : "m"(*(uint32_t *)(state + ST_HOST_MXCSR))); /* and unmasked SSE exceptions */
    memcpy(o->mem, scratch, WINDOW);
  }
  if (write_all(out, (size_t)count * sizeof *out)) return 2;
  return 0;
}
