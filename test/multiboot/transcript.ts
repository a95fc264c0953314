// The Multiboot example kernels (examples/multiboot/lm64, pm32): their inputs (two modules, a command
// line), the COM1 transcript they must print, computed from those inputs and the RAM size, and runners
// for qemu-system-x86_64 -kernel and for dbstub. Shared by the dbstub-side and the QEMU-side tests.
import { execFileSync, spawn } from 'node:child_process';
import { expect } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { dbstub } from '../cli/cli-inproc.js';

export const ROOT = resolve(import.meta.dirname, '..', '..');
export const KERNELS = {
  lm64: join(ROOT, 'build', 'guests', 'multiboot', 'lm64.elf'),
  pm32: join(ROOT, 'build', 'guests', 'multiboot', 'pm32.elf'),
} as const;
export type KernelName = keyof typeof KERNELS;

/** isa-debug-exit value the kernels write on success (EXIT_OK in common/kernel.h): status (0x10 << 1) | 1. */
export const EXIT_OK_STATUS = (0x10 << 1) | 1;

export interface Module {
  path: string;
  /** The whole -initrd item: path and arguments; QEMU hands it to the kernel as the module string. */
  string: string;
  bytes: Uint8Array;
}
export interface BootInputs {
  ramMiB: number;
  append: string;
  modules: Module[];
}

const tempDirs: string[] = [];
const tempDir = (prefix: string): string => {
  const d = mkdtempSync(join(tmpdir(), prefix));
  tempDirs.push(d);
  return d;
};
/** Remove the module and log directories this process created (call from afterAll). */
export function removeTempDirs(): void {
  for (const d of tempDirs.splice(0)) rmSync(d, { recursive: true, force: true });
}

/** Two modules in a fresh directory: 5000 bytes of an LCG (not a page multiple) and a short text file. */
export function makeInputs(ramMiB: number, append = 'console=ttyS0 answer=42 mode=test'): BootInputs {
  const dir = tempDir('dbstub-mb-');
  const a = new Uint8Array(5000);
  let x = 12345;
  for (let i = 0; i < a.length; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    a[i] = x >>> 24;
  }
  const b = new TextEncoder().encode('second module: plain text\n');
  const pa = join(dir, 'mod-a.bin');
  const pb = join(dir, 'mod-b.txt');
  writeFileSync(pa, a);
  writeFileSync(pb, b);
  return {
    ramMiB,
    append,
    modules: [
      { path: pa, string: `${pa} first=1 second=two`, bytes: a },
      { path: pb, string: pb, bytes: b },
    ],
  };
}

/** -initrd / --initrd value: comma-separated module items (QEMU's syntax). */
export const initrdArg = (inp: BootInputs): string => inp.modules.map((m) => m.string).join(',');

const hex = (v: number | bigint): string => `0x${v.toString(16)}`;

/** FNV-1a 32-bit, as fnv1a() in examples/multiboot/common/kernel.h. */
export function fnv1a(bytes: Uint8Array): number {
  let h = 2166136261;
  for (const b of bytes) h = Math.imul(h ^ b, 16777619) >>> 0;
  return h;
}

// The memory map QEMU 7.2 with SeaBIOS hands a Multiboot kernel (measured with -m 16, 64, 128, 200, 3000;
// valid while the RAM fits below the PCI hole, i440fx: < 3.5 GiB): conventional memory up to the EBDA,
// the EBDA, the BIOS area, RAM from 1 MiB to 128 KiB below the top (SeaBIOS keeps the top 128 KiB), the
// BIOS flash, and (AMD CPU vendor: QEMU's default qemu64 model is AuthenticAMD) the HyperTransport hole.
const E820_RAM = 1;
const E820_RESERVED = 2;
const EBDA = 0x9fc00;
const SEABIOS_TOP_RESERVED = 0x20000;
const HIGH_MEM = 0x100000;
export function qemuMmap(ramBytes: number, vendor: 'amd' | 'intel'): Array<[bigint, bigint, number]> {
  const top = BigInt(ramBytes - SEABIOS_TOP_RESERVED);
  return [
    [0n, BigInt(EBDA), E820_RAM],
    [BigInt(EBDA), 0xa0000n - BigInt(EBDA), E820_RESERVED],
    [0xf0000n, 0x10000n, E820_RESERVED],
    [BigInt(HIGH_MEM), top - BigInt(HIGH_MEM), E820_RAM],
    [top, BigInt(SEABIOS_TOP_RESERVED), E820_RESERVED],
    [0xfffc0000n, 0x40000n, E820_RESERVED],
    ...(vendor === 'amd' ? ([[0xfd00000000n, 0x300000000n, E820_RESERVED]] as Array<[bigint, bigint, number]>) : []),
  ];
}

