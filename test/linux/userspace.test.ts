// Debian's kernel boots to user space under dbstub (issue 16): the test-built initramfs (initramfs.ts) runs
// /init, which prints its pid, argv and uname(2) and exits through isa-debug-exit. Checked against what the
// test computes: pid 1, the arguments the kernel passes on from the command line (after "--"), the release
// from the kernel's own header, and exit code 33 (0x10 << 1 | 1). Skips visibly without the kernel (run
// `node scripts/fetch-linux.mjs`) or without Debian's cpio.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { dbstub } from '../cli/cli-inproc.js';
import { planLinux } from '../../src/loader/linux.js';
import { buildInitramfs, debianKernel, hasCpio } from './initramfs.js';

const KERNEL = debianKernel();
const kernelPath = KERNEL ?? '';
const skip = KERNEL === undefined || !hasCpio();
if (skip) console.warn('test/linux/userspace.test.ts: no Debian kernel in build/linux (node scripts/fetch-linux.mjs) or no cpio: skipped');

const INIT_EXIT_STATUS = 33;
const MAX_INSNS = '4000000000';

describe.skipIf(skip)('Debian linux-image-cloud-amd64 to user space', () => {
  for (const [mode, vendor] of [['kvm', 'intel']] as const)
    it(`${mode} mode, ${vendor}: /init runs as pid 1 with its arguments and powers off through isa-debug-exit`, async () => {
      const initrd = buildInitramfs();
      const release = planLinux(new Uint8Array(readFileSync(kernelPath)), { memorySize: 256 << 20, vendor, append: '' }).version.split(' ')[0];
      const r = await dbstub(['run', kernelPath, '--mode', mode, '--vendor', vendor, '--memory', '256', '--initrd', initrd,
        '--append', 'console=ttyS0 quiet -- first second', '--max-insns', MAX_INSNS]);
      const lines = r.stdout.replace(/\r/g, '').split('\n').filter((l) => l.startsWith('dbstub-init: '));
      expect(lines, `${r.stdout.slice(-3000)}\n${r.stderr}`).toEqual([
        "dbstub-init: pid 1, argc 3 'first' 'second'",
        `dbstub-init: uname Linux ${release} x86_64`,
        'dbstub-init: exit through isa-debug-exit',
      ]);
      expect(r.status, r.stderr).toBe(INIT_EXIT_STATUS);
    }, 600_000);
});
