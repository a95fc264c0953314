// Multiboot v1 loading the way qemu-system-x86_64 -kernel does it (hw/i386/multiboot.c and its option ROM
// pc-bios/optionrom/multiboot.S, QEMU 7.2 on SeaBIOS), so one kernel file boots identically in both.
// Spec: "Multiboot Specification version 0.6.96" (GNU GRUB): 3.1 OS image format (the header), 3.2 machine
// state, 3.3 boot information format. Where the spec leaves a value undefined (ESP, GDTR, IDTR, the
// other GPRs) we reproduce what QEMU leaves there, measured with a kernel that dumps its entry state
// (test/loader/qemu-compare.test.ts), and docs/boot.md lists each value.
//
// What QEMU builds, and so what we build:
// - one contiguous buffer at the kernel's load address: the kernel (ELF32 PT_LOADs from the lowest to
//   the highest p_paddr, or the a.out-kludge file range plus zeroed bss), page-aligned; then the module
//   list (16 bytes per module), the module command lines, the kernel command line ("KERNEL APPEND": QEMU
//   prefixes the -kernel path and a space), the boot loader name "qemu", page-aligned; then each module,
//   each starting on a page boundary;
// - the info structure (88 bytes) at 0x9500 and the BIOS E820 memory map, as Multiboot mmap entries,
//   at 0x9000; mem_lower/mem_upper as SeaBIOS reports them.

import {
  FOUR_GIB, lowRamSize, type ArchState, type SegmentState, type Vendor, type PhysicalMemory,
} from '../cpu/index.js';
import { EM_386, EM_X86_64, parseElf, PF_X, type ElfImage } from './elf.js';
import { MultibootError } from './errors.js';

export { MultibootError };

// ---- Header (Multiboot 3.1.1, 3.1.2) ----
export const MULTIBOOT_HEADER_MAGIC = 0x1badb002;
/** EAX at entry (Multiboot 3.2). */
export const MULTIBOOT_BOOTLOADER_MAGIC = 0x2badb002;
/** The header must lie in the first 8192 bytes. QEMU scans offsets 0, 4, ... below 8192 - 48 (the size of a
 *  header with the video fields), so a header starting at 8144 or later is not found: we do the same. */
export const MULTIBOOT_SEARCH = 8192;
export const MULTIBOOT_SEARCH_LIMIT = MULTIBOOT_SEARCH - 48;
/** Header flags (3.1.2): bit 0 page-align modules, bit 1 memory information, bit 2 video mode table,
 *  bit 16 the address fields (a.out kludge) are valid. */
export const MULTIBOOT_PAGE_ALIGN = 1 << 0;
export const MULTIBOOT_MEMORY_INFO = 1 << 1;
export const MULTIBOOT_VIDEO_MODE = 1 << 2;
export const MULTIBOOT_AOUT_KLUDGE = 1 << 16;

// ---- Boot information (3.3) ----
export const MBI_FLAG_MEMORY = 1 << 0;
export const MBI_FLAG_BOOTDEV = 1 << 1;
export const MBI_FLAG_CMDLINE = 1 << 2;
export const MBI_FLAG_MODS = 1 << 3;
export const MBI_FLAG_MMAP = 1 << 6;
export const MBI_FLAG_LOADER_NAME = 1 << 9;
/** Byte offsets in the info structure. */
export const MBI_FLAGS = 0;
export const MBI_MEM_LOWER = 4;
export const MBI_MEM_UPPER = 8;
export const MBI_BOOT_DEVICE = 12;
export const MBI_CMDLINE = 16;
export const MBI_MODS_COUNT = 20;
export const MBI_MODS_ADDR = 24;
export const MBI_MMAP_LENGTH = 44;
export const MBI_MMAP_ADDR = 48;
export const MBI_BOOT_LOADER_NAME = 64;
/** QEMU fills the structure up to and including the VBE fields: 88 bytes. */
export const MBI_SIZE = 88;
/** One module entry: mod_start, mod_end, string, reserved. */
export const MB_MOD_SIZE = 16;

