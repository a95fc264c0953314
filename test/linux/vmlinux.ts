// The uncompressed vmlinux inside Debian's bzImage, for the PVH boot (issue 16: QEMU's `-kernel vmlinux`), taken
// out the way the kernel's scripts/extract-vmlinux does it: look for each compressor's magic in the file, hand the
// bytes from there to the host's decompressor, keep the first output that is an ELF. Debian's cloud kernel is
// LZ4-compressed (CONFIG_KERNEL_LZ4: the `lz4` tool, which .ci/run installs). Cached in build/linux/vmlinux.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const VMLINUX = join(import.meta.dirname, '..', '..', 'build', 'linux', 'vmlinux');

/** extract-vmlinux's order: gzip, xz, bzip2, lzma, lzo, lz4, zstd. */
const FORMATS: [string, number[], string[]][] = [
  ['gzip', [0x1f, 0x8b, 0x08], ['gzip', '-dc']],
  ['xz', [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00], ['xz', '-dc']],
  ['lz4', [0x02, 0x21, 0x4c, 0x18], ['lz4', '-dc']],
  ['zstd', [0x28, 0xb5, 0x2f, 0xfd], ['zstd', '-dc']],
];

function occurrences(b: Uint8Array, magic: number[], max: number): number[] {
  const out: number[] = [];
  for (let i = b.indexOf(magic[0]!); i >= 0 && out.length < max; i = b.indexOf(magic[0]!, i + 1)) if (magic.every((m, k) => b[i + k] === m)) out.push(i);
  return out;
}

const isElf = (b: Uint8Array): boolean => b.length > 4 && b[0] === 0x7f && b[1] === 0x45 && b[2] === 0x4c && b[3] === 0x46;

/** The vmlinux of `bzImage` (cached), or undefined when no host decompressor yields an ELF. */
export function extractVmlinux(bzImage: string): string | undefined {
  if (existsSync(VMLINUX) && statSync(VMLINUX).mtimeMs >= statSync(bzImage).mtimeMs) return VMLINUX;
  const b = new Uint8Array(readFileSync(bzImage));
  for (const [, magic, [cmd, ...args]] of FORMATS) {
    for (const at of occurrences(b, magic, 8)) {
      // Trailing bytes after the stream make some tools exit non-zero, and a tool that exits before reading all of
      // its input makes spawnSync report an error (EPIPE) with the output complete: the output decides. (A CI run
      // skipped the PVH tests once with lz4 installed; that error is the likely cause, not reproduced here.)
      const r = spawnSync(cmd!, args, { input: b.subarray(at), maxBuffer: 512 << 20 });
      if (r.stdout && isElf(r.stdout)) {
        writeFileSync(`${VMLINUX}.tmp`, r.stdout);
        renameSync(`${VMLINUX}.tmp`, VMLINUX);
        return VMLINUX;
      }
    }
  }
  return undefined;
}