/** Multiboot info lines (common/kernel.h print_mb_info) for what QEMU's -kernel loader gives. */
function mbInfoLines(kernelPath: string, inp: BootInputs, vendor: 'amd' | 'intel'): string[] {
  const ram = inp.ramMiB << 20;
  // QEMU: flags MEM | BOOTDEV | CMDLINE | MODS | MMAP | LOADER_NAME (Multiboot 0.6.96, 3.3).
  const flags = (1 << 0) | (1 << 1) | (1 << 2) | (1 << 3) | (1 << 6) | (1 << 9);
  const mmap = qemuMmap(ram, vendor);
  const memUpper = Number(mmap[3]![1]) / 1024; // the RAM run that starts at 1 MiB
  return [
    'mb: magic=0x2badb002',
    `mb: flags=${hex(flags)}`,
    `mb: mem_lower=${EBDA / 1024}K mem_upper=${memUpper}K`,
    ...mmap.map(([b, l, t], i) => `mb: mmap[${i}] base=${hex(b)} len=${hex(l)} type=${t}`),
    // QEMU puts the -kernel path and a space before the -append text.
    `mb: cmdline="${kernelPath} ${inp.append}"`,
    `mb: mods_count=${inp.modules.length}`,
    ...inp.modules.map(
      (m, i) => `mb: mod[${i}] string="${m.string}" size=${m.bytes.length} fnv1a=${hex(fnv1a(m.bytes))} page_aligned=yes`,
    ),
    'mb: boot_loader_name="qemu"',
  ];
}

// Constants of the emulated PC both machines must show (QEMU 7.2, KVM alike).
const LAPIC_VERSION = 0x50014; // version 0x14, max LVT entry 5
const PERIODIC_TICKS = 5; // PERIODIC_TICKS in common/kernel.h

/**
 * QEMU's transcript with its one host-clock-dependent value pinned. QEMU's LAPIC timer runs on the host
 * clock: the period after the one whose handler stops the timer can already be latched in IRR (stopping
 * the timer does not clear IRR), so QEMU may count PERIODIC_TICKS + 1 (seen: ticks=6 on a quiet machine).
 * dbstub's virtual clock always gives exactly PERIODIC_TICKS. Anything else still fails.
 */
export function qemuHostClockNormalized(lines: readonly string[]): string[] {
  return lines.map((l) => {
    const m = /^timer: periodic ticks=(\d+) (.*)$/.exec(l);
    if (!m) return l;
    expect([PERIODIC_TICKS, PERIODIC_TICKS + 1]).toContain(Number(m[1]));
    return `timer: periodic ticks=${PERIODIC_TICKS} ${m[2]}`;
  });
}
const TIMER_VECTOR = 0x40;
const LVT_MASKED = 1 << 16; // SDM Vol. 3 Figure 11-8 (Local Vector Table)
const PIT_PIC_LINES = [
  'io: unused port 0x2f8 reads 0xff then 0xff', // an unassigned ISA port floats high
  'pic: masked imr1=0xff imr2=0xff',
  'apic: base=0xfee00000 bsp=1 enabled=1',
  `apic: id=0x0 version=${hex(LAPIC_VERSION)} svr=0x1ff`,
  'timer: divide=0x3',
  'timer: one-shot ticks=1 current_after=0x0 lvt=0x40',
  `timer: periodic ticks=${PERIODIC_TICKS} hlt_wakeups_in_range=yes current_in_range=yes lvt=${hex(LVT_MASKED | TIMER_VECTOR)} stopped_current=0x0`,
  'sti: pending before=0 seen_in_shadow=0 after=1 taken_at_shadow_end=yes',
  'ipi: self vector=0x41 taken_with_tpr_high=0 taken_after_tpr_0=1 icr_idle=yes',
];
const fwCfgLine = (inp: BootInputs): string =>
  `fw_cfg: signature="QEMU" nb_cpus=1 max_cpus=1 ram_size=${hex(inp.ramMiB * 2 ** 20)} (${inp.ramMiB} MiB)`;

