// Debian's kernel and the initramfs dbstub boots it with (issue 16), shared by `npm run linux` (linux.ts) and
// the tests in test/linux. /init is test/linux/init/init.c (a Linux program, so not under test/guest-src, whose
// guests build-guests.mjs links with the bare runtime), built static and freestanding with the system gcc and
// packed (plus an empty /dev and any programs) with Debian's cpio in the kernel's "newc" format. Linux's own
// selftests come from Debian's linux-source-6.1 as `node scripts/fetch-linux.mjs --selftests` unpacks it into
// build/linux/src; each is built with the flags of its own Makefile (SELFTESTS_64), plus -static: the
// initramfs has no shared libc. Everything is
// rebuilt when a source is newer than its output; nothing of the kernel or its sources is committed.
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ROOT } from './util.js';

const LINUX = join(ROOT, 'build', 'linux');
const INIT_SRC = join(ROOT, 'test', 'linux', 'init', 'init.c');
const BOOT_DIR = join(LINUX, 'x', 'boot');
const SELFTEST_SRC = join(LINUX, 'src', 'tools', 'testing', 'selftests');
const SELFTEST_OUT = join(LINUX, 'selftests');
/** /init and the selftests under /st. */
export const SELFTESTS_INITRAMFS = join(LINUX, 'selftests.cpio');
/** The /init inside them, kept for its symbols (a debugger's breakpoint on buslock_round_marker). */
export const INIT_ELF = join(LINUX, 'init');

/** Debian's kernel as scripts/fetch-linux.mjs unpacks it, or undefined when it has not been fetched. */
export function debianKernel(): string | undefined {
  const name = existsSync(BOOT_DIR) ? readdirSync(BOOT_DIR).find((n) => n.startsWith('vmlinuz-')) : undefined;
  return name === undefined ? undefined : join(BOOT_DIR, name);
}

