// Linux's own tests of the debug and entry machinery (issue 16), from Debian's linux-source-6.1 as
// `node scripts/fetch-linux.mjs --selftests` unpacks it into build/linux/src. Each is built the way
// tools/testing/selftests/x86/Makefile builds its 64-bit binaries (-O2 -std=gnu99 -pthread -no-pie, -lrt -ldl),
// plus -static: the initramfs has no shared libc. Nothing of the source is committed.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, statSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '..', '..');
const SELFTESTS = join(ROOT, 'build', 'linux', 'src', 'tools', 'testing', 'selftests');
const OUT = join(ROOT, 'build', 'linux', 'selftests');

export interface Selftest {
  /** The binary's name as the selftests Makefile names it. */
  name: string;
  source: string;
}

/** The programs issue 16 names, in the order init runs them. test_syscall_vdso has no 64-bit build in 6.1
 *  (TARGETS_C_32BIT_ONLY: it tests the 32-bit vDSO entry), so it is not here. */
export const SELFTESTS_64: readonly Selftest[] = [
  { name: 'mov_ss_trap_64', source: 'x86/mov_ss_trap.c' },
  { name: 'single_step_syscall_64', source: 'x86/single_step_syscall.c' },
  { name: 'syscall_nt_64', source: 'x86/syscall_nt.c' },
  { name: 'sysret_rip_64', source: 'x86/sysret_rip.c' },
  { name: 'sigreturn_64', source: 'x86/sigreturn.c' },
  { name: 'ldt_gdt_64', source: 'x86/ldt_gdt.c' },
  { name: 'fsgsbase_64', source: 'x86/fsgsbase.c' },
  { name: 'breakpoint_test', source: 'breakpoints/breakpoint_test.c' },
];

/** Whether the selftest sources have been fetched (the test skips visibly otherwise). */
export function haveSelftestSources(): boolean {
  return existsSync(join(SELFTESTS, 'x86', 'Makefile'));
}

/** Build every selftest (when its source is newer than the binary); archive path -> host path. */
export function buildSelftests(): Record<string, string> {
  mkdirSync(OUT, { recursive: true });
  const files: Record<string, string> = {};
  for (const t of SELFTESTS_64) {
    const src = join(SELFTESTS, t.source);
    const bin = join(OUT, t.name);
    if (!existsSync(bin) || statSync(bin).mtimeMs < statSync(src).mtimeMs) {
      execFileSync('gcc', ['-m64', '-static', '-O2', '-std=gnu99', '-pthread', '-no-pie', '-o', `${bin}.tmp`, src, '-lrt', '-ldl'], { cwd: join(SELFTESTS, 'x86'), stdio: ['ignore', 'ignore', 'pipe'] });
      renameSync(`${bin}.tmp`, bin);
    }
    files[`st/${t.name}`] = bin;
  }
  return files;
}
