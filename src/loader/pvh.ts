// An uncompressed Linux vmlinux (ELF64) entered through its PVH entry point, as QEMU 7.2 boots `-kernel vmlinux`:
// x86_load_linux (hw/i386/x86.c) finds no bzImage header and no Multiboot header, load_elfboot reads the ELF note
// XEN_ELFNOTE_PHYS32_ENTRY and loads the PT_LOAD segments at their physical addresses, and the pvh.bin option ROM
// (pc-bios/optionrom/pvh_main.c) builds a struct hvm_start_info (version 1: command line, the initrd as module 0,
// the RSDP it finds in the BIOS area, the memory map) and jumps to the entry in 32-bit protected mode with
// EBX = the start info. The ABI: Xen's docs/misc/pvh.pandoc ("Entry point"): paging off, CS a flat 32-bit code
// segment, DS/ES/SS flat 32-bit data, TR a 32-bit TSS with base 0 and limit 0x67, EFLAGS.IF and VM clear;
// Linux takes it at pvh_start_xen (arch/x86/platform/pvh/head.S) and builds its boot_params from the start info
// (init_pvh_bootparams, arch/x86/platform/pvh/enlighten.c), needing version >= 1 with a memory map when it is
// not under Xen.
//
// One choice differs from QEMU: the memory map is the one SeaBIOS reports (multiboot.ts e820Map), as for a
// bzImage, not QEMU's raw etc/e820 (all RAM below 4 GiB usable) that pvh.bin passes on: it keeps the ACPI tables'
// area reserved. Where the structures go is dbstub's choice (pvh.bin keeps them in its own ROM data): below.

import type { ArchState, PhysicalMemory, SegmentState, Vendor } from '../cpu/index.js';
import { attrs, BOOT_GDT, CR0_ET, CR0_PE, FL_DB, FL_G, RFLAGS_FIXED, segDesc, TYPE_CODE_XR_A, TYPE_DATA_RW_A, type BootInfo } from './boot.js';
import { ElfError, loadElf, parseElf, type ElfImage } from './elf.js';
import { ACPI_RSDP_ADDR } from './acpi.js';
import { e820Map, lowMemorySize, SEABIOS_HIGH_RESERVED } from './multiboot.js';

/** xen/include/public/elfnote.h: the 32-bit physical PVH entry point. */
export const XEN_ELFNOTE_PHYS32_ENTRY = 18;
/** xen/include/public/arch-x86/hvm/start_info.h. */
export const XEN_HVM_START_MAGIC_VALUE = 0x336ec578;
export const HVM_START_INFO_VERSION = 1;
export const HVM_START_INFO_SIZE = 56;
export const HVM_MODLIST_ENTRY_SIZE = 32;
export const HVM_MEMMAP_ENTRY_SIZE = 24;
// struct hvm_start_info offsets.
export const SI_MAGIC = 0, SI_VERSION = 4, SI_FLAGS = 8, SI_NR_MODULES = 12, SI_MODLIST = 16, SI_CMDLINE = 24, SI_RSDP = 32, SI_MEMMAP = 40, SI_MEMMAP_ENTRIES = 48;

/** Where dbstub puts the PVH structures (below the EBDA, clear of the kernel at 16 MiB). */
export const PVH_START_INFO = 0x9500;
export const PVH_MEMMAP = 0x9000;
export const PVH_MODLIST = 0x9600;
export const PVH_CMDLINE = 0x20000;
/** The command line's room up to the next structure: the kernel takes COMMAND_LINE_SIZE (2048) anyway. */
export const PVH_CMDLINE_MAX = 2047;

// The flat 32-bit GDT of the entry: 0x08 code, 0x10 data.
export const PVH_CS = 0x08;
export const PVH_DS = 0x10;
const TR_32BIT_BUSY_TSS = 0x8b;

const PT_NOTE = 4;

