// The same Multiboot kernel under qemu-system-x86_64 -kernel and through dbstub's loader: the kernel
// (fixtures/mb-dump.S) prints its entry registers, the GDT it finds loaded, the info structure, the
// memory map, the command line, the loader name and every module on COM1. Under QEMU that text comes
// from the real boot; for dbstub it is rendered from the loader's entry state and memory image the
// same way the kernel reads them, and the kernel itself also runs in a dbstub Machine: all three texts
// must be equal. Skipped, with the reason in the test name, when QEMU or binutils are missing (the
// dbstub-only half needs binutils alone).
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { ArchState, Vendor } from '../../src/cpu/api.js';
import { loadMultiboot, parseInitrd, planMultiboot } from '../../src/loader/multiboot.js';
import { Machine } from '../../src/machine/machine.js';
import { FakeMemory } from './fake-memory.js';
import { build, dumpKernel, ELF32_HIGHER_HALF, file, HAVE_BINUTILS } from './mb-fixtures.js';

const MiB = 1024 * 1024;

function qemuPath(): string | undefined {
  try {
    return execFileSync('sh', ['-c', 'command -v qemu-system-x86_64'], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}
const QEMU = qemuPath();
const skipReason = !QEMU ? 'qemu-system-x86_64 not installed' : !HAVE_BINUTILS ? 'binutils not installed' : undefined;
if (skipReason) console.log(`qemu-compare: SKIPPED (${skipReason})`);

const h32 = (v: number | bigint) => (Number(BigInt.asUintN(32, BigInt(v))) >>> 0).toString(16).toUpperCase().padStart(8, '0');
const dumpBytes = (b: Uint8Array) => {
  const lines: string[] = [];
  for (let i = 0; i < b.length; i += 16) lines.push([...b.subarray(i, i + 16)].map((x) => x.toString(16).toUpperCase().padStart(2, '0')).join(''));
  return lines;
};

/** What fixtures/mb-dump.S prints, computed from an entry state and a memory image. */
function render(s: ArchState, mem: FakeMemory): string {
  const rd = (a: number, n: number) => mem.u8.subarray(a, a + n);
  const u32 = (a: number) => new DataView(mem.u8.buffer).getUint32(a, true);
  const cstr = (a: number) => {
    let e = a;
    while (mem.u8[e] !== 0) e++;
    return Buffer.from(mem.u8.subarray(a, e)).toString('latin1');
  };
  const g = s.gpr;
  const out = [
    `eax=${h32(g[0]!)}`, `ebx=${h32(g[3]!)}`, `esp=${h32(g[4]!)}`, `ecx=${h32(g[1]!)}`, `edx=${h32(g[2]!)}`, `esi=${h32(g[6]!)}`, `edi=${h32(g[7]!)}`, `ebp=${h32(g[5]!)}`,
    `eflags=${h32(s.rflags)}`, `cr0=${h32(s.cr0)}`, `cr4=${h32(s.cr4)}`,
    ...['cs', 'ds', 'es', 'fs', 'gs', 'ss'].map((n) => `${n}=${h32(s.seg[{ es: 0, cs: 1, ss: 2, ds: 3, fs: 4, gs: 5 }[n]!]!.selector)}`),
    `gdtr.limit=${h32(s.gdtr.limit)}`, `gdtr.base=${h32(s.gdtr.base)}`, `idtr.limit=${h32(s.idtr.limit)}`, `idtr.base=${h32(s.idtr.base)}`,
  ];
  const mbi = Number(g[3]!);
  out.push('gdt:', ...dumpBytes(rd(Number(s.gdtr.base), s.gdtr.limit + 1)));
  out.push('mbi:', ...dumpBytes(rd(mbi, 88)));
  out.push('mmap:', ...dumpBytes(rd(u32(mbi + 48), u32(mbi + 44))));
  out.push(`cmdline=${cstr(u32(mbi + 16))}`, `loader=${cstr(u32(mbi + 64))}`);
  for (let i = 0, m = u32(mbi + 24); i < u32(mbi + 20); i++, m += 16) {
    out.push('mod:', ...dumpBytes(rd(m, 16)), `modcmd=${cstr(u32(m + 8))}`, 'moddata:', ...dumpBytes(rd(u32(m), 16)));
  }
  out.push('end');
  return out.join('\n') + '\n';
}

interface Case {
  name: string;
  vendor: Vendor;
  cpu: string;
  memoryMiB: number;
  append?: string;
  initrd?: string;
  kludge?: boolean;
}

function prepare(c: Case) {
  const k = dumpKernel(c.kludge);
  file('m1.bin', 'module one contents\n');
  file('m2.bin', new Uint8Array(5000).map((_, i) => (i * 13 + 7) & 0xff));
  const dir = k.path.slice(0, k.path.lastIndexOf('/'));
  // Module paths absolute, so QEMU (any cwd) and dbstub (the test's cwd) read the same files and report the same strings.
  const initrd = c.initrd?.replace(/(^|,)/g, `$1${dir}/`);
  return { k, dir, initrd };
}

/** The kernel run in a dbstub Machine (bare mode): its serial output and exit status. */
async function runDbstub(c: Case): Promise<{ out: string; status: number | undefined }> {
  const { k, initrd } = prepare(c);
  const m = Machine.fromFile(k.path, { config: { mode: 'bare', vendor: c.vendor, memoryMiB: c.memoryMiB, append: c.append ?? '', initrd: initrd ?? '' } });
  const r = await m.runToCompletion({ maxInsns: 5_000_000 });
  return { out: m.serialOutput, status: r.kind === 'exit' ? r.code : undefined };
}

function runBoth(c: Case): { qemu: string; dbstub: string; status: number | null; format: string } {
  const { k, dir, initrd } = prepare(c);
  const args = ['-accel', 'tcg', '-cpu', c.cpu, '-m', String(c.memoryMiB), '-display', 'none', '-serial', 'stdio', '-monitor', 'none', '-no-reboot', '-nodefaults',
    '-device', 'isa-debug-exit,iobase=0xf4,iosize=0x04', '-kernel', k.path];
  if (c.append !== undefined) args.push('-append', c.append);
  if (initrd !== undefined) args.push('-initrd', initrd);
  const r = spawnSync(QEMU!, args, { cwd: dir, encoding: 'latin1', timeout: 30_000 });
  const modules = initrd === undefined ? [] : parseInitrd(initrd).map((m) => ({ ...m, data: new Uint8Array(readFileSync(m.path)) }));
  const img = planMultiboot(k.bytes, { memorySize: c.memoryMiB * MiB, kernelName: k.path, append: c.append, modules, vendor: c.vendor });
  const mem = new FakeMemory(c.memoryMiB * MiB);
  loadMultiboot(img, mem);
  return { qemu: r.stdout.replace(/\r/g, ''), dbstub: render(img.state, mem), status: r.status, format: img.format };
}

/** QEMU exits on the isa-debug-exit write, and once in a CI run (load ~5) its stdout lacked the kernel's last
 *  byte, the newline after "end": put that one byte back. dbstub's side is deterministic and keeps it. */
function qemuTranscript(out: string): string {
  return out.endsWith('\nend') ? `${out}\n` : out;
}

const CASES: Case[] = [
  { name: 'Intel CPU model, 64 MiB, -append and two -initrd modules (one with arguments)', vendor: 'intel', cpu: 'qemu64,vendor=GenuineIntel', memoryMiB: 64, append: 'hello world', initrd: 'm1.bin argA argB,m2.bin' },
  { name: 'AMD CPU model (qemu64), 128 MiB, no -append, no modules', vendor: 'amd', cpu: 'qemu64', memoryMiB: 128 },
  { name: 'a.out-kludge flat binary, 16 MiB, one module', vendor: 'intel', cpu: 'qemu64,vendor=GenuineIntel', memoryMiB: 16, append: 'x=1', initrd: 'm2.bin', kludge: true },
];

describe('Multiboot entry state and boot information: dbstub vs qemu-system-x86_64 -kernel', () => {
  for (const c of CASES) {
    const name = skipReason ? `${c.name} (SKIPPED: ${skipReason})` : c.name;
    it.skipIf(skipReason !== undefined)(name, () => {
      const r = runBoth(c);
      expect(r.status).toBe((0x10 << 1) | 1); // the kernel ran to its isa-debug-exit
      expect(r.format).toBe(c.kludge ? 'aout-kludge' : 'elf32');
      expect(r.dbstub).toBe(qemuTranscript(r.qemu));
    });
    it.skipIf(skipReason !== undefined)(`${name}: the kernel run by dbstub prints what it printed under QEMU`, async () => {
      const q = runBoth(c);
      const d = await runDbstub(c);
      expect(d.status).toBe(q.status);
      expect(d.out.endsWith('end\n')).toBe(true);
      expect(d.out).toBe(qemuTranscript(q.qemu));
    });
  }
});

describe(HAVE_BINUTILS ? 'the dump kernel run by dbstub' : 'the dump kernel run by dbstub (SKIPPED: binutils not installed)', () => {
  it.skipIf(!HAVE_BINUTILS)('prints exactly the entry state and boot information the loader produced', async () => {
    const c = CASES[0]!;
    const d = await runDbstub(c);
    const { k, initrd } = prepare(c);
    const modules = parseInitrd(initrd!).map((m) => ({ ...m, data: new Uint8Array(readFileSync(m.path)) }));
    const img = planMultiboot(k.bytes, { memorySize: c.memoryMiB * MiB, kernelName: k.path, append: c.append, modules, vendor: c.vendor });
    const mem = new FakeMemory(c.memoryMiB * MiB);
    loadMultiboot(img, mem);
    expect(d.status).toBe((0x10 << 1) | 1);
    expect(d.out).toBe(render(img.state, mem));
  });
});

describe('a higher-half kernel under QEMU and dbstub', () => {
  const name = 'enters at the physical entry and prints the same bytes';
  it.skipIf(skipReason !== undefined)(skipReason ? `${name} (SKIPPED: ${skipReason})` : name, async () => {
    const k = build('hh-q', ELF32_HIGHER_HALF.src, ELF32_HIGHER_HALF.lds, 32);
    const q = spawnSync(QEMU!, ['-accel', 'tcg', '-m', '64', '-display', 'none', '-serial', 'stdio', '-monitor', 'none', '-no-reboot', '-nodefaults',
      '-device', 'isa-debug-exit,iobase=0xf4,iosize=0x04', '-kernel', k.path], { encoding: 'latin1', timeout: 30_000 });
    const m = Machine.fromFile(k.path, { config: { mode: 'bare' } });
    const r = await m.runToCompletion({ maxInsns: 100_000 });
    expect(q.stdout).toBe('A\x00\x10\x00\x18'); // 'A', then the physical return address 0x100018
    expect(m.serialOutput).toBe(q.stdout);
    expect(r.kind === 'exit' && r.code).toBe(q.status);
  });
  const dynName = 'the same kernel with e_type ET_DYN boots in both (neither checks e_type)';
  it.skipIf(skipReason !== undefined)(skipReason ? `${dynName} (SKIPPED: ${skipReason})` : dynName, async () => {
    const k = build('hh-dyn', ELF32_HIGHER_HALF.src, ELF32_HIGHER_HALF.lds, 32);
    const b = k.bytes.slice();
    new DataView(b.buffer).setUint16(16, 3, true);
    const path = file('hh-dyn.elf', b);
    const q = spawnSync(QEMU!, ['-accel', 'tcg', '-m', '64', '-display', 'none', '-serial', 'stdio', '-monitor', 'none', '-no-reboot', '-nodefaults',
      '-device', 'isa-debug-exit,iobase=0xf4,iosize=0x04', '-kernel', path], { encoding: 'latin1', timeout: 30_000 });
    const m = Machine.fromFile(path, { config: { mode: 'bare' } });
    const r = await m.runToCompletion({ maxInsns: 100_000 });
    expect(q.status).toBe((0x12 << 1) | 1);
    expect(m.serialOutput).toBe(q.stdout);
    expect(r.kind === 'exit' && r.code).toBe(q.status);
  });
});
