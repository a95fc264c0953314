// ELF executable loader (System V gABI, "ELF-64 Object File Format" v1.5, the x86-64 psABI, and for
// 32-bit Multiboot kernels the i386 psABI / ELF32 layout of the gABI). Parsing uses binary-parser; loading copies each PT_LOAD segment to its *physical* address (p_paddr)
// through PhysicalMemory.writePhys (so the CPU's decoded-instruction cache sees the write) and zeroes
// the rest of the segment (p_memsz > p_filesz: .bss).

import { Parser } from 'binary-parser';
import type { PhysicalMemory } from '../cpu/index.js';
import { ElfError } from './errors.js';

export { ElfError };

// e_ident indices and values (gABI "ELF Identification").
const ELFMAG = [0x7f, 0x45, 0x4c, 0x46]; // "\x7fELF"
const EI_CLASS = 4;
const EI_DATA = 5;
const ELFCLASS32 = 1;
const ELFCLASS64 = 2;
const ELFDATA2LSB = 1;
// e_type
const ET_REL = 1;
const ET_EXEC = 2;
const ET_DYN = 3;
const ET_CORE = 4;
// e_machine
export const EM_X86_64 = 62;
export const EM_386 = 3;
// p_type
export const PT_LOAD = 1;
// sh_type
const SHT_SYMTAB = 2;
// p_flags
export const PF_X = 1;
export const PF_W = 2;
export const PF_R = 4;
// st_info
const STT_NAMES = ['notype', 'object', 'func', 'section', 'file', 'common', 'tls'] as const;
const STB_NAMES = ['local', 'global', 'weak'] as const;

// Structure sizes per class (gABI "ELF Header", "Program Header", "Sections", "Symbol Table").
const EHDR_SIZE = 64;
const PHDR_SIZE = 56;
const SHDR_SIZE = 64;
const SYM_SIZE = 24;
const EHDR32_SIZE = 52;
const PHDR32_SIZE = 32;
const SHDR32_SIZE = 40;
const SYM32_SIZE = 16;

/** Which ELF classes a caller accepts: the 64-bit boot environment needs ELFCLASS64/EM_X86_64, a
 *  Multiboot kernel is ELFCLASS32/EM_386 (QEMU's -kernel loads those only). */
export type ElfClassWanted = 'elf64' | 'elf32' | 'any';

export type ElfErrorCode =
  | 'not-elf'
  | 'wrong-class'
  | 'wrong-endianness'
  | 'wrong-machine'
  | 'not-executable'
  | 'truncated'
  | 'no-segments'
  | 'segment-outside-memory'
  | 'overlapping-segments';


/** Width of the class-dependent header fields: Elf32_Addr/Elf32_Off and the section flags/sizes are 4 bytes,
 *  their Elf64 counterparts (and Elf64_Xword) 8 (gABI "Data Representation"). */
type Word = 'uint32' | 'uint64';

/** ELF header: the same fields in the same order in both classes, e_entry/e_phoff/e_shoff a Word wide. */
function ehdrParserOf(w: Word): Parser {
  return new Parser()
    .endianness('little')
    .array('ident', { type: 'uint8', length: 16 })
    .uint16('type')
    .uint16('machine')
    .uint32('version')[w]('entry')[w]('phoff')[w]('shoff')
    .uint32('flags')
    .uint16('ehsize')
    .uint16('phentsize')
    .uint16('phnum')
    .uint16('shentsize')
    .uint16('shnum')
    .uint16('shstrndx');
}

/** Section header: the same fields in the same order in both classes; sh_flags, sh_addr, sh_offset, sh_size,
 *  sh_addralign and sh_entsize a Word wide. */
function shdrParserOf(w: Word): Parser {
  return new Parser()
    .endianness('little')
    .uint32('name')
    .uint32('type')[w]('flags')[w]('addr')[w]('offset')[w]('size')
    .uint32('link')
    .uint32('info')[w]('addralign')[w]('entsize');
}