// ---- Where QEMU puts things ----
/** E820 map as Multiboot mmap entries (QEMU's MULTIBOOT_STRUCT_ADDR), then the info structure 0x500 later. */
export const MB_MMAP_ADDR = 0x9000;
export const MB_INFO_ADDR = 0x9500;
/** boot_device: BIOS drive 0x80 (first hard disk), no partition (0xFF in each part), as QEMU reports. */
export const MB_BOOT_DEVICE = 0x8000ffff;
export const MB_LOADER_NAME = 'qemu';
/** conventional memory below the EBDA in KiB: SeaBIOS answers INT 12h with 639 (EBDA at 0x9FC00). */
export const MB_MEM_LOWER_KIB = 639;
const PAGE = 0x1000;

// The GDT QEMU's option ROM loads (multiboot.S): null, 0x08 32-bit code, 0x10 32-bit data, 0x18 16-bit
// code, 0x20 16-bit data. The ROM lives in the option-ROM area; with -nodefaults (no VGA BIOS before it)
// the table is at 0xC02B8. The data descriptor's accessed bit is set, as the CPU left it after the
// ROM loaded DS/ES/SS (SDM Vol. 3 3.4.5.1).
export const MB_GDT_ADDR = 0xc02b8;
export const MB_GDT = Uint8Array.from([
  0, 0, 0, 0, 0, 0, 0, 0,
  0xff, 0xff, 0, 0, 0, 0x9a, 0xcf, 0,
  0xff, 0xff, 0, 0, 0, 0x93, 0xcf, 0,
  0xff, 0xff, 0, 0, 0, 0x9e, 0, 0,
  0xff, 0xff, 0, 0, 0, 0x92, 0, 0,
]);
export const MB_SEL_CODE = 0x08;
export const MB_SEL_DATA = 0x10;
/** The registers multiboot.S leaves behind (measured under QEMU 7.2): ESP on SeaBIOS's stack, EDI 0x1000,
 *  ECX = the entry address it jumped through, and in EDX the fw_cfg data port 0x511 it last loaded into DX
 *  over the mem_upper value it had computed in EDX, whose high 16 bits stay (0 below 65 MiB of RAM). */
export const MB_ESP = 0x6f08;
export const MB_EDX = 0x511;
export const MB_EDI = 0x1000;
/** EFLAGS at entry: bit 1 (reserved, 1) and PF left by the ROM's last compare; IF=0, VM=0 (3.2). */
export const MB_EFLAGS = 0x6;
/** Real-mode interrupt vector table, still loaded: IDTR base 0 limit 0x3FF (3.2 says the OS must set its own). */
export const MB_IDTR_LIMIT = 0x3ff;

// CR0 bits (SDM Vol. 3 2.5): the ROM writes CR0 = PE; ET reads as 1 on every CPU since the i486.
export const CR0_PE = 1n << 0n;
export const CR0_ET = 1n << 4n;

// E820 address range types (ACPI "System Address Map Interfaces"): 1 usable RAM, 2 reserved.
export const E820_RAM = 1;
export const E820_RESERVED = 2;
/** SeaBIOS reserves the top 128 KiB of low RAM for its own tables. */
export const SEABIOS_HIGH_RESERVED = 0x20000;
/** The EBDA and the BIOS area below 1 MiB. */
const EBDA_START = 0x9fc00;
const BIOS_AREA = 0xf0000;
const ONE_MIB = 0x100000;
/** The BIOS flash mapping just below 4 GiB (256 KiB) QEMU declares reserved. */
const BIOS_FLASH = 0xfffc0000;
/** On AMD CPU models QEMU (pc machines 7.1+) also reserves the HyperTransport range below 1 TiB. */
const AMD_HT_START = 0xfd00000000n;
const AMD_HT_SIZE = 0x300000000n;

export type MultibootErrorCode =
  | 'bad-checksum'
  | 'no-header'
  | 'elf64-without-kludge'
  | 'not-elf32'
  | 'bad-address'
  | 'truncated'
  | 'outside-memory'
  | 'overlap'
  | 'bad-module';


