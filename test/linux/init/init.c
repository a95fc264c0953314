/* The /init of the initramfs test/linux builds (issue 16): a static, freestanding Linux program (no libc:
 * raw system calls, no SSE), so it runs on whatever the CPU models. It proves user space runs: prints its
 * pid, the kernel release from uname(2) and its command-line arguments on the console, then powers the
 * machine off through isa-debug-exit (port 0xF4, after ioperm(2)) with status 0x10 -> exit code 33.
 * The archive is packed without root, so it has no /dev/console node: the kernel then starts init with no
 * stdin/stdout (console_on_rootfs), and init makes the node (5, 1) itself. */
typedef unsigned long u64;

#define SYS_write 1
#define SYS_open 2
#define SYS_dup2 33
#define SYS_mknod 133
#define SYS_getpid 39
#define SYS_exit 60
#define SYS_uname 63
#define SYS_ioperm 173
#define DEBUG_EXIT_PORT 0xf4
#define DEBUG_EXIT_VALUE 0x10

static long sys3(long n, long a, long b, long c) {
  long r;
  __asm__ volatile("syscall" : "=a"(r) : "a"(n), "D"(a), "S"(b), "d"(c) : "rcx", "r11", "memory");
  return r;
}

static u64 len(const char *s) {
  u64 n = 0;
  while (s[n]) n++;
  return n;
}
static void put(const char *s) { sys3(SYS_write, 1, (long)s, (long)len(s)); }
static void put_dec(long v) {
  char b[24];
  int i = 23;
  b[i] = 0;
  do { b[--i] = (char)('0' + v % 10); v /= 10; } while (v);
  put(b + i);
}

struct utsname { char sysname[65], nodename[65], release[65], version[65], machine[65], domainname[65]; };

#define S_IFCHR 0020000
#define O_RDWR 2
#define DEV_CONSOLE ((5 << 8) | 1) /* old_encode_dev(MKDEV(5, 1)) */

static void console(void) {
  long fd = sys3(SYS_open, (long)"/dev/console", O_RDWR, 0);
  if (fd < 0) {
    sys3(SYS_mknod, (long)"/dev/console", S_IFCHR | 0600, DEV_CONSOLE);
    fd = sys3(SYS_open, (long)"/dev/console", O_RDWR, 0);
  }
  if (fd < 0) return;
  for (long i = 0; i < 3; i++) if (fd != i) sys3(SYS_dup2, fd, i, 0);
}

void init_main(long argc, char **argv) {
  static struct utsname u;
  if (sys3(SYS_write, 1, (long)"", 0) < 0) console();
  put("dbstub-init: pid ");
  put_dec(sys3(SYS_getpid, 0, 0, 0));
  put(", argc ");
  put_dec(argc);
  for (long i = 1; i < argc; i++) { put(" '"); put(argv[i]); put("'"); }
  put("\n");
  if (sys3(SYS_uname, (long)&u, 0, 0) == 0) { put("dbstub-init: uname "); put(u.sysname); put(" "); put(u.release); put(" "); put(u.machine); put("\n"); }
  if (sys3(SYS_ioperm, DEBUG_EXIT_PORT, 4, 1) == 0) {
    put("dbstub-init: exit through isa-debug-exit\n");
    __asm__ volatile("outb %b0, %w1" : : "a"(DEBUG_EXIT_VALUE), "Nd"(DEBUG_EXIT_PORT));
  }
  put("dbstub-init: ioperm failed\n");
  for (;;) sys3(SYS_exit, 1, 0, 0);
}

/* The kernel enters with RSP at argc, then argv[]. */
__asm__(".globl _start\n_start:\n  mov (%rsp), %rdi\n  lea 8(%rsp), %rsi\n  and $-16, %rsp\n  call init_main\n  hlt\n");