const ehdrParser = ehdrParserOf('uint64');
const shdrParser = shdrParserOf('uint64');
const ehdr32Parser = ehdrParserOf('uint32');
const shdr32Parser = shdrParserOf('uint32');

const phdrParser = new Parser()
  .endianness('little')
  .uint32('type')
  .uint32('flags')
  .uint64('offset')
  .uint64('vaddr')
  .uint64('paddr')
  .uint64('filesz')
  .uint64('memsz')
  .uint64('align');

const symParser = new Parser()
  .endianness('little')
  .uint32('name')
  .uint8('info')
  .uint8('other')
  .uint16('shndx')
  .uint64('value')
  .uint64('size');

// ELF32 layouts of the program header and the symbol: their field order differs from ELF64 (p_flags moved
// after p_memsz; st_value/st_size before st_info), so each class has its own parser.
const phdr32Parser = new Parser()
  .endianness('little')
  .uint32('type')
  .uint32('offset')
  .uint32('vaddr')
  .uint32('paddr')
  .uint32('filesz')
  .uint32('memsz')
  .uint32('flags')
  .uint32('align');

const sym32Parser = new Parser()
  .endianness('little')
  .uint32('name')
  .uint32('value')
  .uint32('size')
  .uint8('info')
  .uint8('other')
  .uint16('shndx');

/** Class-specific sizes and parsers; ELF32 fields are widened to bigint so the rest of the code is shared. */
interface ClassLayout {
  bits: 32 | 64;
  ehdrSize: number;
  phdrSize: number;
  shdrSize: number;
  symSize: number;
  ehdr: (b: Uint8Array) => Ehdr;
  phdr: (b: Uint8Array) => Phdr;
  shdr: (b: Uint8Array) => Shdr;
  sym: (b: Uint8Array) => RawSym;
}

const widen = <T extends object>(o: Record<string, unknown>, keys: readonly string[]): T => {
  for (const k of keys) o[k] = BigInt(o[k] as number);
  return o as T;
};

const LAYOUT64: ClassLayout = {
  bits: 64,
  ehdrSize: EHDR_SIZE,
  phdrSize: PHDR_SIZE,
  shdrSize: SHDR_SIZE,
  symSize: SYM_SIZE,
  ehdr: (b) => ehdrParser.parse(b) as Ehdr,
  phdr: (b) => phdrParser.parse(b) as Phdr,
  shdr: (b) => shdrParser.parse(b) as Shdr,
  sym: (b) => symParser.parse(b) as RawSym,
};

const LAYOUT32: ClassLayout = {
  bits: 32,
  ehdrSize: EHDR32_SIZE,
  phdrSize: PHDR32_SIZE,
  shdrSize: SHDR32_SIZE,
  symSize: SYM32_SIZE,
  ehdr: (b) => widen<Ehdr>(ehdr32Parser.parse(b) as Record<string, unknown>, ['entry', 'phoff', 'shoff']),
  phdr: (b) => widen<Phdr>(phdr32Parser.parse(b) as Record<string, unknown>, ['offset', 'vaddr', 'paddr', 'filesz', 'memsz']),
  shdr: (b) => widen<Shdr>(shdr32Parser.parse(b) as Record<string, unknown>, ['offset', 'size', 'entsize']),
  sym: (b) => widen<RawSym>(sym32Parser.parse(b) as Record<string, unknown>, ['value', 'size']),
};

interface Ehdr {
  ident: number[];
  type: number;
  machine: number;
  entry: bigint;
  phoff: bigint;
  shoff: bigint;
  phentsize: number;
  phnum: number;
  shentsize: number;
  shnum: number;
}
interface Phdr {
  type: number;
  flags: number;
  offset: bigint;
  vaddr: bigint;
  paddr: bigint;
  filesz: bigint;
  memsz: bigint;
}
interface Shdr {
  type: number;
  offset: bigint;
  size: bigint;
  link: number;
  entsize: bigint;
}
interface RawSym {
  name: number;
  info: number;
  shndx: number;
  value: bigint;
  size: bigint;
}