export interface MultibootHeader {
  /** File offset of the magic. */
  offset: number;
  flags: number;
  checksum: number;
  /** Address fields, meaningful when flags has MULTIBOOT_AOUT_KLUDGE (0 when the file ends before them). */
  headerAddr: number;
  loadAddr: number;
  loadEndAddr: number;
  bssEndAddr: number;
  entryAddr: number;
}

const u32 = (b: Uint8Array, off: number): number => (off + 4 <= b.length ? new DataView(b.buffer, b.byteOffset + off, 4).getUint32(0, true) : 0);
const hex = (v: number | bigint) => '0x' + v.toString(16);

export type HeaderSearch = { header: MultibootHeader } | { header: undefined; badChecksumAt: number | undefined };

/** Find the first valid header (magic + flags + checksum = 0 mod 2^32) at a 4-byte aligned offset below
 *  MULTIBOOT_SEARCH_LIMIT. A magic whose checksum fails is skipped, as QEMU does, but remembered so the
 *  caller can say why a file that looks like a Multiboot kernel is not one. */
export function findMultibootHeader(bytes: Uint8Array): HeaderSearch {
  let badChecksumAt: number | undefined;
  const end = Math.min(MULTIBOOT_SEARCH_LIMIT, bytes.length - 3);
  for (let i = 0; i < end; i += 4) {
    if (u32(bytes, i) !== MULTIBOOT_HEADER_MAGIC) continue;
    const flags = u32(bytes, i + 4);
    const checksum = u32(bytes, i + 8);
    if (((MULTIBOOT_HEADER_MAGIC + flags + checksum) >>> 0) !== 0) {
      badChecksumAt ??= i;
      continue;
    }
    return {
      header: {
        offset: i,
        flags,
        checksum,
        headerAddr: u32(bytes, i + 12),
        loadAddr: u32(bytes, i + 16),
        loadEndAddr: u32(bytes, i + 20),
        bssEndAddr: u32(bytes, i + 24),
        entryAddr: u32(bytes, i + 28),
      },
    };
  }
  return { header: undefined, badChecksumAt };
}

/** One `--initrd` entry: QEMU's syntax is "file args,file2,...": entries separated by commas (",," is a
 *  literal comma, QEMU's get_opt_value), the file name ends at the first space, and the whole entry,
 *  file name included, becomes the module's string. */
export interface ModuleSpec {
  path: string;
  cmdline: string;
}

export function parseInitrd(spec: string): ModuleSpec[] {
  const entries: string[] = [];
  let cur = '';
  for (let i = 0; i < spec.length; i++) {
    const c = spec[i]!;
    if (c === ',') {
      if (spec[i + 1] === ',') {
        cur += ',';
        i++;
        continue;
      }
      entries.push(cur);
      cur = '';
    } else cur += c;
  }
  entries.push(cur);
  return entries.map((cmdline) => {
    const sp = cmdline.indexOf(' ');
    return { path: sp < 0 ? cmdline : cmdline.slice(0, sp), cmdline };
  });
}

export interface ModuleInput extends ModuleSpec {
  data: Uint8Array;
}

export interface MultibootOptions {
  /** Guest RAM in bytes. */
  memorySize: number;
  /** The kernel file name as the user gave it: QEMU puts it in front of the command line. */
  kernelName: string;
  /** `--append` (QEMU -append); '' when absent. */
  append?: string;
  modules?: ModuleInput[];
  /** AMD CPU models get QEMU's extra reserved HyperTransport range in the memory map. */
  vendor?: Vendor;
  /** Told about a layout QEMU accepts but the kernel may not expect (its image over the info structure). */
  warn?: (message: string) => void;
}

export interface PlacedModule {
  start: number;
  end: number;
  cmdlineAddr: number;
  cmdline: string;
}

