// Debian's kernel and the initramfs the Linux tests boot (issue 16): test/linux/init/init.c (a Linux program, so not under
// test/guest-src, whose guests build-guests.mjs links with the bare runtime) built static and
// freestanding with the system gcc, packed as /init (plus an empty /dev) with Debian's cpio in the kernel's
// "newc" format, into build/linux/initramfs.cpio. Rebuilt when the source is newer than the archive.
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '..', '..');
const SRC = join(ROOT, 'test', 'linux', 'init', 'init.c');
export const INITRAMFS = join(ROOT, 'build', 'linux', 'initramfs.cpio');
/** The /init inside it, kept for its symbols (a debugger's breakpoint on buslock_round_marker). */
export const INIT_ELF = join(ROOT, 'build', 'linux', 'init');
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

/** /init, built when its source is newer than the binary. */
function buildInit(): string {
  if (existsSync(INIT_ELF) && statSync(INIT_ELF).mtimeMs >= statSync(SRC).mtimeMs) return INIT_ELF;
  mkdirSync(join(ROOT, 'build', 'linux'), { recursive: true });
  execFileSync('gcc', ['-static', '-nostdlib', '-ffreestanding', '-fno-pic', '-no-pie', '-mno-sse', '-mno-mmx', '-mno-red-zone', '-fno-stack-protector', '-O2', '-o', `${INIT_ELF}.tmp`, SRC]);
  renameSync(`${INIT_ELF}.tmp`, INIT_ELF);
  return INIT_ELF;
}

/** Pack /init, an empty /dev and `files` (archive path -> host file) into `out`, unless `out` is newer than all of them. */
export function packInitramfs(out: string, files: Readonly<Record<string, string>> = {}): string {
  const init = buildInit();
  const inputs = [init, ...Object.values(files)];
  if (existsSync(out) && inputs.every((f) => statSync(out).mtimeMs >= statSync(f).mtimeMs)) return out;
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

export function buildInitramfs(): string {
  return packInitramfs(INITRAMFS);
}