export interface PvhImage {
  elf: ElfImage;
  entry: number;
  cmdline: Uint8Array;
  initrd?: { addr: number; data: Uint8Array };
  startInfo: Uint8Array;
  memmap: Uint8Array;
  modlist?: Uint8Array;
}

const u16 = (b: Uint8Array, o: number): number => b[o]! | (b[o + 1]! << 8);
const u32 = (b: Uint8Array, o: number): number => (u16(b, o) | (u16(b, o + 2) << 16)) >>> 0;
const u64 = (b: Uint8Array, o: number): number => u32(b, o) + u32(b, o + 4) * 2 ** 32;

/** The PHYS32_ENTRY note of an ELF64 file, or undefined (QEMU's read_pvh_start_addr: a 4- or 8-byte value). */
export function findPvhEntry(bytes: Uint8Array): number | undefined {
  if (bytes.length < 64 || u32(bytes, 0) !== 0x464c457f || bytes[4] !== 2) return undefined;
  const phoff = u64(bytes, 0x20), phentsize = u16(bytes, 0x36), phnum = u16(bytes, 0x38);
  for (let i = 0; i < phnum; i++) {
    const ph = phoff + i * phentsize;
    if (ph + 56 > bytes.length || u32(bytes, ph) !== PT_NOTE) continue;
    const off = u64(bytes, ph + 8), size = u64(bytes, ph + 32);
    for (let n = off; n + 12 <= Math.min(off + size, bytes.length); ) {
      const namesz = u32(bytes, n), descsz = u32(bytes, n + 4), type = u32(bytes, n + 8);
      const name = n + 12, desc = name + Math.ceil(namesz / 4) * 4;
      if (desc + descsz > bytes.length) break;
      const isXen = namesz === 4 && bytes[name] === 0x58 && bytes[name + 1] === 0x65 && bytes[name + 2] === 0x6e && bytes[name + 3] === 0;
      if (isXen && type === XEN_ELFNOTE_PHYS32_ENTRY) return descsz >= 8 ? u64(bytes, desc) : u32(bytes, desc);
      n = desc + Math.ceil(descsz / 4) * 4;
    }
  }
  return undefined;
}

export interface PvhOptions {
  memorySize: number;
  vendor: Vendor;
  append: string;
  initrd?: Uint8Array;
}

const hex = (n: number): string => `0x${n.toString(16)}`;

