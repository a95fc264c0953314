/* dbstub guest runtime: the few services a test guest needs on dbstub's boot environment
 * (docs/boot.md): serial output on COM1, isa-debug-exit, an IDT with a C handler per vector,
 * and a round trip to CPL3. Freestanding: no libc, no SSE. */
#ifndef DBSTUB_RUNTIME_H
#define DBSTUB_RUNTIME_H

typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;
typedef unsigned long long u64;
typedef long long i64;
typedef unsigned long size_t;

/* Boot environment selectors (docs/boot.md). */
#define SEL_KERNEL_CODE 0x08
#define SEL_KERNEL_DATA 0x10
#define SEL_USER_DATA 0x1b
#define SEL_USER_CODE 0x23
#define SEL_TSS 0x28

/* Exception vectors (Intel SDM Vol. 3 Table 6-1). */
enum {
  VEC_DE = 0, VEC_DB = 1, VEC_NMI = 2, VEC_BP = 3, VEC_OF = 4, VEC_BR = 5, VEC_UD = 6, VEC_NM = 7,
  VEC_DF = 8, VEC_TS = 10, VEC_NP = 11, VEC_SS = 12, VEC_GP = 13, VEC_PF = 14, VEC_MF = 16,
  VEC_AC = 17, VEC_MC = 18, VEC_XM = 19, VEC_VE = 20, VEC_CP = 21,
  VEC_SYSCALL = 0x80, /* runtime services from CPL3 (int $0x80) */
};

/* General-purpose registers as start.S saves them (lowest address first). */
struct regs {
  u64 rax, rbx, rcx, rdx, rsi, rdi, rbp, r8, r9, r10, r11, r12, r13, r14, r15;
};

/* What an interrupt handler sees; writes to it take effect on IRETQ. */
struct frame {
  struct regs regs;
  u64 vector;
  u64 error_code; /* 0 for vectors without one */
  u64 rip, cs, rflags, rsp, ss; /* pushed by the CPU */
};

typedef void (*handler_fn)(struct frame *f);

/* ---- serial (COM1) ---- */
void serial_init(void);
void putc(char c);
void puts(const char *s); /* no newline added */
void put_hex(u64 v);      /* 0x..., minimal digits */
void put_hex64(u64 v);    /* 0x + 16 digits */
void put_dec(u64 v);

/* ---- exit through isa-debug-exit: process status is (code << 1) | 1 ---- */
__attribute__((noreturn)) void exit(u32 code);

/* ---- IDT ---- */
void idt_set_handler(int vector, handler_fn fn);
/* Gate DPL (3 lets CPL3 code use INT n on it) and IST index (0 = none). */
void idt_set_gate(int vector, int dpl, int ist);
/* Load an IDT with limit 0 (every event then escalates to a triple fault). */
void idt_load_empty(void);
/* Default handler: prints the frame and exits with RT_EXIT_UNHANDLED. */
void default_handler(struct frame *f);
#define RT_EXIT_UNHANDLED 0x70

/* ---- CPL3 ---- */
/* Run fn(arg) at CPL3 (CS=0x23, SS=0x1B, own user stack, IF=0, IOPL=0) and return its result at CPL0.
 * The return travels through the IDT: user code executes int $0x80 with SYS_RETURN. */
u64 run_at_cpl3(u64 (*fn)(u64), u64 arg);
enum { SYS_RETURN = 0, SYS_PUTC = 1, SYS_EXIT = 2 };
/* From CPL3: int $0x80 with rax=nr, rdi=arg; returns rax. */
u64 user_syscall(u64 nr, u64 arg);
void user_puts(const char *s);

/* ---- misc ---- */
static inline void outb(u16 port, u8 v) { __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port)); }
static inline u8 inb(u16 port) { u8 v; __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port)); return v; }
static inline u16 read_cs(void) { u16 v; __asm__ volatile("mov %%cs, %0" : "=r"(v)); return v; }
static inline u64 read_rflags(void) { u64 v; __asm__ volatile("pushfq; popq %0" : "=r"(v)); return v; }
/* Debug registers and WRMSR (CPL0 only: MOV DR and WRMSR #GP at CPL>0), shared by the debug guests. */
/* Control registers (the guests that switch CR0.TS/EM or CR4 features); writes are compiler barriers. */
static inline u64 rd_cr0(void) { u64 v; __asm__ volatile("mov %%cr0, %0" : "=r"(v)); return v; }
static inline void wr_cr0(u64 v) { __asm__ volatile("mov %0, %%cr0" : : "r"(v) : "memory"); }
static inline u64 rd_cr4(void) { u64 v; __asm__ volatile("mov %%cr4, %0" : "=r"(v)); return v; }
static inline void wr_cr4(u64 v) { __asm__ volatile("mov %0, %%cr4" : : "r"(v) : "memory"); }
static inline u64 rd_dr6(void) { u64 v; __asm__ volatile("mov %%dr6, %0" : "=r"(v)); return v; }
static inline u64 rd_dr7(void) { u64 v; __asm__ volatile("mov %%dr7, %0" : "=r"(v)); return v; }
static inline void wr_dr6(u64 v) { __asm__ volatile("mov %0, %%dr6" : : "r"(v)); }
static inline void wr_dr7(u64 v) { __asm__ volatile("mov %0, %%dr7" : : "r"(v)); }
static inline void wr_dr0(u64 v) { __asm__ volatile("mov %0, %%dr0" : : "r"(v)); }
static inline void wr_dr1(u64 v) { __asm__ volatile("mov %0, %%dr1" : : "r"(v)); }
static inline void wrmsr(u32 msr, u64 v) { __asm__ volatile("wrmsr" : : "c"(msr), "a"((u32)v), "d"((u32)(v >> 32))); }

void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
void *memmove(void *d, const void *s, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);

/* Provided by the guest. Its return value is passed to exit(). */
int main(void);

#endif