export interface MultibootImage {
  header: MultibootHeader;
  /** How the kernel was found in the file. */
  format: 'elf32' | 'aout-kludge';
  /** The ELF32 image (for symbols); also set for a kludge kernel that happens to be an ELF file. */
  elf: ElfImage | undefined;
  entry: number;
  /** Start of QEMU's buffer (kernel load address) and its page-aligned size including the info area and modules. */
  loadAddr: number;
  kernelSize: number;
  bufSize: number;
  /** The buffer's bytes (kernel, module list, strings, modules). */
  buf: Uint8Array;
  info: Uint8Array;
  mmap: Uint8Array;
  cmdline: string;
  cmdlineAddr: number;
  loaderNameAddr: number;
  modsAddr: number;
  modules: PlacedModule[];
  memLowerKiB: number;
  memUpperKiB: number;
  state: ArchState;
}

const pageAlign = (n: number) => Math.ceil(n / PAGE) * PAGE;

/** e_entry is a virtual address. For a kernel linked higher-half (p_vaddr != p_paddr) QEMU's ELF loader
 *  moves the entry into the executable segment's physical range when it falls inside that segment's file
 *  bytes (checked under QEMU 7.2: a kernel at VMA 0xC0100000, LMA 0x100000 starts at 0x10000C). */
function physicalEntry(elf: ElfImage): number {
  let entry = elf.entry;
  for (const s of elf.segments) {
    const vaddr = s.vaddr;
    if (!(s.flags & PF_X) || vaddr === BigInt(s.paddr)) continue;
    if (elf.entry >= vaddr && elf.entry < vaddr + BigInt(s.data.length)) entry = elf.entry - vaddr + BigInt(s.paddr);
  }
  return Number(entry & 0xffffffffn);
}

