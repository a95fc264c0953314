import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ElfError, loadElf, parseElf, symbolAddress } from '../../src/loader/elf.js';
import { FakeMemory } from './fake-memory.js';

// The committed default guest: always present, independent of the toolchain.
const HELLO = new Uint8Array(readFileSync('examples/prebuilt/hello.elf'));
const MiB = 1024 * 1024;

function patched(edit: (b: Uint8Array, dv: DataView) => void): Uint8Array {
  const b = HELLO.slice();
  edit(b, new DataView(b.buffer));
  return b;
}

function elfError(bytes: Uint8Array, memorySize = 64 * MiB): ElfError {
  try {
    parseElf(bytes, { memorySize });
  } catch (e) {
    expect(e).toBeInstanceOf(ElfError);
    return e as ElfError;
  }
  throw new Error('parseElf accepted a bad file');
}

describe('ELF64 header checks', () => {
  it('rejects a file without the ELF magic', () => {
    const e = elfError(new TextEncoder().encode('#!/bin/sh\necho not an elf\n'));
    expect(e.code).toBe('not-elf');
    expect(e.message).toMatch(/not an ELF file/);
  });

  it('rejects an empty file', () => {
    expect(elfError(new Uint8Array(0)).code).toBe('not-elf');
  });

  it('rejects a header cut short', () => {
    const e = elfError(HELLO.slice(0, 40));
    expect(e.code).toBe('truncated');
    expect(e.message).toMatch(/64-byte/);
  });

  it('rejects ELFCLASS32 naming the class', () => {
    const e = elfError(patched((b) => (b[4] = 1)));
    expect(e.code).toBe('wrong-class');
    expect(e.message).toMatch(/ELFCLASS32/);
  });

  it('rejects big-endian data encoding', () => {
    expect(elfError(patched((b) => (b[5] = 2))).code).toBe('wrong-endianness');
  });

  it('rejects a non-x86-64 machine naming it', () => {
    const e = elfError(patched((_b, dv) => dv.setUint16(18, 3, true)));
    expect(e.code).toBe('wrong-machine');
    expect(e.message).toMatch(/EM_386/);
    expect(e.message).toMatch(/EM_X86_64 \(62\)/);
    expect(elfError(patched((_b, dv) => dv.setUint16(18, 183, true))).message).toMatch(/e_machine=183/);
  });

  it('rejects relocatable objects and PIEs as not executable', () => {
    const rel = elfError(patched((_b, dv) => dv.setUint16(16, 1, true)));
    expect(rel.code).toBe('not-executable');
    expect(rel.message).toMatch(/ET_REL/);
    expect(elfError(patched((_b, dv) => dv.setUint16(16, 3, true))).message).toMatch(/ET_DYN/);
  });

  it('rejects PT_LOAD segments outside guest memory', () => {
    const e = elfError(HELLO, 1 * MiB); // the guest is linked at 1 MiB, so nothing fits in 1 MiB
    expect(e.code).toBe('segment-outside-memory');
    expect(e.message).toMatch(/outside guest memory \(0\.\.0x100000\)/);
  });

  it('rejects a file whose segment data lies beyond its end', () => {
    const img = parseElf(HELLO, { memorySize: 64 * MiB });
    const lastSegEnd = Math.max(...img.segments.map((s) => s.data.byteOffset + s.data.length));
    const e = elfError(HELLO.slice(0, lastSegEnd - 1));
    expect(e.code).toBe('truncated');
  });

  it('rejects a file with no PT_LOAD segments', () => {
    // Turn every PT_LOAD into PT_NULL.
    const b = patched((buf, dv) => {
      const phoff = Number(dv.getBigUint64(32, true));
      const n = dv.getUint16(56, true);
      for (let i = 0; i < n; i++) if (dv.getUint32(phoff + i * 56, true) === 1) dv.setUint32(phoff + i * 56, 0, true);
      void buf;
    });
    expect(elfError(b).code).toBe('no-segments');
  });
});

describe('loading and symbols', () => {
  const img = parseElf(HELLO, { memorySize: 64 * MiB });

  it('finds the entry point and the symbol table', () => {
    expect(img.entry).toBe(0x100000n);
    expect(symbolAddress(img, '_start')).toBe(img.entry);
    const main = img.symbols.get('main')!;
    expect(main.type).toBe('func');
    expect(main.bind).toBe('global');
    const values = img.symbols.get('values')!;
    expect(values.type).toBe('object');
    expect(values.size).toBe(16 * 4);
    expect(() => symbolAddress(img, 'no_such_symbol')).toThrow(/no_such_symbol/);
  });

  it('copies PT_LOAD segments to p_paddr and zeroes the bss', () => {
    const mem = new FakeMemory(4 * MiB);
    mem.u8.fill(0xaa);
    loadElf(img, mem);
    for (const s of img.segments) {
      expect(Buffer.from(mem.u8.subarray(s.paddr, s.paddr + s.data.length)).equals(Buffer.from(s.data))).toBe(true);
      expect(mem.u8.subarray(s.paddr + s.data.length, s.paddr + s.memsz).every((b) => b === 0)).toBe(true);
    }
    // `values` lives in .bss: zero after loading even though the RAM held 0xaa.
    const v = Number(symbolAddress(img, 'values'));
    expect([...mem.u8.subarray(v, v + 64)].every((b) => b === 0)).toBe(true);
    // Bytes outside every segment are untouched.
    expect(mem.u8[0xfffff]).toBe(0xaa);
    expect(mem.u8[img.physHigh]).toBe(0xaa);
    // The first instruction bytes at the entry point are those of the file's text segment.
    const text = img.segments.find((s) => s.paddr === 0x100000)!;
    expect(mem.u8[0x100000]).toBe(text.data[0]);
  });
});