export interface LoadSegment {
  /** Physical load address (p_paddr). */
  paddr: number;
  vaddr: bigint;
  /** Bytes from the file (p_filesz of them). */
  data: Uint8Array;
  memsz: number;
  flags: number;
}

export interface ElfSymbol {
  name: string;
  value: bigint;
  size: number;
  type: (typeof STT_NAMES)[number] | 'other';
  bind: (typeof STB_NAMES)[number] | 'other';
}

export interface ElfImage {
  /** ELFCLASS32 (an i386 Multiboot kernel) or ELFCLASS64 (x86-64). */
  bits: 32 | 64;
  entry: bigint;
  segments: LoadSegment[];
  /** Symbols by name (from .symtab; empty for a stripped file). Later duplicates (locals of the same name) do not override globals. */
  symbols: Map<string, ElfSymbol>;
  /** Lowest and highest (exclusive) physical addresses the image occupies. */
  physLow: number;
  physHigh: number;
}

function slice(bytes: Uint8Array, off: bigint, len: bigint, what: string): Uint8Array {
  const end = off + len;
  if (off < 0n || end > BigInt(bytes.length)) {
    throw new ElfError('truncated', `ELF truncated: ${what} at offset ${off} (+${len}) lies beyond the end of the file (${bytes.length} bytes)`);
  }
  return bytes.subarray(Number(off), Number(end));
}

function cstr(bytes: Uint8Array, off: number): string {
  let end = off;
  while (end < bytes.length && bytes[end] !== 0) end++;
  return Buffer.from(bytes.buffer, bytes.byteOffset + off, end - off).toString('latin1');
}

const hex = (v: bigint | number) => '0x' + v.toString(16);

export interface ParseOptions {
  /** Guest RAM size in bytes: every PT_LOAD segment must fit below it. */
  memorySize?: number;
  /** Accepted classes (default 'elf64': the 64-bit boot environment of docs/boot.md). */
  elfClass?: ElfClassWanted;
  /** Load any e_type by its program headers, as QEMU's ELF loader does for -kernel (default: ET_EXEC only). */
  anyType?: boolean;
}

