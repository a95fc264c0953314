// Debian's own distribution kernel (linux-image-cloud-amd64, fetched by scripts/fetch-linux.mjs into
// build/linux; .ci/run fetches it) booted by `dbstub run` through the 64-bit boot protocol, in both modes: the
// kernel's own console says which kernel it is, the command line it was given and the E820 map it read from
// the zero page, each checked against what the test computes from its inputs. A budget of instructions keeps
// the run to the early boot (exit 72): how far the boot gets is tracked in docs/boot.md, not asserted here.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { dbstub } from '../cli/cli-inproc.js';
import { e820Map, E820_RAM } from '../../src/loader/multiboot.js';
import { planLinux } from '../../src/loader/linux.js';
import { debianKernel } from './initramfs.js';

const KERNEL = debianKernel();
const kernelPath = KERNEL ?? '';
if (KERNEL === undefined) console.warn('test/linux/boot.test.ts: no Debian kernel in build/linux (run `node scripts/fetch-linux.mjs`): skipped');

const MiB = 1 << 20;
/** Enough instructions to decompress the kernel and print the E820 map (~110 M reach the banner). */
const EARLY_BOOT_INSNS = '130000000';
const EXIT_BUDGET = 72;

/** The kernel's e820__print_table line for one range (arch/x86/kernel/e820.c, Linux 6.1). */
const e820Line = ([base, len, type]: readonly [bigint, bigint, number]): string =>
  `BIOS-e820: [mem 0x${base.toString(16).padStart(16, '0')}-0x${(base + len - 1n).toString(16).padStart(16, '0')}] ${type === E820_RAM ? 'usable' : 'reserved'}`;

describe.skipIf(KERNEL === undefined)('Debian linux-image-cloud-amd64, early boot', () => {
  for (const [mode, vendor, mib] of [['kvm', 'intel', 256], ['bare', 'amd', 320]] as const)
    it(`${mode} mode, ${vendor}, ${mib} MiB: the banner, the command line and the E820 map as given`, async () => {
      const append = `console=ttyS0 earlyprintk=serial,ttyS0,115200 nokaslr dbstub.test=${mode}`;
      const r = await dbstub(['run', kernelPath, '--mode', mode, '--vendor', vendor, '--memory', String(mib), '--append', append, '--max-insns', EARLY_BOOT_INSNS]);
      const lines = r.stdout.replace(/\r/g, '').split('\n').map((l) => l.replace(/^\[\s*\d+\.\d+\] /, ''));
      const version = planLinux(new Uint8Array(readFileSync(kernelPath)), { memorySize: mib * MiB, vendor, append: '' }).version;
      expect(version).toMatch(/^6\.1\./);
      // The header's kernel_version is the banner without the compiler part: "REL (BUILDER) #N ... (DATE)".
      const banner = lines.find((l) => l.startsWith('Linux version ')) ?? r.stdout.slice(0, 2000);
      const [release, builder] = version.split(' ', 2);
      expect(banner.startsWith(`Linux version ${release} ${builder} (`), banner).toBe(true);
      expect(banner.endsWith(version.slice(version.indexOf(' #'))), banner).toBe(true);
      expect(lines).toContain(`Command line: ${append}`);
      const e820 = lines.filter((l) => l.startsWith('BIOS-e820: '));
      expect(e820).toEqual(e820Map(mib * MiB, vendor).map(e820Line));
      expect(r.status, r.stderr).toBe(EXIT_BUDGET);
    }, 180_000);
});
