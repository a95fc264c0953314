// ELF32 (i386) parsing for Multiboot kernels: same checks and message quality as ELF64, class selection.
import { describe, expect, it } from 'vitest';
import { ElfError, parseElf } from '../../src/loader/elf.js';
import { build, ELF32_TWO_SEGMENTS, HAVE_BINUTILS } from './mb-fixtures.js';

function elfError(bytes: Uint8Array, elfClass: 'elf32' | 'elf64' | 'any' = 'elf32'): ElfError {
  try {
    parseElf(bytes, { elfClass, memorySize: 64 * 1024 * 1024 });
  } catch (e) {
    expect(e).toBeInstanceOf(ElfError);
    return e as ElfError;
  }
  throw new Error('parseElf accepted a bad file');
}

describe.skipIf(!HAVE_BINUTILS)(HAVE_BINUTILS ? 'ELF32 kernels' : 'ELF32 kernels (SKIPPED: binutils not installed)', () => {
  const k = HAVE_BINUTILS ? build('elf32-unit', ELF32_TWO_SEGMENTS.src, ELF32_TWO_SEGMENTS.lds, 32).bytes : new Uint8Array();
  const patched = (edit: (dv: DataView, b: Uint8Array) => void) => {
    const b = k.slice();
    edit(new DataView(b.buffer), b);
    return b;
  };

  it('parses segments, entry and typed symbols (32-bit st_value/st_size layout)', () => {
    const img = parseElf(k, { elfClass: 'elf32' });
    expect(img.bits).toBe(32);
    expect(img.segments.map((s) => s.paddr)).toEqual([0x100000, 0x200000]);
    expect(img.segments[1]!.memsz).toBe(4 + 0x3000);
    expect(img.entry).toBe(img.symbols.get('_start')!.value);
    expect(img.symbols.get('big_bss')).toMatchObject({ value: 0x200004n, size: 0x3000, type: 'object', bind: 'global' });
  });
  it('the default (elf64) refuses ELF32 pointing at the Multiboot route; elf32 refuses ELF64', () => {
    expect(elfError(k, 'elf64').message).toMatch(/ELFCLASS32 \(32-bit\).*Multiboot header/);
    expect(elfError(patched((_d, b) => (b[4] = 2)), 'elf32').message).toMatch(/must be ELFCLASS32/);
  });
  it('a 52-byte header cut short, a wrong machine and ET_REL are named', () => {
    expect(elfError(k.slice(0, 40)).message).toMatch(/52-byte ELF32 header/);
    const m = elfError(patched((dv) => dv.setUint16(18, 62, true)));
    expect(m.code).toBe('wrong-machine');
    expect(m.message).toMatch(/EM_X86_64 \(x86-64\).*EM_386 \(3\)/);
    expect(elfError(patched((dv) => dv.setUint16(16, 1, true))).message).toMatch(/ET_REL/);
  });
  it('program headers beyond the file, a short e_phentsize and filesz > memsz are refused', () => {
    expect(elfError(patched((dv) => dv.setUint32(28, 0xfffff0, true))).code).toBe('truncated'); // e_phoff
    expect(elfError(patched((dv) => dv.setUint16(42, 16, true))).message).toMatch(/bad e_phentsize 16 \(expected 32\)/);
    const phoff = new DataView(k.buffer).getUint32(28, true);
    const e = elfError(patched((dv) => dv.setUint32(phoff + 16, 0x7fffffff, true))); // p_filesz of segment 0
    expect(e.message).toMatch(/p_filesz \d+ exceeds p_memsz/);
  });
  it('a segment beyond guest RAM is refused with the addresses', () => {
    const phoff = new DataView(k.buffer).getUint32(28, true);
    const e = elfError(patched((dv) => dv.setUint32(phoff + 32 + 12, 0x7000000, true))); // p_paddr of segment 1
    expect(e.code).toBe('segment-outside-memory');
    expect(e.message).toMatch(/0x7000000\.\.0x7003004/);
  });
});