/** Parse and validate an ELF64 x86-64 (or, when asked, ELF32 i386) executable. Throws ElfError with a message meant for a human. */
export function parseElf(bytes: Uint8Array, opts: ParseOptions = {}): ElfImage {
  const wanted = opts.elfClass ?? 'elf64';
  if (bytes.length < 4 || ELFMAG.some((b, i) => bytes[i] !== b)) {
    throw new ElfError('not-elf', 'not an ELF file (missing the \\x7fELF magic)');
  }
  const cls = bytes.length > EI_CLASS ? bytes[EI_CLASS] : undefined;
  const clsName = cls === ELFCLASS32 ? 'ELFCLASS32 (32-bit)' : cls === ELFCLASS64 ? 'ELFCLASS64 (64-bit)' : `EI_CLASS=${cls}`;
  if (cls !== ELFCLASS32 && cls !== ELFCLASS64) {
    throw new ElfError('wrong-class', `wrong ELF class: ${clsName}; dbstub loads ELFCLASS64 (64-bit) executables and ELFCLASS32 Multiboot kernels`);
  }
  if (wanted === 'elf64' && cls !== ELFCLASS64) {
    throw new ElfError('wrong-class', `wrong ELF class: ${clsName}; dbstub loads ELFCLASS64 (64-bit) executables, or 32-bit kernels that carry a Multiboot header (docs/boot.md)`);
  }
  if (wanted === 'elf32' && cls !== ELFCLASS32) {
    throw new ElfError('wrong-class', `wrong ELF class: ${clsName}; a Multiboot kernel without the a.out kludge (header flag bit 16) must be ELFCLASS32`);
  }
  const L = cls === ELFCLASS64 ? LAYOUT64 : LAYOUT32;
  if (bytes.length < L.ehdrSize) throw new ElfError('truncated', `ELF truncated: ${bytes.length} bytes, shorter than the ${L.ehdrSize}-byte ELF${L.bits} header`);
  if (bytes[EI_DATA] !== ELFDATA2LSB) throw new ElfError('wrong-endianness', 'wrong ELF data encoding: expected little-endian (ELFDATA2LSB)');
  const eh = L.ehdr(bytes.subarray(0, L.ehdrSize));
  const wantMachine = L.bits === 64 ? EM_X86_64 : EM_386;
  if (eh.machine !== wantMachine) {
    const name = eh.machine === EM_386 ? 'EM_386 (i386)' : eh.machine === EM_X86_64 ? 'EM_X86_64 (x86-64)' : `e_machine=${eh.machine}`;
    const want = L.bits === 64 ? 'EM_X86_64 (62) executables' : 'ELFCLASS32 kernels for EM_386 (3)';
    throw new ElfError('wrong-machine', `wrong ELF machine: ${name}; dbstub loads ${want}`);
  }
  if (eh.type !== ET_EXEC && !opts.anyType) {
    const name = { [ET_REL]: 'ET_REL (relocatable object)', [ET_DYN]: 'ET_DYN (shared object / PIE)', [ET_CORE]: 'ET_CORE (core dump)' }[eh.type] ?? `e_type=${eh.type}`;
    throw new ElfError('not-executable', `not an executable: ${name}; link a static, non-PIE executable (ET_EXEC), e.g. gcc -static -no-pie`);
  }
  if (eh.phnum > 0 && eh.phentsize < L.phdrSize) throw new ElfError('truncated', `bad e_phentsize ${eh.phentsize} (expected ${L.phdrSize})`);

  const segments: LoadSegment[] = [];
  let physLow = Infinity;
  let physHigh = 0;
  for (let i = 0; i < eh.phnum; i++) {
    const ph = L.phdr(slice(bytes, eh.phoff + BigInt(i * eh.phentsize), BigInt(L.phdrSize), `program header ${i}`));
    if (ph.type !== PT_LOAD || ph.memsz === 0n) continue;
    if (ph.filesz > ph.memsz) throw new ElfError('truncated', `PT_LOAD segment ${i}: p_filesz ${ph.filesz} exceeds p_memsz ${ph.memsz}`);
    const end = ph.paddr + ph.memsz;
    if (opts.memorySize !== undefined && end > BigInt(opts.memorySize)) {
      throw new ElfError(
        'segment-outside-memory',
        `PT_LOAD segment ${i} at physical ${hex(ph.paddr)}..${hex(end)} lies outside guest memory (0..${hex(opts.memorySize)}); raise --memory or relink the guest`,
      );
    }
    if (end > BigInt(Number.MAX_SAFE_INTEGER)) throw new ElfError('segment-outside-memory', `PT_LOAD segment ${i} at ${hex(ph.paddr)} is beyond any guest memory`);
    const data = slice(bytes, ph.offset, ph.filesz, `PT_LOAD segment ${i} data`);
    segments.push({ paddr: Number(ph.paddr), vaddr: ph.vaddr, data, memsz: Number(ph.memsz), flags: ph.flags });
    physLow = Math.min(physLow, Number(ph.paddr));
    physHigh = Math.max(physHigh, Number(end));
  }
  if (segments.length === 0) throw new ElfError('no-segments', 'ELF has no PT_LOAD segments: nothing to load');
  checkNoOverlap(segments);

  return { bits: L.bits, entry: eh.entry, segments, symbols: readSymbols(bytes, eh, L), physLow, physHigh };
}