/** The kernel bytes as QEMU copies them: [loadAddr, loadAddr + kernelSize). */
function kernelBytes(bytes: Uint8Array, h: MultibootHeader): { format: MultibootImage['format']; elf: ElfImage | undefined; loadAddr: number; kernel: Uint8Array; entry: number } {
  const isElf = bytes.length >= 4 && bytes[0] === 0x7f && bytes[1] === 0x45 && bytes[2] === 0x4c && bytes[3] === 0x46;
  if (!(h.flags & MULTIBOOT_AOUT_KLUDGE)) {
    // QEMU looks only at e_machine (offset 18 in both classes) before handing the file to its ELF loader.
    const machine = bytes.length >= 20 ? bytes[18]! | (bytes[19]! << 8) : 0;
    if (isElf && machine === EM_X86_64) {
      throw new MultibootError(
        'elf64-without-kludge',
        'Multiboot kernel is an x86-64 ELF without the a.out kludge (header flag bit 16): QEMU refuses it ("Cannot load x86-64 image, give a 32bit one") and so does dbstub; ' +
          'link it as ELF32 (ld -m elf_i386), set flag bit 16 with header_addr/load_addr/load_end_addr/bss_end_addr/entry_addr, or boot it with --boot elf64',
      );
    }
    if (!isElf || machine !== EM_386) {
      throw new MultibootError('not-elf32', `Multiboot header at offset ${h.offset} without the a.out kludge (flag bit 16), so the kernel must be an ELF32 i386 executable, and this file is ${isElf ? `an ELF with e_machine=${machine}` : 'not an ELF file'}`);
    }
    // QEMU's ELF loader never looks at e_type: an ET_DYN (PIE-linked) or even ET_REL file with program
    // headers is loaded by them like an ET_EXEC (checked under QEMU 7.2).
    const elf = parseElf(bytes, { elfClass: 'elf32', anyType: true });
    const loadAddr = elf.physLow;
    const kernel = new Uint8Array(elf.physHigh - elf.physLow);
    for (const s of elf.segments) kernel.set(s.data, s.paddr - loadAddr); // bss and gaps stay zero
    return { format: 'elf32', elf, loadAddr, kernel, entry: physicalEntry(elf) };
  }
  // a.out kludge (3.1.3): the file from (offset - (header_addr - load_addr)) is loaded at load_addr.
  // QEMU's checks, in its order and with its meaning.
  if (h.headerAddr < h.loadAddr) throw new MultibootError('bad-address', `invalid load_addr: header_addr ${hex(h.headerAddr)} is below load_addr ${hex(h.loadAddr)}`);
  if (h.headerAddr - h.loadAddr > h.offset) {
    throw new MultibootError('bad-address', `invalid header_addr: header_addr - load_addr = ${hex(h.headerAddr - h.loadAddr)} exceeds the header's file offset ${hex(h.offset)}`);
  }
  const textOffset = h.offset - (h.headerAddr - h.loadAddr);
  let loadSize: number;
  if (h.loadEndAddr) {
    if (h.loadEndAddr < h.loadAddr) throw new MultibootError('bad-address', `invalid load_end_addr ${hex(h.loadEndAddr)}: below load_addr ${hex(h.loadAddr)}`);
    loadSize = h.loadEndAddr - h.loadAddr;
  } else {
    loadSize = bytes.length - textOffset; // load_end_addr 0: the rest of the file
  }
  if (loadSize > 0xffffffff - h.loadAddr) throw new MultibootError('bad-address', `kernel does not fit in the 32-bit address space: ${hex(loadSize)} bytes at ${hex(h.loadAddr)}`);
  let kernelSize = loadSize;
  if (h.bssEndAddr) {
    if (h.bssEndAddr < h.loadAddr + loadSize) throw new MultibootError('bad-address', `invalid bss_end_addr ${hex(h.bssEndAddr)}: below load_end_addr ${hex(h.loadAddr + loadSize)}`);
    kernelSize = h.bssEndAddr - h.loadAddr;
  }
  if (textOffset + loadSize > bytes.length) {
    throw new MultibootError('truncated', `a.out kludge asks for ${hex(loadSize)} bytes from file offset ${hex(textOffset)}, but the file has only ${hex(bytes.length)} bytes`);
  }
  const kernel = new Uint8Array(kernelSize);
  kernel.set(bytes.subarray(textOffset, textOffset + loadSize));
  let elf: ElfImage | undefined;
  if (isElf) {
    try {
      elf = parseElf(bytes, { elfClass: 'any' }); // symbols only; the kludge decides what is loaded
    } catch {
      elf = undefined;
    }
  }
  return { format: 'aout-kludge', elf, loadAddr: h.loadAddr, kernel, entry: h.entryAddr };
}

/** RAM below 4 GiB on QEMU's pc machine: all of it up to 3.5 GiB; from 3.5 GiB on, 3 GiB below 4 GiB and
 *  the rest from 4 GiB up (gigabyte-aligned split of pc_piix; the CPU's memory uses the same layout). */
export function lowMemorySize(memorySize: number): number {
  return lowRamSize(memorySize);
}

/** One E820 address range: base, length, type (E820_RAM / E820_RESERVED). */
export type E820Entry = readonly [base: bigint, length: bigint, type: number];

/** The E820 map SeaBIOS reports on a QEMU PC with this much RAM (the same ranges reach a Multiboot kernel as
 *  mmap entries and a Linux kernel as boot_params.e820_table). */
export function e820Map(memorySize: number, vendor: Vendor = 'intel'): E820Entry[] {
  const low = lowMemorySize(memorySize);
  const entries: E820Entry[] = [
    [0n, BigInt(EBDA_START), E820_RAM],
    [BigInt(EBDA_START), BigInt(0xa0000 - EBDA_START), E820_RESERVED],
    [BigInt(BIOS_AREA), BigInt(ONE_MIB - BIOS_AREA), E820_RESERVED],
    [BigInt(ONE_MIB), BigInt(low - SEABIOS_HIGH_RESERVED - ONE_MIB), E820_RAM],
    [BigInt(low - SEABIOS_HIGH_RESERVED), BigInt(SEABIOS_HIGH_RESERVED), E820_RESERVED],
    [BigInt(BIOS_FLASH), BigInt(FOUR_GIB - BIOS_FLASH), E820_RESERVED],
  ];
  if (memorySize > low) entries.push([BigInt(FOUR_GIB), BigInt(memorySize - low), E820_RAM]);
  if (vendor === 'amd') entries.push([AMD_HT_START, AMD_HT_SIZE, E820_RESERVED]);
  return entries;
}

