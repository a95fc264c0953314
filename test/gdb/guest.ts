// Build the real-client tests' own guests (test/guest-src/gdb/<name>/<name>.c) with the platform's runtime and the same flags
// as scripts/build-guests.mjs, once per process each, into a temporary directory.
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..', '..');
const RUNTIME = join(ROOT, 'examples', 'runtime');

const CFLAGS = [
  '-ffreestanding', '-nostdlib', '-static', '-no-pie', '-fno-pic', '-mno-red-zone', '-mno-sse', '-mno-mmx',
  '-mgeneral-regs-only', '-O2', '-g', '-fno-stack-protector', '-fcf-protection=none', '-fno-asynchronous-unwind-tables',
  '-Wall', '-Wl,--build-id=none', '-Wl,-z,noexecstack', '-Wl,-z,max-page-size=4096',
];

const built = new Map<string, string>();

/** test/guest-src/gdb/<name>/<name>.c linked with the runtime; the ELF path. */
export function testGuest(name: string): string {
  const have = built.get(name);
  if (have) return have;
  const out = join(mkdtempSync(join(tmpdir(), 'dbstub-gdb-guest-')), `${name}.elf`);
  execFileSync('gcc', [
    ...CFLAGS, `-I${RUNTIME}`, '-T', join(RUNTIME, 'linker.ld'), '-o', out,
    join(RUNTIME, 'start.S'), join(RUNTIME, 'runtime.c'), join(ROOT, 'test', 'guest-src', 'gdb', name, `${name}.c`),
  ]);
  built.set(name, out);
  return out;
}

export function watchGuest(): string {
  return testGuest('watch');
}
