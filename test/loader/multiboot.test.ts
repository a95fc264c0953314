// Multiboot v1 loading as QEMU's -kernel does it: header search, flag and checksum handling, ELF32 and
// a.out-kludge kernels, the info structure byte by byte, the module layout and the entry state.
import { describe, expect, it } from 'vitest';
import {
  buildMmap,
  findMultibootHeader,
  loadMultiboot,
  MB_GDT,
  MB_GDT_ADDR,
  MB_INFO_ADDR,
  MB_MMAP_ADDR,
  MultibootError,
  parseInitrd,
  planMultiboot,
  type MultibootOptions,
} from '../../src/loader/multiboot.js';
import { ElfError } from '../../src/loader/elf.js';
import { FakeMemory } from './fake-memory.js';
import { build, ELF32_HIGHER_HALF, ELF32_TWO_SEGMENTS, elf64Kernel, flat, HAVE_BINUTILS } from './mb-fixtures.js';

const MiB = 1024 * 1024;
const MAGIC = 0x1badb002;

/** A raw image with a header at `offset`: magic, flags, checksum (+ optional kludge fields). */
function rawImage(offset: number, flags: number, opts: { size?: number; checksum?: number; fields?: number[] } = {}): Uint8Array {
  const b = new Uint8Array(opts.size ?? 16384);
  const dv = new DataView(b.buffer);
  dv.setUint32(offset, MAGIC, true);
  dv.setUint32(offset + 4, flags, true);
  dv.setUint32(offset + 8, opts.checksum ?? (-(MAGIC + flags)) >>> 0, true);
  (opts.fields ?? []).forEach((v, i) => dv.setUint32(offset + 12 + 4 * i, v, true));
  return b;
}

function mbError(bytes: Uint8Array, o: Partial<MultibootOptions> = {}): MultibootError {
  try {
    planMultiboot(bytes, { memorySize: 64 * MiB, kernelName: 'k', ...o });
  } catch (e) {
    expect(e).toBeInstanceOf(MultibootError);
    return e as MultibootError;
  }
  throw new Error('planMultiboot accepted a bad image');
}

const u32 = (b: Uint8Array, off: number) => new DataView(b.buffer, b.byteOffset).getUint32(off, true);
const cstrAt = (mem: FakeMemory, addr: number) => {
  let e = addr;
  while (mem.u8[e] !== 0) e++;
  return Buffer.from(mem.u8.subarray(addr, e)).toString('latin1');
};

describe('header search (first 8 KiB, 4-byte aligned, QEMU limit 8192-48)', () => {
  it('finds a header at offset 0, at 4-aligned offsets and at the last offset QEMU scans (8140)', () => {
    for (const off of [0, 4, 0x1000, 8140]) {
      const r = findMultibootHeader(rawImage(off, 0x10000));
      expect(r.header?.offset).toBe(off);
    }
  });
  it('ignores a magic that is not 4-byte aligned', () => {
    expect(findMultibootHeader(rawImage(6, 0x10000)).header).toBeUndefined();
  });
  it('does not find a header at 8144 or beyond (QEMU scans i < 8192 - 48)', () => {
    expect(findMultibootHeader(rawImage(8144, 0x10000)).header).toBeUndefined();
    expect(findMultibootHeader(rawImage(8192, 0x10000)).header).toBeUndefined();
    expect(mbError(rawImage(8192, 0x10000)).code).toBe('no-header');
  });
  it('skips a magic with a bad checksum and takes a later valid header, like QEMU', () => {
    const b = rawImage(0x40, 0x10000);
    new DataView(b.buffer).setUint32(0x10, MAGIC, true); // stray magic, checksum word 0
    expect(findMultibootHeader(b).header?.offset).toBe(0x40);
  });
  it('reports a bad checksum with the value it should have', () => {
    const e = mbError(rawImage(0x20, 0x3, { checksum: 0x12345678 }));
    expect(e.code).toBe('bad-checksum');
    expect(e.message).toContain('offset 32');
    expect(e.message).toContain(`0x${((-(MAGIC + 3)) >>> 0).toString(16)}`);
  });
  it('does not read past the end of a short file', () => {
    expect(findMultibootHeader(new Uint8Array([0x02, 0xb0, 0xad, 0x1b, 0, 0])).header).toBeUndefined();
  });
});

describe('--initrd syntax (QEMU get_opt_value)', () => {
  it('splits modules on commas, the file name ends at the first space, ",," is a comma', () => {
    expect(parseInitrd('a.bin arg1 arg2,b.bin')).toEqual([
      { path: 'a.bin', cmdline: 'a.bin arg1 arg2' },
      { path: 'b.bin', cmdline: 'b.bin' },
    ]);
    expect(parseInitrd('x,,y.bin k=v')).toEqual([{ path: 'x,y.bin', cmdline: 'x,y.bin k=v' }]);
  });
});