/** The E820 map as Multiboot mmap entries (3.3: a 4-byte size field of 20, then base, length, type). */
export function buildMmap(memorySize: number, vendor: Vendor = 'intel'): Uint8Array {
  const entries = e820Map(memorySize, vendor);
  const out = new Uint8Array(entries.length * 24);
  const dv = new DataView(out.buffer);
  entries.forEach(([base, len, type], i) => {
    dv.setUint32(i * 24, 20, true);
    dv.setBigUint64(i * 24 + 4, base, true);
    dv.setBigUint64(i * 24 + 12, len, true);
    dv.setUint32(i * 24 + 20, type, true);
  });
  return out;
}

/** Packed SegmentState attrs (api.ts): type | S | DPL | P | AVL | L | D/B | G. */
const SEG_S = 0x10;
const SEG_P = 0x80;
const SEG_DB = 0x400;
const SEG_G = 0x800;
const TYPE_CODE_XR = 0xa;
const TYPE_DATA_RW_A = 0x3;
const TYPE_TSS32_BUSY = 0xb;
const TYPE_LDT = 0x2;

/** Multiboot 3.2 machine state, with QEMU's values where the spec leaves them undefined. */
export function multibootEntryState(entry: number, memUpperKiB: number): ArchState {
  const flat = (selector: number, type: number): SegmentState => ({ selector, base: 0n, limit: 0xffffffff, attrs: type | SEG_S | SEG_P | SEG_DB | SEG_G });
  const gpr = new Array<bigint>(16).fill(0n);
  gpr[0] = BigInt(MULTIBOOT_BOOTLOADER_MAGIC); // EAX
  gpr[1] = BigInt(entry); // ECX
  gpr[2] = BigInt(((memUpperKiB & 0xffff0000) | MB_EDX) >>> 0); // EDX
  gpr[3] = BigInt(MB_INFO_ADDR); // EBX
  gpr[4] = BigInt(MB_ESP); // ESP
  gpr[7] = BigInt(MB_EDI); // EDI
  const data = () => flat(MB_SEL_DATA, TYPE_DATA_RW_A);
  return {
    gpr,
    rip: BigInt(entry),
    rflags: BigInt(MB_EFLAGS),
    seg: [data(), flat(MB_SEL_CODE, TYPE_CODE_XR), data(), data(), data(), data()], // ES CS SS DS FS GS
    gdtr: { base: BigInt(MB_GDT_ADDR), limit: MB_GDT.length - 1 },
    idtr: { base: 0n, limit: MB_IDTR_LIMIT },
    // TR and LDTR keep their reset values (SDM Vol. 3 Table 10-1): selector 0, base 0, limit 0xFFFF.
    tr: { selector: 0, base: 0n, limit: 0xffff, attrs: TYPE_TSS32_BUSY | SEG_P },
    ldtr: { selector: 0, base: 0n, limit: 0xffff, attrs: TYPE_LDT | SEG_P },
    cr0: CR0_PE | CR0_ET,
    cr2: 0n,
    cr3: 0n,
    cr4: 0n,
    cr8: 0n,
    efer: 0n,
    fsBase: 0n,
    gsBase: 0n,
    kernelGsBase: 0n,
  };
}

/** Low-memory areas the loader writes; the kernel and modules may not overlap them. */
export const MB_LOW_AREAS: readonly { name: string; start: number; end: number }[] = [
  { name: 'boot GDT', start: MB_GDT_ADDR, end: MB_GDT_ADDR + MB_GDT.length },
];
/** The memory map and info structure QEMU's option ROM writes before it copies the kernel in: a kernel
 *  over them is accepted and its bytes win (pc-bios/optionrom/multiboot.S reads FW_CFG_KERNEL_DATA, the
 *  kernel and modules, after it built the map and fetched the info structure; QEMU 7.2). kvm-unit-tests'
 *  realmode.flat loads at 0x8000 over both. */