/** The ACPI tables QEMU's firmware installs for a pc machine before a Multiboot kernel runs (hw/i386/acpi-build.c:
 *  RSDP revision 0 with QEMU's OEM ID, a revision-1 FADT for PIIX4, the PM blocks at 0x600, SCI on IRQ 9). */
export const ACPI_LINE = 'acpi: rsdp oem="BOCHS " rev=0 fadt rev=1 sci=9 pm1a_evt=0x600 pm1a_cnt=0x604 pm_tmr=0x608 facs=yes';

/** x2APIC lines: QEMU 7.2 TCG has no x2APIC; a machine that reports it in CPUID must show these values. */
export const X2APIC_ABSENT = 'x2apic: not reported by CPUID';
export const X2APIC_PRESENT = `x2apic: enabled id=0x0 version=${hex(LAPIC_VERSION)} svr=0x1ff tpr=0x20`;
export const isX2apicLine = (l: string): boolean => l.startsWith('x2apic:');

/** The whole expected transcript; the x2apic line is X2APIC_ABSENT or X2APIC_PRESENT per `x2apic`. */
export function expectedTranscript(
  kernel: KernelName,
  kernelPath: string,
  inp: BootInputs,
  opts: { vendor: 'amd' | 'intel'; x2apic: boolean },
): string[] {
  const x2 = opts.x2apic ? X2APIC_PRESENT : X2APIC_ABSENT;
  const serial = 'serial: lcr=0x3 lsr=0x60 scratch=0x5a';
  if (kernel === 'lm64')
    return [
      'entry32: protected mode entry from the Multiboot loader',
      'entry32: cr0.pe=1 cr0.pg=0 eflags.if=0',
      serial,
      'lm64: 64-bit code running',
      'cpu: long mode efer.lme=1 efer.lma=1 cr0.pg=1 cr4.pae=1 cs=0x8',
      ...mbInfoLines(kernelPath, inp, opts.vendor),
      'gdt: loaded, tr=0x28 tss_busy=1',
      'idt: loaded',
      'exc: vector=3 error=0x0 cpl=0 cs=0x8 ss=0x10 rip_as_expected=yes',
      'exc: vector=6 error=0x0 cpl=0 cs=0x8 ss=0x10 rip_as_expected=yes',
      'exc: vector=13 error=0x60 cpl=0 cs=0x8 ss=0x10 rip_as_expected=yes', // selector 0x63 -> index 12, TI 0
      'exc: vector=0 error=0x0 cpl=0 cs=0x8 ss=0x10 rip_as_expected=yes',
      'exc: vector=14 error=0x0 cpl=0 cs=0x8 ss=0x10 cr2=0x100000000 rip_as_expected=yes',
      // compatibility mode at CPL0: 0x48 is DEC EAX (not REX.W), PUSH moves ESP by 4, then back to 64-bit
      'compat: cs=0x38 dec_eax=0x4 push_bytes=4 back cs=0x8 efer.lma=1',
      ...PIT_PIC_LINES,
      fwCfgLine(inp),
      'exc: vector=3 error=0x0 cpl=3 cs=0x23 ss=0x1b rip_as_expected=yes',
      'exc: vector=13 error=0x0 cpl=3 cs=0x23 ss=0x1b rip_as_expected=yes', // HLT at CPL3: #GP(0)
      'syscall-insn: nr=2 arg=0x21 cs=0x8 rcx_is_return=yes r11=0x2', // SYSCALL: RCX = return RIP, R11 = RFLAGS
      'syscall: from cpl=3 cs=0x23 ss=0x1b rax=0x1',
      'cpl3: back at cpl=0 user_cs=0x23 result=0x5a5b sysret_value=0x42', // SYSRETQ brought arg*2 back to CPL3
      'syscall: from cpl=3 cs=0x43 ss=0x1b rax=0x1', // 32-bit user code (compatibility mode) through a 64-bit gate
      'cpl3-compat: back at cpl=0 user_cs=0x43',
      x2,
      'spurious: 0',
      'lm64: done',
    ];
  return [
    serial,
    'pm32: 32-bit protected mode cr0.pe=1 cr0.pg=0',
    ...mbInfoLines(kernelPath, inp, opts.vendor),
    ACPI_LINE,
    'gdt: loaded cs=0x8 ds=0x10',
    'idt: loaded (32-bit interrupt gates)',
    'exc: vector=3 error=0x0 cs=0x8 eip_as_expected=yes',
    'exc: vector=6 error=0x0 cs=0x8 eip_as_expected=yes',
    'exc: vector=13 error=0x28 cs=0x8 eip_as_expected=yes', // selector 0x2b -> index 5
    'paging: cr0.pg=1 cr0.wp=1 cr4.pse=1 cr4.pae=0',
    'paging: alias write seen at physical: yes',
    'exc: vector=14 error=0x2 cs=0x8 cr2=0xc0001000 eip_as_expected=yes', // write, not present
    'exc: vector=14 error=0x3 cs=0x8 cr2=0xc0002000 eip_as_expected=yes', // write, present read-only, CR0.WP=1
    'paging: read-only page still reads 0x0',
    ...PIT_PIC_LINES,
    fwCfgLine(inp),
    x2,
    'spurious: 0',
    'pm32: done',
  ];
}

