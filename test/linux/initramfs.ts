// Debian's kernel and the initramfs the Linux tests boot (issue 16): test/linux/init/init.c (a Linux program, so not under
// test/guest-src, whose guests build-guests.mjs links with the bare runtime) built static and
// freestanding with the system gcc, packed as /init (plus an empty /dev) with Debian's cpio in the kernel's
// "newc" format, into build/linux/initramfs.cpio. Rebuilt when the source is newer than the archive.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '..', '..');
const SRC = join(ROOT, 'test', 'linux', 'init', 'init.c');
export const INITRAMFS = join(ROOT, 'build', 'linux', 'initramfs.cpio');
const BOOT_DIR = join(ROOT, 'build', 'linux', 'x', 'boot');

/** Debian's kernel as scripts/fetch-linux.mjs unpacks it, or undefined when it has not been fetched. */
export function debianKernel(): string | undefined {
  const name = existsSync(BOOT_DIR) ? readdirSync(BOOT_DIR).find((n) => n.startsWith('vmlinuz-')) : undefined;
  return name === undefined ? undefined : join(BOOT_DIR, name);
}

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