export const MB_INFO_AREA = { name: 'memory map and info structure', start: MB_MMAP_ADDR, end: MB_INFO_ADDR + MBI_SIZE } as const;

/** Lay out a Multiboot kernel, its modules and the boot information exactly as QEMU would. Throws
 *  MultibootError (or ElfError for a malformed ELF32) with a message naming the problem. */
export function planMultiboot(bytes: Uint8Array, opts: MultibootOptions): MultibootImage {
  const found = findMultibootHeader(bytes);
  if (!found.header) {
    if (found.badChecksumAt !== undefined) {
      const f = u32(bytes, found.badChecksumAt + 4);
      const c = u32(bytes, found.badChecksumAt + 8);
      throw new MultibootError(
        'bad-checksum',
        `Multiboot magic at offset ${found.badChecksumAt} but the checksum is wrong: flags ${hex(f)} + checksum ${hex(c)} + magic must be 0 mod 2^32 (checksum should be ${hex((-(MULTIBOOT_HEADER_MAGIC + f)) >>> 0)})`,
      );
    }
    throw new MultibootError('no-header', `no Multiboot header (magic ${hex(MULTIBOOT_HEADER_MAGIC)} at a 4-byte aligned offset below ${MULTIBOOT_SEARCH_LIMIT}) in the first 8 KiB`);
  }
  const h = found.header;
  const k = kernelBytes(bytes, h);
  const append = opts.append ?? '';
  const mods = opts.modules ?? [];

  // Buffer layout (QEMU load_multiboot): kernel, page-align; module list; module strings; kernel command
  // line; loader name; page-align; then each module page-aligned.
  const kernelSize = k.kernel.length;
  const infoOff = pageAlign(kernelSize);
  const modsAvail = mods.length;
  const enc = new TextEncoder();
  const modStrs = mods.map((m) => enc.encode(m.cmdline + '\0'));
  const cmdline = `${opts.kernelName} ${append}`;
  const cmdStr = enc.encode(cmdline + '\0');
  const nameStr = enc.encode(MB_LOADER_NAME + '\0');
  const stringsOff = infoOff + modsAvail * MB_MOD_SIZE;
  let bufSize = pageAlign(stringsOff + modStrs.reduce((n, s) => n + s.length, 0) + cmdStr.length + nameStr.length);
  const modOffs: number[] = [];
  for (const m of mods) {
    modOffs.push(bufSize);
    bufSize = pageAlign(bufSize + m.data.length);
  }
  const buf = new Uint8Array(bufSize);
  const bdv = new DataView(buf.buffer);
  buf.set(k.kernel, 0);
  const phys = (off: number) => (k.loadAddr + off) >>> 0;
  let strOff = stringsOff;
  const putStr = (s: Uint8Array): number => {
    buf.set(s, strOff);
    const at = phys(strOff);
    strOff += s.length;
    return at;
  };
  const modules: PlacedModule[] = mods.map((m, i) => {
    const cmdlineAddr = putStr(modStrs[i]!);
    const off = modOffs[i]!;
    buf.set(m.data, off);
    const placed = { start: phys(off), end: phys(off + m.data.length), cmdlineAddr, cmdline: m.cmdline };
    bdv.setUint32(infoOff + i * MB_MOD_SIZE + 0, placed.start, true);
    bdv.setUint32(infoOff + i * MB_MOD_SIZE + 4, placed.end, true);
    bdv.setUint32(infoOff + i * MB_MOD_SIZE + 8, placed.cmdlineAddr, true);
    return placed;
  });
  const cmdlineAddr = putStr(cmdStr);
  const loaderNameAddr = putStr(nameStr);

  const end = k.loadAddr + bufSize;
  if (end > lowMemorySize(opts.memorySize)) {
    throw new MultibootError(
      'outside-memory',
      `Multiboot kernel${mods.length ? ' and modules' : ''} at ${hex(k.loadAddr)}..${hex(end)} (page-aligned, with the boot information) do not fit in guest RAM below 4 GiB (0..${hex(lowMemorySize(opts.memorySize))}); raise --memory`,
    );
  }
  for (const a of MB_LOW_AREAS) {
    if (k.loadAddr < a.end && end > a.start) {
      throw new MultibootError('overlap', `Multiboot kernel at ${hex(k.loadAddr)}..${hex(end)} overlaps the loader's ${a.name} at ${hex(a.start)}..${hex(a.end)}; link the kernel at 1 MiB`);
    }
  }
  if (k.loadAddr < MB_INFO_AREA.end && end > MB_INFO_AREA.start) {
    opts.warn?.(`Multiboot kernel at ${hex(k.loadAddr)}..${hex(end)} lies over the ${MB_INFO_AREA.name} at ${hex(MB_INFO_AREA.start)}..${hex(MB_INFO_AREA.end)}: ` +
      'its own bytes replace them there, as under QEMU (EBX still points at 0x9500)');
  }

  const mmap = buildMmap(opts.memorySize, opts.vendor);
  // mem_upper: KiB of RAM contiguous from 1 MiB, as the ROM derives it from the map.
  const memUpperKiB = (lowMemorySize(opts.memorySize) - SEABIOS_HIGH_RESERVED - ONE_MIB) / 1024;
  const info = new Uint8Array(MBI_SIZE);
  const idv = new DataView(info.buffer);
  idv.setUint32(MBI_FLAGS, MBI_FLAG_MEMORY | MBI_FLAG_BOOTDEV | MBI_FLAG_CMDLINE | MBI_FLAG_MODS | MBI_FLAG_MMAP | MBI_FLAG_LOADER_NAME, true);
  idv.setUint32(MBI_MEM_LOWER, MB_MEM_LOWER_KIB, true);
  idv.setUint32(MBI_MEM_UPPER, memUpperKiB, true);
  idv.setUint32(MBI_BOOT_DEVICE, MB_BOOT_DEVICE, true);
  idv.setUint32(MBI_CMDLINE, cmdlineAddr, true);
  idv.setUint32(MBI_MODS_COUNT, mods.length, true);
  idv.setUint32(MBI_MODS_ADDR, phys(infoOff), true); // set even with no modules, as QEMU does
  idv.setUint32(MBI_MMAP_LENGTH, mmap.length, true);
  idv.setUint32(MBI_MMAP_ADDR, MB_MMAP_ADDR, true);
  idv.setUint32(MBI_BOOT_LOADER_NAME, loaderNameAddr, true);

  return {
    header: h,
    format: k.format,
    elf: k.elf,
    entry: k.entry,
    loadAddr: k.loadAddr,
    kernelSize,
    bufSize,
    buf,
    info,
    mmap,
    cmdline,
    cmdlineAddr,
    loaderNameAddr,
    modsAddr: phys(infoOff),
    modules,
    memLowerKiB: MB_MEM_LOWER_KIB,
    memUpperKiB,
    state: multibootEntryState(k.entry, memUpperKiB),
  };
}

/** Write the planned image into guest RAM (through writePhys, so decoded-code caches see it). */
export function loadMultiboot(img: MultibootImage, memory: PhysicalMemory): void {
  // QEMU's order: the map and the info structure first, then the kernel and modules (MB_INFO_AREA).
  memory.writePhys(MB_MMAP_ADDR, img.mmap);
  memory.writePhys(MB_INFO_ADDR, img.info);
  memory.writePhys(img.loadAddr, img.buf);
  memory.writePhys(MB_GDT_ADDR, MB_GDT);
}

/** Does this file carry a valid Multiboot header where QEMU looks for one? */
export function hasMultibootHeader(bytes: Uint8Array): boolean {
  return findMultibootHeader(bytes).header !== undefined;
}
