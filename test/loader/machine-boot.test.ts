// The image-loading path of Machine and the CLI around it: which protocol a file boots with, the
// Multiboot memory image and entry state inside a real Machine, reset, --append/--initrd through the
// config, and exit status 65 with a clear message for a bad Multiboot kernel.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.js';
import { configFromArgv } from '../../src/cli/options.js';
import { formatConfig, parseConfig } from '../../src/config/config.js';
import { Machine } from '../../src/machine/machine.js';
import { MB_INFO_ADDR, MultibootError } from '../../src/loader/multiboot.js';
import { build, ELF32_TWO_SEGMENTS, elf64Kernel, file, flat, HAVE_BINUTILS } from './mb-fixtures.js';

const HELLO = 'examples/prebuilt/hello.elf';
const u32 = (b: Uint8Array, off = 0) => new DataView(b.buffer, b.byteOffset).getUint32(off, true);
const cstr = (m: Machine, addr: number) => {
  const b = m.memory.readPhys(addr, 256);
  return Buffer.from(b.subarray(0, b.indexOf(0))).toString('latin1');
};

describe('config keys boot / append / initrd', () => {
  it('defaults: boot auto, no command line, no modules; strings are validated and printed quoted', () => {
    const c = parseConfig({});
    expect([c.boot, c.append, c.initrd]).toEqual(['auto', '', '']);
    expect(() => parseConfig({ boot: 'pxe' })).toThrow(/valid values: auto, multiboot, elf64/);
    expect(() => parseConfig({ append: 5 })).toThrow(/for append; valid values: a string/);
    expect(formatConfig(parseConfig({ append: 'a b' }))).toMatch(/^append\s+"a b"/m);
  });
  it('come from --config files (camelCase or flag names) and flags override them', () => {
    const f = file('boot.json', JSON.stringify({ boot: 'multiboot', append: 'from file', initrd: 'a.bin x' }));
    const c = configFromArgv({ config: f, append: 'from flag' });
    expect([c.boot, c.append, c.initrd]).toEqual(['multiboot', 'from flag', 'a.bin x']);
  });
});

describe('protocol choice for the ELF64 guests', () => {
  it('a plain ELF64 boots in the 64-bit environment (auto and elf64)', () => {
    for (const boot of ['auto', 'elf64']) {
      const m = Machine.fromFile(HELLO, { config: { boot } });
      expect(m.bootProtocol).toBe('elf64');
      expect(m.multiboot).toBeUndefined();
      expect(m.cpu.getRip()).toBe(m.image.entry);
    }
  });
  it('boot multiboot on a file without a header is refused naming what is missing', () => {
    expect(() => Machine.fromFile(HELLO, { config: { boot: 'multiboot' } })).toThrow(MultibootError);
    expect(() => Machine.fromFile(HELLO, { config: { boot: 'multiboot' } })).toThrow(/no Multiboot header/);
  });
});

