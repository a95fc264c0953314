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
#define SYS_fork 57
#define SYS_wait4 61
#define SYS_syslog 103
#define SYS_execve 59
#define SYS_read 0
#define SYS_close 3
#define SYS_mkdir 83
#define SYS_mount 165
#define DEBUG_EXIT_PORT 0xf4
#define DEBUG_EXIT_VALUE 0x10

static long sys3(long n, long a, long b, long c) {
  long r;
  __asm__ volatile("syscall" : "=a"(r) : "a"(n), "D"(a), "S"(b), "d"(c) : "rcx", "r11", "memory");
  return r;
}

/* mount(2) takes five arguments: flags (r10) and data (r8) are 0 here. */
static long sys_mount(const char *src, const char *target, const char *type) {
  long r;
  register long r10 __asm__("r10") = 0;
  register long r8 __asm__("r8") = 0;
  __asm__ volatile("syscall" : "=a"(r) : "a"(SYS_mount), "D"(src), "S"(target), "d"(type), "r"(r10), "r"(r8) : "rcx", "r11", "memory");
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

#define SIGNAL_MASK 0x7f

/* Each argument that is an absolute path is a program of the initramfs (Linux's selftests, issue 16) that
 * init runs to its end in a child, reporting how it ended; the programs print their own results. */
static void put_status(int status) {
  if ((status & SIGNAL_MASK) == 0) { put("exited "); put_dec((status >> 8) & 0xff); }
  else { put("killed by signal "); put_dec(status & SIGNAL_MASK); }
}

/* /proc once, for the programs (ldt_gdt_64 re-executes itself through /proc/self/exe) and for kallsyms. */
static int mount_proc(void) {
  static int mounted;
  if (mounted) return 0;
  sys3(SYS_mkdir, (long)"/proc", 0555, 0);
  if (sys_mount("proc", "/proc", "proc") < 0) { put("dbstub-init: mount /proc failed\n"); return -1; }
  mounted = 1;
  return 0;
}

static void run_program(char *path) {
  mount_proc();
  put("dbstub-init: run ");
  put(path);
  put("\n");
  long pid = sys3(SYS_fork, 0, 0, 0);
  if (pid == 0) {
    char *argv[] = {path, 0};
    char *envp[] = {"PATH=/", 0};
    sys3(SYS_execve, (long)path, (long)argv, (long)envp);
    put("dbstub-init: execve failed\n");
    for (;;) sys3(SYS_exit, 127, 0, 0);
  }
  int status = 0;
  sys3(SYS_wait4, pid, (long)&status, 0);
  put("dbstub-init: ");
  put(path);
  put(" ");
  put_status(status);
  put("\n");
}

/* Bus-lock rounds (issue 16, seed 000): each "buslock" argument makes init fork a child that does one
 * split-locked add (a LOCKed 4-byte access across a 64-byte line) at CPL3. With bus-lock detect in CPUID
 * on Intel, Linux 6.1 turns DEBUGCTL.BUS_LOCK_DETECT on (arch/x86/kernel/cpu/intel.c bus_lock_init) and its
 * #DB handler logs "#DB: <comm>/<pid> took a bus_lock trap" (handle_bus_lock) when DR6.BLD says so, or
 * sends SIGTRAP when DR6 names no cause at all (exc_debug_user's icebp case). init reports how the child
 * ended and the kernel log lines the round added (syslog(2) READ_ALL), so the test sees what the guest's
 * #DB handler saw. buslock_round_marker is where a debugger stops between rounds. */
#define SYSLOG_ACTION_READ_ALL 3
static char klog[1 << 17];
static long klog_seen;
static volatile unsigned split_line[32] __attribute__((aligned(64)));

__attribute__((noinline, used)) void buslock_round_marker(long round) { __asm__ volatile("" : : "r"(round) : "memory"); }

static void split_lock(void) {
  /* 4 bytes at offset 62: two in one cache line, two in the next. */
  __asm__ volatile("lock addl $1, %0" : "+m"(*(volatile unsigned *)((char *)split_line + 62)) : : "memory");
}

static void new_klog_lines(void) {
  long n = sys3(SYS_syslog, SYSLOG_ACTION_READ_ALL, (long)klog, sizeof klog - 1);
  if (n < 0) { put("dbstub-init: syslog failed\n"); return; }
  long count = 0;
  for (long i = 0; i < n; i++) {
    if (klog[i] != '\n') continue;
    klog[i] = 0;
    long start = i;
    while (start > 0 && klog[start - 1] != 0) start--;
    const char *line = klog + start;
    /* Only the bus-lock lines, so what the kernel logs elsewhere cannot change the transcript. */
    int match = 0;
    for (const char *p = line; *p && !match; p++) match = p[0] == 'b' && p[1] == 'u' && p[2] == 's' && p[3] == '_' && p[4] == 'l' && p[5] == 'o' && p[6] == 'c' && p[7] == 'k';
    if (match && ++count > klog_seen) {
      /* Without the "<level>" and "[seconds] " prefixes (printk's syslog format). */
      if (line[0] == '<') while (*line && *line++ != '>') {}
      if (line[0] == '[') { while (*line && *line++ != ']') {} if (*line == ' ') line++; }
      put("dbstub-init: klog "); put(line); put("\n");
    }
  }
  klog_seen = count;
}

static void buslock_round(long round) {
  buslock_round_marker(round);
  long pid = sys3(SYS_fork, 0, 0, 0);
  if (pid == 0) {
    split_lock();
    for (;;) sys3(SYS_exit, 0, 0, 0);
  }
  int status = 0;
  sys3(SYS_wait4, pid, (long)&status, 0);
  put("dbstub-init: bus lock round ");
  put_dec(round);
  put(": child ");
  put_status(status);
  put("\n");
  new_klog_lines();
}

/* "kallsyms": where the kernel's own #DB handlers are (a debugger breaks there; Debian ships no System.map),
 * from /proc/kallsyms, kept in these variables for the debugger to read and printed. */
/* A #DB from user mode enters noist_exc_debug (Linux 6.1 entry_64.S idtentry_mce_db: the user-mode path calls
 * noist_<cfunc>, DEFINE_IDTENTRY_DEBUG_USER in traps.c); exc_debug itself is the kernel-mode (paranoid) path. */
volatile unsigned long kallsyms_noist_exc_debug, kallsyms_handle_bus_lock;
static char ksyms[1 << 16];

static int ends_with_name(const char *line, long n, const char *name) {
  long k = (long)len(name);
  if (n < k + 1 || line[n - k - 1] != ' ') return 0;
  for (long i = 0; i < k; i++) if (line[n - k + i] != name[i]) return 0;
  return 1;
}

static unsigned long hex_value(const char *p) {
  unsigned long v = 0;
  for (;; p++) {
    int d = *p >= '0' && *p <= '9' ? *p - '0' : *p >= 'a' && *p <= 'f' ? *p - 'a' + 10 : -1;
    if (d < 0) return v;
    v = v << 4 | (unsigned long)d;
  }
}

static void put_hex(unsigned long v) {
  char b[19];
  int i = 18;
  b[i] = 0;
  do { b[--i] = "0123456789abcdef"[v & 15]; v >>= 4; } while (v);
  b[--i] = 'x';
  b[--i] = '0';
  put(b + i);
}

static void find_kallsyms(void) {
  if (mount_proc() < 0) return;
  long fd = sys3(SYS_open, (long)"/proc/kallsyms", 0, 0);
  if (fd < 0) { put("dbstub-init: no /proc/kallsyms\n"); return; }
  long have = 0;
  for (;;) {
    long n = sys3(SYS_read, fd, (long)ksyms + have, (long)sizeof ksyms - have);
    if (n <= 0) break;
    have += n;
    long start = 0;
    for (long i = 0; i < have; i++) {
      if (ksyms[i] != '\n') continue;
      if (ends_with_name(ksyms + start, i - start, "noist_exc_debug")) kallsyms_noist_exc_debug = hex_value(ksyms + start);
      if (ends_with_name(ksyms + start, i - start, "handle_bus_lock")) kallsyms_handle_bus_lock = hex_value(ksyms + start);
      start = i + 1;
    }
    for (long i = start; i < have; i++) ksyms[i - start] = ksyms[i];
    have -= start;
  }
  sys3(SYS_close, fd, 0, 0);
  put("dbstub-init: kallsyms noist_exc_debug ");
  put_hex(kallsyms_noist_exc_debug);
  put(" handle_bus_lock ");
  put_hex(kallsyms_handle_bus_lock);
  put("\n");
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
  long round = 0;
  for (long i = 1; i < argc; i++) {
    const char *a = argv[i], *w = "buslock";
    while (*a && *a == *w) { a++; w++; }
    if (*a == 0 && *w == 0) buslock_round(++round);
    else if (argv[i][0] == 'k' && argv[i][1] == 'a' && argv[i][2] == 'l') find_kallsyms();
    else if (argv[i][0] == '/') run_program(argv[i]);
  }
  if (sys3(SYS_ioperm, DEBUG_EXIT_PORT, 4, 1) == 0) {
    put("dbstub-init: exit through isa-debug-exit\n");
    __asm__ volatile("outb %b0, %w1" : : "a"(DEBUG_EXIT_VALUE), "Nd"(DEBUG_EXIT_PORT));
  }
  put("dbstub-init: ioperm failed\n");
  for (;;) sys3(SYS_exit, 1, 0, 0);
}

/* The kernel enters with RSP at argc, then argv[]. */
__asm__(".globl _start\n_start:\n  mov (%rsp), %rdi\n  lea 8(%rsp), %rsi\n  and $-16, %rsp\n  call init_main\n  hlt\n");