describe('a.out kludge (flag bit 16) on a raw image', () => {
  // header at file offset 0x40, header_addr 0x100040 -> file offset 0 loads at 0x100000.
  const kludge = (fields: number[], size = 0x3000) => {
    const b = rawImage(0x40, 0x10003, { size, fields });
    for (let i = 0x100; i < size; i++) b[i] = i & 0xff;
    return b;
  };
  it('loads load_addr..load_end_addr from the file, zeroes up to bss_end_addr, enters at entry_addr', () => {
    const img = planMultiboot(kludge([0x100040, 0x100000, 0x102000, 0x104800, 0x100123]), { memorySize: 64 * MiB, kernelName: 'raw' });
    expect(img.format).toBe('aout-kludge');
    expect(img.loadAddr).toBe(0x100000);
    expect(img.kernelSize).toBe(0x4800);
    expect(img.entry).toBe(0x100123);
    expect(img.buf[0x1fff]).toBe(0xff);
    expect(img.buf[0x2000]).toBe(0); // bss
    expect(img.buf[0x47ff]).toBe(0);
    expect(img.state.rip).toBe(0x100123n);
  });
  it('load_end_addr 0 loads the rest of the file; bss_end_addr 0 means no bss', () => {
    const img = planMultiboot(kludge([0x100040, 0x100000, 0, 0, 0x100000], 0x2345), { memorySize: 64 * MiB, kernelName: 'raw' });
    expect(img.kernelSize).toBe(0x2345);
    expect(img.modsAddr).toBe(0x103000); // page-aligned end of the kernel
  });
  it('a header_addr that puts load_addr before the file start is refused (QEMU: invalid header_addr)', () => {
    const e = mbError(kludge([0x100080, 0x100000, 0, 0, 0x100000]));
    expect(e.code).toBe('bad-address');
    expect(e.message).toMatch(/invalid header_addr/);
  });
  it('header_addr below load_addr, load_end below load, bss_end below load_end are refused', () => {
    expect(mbError(kludge([0x0ffff0, 0x100000, 0, 0, 0x100000])).message).toMatch(/invalid load_addr/);
    expect(mbError(kludge([0x100040, 0x100000, 0xff000, 0, 0x100000])).message).toMatch(/invalid load_end_addr/);
    expect(mbError(kludge([0x100040, 0x100000, 0x102000, 0x101000, 0x100000])).message).toMatch(/invalid bss_end_addr/);
  });
  it('a load range beyond the end of the file is refused', () => {
    const e = mbError(kludge([0x100040, 0x100000, 0x110000, 0, 0x100000]));
    expect(e.code).toBe('truncated');
  });
  it('a kernel beyond RAM is refused', () => {
    expect(mbError(kludge([0x3fff040, 0x3fff000, 0, 0, 0x3fff000])).code).toBe('outside-memory');
  });
  it('a kernel over the memory map and info structure at 0x9000 loads as under QEMU: its bytes win there, with a warning (kvm-unit-tests realmode.flat)', () => {
    const warnings: string[] = [];
    const k = kludge([0x8040, 0x8000, 0, 0, 0x8000], 0x2000);
    const img = planMultiboot(k, { memorySize: 64 * MiB, kernelName: 'low', warn: (m) => warnings.push(m) });
    expect(warnings.join('\n')).toMatch(/over the memory map and info structure at 0x9000/);
    const mem = new FakeMemory(64 * MiB);
    loadMultiboot(img, mem);
    // The file bytes from load_addr (file offset 0) on: 0x9000 and 0x9500 hold the kernel's bytes, not the map/info.
    expect([...mem.readPhys(0x9000, 16)]).toEqual([...k.subarray(0x1000, 0x1010)]);
    expect([...mem.readPhys(0x9500, 16)]).toEqual([...k.subarray(0x1500, 0x1510)]);
  });
  it('a header without the kludge in a file that is not ELF is refused naming both', () => {
    const e = mbError(rawImage(0, 0x3));
    expect(e.code).toBe('not-elf32');
    expect(e.message).toMatch(/not an ELF file/);
  });
});