/** Whether Debian's cpio is installed (the Linux tests skip visibly without it). */
export function hasCpio(): boolean {
  try {
    execFileSync('cpio', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const newer = (out: string, inputs: string[]) => existsSync(out) && inputs.every((f) => statSync(out).mtimeMs >= statSync(f).mtimeMs);

/** /init, built when its source is newer than the binary. */
function buildInit(): string {
  if (newer(INIT_ELF, [INIT_SRC])) return INIT_ELF;
  mkdirSync(LINUX, { recursive: true });
  execFileSync('gcc', ['-static', '-nostdlib', '-ffreestanding', '-fno-pic', '-no-pie', '-mno-sse', '-mno-mmx', '-mno-red-zone', '-fno-stack-protector', '-O2', '-o', `${INIT_ELF}.tmp`, INIT_SRC]);
  renameSync(`${INIT_ELF}.tmp`, INIT_ELF);
  return INIT_ELF;
}

/** Pack /init, an empty /dev and `files` (archive path -> host file) into `out`, unless `out` is newer than all of them. */
export function packInitramfs(out: string, files: Readonly<Record<string, string>> = {}): string {
  const init = buildInit();
  if (newer(out, [init, ...Object.values(files)])) return out;
  const dir = mkdtempSync(join(tmpdir(), 'dbstub-initramfs-'));
  try {
    const names = ['init', 'dev', ...Object.keys(files)];
    mkdirSync(join(dir, 'dev'));
    copyFileSync(init, join(dir, 'init'));
    for (const [name, from] of Object.entries(files)) {
      for (let i = name.indexOf('/'); i > 0; i = name.indexOf('/', i + 1)) {
        if (!names.includes(name.slice(0, i))) names.splice(names.indexOf(name), 0, name.slice(0, i));
        mkdirSync(join(dir, name.slice(0, i)), { recursive: true });
      }
      copyFileSync(from, join(dir, name));
    }
    execFileSync('sh', ['-c', `cpio --quiet -o -H newc > '${out}.tmp' && mv '${out}.tmp' '${out}'`], { cwd: dir, input: names.join('\n') + '\n' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return out;
}

export interface Selftest {
  /** The binary's name as the selftests Makefile names it. */
  name: string;
  source: string;
  /** The compiler flags its Makefile uses (before -static, which the initramfs needs: it has no shared libc). */
  cflags: readonly string[];
  libs: readonly string[];
}

/** tools/testing/selftests/x86/Makefile: CFLAGS := -O2 -g -std=gnu99 -pthread -Wall -no-pie, 64-bit binaries
 *  linked with -lrt -ldl. */
const X86_MAKEFILE = { cflags: ['-m64', '-O2', '-g', '-std=gnu99', '-pthread', '-Wall', '-no-pie'], libs: ['-lrt', '-ldl'] } as const;
/** tools/testing/selftests/breakpoints/Makefile sets no CFLAGS (lib.mk's defaults: no optimisation). It matters:
 *  at -O2 gcc keeps the child's test counter in a register across the watched stores, so the parent's
 *  PTRACE_PEEKDATA of it at each watchpoint trap reads a stale count and every test after the first write
 *  watchpoint "fails" (QEMU TCG and dbstub alike: 13 pass, 97 fail). */
const BREAKPOINTS_MAKEFILE = { cflags: ['-m64'], libs: [] } as const;

/** The programs issue 16 names, in the order init runs them. test_syscall_vdso has no 64-bit build in 6.1
 *  (TARGETS_C_32BIT_ONLY: it tests the 32-bit vDSO entry), so it is not here. */
export const SELFTESTS_64: readonly Selftest[] = [
  { name: 'mov_ss_trap_64', source: 'x86/mov_ss_trap.c', ...X86_MAKEFILE },
  { name: 'single_step_syscall_64', source: 'x86/single_step_syscall.c', ...X86_MAKEFILE },
  { name: 'syscall_nt_64', source: 'x86/syscall_nt.c', ...X86_MAKEFILE },
  { name: 'sysret_rip_64', source: 'x86/sysret_rip.c', ...X86_MAKEFILE },
  { name: 'sigreturn_64', source: 'x86/sigreturn.c', ...X86_MAKEFILE },
  { name: 'ldt_gdt_64', source: 'x86/ldt_gdt.c', ...X86_MAKEFILE },
  { name: 'fsgsbase_64', source: 'x86/fsgsbase.c', ...X86_MAKEFILE },
  { name: 'breakpoint_test', source: 'breakpoints/breakpoint_test.c', ...BREAKPOINTS_MAKEFILE },
];

/** This file: a change of the flags above rebuilds the selftests. */
const SELFTESTS_BUILDER = fileURLToPath(import.meta.url);

/** Whether the selftest sources have been fetched (`node scripts/fetch-linux.mjs --selftests`). */
export function haveSelftestSources(): boolean {
  return existsSync(join(SELFTEST_SRC, 'x86', 'Makefile'));
}

/** Build every selftest and pack them with /init (under /st) into SELFTESTS_INITRAMFS. */
export function buildSelftestsInitramfs(): string {
  mkdirSync(SELFTEST_OUT, { recursive: true });
  const files: Record<string, string> = {};
  for (const t of SELFTESTS_64) {
    const src = join(SELFTEST_SRC, t.source);
    const bin = join(SELFTEST_OUT, t.name);
    if (!newer(bin, [src, SELFTESTS_BUILDER])) {
      execFileSync('gcc', [...t.cflags, '-static', '-o', `${bin}.tmp`, src, ...t.libs], { cwd: join(SELFTEST_SRC, 'x86'), stdio: ['ignore', 'ignore', 'pipe'] });
      renameSync(`${bin}.tmp`, bin);
    }
    files[`st/${t.name}`] = bin;
  }
  return packInitramfs(SELFTESTS_INITRAMFS, files);
}

/** How one program of the initramfs ended and what it printed, from /init's serial transcript. */
export interface SelftestResult {
  name: string;
  /** "exited N" or "killed by signal S", or "did not finish". */
  status: string;
  /** The program's own failure lines ([FAIL], "not ok" TAP lines). */
  failures: string[];
  /** Its [SKIP] lines and TAP "# SKIP" lines. */
  skips: string[];
  /** Its count of passing checks ([OK] and "ok" TAP lines). */
  passes: number;
}

/** Split /init's transcript into its programs' results ("dbstub-init: run /st/X" ... "dbstub-init: /st/X exited N"). */
export function selftestResults(serial: string): SelftestResult[] {
  const lines = serial.replace(/\r/g, '').split('\n');
  const out: SelftestResult[] = [];
  let cur: SelftestResult | undefined;
  for (const l of lines) {
    const start = /^dbstub-init: run \/st\/(\S+)$/.exec(l);
    if (start) {
      cur = { name: start[1]!, status: 'did not finish', failures: [], skips: [], passes: 0 };
      out.push(cur);
      continue;
    }
    if (cur === undefined) continue;
    const end = /^dbstub-init: \/st\/(\S+) (exited \d+|killed by signal \d+)$/.exec(l);
    if (end && end[1] === cur.name) { cur.status = end[2]!; cur = undefined; continue; }
    if (/^\[FAIL\]|^not ok /.test(l)) cur.failures.push(l);
    else if (/^\[SKIP\]|^ok .*# SKIP/.test(l)) cur.skips.push(l);
    else if (/^\[OK\]|^ok /.test(l)) cur.passes++;
  }
  return out;
}
