// Debian's own distribution kernel (linux-image-cloud-amd64, fetched by scripts/fetch-linux.mjs into
// build/linux; .ci/run fetches it) booted by `dbstub run` through the 64-bit boot protocol, in both modes: the
// kernel's own console says which kernel it is, the command line it was given and the E820 map it read from
// the zero page, each checked against what the test computes from its inputs; the ACPI tables it found (each
// line computed from src/loader/acpi.ts's layout), the I/O APIC and interrupt overrides it took from the MADT,
// and in kvm mode KVM itself (the hypervisor leaves and kvm-clock), in bare mode no hypervisor. A budget of
// instructions keeps the run to the early boot (exit 72): how far the boot gets is tracked in docs/boot.md. The same
// kernel as an uncompressed vmlinux boots through its PVH entry note (`--kernel vmlinux`, as QEMU's -kernel).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { dbstub } from '../cli/cli-inproc.js';
import { e820Map, E820_RAM, E820_RESERVED } from '../../src/loader/multiboot.js';
import { planLinux } from '../../src/loader/linux.js';
import { buildAcpiTables } from '../../src/loader/acpi.js';
import { debianKernel } from './initramfs.js';
import { extractVmlinux } from './vmlinux.js';

const KERNEL = debianKernel();
const kernelPath = KERNEL ?? '';
if (KERNEL === undefined) console.warn('test/linux/boot.test.ts: no Debian kernel in build/linux (run `node scripts/fetch-linux.mjs`): skipped');

const MiB = 1 << 20;
/** Enough instructions to decompress the kernel and print the E820 map (~110 M reach the banner). */
const EARLY_BOOT_INSNS = '130000000';
const EXIT_BUDGET = 72;

const hex32 = (n: number, w = 8): string => n.toString(16).toUpperCase().padStart(w, '0');
/** acpi_tb_print_table_header's lines (drivers/acpi/acpica/tbprint.c, Linux 6.1) for the tables dbstub builds. */
function acpiTableLines(memorySize: number): string[] {
  const t = buildAcpiTables(memorySize);
  const len = (at: number): number => t.blobs.find(([a]) => a === at)![1].length;
  const at = (a: number): string => `0x${hex32(0)}${hex32(a)}`;
  const sdt = (sig: string, a: number): string => `ACPI: ${sig} ${at(a)} ${hex32(len(a), 6)} (v01 BOCHS  BXPC     00000001 BXPC 00000001)`;
  const l = t.layout;
  return [
    `ACPI: RSDP ${at(l.rsdp)} 000014 (v00 BOCHS )`,
    sdt('RSDT', l.rsdt),
    sdt('FACP', l.fadt),
    sdt('DSDT', l.dsdt),
    `ACPI: FACS ${at(l.facs)} 000040`,
    sdt('APIC', l.madt),
  ];
}

/** What Linux's acpi_parse_ioapic / acpi_parse_int_src_ovr / acpi_parse_fadt print for dbstub's MADT and FADT. */
const MADT_LINES = [
  'ACPI: PM-Timer IO Port: 0x608',
  'ACPI: LAPIC_NMI (acpi_id[0xff] dfl dfl lint[0x1])',
  'IOAPIC[0]: apic_id 0, version 32, address 0xfec00000, GSI 0-23',
  'ACPI: INT_SRC_OVR (bus 0 bus_irq 0 global_irq 2 dfl dfl)',
  'ACPI: INT_SRC_OVR (bus 0 bus_irq 5 global_irq 5 high level)',
  'ACPI: INT_SRC_OVR (bus 0 bus_irq 9 global_irq 9 high level)',
  'ACPI: INT_SRC_OVR (bus 0 bus_irq 10 global_irq 10 high level)',
  'ACPI: INT_SRC_OVR (bus 0 bus_irq 11 global_irq 11 high level)',
  'ACPI: Using ACPI (MADT) for SMP configuration information',
];

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
      const acpi = lines.filter((l) => /^ACPI: (RSDP|RSDT|FACP|DSDT|FACS|APIC|HPET|XSDT) /.test(l));
      expect(acpi).toEqual(acpiTableLines(mib * MiB));
      const firstMadt = lines.indexOf(MADT_LINES[0]!);
      expect(lines.slice(firstMadt, firstMadt + MADT_LINES.length)).toEqual(MADT_LINES);
      // kvm mode: KVM's CPUID leaves (kvm_detect), kvm-clock through the new MSRs, the TSC rate from its mul/shift.
      const kvmLines = ['Hypervisor detected: KVM', 'kvm-clock: Using msrs 4b564d01 and 4b564d00', 'tsc: Detected 1000.000 MHz processor', 'Booting paravirtualized kernel on KVM'];
      if (mode === 'kvm') for (const l of kvmLines) expect(lines).toContain(l);
      else {
        expect(lines.filter((l) => l.startsWith('Hypervisor detected') || l.startsWith('kvm-clock'))).toEqual([]);
        expect(lines).toContain('Booting paravirtualized kernel on bare hardware');
        expect(lines).toContain('tsc: Fast TSC calibration using PIT');
      }
      expect(r.status, r.stderr).toBe(EXIT_BUDGET);
    }, 600_000);
});