export interface GuestRun {
  lines: string[];
  status: number | null;
  stderr: string;
  /** dbstub only: the JSON log (--log-file). */
  log?: string;
}

function runChild(cmd: string, args: string[], timeoutMs: number): Promise<GuestRun> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(cmd, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${cmd} timed out after ${timeoutMs} ms\nstdout:\n${out}\nstderr:\n${err.slice(-4000)}`));
    }, timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (status) => {
      clearTimeout(timer);
      resolvePromise({ lines: out.replace(/\r/g, '').split('\n').filter((l) => l !== ''), status, stderr: err });
    });
  });
}

/** The QEMU binary (DBSTUB_QEMU overrides it; a name that does not exist shows how the tests skip without QEMU). */
export const QEMU = process.env.DBSTUB_QEMU ?? 'qemu-system-x86_64';
export const hasQemu = ((): boolean => {
  try {
    execFileSync(QEMU, ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

/** The QEMU command line the README documents, plus -m/-append/-initrd. QEMU's default CPU model
 *  (qemu64) is AuthenticAMD; `intel` keeps the model and changes only the vendor string. */
export function qemuArgs(kernelPath: string, inp: BootInputs, vendor: 'amd' | 'intel' = 'amd'): string[] {
  return [
    ...(vendor === 'intel' ? ['-cpu', 'qemu64,vendor=GenuineIntel'] : []),
    '-kernel', kernelPath, '-m', String(inp.ramMiB), '-serial', 'stdio', '-display', 'none', '-no-reboot',
    '-device', 'isa-debug-exit,iobase=0xf4,iosize=0x04', '-append', inp.append,
    ...(inp.modules.length ? ['-initrd', initrdArg(inp)] : []),
  ];
}
export const runQemu = (kernelPath: string, inp: BootInputs, vendor: 'amd' | 'intel' = 'amd'): Promise<GuestRun> =>
  runChild(QEMU, qemuArgs(kernelPath, inp, vendor), 60_000);

/** `dbstub run` arguments for the same inputs (what a user types after `node bin/dbstub.js`). */
export function dbstubArgs(kernelPath: string, inp: BootInputs, vendor: 'amd' | 'intel', extra: string[] = []): string[] {
  return [
    'run', kernelPath, '--memory', String(inp.ramMiB), '--vendor', vendor, '--append', inp.append,
    ...(inp.modules.length ? ['--initrd', initrdArg(inp)] : []), ...extra,
  ];
}
/** Runs the CLI in-process (src/cli/main.ts, the code bin/dbstub.js runs from dist/), so no stale dist/. */
export async function runDbstub(kernelPath: string, inp: BootInputs, vendor: 'amd' | 'intel', extra: string[] = []): Promise<GuestRun> {
  const logFile = join(tempDir('dbstub-mb-log-'), 'run.log');
  const r = await dbstub([...dbstubArgs(kernelPath, inp, vendor, extra), '--log-file', logFile]);
  const log = existsSync(logFile) ? readFileSync(logFile, 'utf8') : '';
  return { lines: r.stdout.replace(/\r/g, '').split('\n').filter((l) => l !== ''), status: r.status, stderr: r.stderr, log };
}