/** Two PT_LOAD segments whose physical ranges [p_paddr, p_paddr + p_memsz) overlap: which bytes win would
 *  depend on load order (one such file triple-faulted, issue 18 item 8). QEMU refuses it too: load_elf adds
 *  each segment as a ROM region and rom_check_and_register_reset (hw/core/loader.c) fails on overlapping
 *  regions ("rom: requested regions overlap"). */
function checkNoOverlap(segments: readonly LoadSegment[]): void {
  const order = segments.map((s, i) => ({ s, i })).sort((a, b) => a.s.paddr - b.s.paddr);
  for (let k = 1; k < order.length; k++) {
    const a = order[k - 1]!, b = order[k]!;
    if (b.s.paddr < a.s.paddr + a.s.memsz) {
      const range = (s: LoadSegment) => `0x${s.paddr.toString(16)}..0x${(s.paddr + s.memsz).toString(16)}`;
      throw new ElfError(
        'overlapping-segments',
        `PT_LOAD segments at physical ${range(a.s)} and ${range(b.s)} overlap (QEMU refuses overlapping ROM regions too); fix the linker script`,
      );
    }
  }
}

function readSymbols(bytes: Uint8Array, eh: Ehdr, L: ClassLayout): Map<string, ElfSymbol> {
  const out = new Map<string, ElfSymbol>();
  if (eh.shnum === 0 || eh.shoff === 0n || eh.shentsize < L.shdrSize) return out;
  const shdr = (i: number) => L.shdr(slice(bytes, eh.shoff + BigInt(i * eh.shentsize), BigInt(L.shdrSize), `section header ${i}`));
  for (let i = 0; i < eh.shnum; i++) {
    const sh = shdr(i);
    if (sh.type !== SHT_SYMTAB) continue;
    if (sh.link >= eh.shnum) throw new ElfError('truncated', `.symtab links to string table section ${sh.link}, beyond e_shnum ${eh.shnum}`);
    const strtab = shdr(sh.link);
    const str = slice(bytes, strtab.offset, strtab.size, 'symbol string table');
    const tab = slice(bytes, sh.offset, sh.size, 'symbol table');
    const ent = sh.entsize >= BigInt(L.symSize) ? Number(sh.entsize) : L.symSize;
    for (let off = ent; off + L.symSize <= tab.length; off += ent) { // entry 0 is the reserved null symbol
      const s = L.sym(tab.subarray(off, off + L.symSize));
      if (s.name === 0 || s.name >= str.length) continue;
      const name = cstr(str, s.name);
      const type = STT_NAMES[s.info & 0xf] ?? 'other';
      if (type === 'section' || type === 'file') continue;
      const bind = STB_NAMES[s.info >> 4] ?? 'other';
      const prev = out.get(name);
      if (prev && prev.bind !== 'local') continue;
      out.set(name, { name, value: s.value, size: Number(s.size), type, bind });
    }
  }
  return out;
}

/** Copy the image into guest physical memory: file bytes, then zeros up to p_memsz (.bss). */
export function loadElf(image: ElfImage, memory: PhysicalMemory): void {
  for (const seg of image.segments) {
    if (seg.paddr + seg.memsz > memory.size) {
      throw new ElfError('segment-outside-memory', `PT_LOAD segment at physical ${hex(seg.paddr)}..${hex(seg.paddr + seg.memsz)} lies outside guest memory (0..${hex(memory.size)})`);
    }
    if (seg.data.length > 0) memory.writePhys(seg.paddr, seg.data);
    const bss = seg.memsz - seg.data.length;
    if (bss > 0) memory.writePhys(seg.paddr + seg.data.length, new Uint8Array(bss));
  }
}

/** Address of a symbol, or throws naming the symbol (tests look up guest variables such as `db_log`). */
export function symbolAddress(image: Pick<ElfImage, 'symbols'>, name: string): bigint {
  const s = image.symbols.get(name);
  if (!s) throw new Error(`symbol ${JSON.stringify(name)} not found in the guest ELF`);
  return s.value;
}