// QEMU's `-kernel vmlinux`: the uncompressed kernel taken out of the same bzImage (vmlinux.ts, extract-vmlinux's
// method) boots through its PVH entry note with no decompressor, so a short budget reaches the same early lines.
const VMLINUX = KERNEL === undefined ? undefined : extractVmlinux(KERNEL);
if (KERNEL !== undefined && VMLINUX === undefined) console.warn('test/linux/boot.test.ts: no vmlinux could be extracted from the bzImage (lz4 missing?): PVH boot skipped');
/** The banner comes ~13 M instructions in (no decompression); the MADT lines by ~40 M. */
const PVH_EARLY_INSNS = '50000000';

describe.skipIf(VMLINUX === undefined)('Debian linux-image-cloud-amd64 as an uncompressed vmlinux (PVH entry), early boot', () => {
  it('kvm mode, intel, 256 MiB: the banner, command line, E820 map from hvm_start_info, ACPI tables and kvm-clock', async () => {
    const append = 'console=ttyS0 earlyprintk=serial,ttyS0,115200 dbstub.test=pvh';
    const r = await dbstub(['run', '--kernel', VMLINUX ?? '', '--mode', 'kvm', '--memory', '256', '--append', append, '--max-insns', PVH_EARLY_INSNS]);
    const lines = r.stdout.replace(/\r/g, '').split('\n').map((l) => l.replace(/^\[\s*\d+\.\d+\] /, ''));
    const version = planLinux(new Uint8Array(readFileSync(kernelPath)), { memorySize: 256 * MiB, vendor: 'intel', append: '' }).version;
    expect(lines.find((l) => l.startsWith('Linux version ')) ?? r.stdout.slice(0, 2000)).toContain(`Linux version ${version.split(' ')[0]} `);
    expect(lines).toContain(`Command line: ${append}`);
    // init_pvh_bootparams adds the ISA hole (0xA0000-0xFFFFF) as reserved, which e820 merges with the EBDA range.
    const e820 = e820Map(256 * MiB, 'intel');
    const merged: (readonly [bigint, bigint, number])[] = [e820[0]!, [e820[1]![0], 0x100000n - e820[1]![0], E820_RESERVED], ...e820.slice(3)];
    expect(lines.filter((l) => l.startsWith('BIOS-e820: '))).toEqual(merged.map(e820Line));
    expect(lines.filter((l) => /^ACPI: (RSDP|RSDT|FACP|DSDT|FACS|APIC) /.test(l))).toEqual(acpiTableLines(256 * MiB));
    expect(lines).toContain('IOAPIC[0]: apic_id 0, version 32, address 0xfec00000, GSI 0-23');
    expect(lines).toContain('kvm-clock: Using msrs 4b564d01 and 4b564d00');
    expect(r.status, r.stderr).toBe(EXIT_BUDGET);
  }, 600_000);

  it('bare mode, amd: the same boot prints the same transcript twice, timestamps included (virtual time: one tick per instruction, 1 ns)', async () => {
    const run = () => dbstub(['run', '--kernel', VMLINUX ?? '', '--mode', 'bare', '--vendor', 'amd', '--memory', '256', '--append', 'console=ttyS0 earlyprintk=serial,ttyS0,115200', '--max-insns', PVH_EARLY_INSNS]);
    const [a, b] = [await run(), await run()];
    // Long enough to be worth comparing: the banner, the TSC calibration against the PIT, timestamps that advance.
    expect(a.stdout).toContain('tsc: Fast TSC calibration using PIT');
    expect(a.stdout).toMatch(/^\[\s*0\.0*[1-9]\d*\] /m);
    expect(b.stdout).toBe(a.stdout);
  }, 600_000);
});