describe('the info structure, memory map, strings and modules (QEMU layout)', () => {
  // Kernel: 0x2800 bytes at 1 MiB via the kludge; two modules.
  const kernel = rawImage(0, 0x10003, { size: 0x2800, fields: [0x100000, 0x100000, 0, 0, 0x100000] });
  const m1 = new TextEncoder().encode('module one contents\n');
  const m2 = new Uint8Array(5000).map((_, i) => (i * 7) & 0xff);
  const img = planMultiboot(kernel, {
    memorySize: 64 * MiB,
    kernelName: '/tmp/k.bin',
    append: 'hello world',
    modules: [
      { path: 'm1.bin', cmdline: 'm1.bin argA argB', data: m1 },
      { path: 'm2.bin', cmdline: 'm2.bin', data: m2 },
    ],
  });
  const mem = new FakeMemory(64 * MiB);
  loadMultiboot(img, mem);
  const info = mem.u8.subarray(MB_INFO_ADDR, MB_INFO_ADDR + 88);

  it('info flags = memory | boot_device | cmdline | mods | mmap | boot_loader_name (0x24F)', () => {
    expect(u32(info, 0)).toBe(0x24f);
  });
  it('mem_lower 639 KiB, mem_upper = RAM from 1 MiB to the 128 KiB SeaBIOS keeps at the top', () => {
    expect(u32(info, 4)).toBe(639);
    expect(u32(info, 8)).toBe((64 * MiB - 0x20000 - MiB) / 1024);
  });
  it('boot_device 0x8000FFFF', () => expect(u32(info, 12)).toBe(0x8000ffff));
  it('mods after the page-aligned kernel; module strings, kernel cmdline and "qemu" packed after them', () => {
    expect(u32(info, 20)).toBe(2);
    expect(u32(info, 24)).toBe(0x103000);
    // 2 module entries (32 bytes), then the strings in QEMU's order.
    expect(cstrAt(mem, 0x103020)).toBe('m1.bin argA argB');
    expect(cstrAt(mem, 0x103031)).toBe('m2.bin');
    expect(u32(info, 16)).toBe(0x103038);
    expect(cstrAt(mem, 0x103038)).toBe('/tmp/k.bin hello world');
    expect(u32(info, 64)).toBe(0x10304f);
    expect(cstrAt(mem, 0x10304f)).toBe('qemu');
  });
  it('each module starts on a page boundary after the info page, with its bytes and its string', () => {
    const mods = mem.u8.subarray(0x103000, 0x103020);
    expect([u32(mods, 0), u32(mods, 4), u32(mods, 8), u32(mods, 12)]).toEqual([0x104000, 0x104000 + m1.length, 0x103020, 0]);
    expect([u32(mods, 16), u32(mods, 20), u32(mods, 24), u32(mods, 28)]).toEqual([0x105000, 0x105000 + 5000, 0x103031, 0]);
    expect([...mem.u8.subarray(0x104000, 0x104000 + m1.length)]).toEqual([...m1]);
    expect([...mem.u8.subarray(0x105000, 0x105000 + 5000)]).toEqual([...m2]);
    expect(img.bufSize).toBe(0x107000 - 0x100000);
  });
  it('the memory map: 6 E820 entries of 24 bytes at 0x9000 (Intel), SeaBIOS layout for 64 MiB', () => {
    expect(u32(info, 44)).toBe(6 * 24);
    expect(u32(info, 48)).toBe(MB_MMAP_ADDR);
    const dv = new DataView(mem.u8.buffer, MB_MMAP_ADDR);
    const entries = [...Array(6).keys()].map((i) => [dv.getUint32(i * 24, true), dv.getBigUint64(i * 24 + 4, true), dv.getBigUint64(i * 24 + 12, true), dv.getUint32(i * 24 + 20, true)]);
    expect(entries).toEqual([
      [20, 0n, 0x9fc00n, 1],
      [20, 0x9fc00n, 0x400n, 2],
      [20, 0xf0000n, 0x10000n, 2],
      [20, 0x100000n, 0x3ee0000n, 1],
      [20, 0x3fe0000n, 0x20000n, 2],
      [20, 0xfffc0000n, 0x40000n, 2],
    ]);
  });
  it('AMD CPU models get the reserved HyperTransport range as a 7th entry; >3.5 GiB splits RAM at 3 GiB', () => {
    const amd = buildMmap(64 * MiB, 'amd');
    expect(amd.length).toBe(7 * 24);
    const dv = new DataView(amd.buffer);
    expect([dv.getBigUint64(6 * 24 + 4, true), dv.getBigUint64(6 * 24 + 12, true), dv.getUint32(6 * 24 + 20, true)]).toEqual([0xfd00000000n, 0x300000000n, 2]);
    const big = new DataView(buildMmap(4096 * MiB).buffer);
    expect(big.getBigUint64(3 * 24 + 12, true)).toBe(0xc0000000n - 0x20000n - 0x100000n);
    expect([big.getBigUint64(6 * 24 + 4, true), big.getBigUint64(6 * 24 + 12, true)]).toEqual([0x100000000n, 0x40000000n]);
  });
  it('without --append the command line is the kernel name and a space; mods_addr is set with no modules', () => {
    const bare = planMultiboot(kernel, { memorySize: 64 * MiB, kernelName: 'dump.elf' });
    expect(bare.cmdline).toBe('dump.elf ');
    expect(u32(bare.info, 20)).toBe(0);
    expect(u32(bare.info, 24)).toBe(0x103000);
  });
  it('the GDT QEMU leaves loaded is in RAM at GDTR.base', () => {
    expect([...mem.u8.subarray(MB_GDT_ADDR, MB_GDT_ADDR + 40)]).toEqual([...MB_GDT]);
    expect(img.state.gdtr).toEqual({ base: BigInt(MB_GDT_ADDR), limit: 39 });
  });
});