export function planPvh(bytes: Uint8Array, o: PvhOptions): PvhImage {
  const entry = findPvhEntry(bytes);
  if (entry === undefined) throw new ElfError('not-executable', 'no XEN_ELFNOTE_PHYS32_ENTRY note: not a PVH-bootable vmlinux');
  const elf = parseElf(bytes, { memorySize: o.memorySize });
  const low = lowMemorySize(o.memorySize);
  const ramTop = low - SEABIOS_HIGH_RESERVED;
  if (elf.physHigh > ramTop) throw new ElfError('segment-outside-memory', `the kernel's segments end at ${hex(elf.physHigh)}, beyond RAM below 4 GiB (${hex(ramTop)}); give more --memory`);
  const cmdline = new TextEncoder().encode(`${o.append}\0`);
  if (cmdline.length - 1 > PVH_CMDLINE_MAX) throw new ElfError('truncated', `--append is ${cmdline.length - 1} bytes; at most ${PVH_CMDLINE_MAX} fit`);

  // The initrd at the top of low RAM, page aligned, as for a bzImage (QEMU: below initrd_max).
  let initrd: PvhImage['initrd'];
  if (o.initrd !== undefined && o.initrd.length > 0) {
    const addr = Math.floor((ramTop - o.initrd.length) / 4096) * 4096;
    if (addr < elf.physHigh) throw new ElfError('segment-outside-memory', `the initrd (${o.initrd.length} bytes) does not fit between the kernel (up to ${hex(elf.physHigh)}) and ${hex(ramTop)}; give more --memory`);
    initrd = { addr, data: o.initrd };
  }

  const e820 = e820Map(o.memorySize, o.vendor);
  const memmap = new Uint8Array(e820.length * HVM_MEMMAP_ENTRY_SIZE);
  const mv = new DataView(memmap.buffer);
  e820.forEach(([base, len, type], i) => {
    mv.setBigUint64(i * HVM_MEMMAP_ENTRY_SIZE, base, true);
    mv.setBigUint64(i * HVM_MEMMAP_ENTRY_SIZE + 8, len, true);
    mv.setUint32(i * HVM_MEMMAP_ENTRY_SIZE + 16, type, true);
  });
  let modlist: Uint8Array | undefined;
  if (initrd !== undefined) {
    modlist = new Uint8Array(HVM_MODLIST_ENTRY_SIZE);
    const v = new DataView(modlist.buffer);
    v.setBigUint64(0, BigInt(initrd.addr), true);
    v.setBigUint64(8, BigInt(initrd.data.length), true);
  }
  const startInfo = new Uint8Array(HVM_START_INFO_SIZE);
  const sv = new DataView(startInfo.buffer);
  sv.setUint32(SI_MAGIC, XEN_HVM_START_MAGIC_VALUE, true);
  sv.setUint32(SI_VERSION, HVM_START_INFO_VERSION, true);
  sv.setUint32(SI_NR_MODULES, initrd === undefined ? 0 : 1, true);
  sv.setBigUint64(SI_MODLIST, initrd === undefined ? 0n : BigInt(PVH_MODLIST), true);
  sv.setBigUint64(SI_CMDLINE, BigInt(PVH_CMDLINE), true);
  sv.setBigUint64(SI_RSDP, BigInt(ACPI_RSDP_ADDR), true);
  sv.setBigUint64(SI_MEMMAP, BigInt(PVH_MEMMAP), true);
  sv.setUint32(SI_MEMMAP_ENTRIES, e820.length, true);
  return { elf, entry, cmdline, initrd, startInfo, memmap, modlist };
}

/** Write the kernel and the start info; return the PVH entry state. */
export function loadPvh(img: PvhImage, memory: PhysicalMemory): BootInfo {
  loadElf(img.elf, memory);
  memory.writePhys(PVH_MEMMAP, img.memmap);
  memory.writePhys(PVH_START_INFO, img.startInfo);
  if (img.modlist !== undefined) memory.writePhys(PVH_MODLIST, img.modlist);
  memory.writePhys(PVH_CMDLINE, img.cmdline);
  if (img.initrd !== undefined) memory.writePhys(img.initrd.addr, img.initrd.data);
  const gdt = new Uint8Array(PVH_DS + 8);
  const gv = new DataView(gdt.buffer);
  gv.setBigUint64(PVH_CS, segDesc(TYPE_CODE_XR_A, 0, FL_G | FL_DB), true);
  gv.setBigUint64(PVH_DS, segDesc(TYPE_DATA_RW_A, 0, FL_G | FL_DB), true);
  memory.writePhys(BOOT_GDT, gdt);
  const flat = (selector: number, type: number): SegmentState => ({ selector, base: 0n, limit: 0xffffffff, attrs: attrs(type, true, 0, FL_G | FL_DB) });
  const data = (): SegmentState => flat(PVH_DS, TYPE_DATA_RW_A);
  const gpr = new Array<bigint>(16).fill(0n);
  gpr[3] = BigInt(PVH_START_INFO); // EBX
  const state: ArchState = {
    gpr,
    rip: BigInt(img.entry),
    rflags: RFLAGS_FIXED,
    seg: [data(), flat(PVH_CS, TYPE_CODE_XR_A), data(), data(), data(), data()], // ES CS SS DS FS GS
    gdtr: { base: BigInt(BOOT_GDT), limit: gdt.length - 1 },
    idtr: { base: 0n, limit: 0 },
    tr: { selector: 0, base: 0n, limit: 0x67, attrs: TR_32BIT_BUSY_TSS },
    ldtr: { selector: 0, base: 0n, limit: 0, attrs: 0 },
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
  return { entry: BigInt(img.entry), state, star: 0n };
}
