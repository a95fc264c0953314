/* dbstub guest runtime (see runtime.h). */
#include "runtime.h"

#define COM1 0x3f8
#define COM1_LSR (COM1 + 5)
#define LSR_THRE 0x20 /* transmit holding register empty (16550) */
#define DEBUG_EXIT_PORT 0xf4

/* 64-bit IDT gate descriptor (SDM Vol. 3 Figure 6-8). */
struct idt_gate {
  u16 off0;
  u16 sel;
  u8 ist;
  u8 type_attr; /* P | DPL | 0 | type */
  u16 off1;
  u32 off2;
  u32 reserved;
} __attribute__((packed));

struct table_ptr {
  u16 limit;
  u64 base;
} __attribute__((packed));

#define GATE_P 0x80
#define GATE_TYPE_INTERRUPT 0xe /* 64-bit interrupt gate: IF cleared on entry */

extern const u64 isr_stub_table[256];

static struct idt_gate idt[256] __attribute__((aligned(16)));
static handler_fn handlers[256];

void serial_init(void) {
  outb(COM1 + 1, 0x00); /* IER: no interrupts */
  outb(COM1 + 3, 0x80); /* LCR: DLAB to set the divisor */
  outb(COM1 + 0, 0x01); /* 115200 baud */
  outb(COM1 + 1, 0x00);
  outb(COM1 + 3, 0x03); /* 8N1 */
  outb(COM1 + 2, 0xc7); /* FIFO on, cleared */
  outb(COM1 + 4, 0x03); /* DTR | RTS */
}

void putc(char c) {
  while (!(inb(COM1_LSR) & LSR_THRE)) {
  }
  outb(COM1, (u8)c);
}

void puts(const char *s) {
  while (*s) putc(*s++);
}

static const char hexdigits[] = "0123456789abcdef";

void put_hex(u64 v) {
  char buf[16];
  int n = 0;
  puts("0x");
  do {
    buf[n++] = hexdigits[v & 0xf];
    v >>= 4;
  } while (v);
  while (n) putc(buf[--n]);
}

void put_hex64(u64 v) {
  puts("0x");
  for (int i = 60; i >= 0; i -= 4) putc(hexdigits[(v >> i) & 0xf]);
}

void put_dec(u64 v) {
  char buf[20];
  int n = 0;
  do {
    buf[n++] = (char)('0' + v % 10);
    v /= 10;
  } while (v);
  while (n) putc(buf[--n]);
}

void exit(u32 code) {
  outb(DEBUG_EXIT_PORT, (u8)code);
  for (;;) __asm__ volatile("cli; hlt");
}

void idt_set_gate(int vector, int dpl, int ist) {
  u64 addr = isr_stub_table[vector];
  struct idt_gate *g = &idt[vector];
  g->off0 = (u16)addr;
  g->sel = SEL_KERNEL_CODE;
  g->ist = (u8)(ist & 7);
  g->type_attr = (u8)(GATE_P | ((dpl & 3) << 5) | GATE_TYPE_INTERRUPT);
  g->off1 = (u16)(addr >> 16);
  g->off2 = (u32)(addr >> 32);
  g->reserved = 0;
}

void idt_set_handler(int vector, handler_fn fn) { handlers[vector & 0xff] = fn; }

void idt_load_empty(void) {
  struct table_ptr p = {0, 0};
  __asm__ volatile("lidt %0" : : "m"(p));
}

static const char *const exc_names[32] = {
    "#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "CSO", "#TS", "#NP", "#SS", "#GP", "#PF", "v15",
    "#MF", "#AC", "#MC", "#XM", "#VE", "#CP", "v22", "v23", "v24", "v25", "v26", "v27", "v28", "v29", "v30", "v31"};

void default_handler(struct frame *f) {
  puts("unhandled exception ");
  if (f->vector < 32) puts(exc_names[f->vector]);
  else put_dec(f->vector);
  puts(" err=");
  put_hex(f->error_code);
  puts(" rip=");
  put_hex(f->rip);
  puts(" cs=");
  put_hex(f->cs);
  puts("\n");
  exit(RT_EXIT_UNHANDLED);
}

extern __attribute__((noreturn)) void cpl3_return(u64 value);

static void syscall_handler(struct frame *f) {
  switch (f->regs.rax) {
  case SYS_RETURN: cpl3_return(f->regs.rdi);
  case SYS_PUTC: putc((char)f->regs.rdi); f->regs.rax = 0; return;
  case SYS_EXIT: exit((u32)f->regs.rdi);
  default: f->regs.rax = (u64)-1; return;
  }
}

/* Called by start.S's common interrupt entry with the saved frame. */
void isr_dispatch(struct frame *f) {
  handler_fn h = handlers[f->vector & 0xff];
  if (h) h(f);
  else default_handler(f);
}

void runtime_init(void) {
  serial_init();
  for (int v = 0; v < 256; v++) idt_set_gate(v, 0, 0);
  /* INT3, INTO and the runtime's service vector may be used from CPL3. */
  idt_set_gate(VEC_BP, 3, 0);
  idt_set_gate(VEC_OF, 3, 0);
  idt_set_gate(VEC_SYSCALL, 3, 0);
  idt_set_handler(VEC_SYSCALL, syscall_handler);
  struct table_ptr p = {sizeof(idt) - 1, (u64)idt};
  __asm__ volatile("lidt %0" : : "m"(p));
}

u64 user_syscall(u64 nr, u64 arg) {
  u64 ret;
  __asm__ volatile("int $0x80" : "=a"(ret) : "a"(nr), "D"(arg) : "memory");
  return ret;
}

void user_puts(const char *s) {
  while (*s) user_syscall(SYS_PUTC, (u64)(u8)*s++);
}

/* Freestanding gcc may still emit calls to these. */
void *memset(void *d, int c, size_t n) {
  u8 *p = d;
  while (n--) *p++ = (u8)c;
  return d;
}
void *memcpy(void *d, const void *s, size_t n) {
  u8 *p = d;
  const u8 *q = s;
  while (n--) *p++ = *q++;
  return d;
}
void *memmove(void *d, const void *s, size_t n) {
  u8 *p = d;
  const u8 *q = s;
  if (p < q) while (n--) *p++ = *q++;
  else while (n--) p[n] = q[n];
  return d;
}
int memcmp(const void *a, const void *b, size_t n) {
  const u8 *p = a, *q = b;
  for (; n; n--, p++, q++)
    if (*p != *q) return *p - *q;
  return 0;
}
size_t strlen(const char *s) {
  size_t n = 0;
  while (s[n]) n++;
  return n;
}
