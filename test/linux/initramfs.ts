// The initramfs the Linux tests boot (issue 16): test/linux/init/init.c (a Linux program, so not under
// test/guest-src, whose guests build-guests.mjs links with the bare runtime) built static and
// freestanding with the system gcc, packed as /init (plus an empty /dev) with Debian's cpio in the kernel's
// "newc" format, into build/linux/initramfs.cpio. Rebuilt when the source is newer than the archive.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '..', '..');
const SRC = join(ROOT, 'test', 'linux', 'init', 'init.c');
export const INITRAMFS = join(ROOT, 'build', 'linux', 'initramfs.cpio');

/** Whether Debian's cpio is installed (the Linux user-space test skips visibly without it). */
export function hasCpio(): boolean {
  try {
    execFileSync('cpio', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export function buildInitramfs(): string {
  if (existsSync(INITRAMFS) && statSync(INITRAMFS).mtimeMs >= statSync(SRC).mtimeMs) return INITRAMFS;
  const dir = mkdtempSync(join(tmpdir(), 'dbstub-initramfs-'));
  try {
    mkdirSync(join(dir, 'dev'));
    execFileSync('gcc', ['-static', '-nostdlib', '-ffreestanding', '-fno-pic', '-no-pie', '-mno-sse', '-mno-mmx', '-mno-red-zone', '-fno-stack-protector', '-O2', '-o', join(dir, 'init'), SRC]);
    mkdirSync(join(ROOT, 'build', 'linux'), { recursive: true });
    execFileSync('sh', ['-c', `printf 'init\\ndev\\n' | cpio --quiet -o -H newc > '${INITRAMFS}.tmp' && mv '${INITRAMFS}.tmp' '${INITRAMFS}'`], { cwd: dir });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return INITRAMFS;
}