describe('entry state (Multiboot 3.2 plus what QEMU leaves where the spec says undefined)', () => {
  const img = planMultiboot(rawImage(0, 0x10003, { size: 0x1000, fields: [0x100000, 0x100000, 0, 0, 0x100010] }), { memorySize: 64 * MiB, kernelName: 'k' });
  const s = img.state;
  it('EAX=0x2BADB002, EBX=info, EIP=entry', () => {
    expect(s.gpr[0]).toBe(0x2badb002n);
    expect(s.gpr[3]).toBe(BigInt(MB_INFO_ADDR));
    expect(s.rip).toBe(0x100010n);
  });
  it('CS 0x08 32-bit execute/read base 0 limit 4 GiB; data segments 0x10 32-bit read/write flat', () => {
    const cs = s.seg[1]!;
    expect(cs).toMatchObject({ selector: 0x08, base: 0n, limit: 0xffffffff });
    expect(cs.attrs & 0xf).toBe(0xa); // code, execute/read
    expect(cs.attrs & 0x400).toBe(0x400); // D=1: 32-bit
    expect(cs.attrs & 0x200).toBe(0); // L=0
    for (const i of [0, 2, 3, 4, 5]) {
      expect(s.seg[i]).toMatchObject({ selector: 0x10, base: 0n, limit: 0xffffffff });
      expect(s.seg[i]!.attrs & 0xe).toBe(0x2); // data, read/write
      expect(s.seg[i]!.attrs & 0x400).toBe(0x400);
    }
  });
  it('CR0.PE=1 PG=0, no PAE/LME, EFLAGS.IF=0 VM=0', () => {
    expect(s.cr0 & 1n).toBe(1n);
    expect(s.cr0 & (1n << 31n)).toBe(0n);
    expect(s.cr4).toBe(0n);
    expect(s.efer).toBe(0n);
    expect(s.rflags & (1n << 9n)).toBe(0n);
    expect(s.rflags & (1n << 17n)).toBe(0n);
  });
  it("QEMU's leftovers: ESP 0x6F08, ECX=entry, EDX 0x511, EDI 0x1000, IDTR = real-mode IVT", () => {
    expect([s.gpr[4], s.gpr[1], s.gpr[2], s.gpr[7]]).toEqual([0x6f08n, 0x100010n, 0x511n, 0x1000n]);
    expect(s.idtr).toEqual({ base: 0n, limit: 0x3ff });
  });
  it('EDX keeps the high half of mem_upper under the port number (128 MiB: 0x10511)', () => {
    const big = planMultiboot(rawImage(0, 0x10003, { size: 0x1000, fields: [0x100000, 0x100000, 0, 0, 0x100010] }), { memorySize: 128 * MiB, kernelName: 'k' });
    expect(big.state.gpr[2]).toBe(0x10511n);
  });
});

