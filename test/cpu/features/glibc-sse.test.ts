// glibc's own SSE2 string functions and gcc-vectorised / floating-point code run under dbstub with the same
// results as on the host CPU (issue 15: CPUID offers SSE/SSE2/SSE3, so they must execute; issue 16: Linux
// user space built with glibc uses them everywhere). dbstub has no Linux system-call layer, so a static
// glibc program cannot start here; instead the variants glibc's IFUNC resolvers pick on an SSE2 CPU
// (__strlen_sse2, __memcpy_sse2_unaligned, ...) are taken from the system's libc.a, linked into a
// freestanding guest with work.c (compiled -O3 -msse2) and into a native program from the same objects; the
// guest's serial lines must equal the native program's output, in bare and kvm mode, with both engines.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MODE_ENGINES, runGuestFile } from '../support/guest-run.js';
// @ts-expect-error: plain ESM script without types
import { CFLAGS } from '../../../scripts/build-guests.mjs';

const LIBC_A = '/usr/lib/x86_64-linux-gnu/libc.a';
const HERE = resolve('test/cpu/features/glibc-sse');
const RUNTIME = resolve('examples/runtime');
const GLIBC_OBJECTS = ['strlen-sse2.o', 'memchr-sse2.o', 'memcmp-sse2.o', 'memmove-sse2-unaligned-erms.o',
  'memset-sse2-unaligned-erms.o', 'strchr-sse2.o', 'strrchr-sse2.o', 'strcmp-sse2.o', 'strcpy-sse2.o'];
/** work.c: SSE2 code generation on, math-errno off (sqrt inline), no library calls gcc would invent. */
const WORK_FLAGS = ['-O3', '-msse2', '-fno-math-errno', '-fno-tree-loop-distribute-patterns', '-fno-builtin', '-ffreestanding',
  '-mno-red-zone', '-fno-pic', '-fno-stack-protector', '-fcf-protection=none'];

const available = existsSync(LIBC_A);

describe.runIf(available)('glibc SSE2 string functions and gcc SSE code: dbstub = host CPU', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dbstub-glibc-sse-'));
  let expected: string[] = [];
  let guest = '';
  beforeAll(() => {
    execFileSync('ar', ['x', LIBC_A, ...GLIBC_OBJECTS], { cwd: dir });
    const objs = GLIBC_OBJECTS.map((o) => join(dir, o));
    execFileSync('gcc', [...WORK_FLAGS, '-c', join(HERE, 'work.c'), '-o', join(dir, 'work-guest.o')]);
    execFileSync('gcc', ['-O3', '-msse2', '-fno-math-errno', '-fno-tree-loop-distribute-patterns', '-fno-builtin', '-c', join(HERE, 'work.c'), '-o', join(dir, 'work-host.o')]);
    execFileSync('gcc', ['-O2', '-o', join(dir, 'host'), join(HERE, 'host.c'), join(dir, 'work-host.o'), ...objs]);
    expected = execFileSync(join(dir, 'host'), { encoding: 'utf8' }).trim().split('\n');
    guest = join(dir, 'guest.elf');
    execFileSync('gcc', [...(CFLAGS as string[]), `-I${RUNTIME}`, '-T', join(RUNTIME, 'linker.ld'), '-o', guest,
      join(RUNTIME, 'start.S'), join(RUNTIME, 'runtime.c'), join(HERE, 'guest.c'), join(dir, 'work-guest.o'), ...objs]);
  }, 120_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('the native program checks itself (no string-function mismatch against the byte loops)', () => {
    expect(expected).toContain('glibc.strings.fails 0x0');
    expect(expected.at(-1)).toBe('done');
  });

  it.each(MODE_ENGINES)('%s mode, %s engine: the guest prints what the host CPU printed', async (mode, engine) => {
    const { m, result: r } = await runGuestFile(guest, mode, engine, 200_000_000);
    expect(m.serialOutput.trim().split('\n')).toEqual(expected);
    expect(r).toMatchObject({ kind: 'exit', code: 1 }); // exit(0): isa-debug-exit status (0 << 1) | 1
  }, 300_000);
});