describe.skipIf(!HAVE_BINUTILS)(HAVE_BINUTILS ? 'Multiboot kernels in a Machine' : 'Multiboot kernels in a Machine (SKIPPED: binutils not installed)', () => {
  it('an ELF32 kernel with a header boots the Multiboot way: info, cmdline, modules, entry state', () => {
    const k = build('m-two-seg', ELF32_TWO_SEGMENTS.src, ELF32_TWO_SEGMENTS.lds, 32);
    const mod = file('mod-a.bin', 'MODULE-A');
    const m = Machine.fromFile(k.path, { config: { append: 'console=ttyS0', initrd: `${mod} first` } });
    expect(m.bootProtocol).toBe('multiboot');
    expect(m.image.bits).toBe(32);
    expect(m.symbol('data_word')).toBe(0x200000n);
    const info = m.memory.readPhys(MB_INFO_ADDR, 88);
    expect(u32(info, 0)).toBe(0x24f);
    expect(cstr(m, u32(info, 16))).toBe(`${k.path} console=ttyS0`);
    expect(u32(info, 20)).toBe(1);
    const mods = m.memory.readPhys(u32(info, 24), 16);
    expect(Buffer.from(m.memory.readPhys(u32(mods, 0), 8)).toString()).toBe('MODULE-A');
    expect(u32(mods, 4) - u32(mods, 0)).toBe(8);
    expect(cstr(m, u32(mods, 8))).toBe(`${mod} first`);
    const s = m.cpu.getState();
    expect(s.rip).toBe(m.image.entry);
    expect(s.gpr[0]).toBe(0x2badb002n);
    expect(s.gpr[3]).toBe(BigInt(MB_INFO_ADDR));
    expect(s.seg[1]!.selector).toBe(0x08);
    expect(s.cr0 & 0x80000001n).toBe(1n); // PE=1, PG=0
    expect(m.boot.star).toBe(0n);
  });
  it('reset() rebuilds the Multiboot image the guest may have overwritten', () => {
    const k = build('m-two-seg-r', ELF32_TWO_SEGMENTS.src, ELF32_TWO_SEGMENTS.lds, 32);
    const m = Machine.fromFile(k.path, { modules: [{ path: 'x', cmdline: 'x y', data: new Uint8Array([1, 2, 3]) }] });
    const before = m.memory.readPhys(MB_INFO_ADDR, 88);
    m.memory.writePhys(MB_INFO_ADDR, new Uint8Array(88).fill(0xaa));
    m.memory.writePhys(0x200000, new Uint8Array(4).fill(0xbb));
    m.reset();
    expect([...m.memory.readPhys(MB_INFO_ADDR, 88)]).toEqual([...before]);
    expect(u32(m.memory.readPhys(0x200000, 4))).toBe(0xcafebabe);
    expect(m.cpu.getState().gpr[0]).toBe(0x2badb002n);
  });
  it('a flat a.out-kludge binary boots with the kludge entry and no symbols', () => {
    const k = flat(build('m-k64', elf64Kernel(true).src, elf64Kernel(true).lds, 64), 'm-k64');
    const m = Machine.fromFile(k.path);
    expect(m.bootProtocol).toBe('multiboot');
    expect(m.multiboot!.format).toBe('aout-kludge');
    expect(m.image.entry).toBe(BigInt(m.multiboot!.entry));
    expect(m.symbols.size).toBe(0);
  });
  it('--boot elf64 boots an ELF64 that carries a Multiboot header (no kludge) in the 64-bit environment', () => {
    const k = build('m-k64n', elf64Kernel(false).src, elf64Kernel(false).lds, 64);
    expect(() => Machine.fromFile(k.path)).toThrow(/give a 32bit one/);
    expect(Machine.fromFile(k.path, { config: { boot: 'elf64' } }).bootProtocol).toBe('elf64');
  });
  it('a missing module file is reported with its path (ENOENT, exit status 66 in the CLI)', () => {
    const k = build('m-two-seg-e', ELF32_TWO_SEGMENTS.src, ELF32_TWO_SEGMENTS.lds, 32);
    expect(() => Machine.fromFile(k.path, { config: { initrd: '/nonexistent/mod.bin arg' } })).toThrow(/nonexistent\/mod\.bin/);
  });
});

describe('CLI exit status 65 for bad Multiboot kernels', () => {
  let err = '';
  beforeEach(() => {
    err = '';
    vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => {
      err += String(s);
      return true;
    });
  });
  afterEach(() => {
    vi.restoreAllMocks();
    process.exitCode = undefined;
  });
  it('bad checksum', async () => {
    const b = new Uint8Array(4096);
    const dv = new DataView(b.buffer);
    dv.setUint32(0, 0x1badb002, true);
    dv.setUint32(4, 0x10000, true);
    dv.setUint32(8, 0, true);
    const p = file('badsum.bin', b);
    expect(await main(['run', p])).toBe(65);
    expect(err).toMatch(/bad Multiboot kernel: Multiboot magic at offset 0 but the checksum is wrong/);
  });
  it.skipIf(!HAVE_BINUTILS)(HAVE_BINUTILS ? 'ELF64 without the kludge' : 'ELF64 without the kludge (SKIPPED: binutils not installed)', async () => {
    const k = build('cli-k64n', elf64Kernel(false).src, elf64Kernel(false).lds, 64);
    expect(await main(['run', k.path, '--mode', 'bare'])).toBe(65);
    expect(err).toMatch(/bad Multiboot kernel: .*x86-64 ELF without the a\.out kludge/);
  });
  it('--initrd naming a missing file exits 66', async () => {
    const raw = new Uint8Array(4096);
    const dv = new DataView(raw.buffer);
    dv.setUint32(0, 0x1badb002, true);
    dv.setUint32(4, 0x10000, true);
    dv.setUint32(8, (-(0x1badb002 + 0x10000)) >>> 0, true);
    [0x100000, 0x100000, 0, 0, 0x100000].forEach((v, i) => dv.setUint32(12 + 4 * i, v, true));
    const k = file('kludge.bin', raw);
    expect(await main(['run', k, '--initrd', '/nonexistent/m.bin'])).toBe(66);
    expect(err).toMatch(/cannot read \/nonexistent\/m\.bin/);
  });
});