const withBinutils = (name: string) => (HAVE_BINUTILS ? name : `${name} (SKIPPED: binutils as/ld/objcopy not installed)`);
describe.skipIf(!HAVE_BINUTILS)(withBinutils('ELF kernels built with as/ld'), () => {
  it('ELF32: PT_LOAD segments at p_paddr, the gap and the bss zeroed, entry e_entry, symbols from .symtab', () => {
    const k = build('two-seg', ELF32_TWO_SEGMENTS.src, ELF32_TWO_SEGMENTS.lds, 32);
    const img = planMultiboot(k.bytes, { memorySize: 64 * MiB, kernelName: k.path });
    expect(img.format).toBe('elf32');
    expect(img.loadAddr).toBe(0x100000);
    expect(img.elf!.bits).toBe(32);
    expect(img.entry).toBe(Number(img.elf!.entry));
    expect(img.elf!.symbols.get('data_word')!.value).toBe(0x200000n);
    expect(img.elf!.symbols.get('big_bss')!.size).toBe(0x3000);
    const mem = new FakeMemory(64 * MiB);
    mem.u8.fill(0xee, 0x100000, 0x210000); // garbage that loading must overwrite
    loadMultiboot(img, mem);
    expect(u32(mem.u8, 0x200000)).toBe(0xcafebabe);
    expect(mem.u8.subarray(0x200004, 0x203004).every((b) => b === 0)).toBe(true); // bss
    expect(mem.u8[0x180000]).toBe(0); // gap between the segments
    expect(img.kernelSize).toBe(0x203004 - 0x100000);
    expect(img.modsAddr).toBe(0x204000);
  });
  it('a higher-half ELF32 (VMA != LMA) enters at the physical address of e_entry, as QEMU does', () => {
    const k = build('hh', ELF32_HIGHER_HALF.src, ELF32_HIGHER_HALF.lds, 32);
    const img = planMultiboot(k.bytes, { memorySize: 64 * MiB, kernelName: k.path });
    expect(img.elf!.entry).toBe(0xc010000cn);
    expect(img.entry).toBe(0x10000c);
    expect(img.state.rip).toBe(0x10000cn);
    expect(img.loadAddr).toBe(0x100000);
  });
  it('ELF64 with the a.out kludge loads the kludge range (QEMU ignores the ELF headers then)', () => {
    const k = build('k64', elf64Kernel(true).src, elf64Kernel(true).lds, 64);
    const img = planMultiboot(k.bytes, { memorySize: 64 * MiB, kernelName: k.path });
    expect(img.format).toBe('aout-kludge');
    expect(img.elf?.bits).toBe(64); // symbols still available
    const sym = (n: string) => Number(img.elf!.symbols.get(n)!.value);
    expect(img.entry).toBe(sym('_start'));
    expect(img.loadAddr).toBe(0x100000);
    const mem = new FakeMemory(64 * MiB);
    loadMultiboot(img, mem);
    expect(new DataView(mem.u8.buffer).getBigUint64(sym('data_word'), true)).toBe(0x0102030405060708n);
    expect(img.kernelSize).toBe(sym('_bss_end') - 0x100000);
    // The same bytes from a flat objcopy image: identical memory image and entry.
    const bin = flat(k, 'k64');
    const img2 = planMultiboot(bin.bytes, { memorySize: 64 * MiB, kernelName: k.path });
    expect(img2.entry).toBe(img.entry);
    expect([...img2.buf]).toEqual([...img.buf]);
  });
  it('ELF64 without the kludge is refused with the reason and the ways out', () => {
    const k = build('k64n', elf64Kernel(false).src, elf64Kernel(false).lds, 64);
    const e = mbError(k.bytes);
    expect(e.code).toBe('elf64-without-kludge');
    expect(e.message).toMatch(/give a 32bit one/);
    expect(e.message).toMatch(/--boot elf64/);
  });
  it('a malformed ELF32 kernel gives an ElfError naming the field', () => {
    const k = build('two-seg-bad', ELF32_TWO_SEGMENTS.src, ELF32_TWO_SEGMENTS.lds, 32);
    const b = k.bytes.slice();
    new DataView(b.buffer).setUint16(42, 20, true); // e_phentsize below the 32-byte ELF32 program header
    expect(() => planMultiboot(b, { memorySize: 64 * MiB, kernelName: 'x' })).toThrow(ElfError);
    expect(() => planMultiboot(b, { memorySize: 64 * MiB, kernelName: 'x' })).toThrow(/bad e_phentsize 20 \(expected 32\)/);
  });
  it('e_type is not checked for Multiboot ELF32 kernels (QEMU loads ET_DYN/ET_REL by their program headers)', () => {
    const k = build('two-seg-dyn', ELF32_TWO_SEGMENTS.src, ELF32_TWO_SEGMENTS.lds, 32);
    const exec = planMultiboot(k.bytes, { memorySize: 64 * MiB, kernelName: 'x' });
    for (const type of [1, 3]) {
      const b = k.bytes.slice();
      new DataView(b.buffer).setUint16(16, type, true);
      const img = planMultiboot(b, { memorySize: 64 * MiB, kernelName: 'x' });
      expect(img.entry).toBe(exec.entry);
      expect([...img.buf]).toEqual([...exec.buf]);
    }
  });
});
