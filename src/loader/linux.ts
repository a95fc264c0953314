// Linux/x86 boot protocol, 64-bit entry (Documentation/arch/x86/boot.rst, "64-bit Boot Protocol"): what a
// boot loader leaves behind for a bzImage it enters at its 64-bit entry point. QEMU's x86_load_linux
// (hw/i386/x86.c, QEMU 7.2) is the reference for every choice the protocol leaves to the loader: where the
// zero page, the command line and the initrd go, type_of_loader, the heap. QEMU then enters the real-mode
// setup code through its linuxboot option ROM; we skip the real-mode part and enter at code32_start + 0x200
// as the 64-bit protocol allows, so the e820 map the setup code would have asked the BIOS for is written
// into boot_params here (the same ranges SeaBIOS reports, multiboot.ts e820Map).

import type { ArchState, PhysicalMemory, SegmentState, Vendor } from '../cpu/index.js';
import {
  attrs,
  BOOT_GDT,
  BOOT_PML4,
  CR0_ET,
  CR0_MP,
  CR0_NE,
  CR0_PE,
  CR0_PG,
  CR0_WP,
  CR4_PAE,
  EFER_LMA,
  EFER_LME,
  FL_DB,
  FL_G,
  FL_L,
  RFLAGS_FIXED,
  segDesc,
  TYPE_CODE_XR_A,
  TYPE_DATA_RW_A,
  writeIdentityMap4G,
  type BootInfo,
} from './boot.js';
import { e820Map, lowMemorySize, SEABIOS_HIGH_RESERVED } from './multiboot.js';
import { LinuxBootError } from './errors.js';

export { LinuxBootError };

// ---- struct setup_header (boot.rst "The Real-Mode Kernel Header"), offsets in the file and the zero page ----
export const HDR_SETUP_SECTS = 0x1f1;
export const HDR_VID_MODE = 0x1fa;
export const HDR_BOOT_FLAG = 0x1fe;
/** The jump at 0x200: its second byte + 0x202 is where the header ends. */
export const HDR_JUMP = 0x200;
export const HDR_HEADER = 0x202;
export const HDR_VERSION = 0x206;
export const HDR_KERNEL_VERSION = 0x20e;
export const HDR_TYPE_OF_LOADER = 0x210;
export const HDR_LOADFLAGS = 0x211;
export const HDR_CODE32_START = 0x214;
export const HDR_RAMDISK_IMAGE = 0x218;
export const HDR_RAMDISK_SIZE = 0x21c;
export const HDR_HEAP_END_PTR = 0x224;
export const HDR_CMD_LINE_PTR = 0x228;
export const HDR_INITRD_ADDR_MAX = 0x22c;
export const HDR_KERNEL_ALIGNMENT = 0x230;
export const HDR_RELOCATABLE_KERNEL = 0x234;
export const HDR_XLOADFLAGS = 0x236;
export const HDR_CMDLINE_SIZE = 0x238;
export const HDR_PREF_ADDRESS = 0x258;
export const HDR_INIT_SIZE = 0x260;

/** "HdrS" little-endian. */
export const LINUX_HEADER_MAGIC = 0x53726448;
export const LINUX_BOOT_FLAG = 0xaa55;
/** xloadflags (protocol 2.12+). */
export const XLF_KERNEL_64 = 1 << 0;
/** loadflags. */
export const LOADED_HIGH = 1 << 0;
export const CAN_USE_HEAP = 1 << 7;
/** Protocol 2.12 added xloadflags and with it the 64-bit entry. */
export const MIN_PROTOCOL_64BIT = 0x20c;
/** The 64-bit entry lies 0x200 past the start of the protected-mode kernel. */
export const ENTRY64_OFFSET = 0x200;

// ---- struct boot_params (the "zero page", arch/x86/include/uapi/asm/bootparam.h) ----
export const BP_SIZE = 0x1000;
export const BP_EXT_RAMDISK_IMAGE = 0x0c0;
export const BP_EXT_RAMDISK_SIZE = 0x0c4;
export const BP_EXT_CMD_LINE_PTR = 0x0c8;
export const BP_E820_ENTRIES = 0x1e8;
export const BP_E820_TABLE = 0x2d0;
export const E820_ENTRY_SIZE = 20;
/** E820_MAX_ENTRIES_ZEROPAGE. */
export const E820_MAX_ZEROPAGE = 128;

// ---- Where QEMU's x86_load_linux puts things for a protocol >= 2.02 kernel ----
/** real_addr: the setup code and with it the zero page. */
export const LINUX_ZERO_PAGE = 0x10000;
/** cmdline_addr. */
export const LINUX_CMDLINE = 0x20000;
/** prot_addr: the protected-mode kernel (it relocates itself to LOAD_PHYSICAL_ADDR when decompressing). */
export const LINUX_PROT_ADDR = 0x100000;
/** QEMU's type_of_loader (boot.rst: 0xB = QEMU, version 0). */
export const QEMU_TYPE_OF_LOADER = 0xb0;
/** vid_mode "normal" (boot.rst: 0xFFFF = VGA normal, what QEMU writes without vga=). */
export const VID_MODE_NORMAL = 0xffff;
/** The boot stack until the kernel sets its own (startup_64 does so at once), just below the zero page. */
export const LINUX_BOOT_RSP = LINUX_ZERO_PAGE;

// ---- The GDT the 64-bit protocol requires: __BOOT_CS = 0x10 (execute/read), __BOOT_DS = 0x18 (read/write) ----
export const BOOT_CS = 0x10;
export const BOOT_DS = 0x18;
/** The reset value of TR's attributes (SDM Vol. 3 Table 10-1: present, 32/64-bit busy TSS). */
const TR_RESET_ATTRS = 0x8b;

export type LinuxBootErrorCode = 'not-bzimage' | 'old-protocol' | 'no-64bit-entry' | 'cmdline-too-long' | 'too-big' | 'initrd-too-big';


export interface LinuxImage {
  /** Boot protocol version, e.g. 0x20f. */
  protocol: number;
  /** The kernel's version string from the header (kernel_version), '' if absent. */
  version: string;
  /** The protected-mode kernel (after the setup sectors) and where it goes. */
  kernel: Uint8Array;
  loadAddr: number;
  entry: number;
  /** The memory the kernel needs from its load address on while it decompresses (init_size). */
  initSize: number;
  /** The zero page as the kernel finds it at RSI. */
  bootParams: Uint8Array;
  /** NUL-terminated command line at LINUX_CMDLINE. */
  cmdline: Uint8Array;
  initrd?: { addr: number; data: Uint8Array };
}

export interface LinuxOptions {
  memorySize: number;
  vendor: Vendor;
  append: string;
  initrd?: Uint8Array;
}

const u16 = (b: Uint8Array, o: number): number => b[o]! | (b[o + 1]! << 8);
const u32 = (b: Uint8Array, o: number): number => (u16(b, o) | (u16(b, o + 2) << 16)) >>> 0;

/** A bzImage carries the "HdrS" header magic at 0x202 (QEMU's x86_load_linux tests the same before trying
 *  Multiboot). */
export function isLinuxBzImage(bytes: Uint8Array): boolean {
  return bytes.length >= HDR_HEADER + 4 && u32(bytes, HDR_HEADER) === LINUX_HEADER_MAGIC;
}

function versionString(bytes: Uint8Array): string {
  const p = u16(bytes, HDR_KERNEL_VERSION);
  if (p === 0) return '';
  const at = HDR_JUMP + p;
  let end = at;
  while (end < bytes.length && end < at + 256 && bytes[end] !== 0) end++;
  return new TextDecoder('latin1').decode(bytes.subarray(at, end));
}

const hex = (n: number): string => `0x${n.toString(16)}`;

/** Check a bzImage and lay out what loadLinux writes. Throws LinuxBootError for a kernel this loader cannot
 *  enter, or one that does not fit the machine. */
export function planLinux(bytes: Uint8Array, o: LinuxOptions): LinuxImage {
  if (!isLinuxBzImage(bytes) || bytes.length < HDR_JUMP + 2) throw new LinuxBootError('not-bzimage', 'no Linux boot header ("HdrS" at 0x202)');
  const protocol = u16(bytes, HDR_VERSION);
  const v = `${protocol >> 8}.${(protocol & 0xff).toString().padStart(2, '0')}`;
  if (protocol < MIN_PROTOCOL_64BIT) throw new LinuxBootError('old-protocol', `boot protocol ${v} has no 64-bit entry point (2.12 or later needed)`);
  if ((u16(bytes, HDR_XLOADFLAGS) & XLF_KERNEL_64) === 0) throw new LinuxBootError('no-64bit-entry', 'xloadflags lacks XLF_KERNEL_64: a 32-bit kernel, which this loader cannot enter');
  const headerEnd = HDR_HEADER + bytes[HDR_JUMP + 1]!;
  const setupSects = bytes[HDR_SETUP_SECTS]! === 0 ? 4 : bytes[HDR_SETUP_SECTS]!;
  const kernelOffset = (setupSects + 1) * 512;
  if (kernelOffset >= bytes.length || headerEnd > kernelOffset) throw new LinuxBootError('not-bzimage', `setup_sects ${setupSects} points past the end of the file (${bytes.length} bytes)`);
  const kernel = bytes.subarray(kernelOffset);
  const initSize = u32(bytes, HDR_INIT_SIZE);
  const prefAddress = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(HDR_PREF_ADDRESS, true));

  // The command line: cmdline_size excludes the terminating NUL.
  const cmdlineMax = u32(bytes, HDR_CMDLINE_SIZE);
  const cmdline = new TextEncoder().encode(`${o.append}\0`);
  if (cmdline.length - 1 > cmdlineMax) throw new LinuxBootError('cmdline-too-long', `--append is ${cmdline.length - 1} bytes; this kernel takes at most ${cmdlineMax}`);

  // The kernel decompresses in place from its preferred address (LOAD_PHYSICAL_ADDR) on; that range must be RAM.
  const low = lowMemorySize(o.memorySize);
  const ramTop = low - SEABIOS_HIGH_RESERVED;
  const kernelEnd = Math.max(LINUX_PROT_ADDR, prefAddress) + Math.max(initSize, kernel.length);
  if (kernelEnd > ramTop) throw new LinuxBootError('too-big', `the kernel needs RAM up to ${hex(kernelEnd)} to decompress (init_size ${hex(initSize)}); --memory gives ${hex(ramTop)} below 4 GiB`);

  // QEMU: the initrd goes at the top of low RAM, below initrd_addr_max, page aligned.
  let initrd: LinuxImage['initrd'];
  if (o.initrd !== undefined && o.initrd.length > 0) {
    const max = Math.min(u32(bytes, HDR_INITRD_ADDR_MAX), ramTop - 1);
    const addr = Math.floor((max + 1 - o.initrd.length) / 4096) * 4096;
    if (addr < kernelEnd) throw new LinuxBootError('initrd-too-big', `the initrd (${o.initrd.length} bytes) does not fit between the kernel (up to ${hex(kernelEnd)}) and ${hex(max + 1)}; give more --memory`);
    initrd = { addr, data: o.initrd };
  }

  // The zero page: the setup header as the file has it, then the fields a loader fills in.
  const bp = new Uint8Array(BP_SIZE);
  bp.set(bytes.subarray(HDR_SETUP_SECTS, headerEnd), HDR_SETUP_SECTS);
  const dv = new DataView(bp.buffer);
  dv.setUint16(HDR_VID_MODE, VID_MODE_NORMAL, true);
  bp[HDR_TYPE_OF_LOADER] = QEMU_TYPE_OF_LOADER;
  bp[HDR_LOADFLAGS] = bp[HDR_LOADFLAGS]! | CAN_USE_HEAP;
  dv.setUint16(HDR_HEAP_END_PTR, LINUX_CMDLINE - LINUX_ZERO_PAGE - 0x200, true);
  dv.setUint32(HDR_CODE32_START, LINUX_PROT_ADDR, true);
  dv.setUint32(HDR_CMD_LINE_PTR, LINUX_CMDLINE, true);
  dv.setUint32(BP_EXT_CMD_LINE_PTR, 0, true);
  if (initrd !== undefined) {
    dv.setUint32(HDR_RAMDISK_IMAGE, initrd.addr, true);
    dv.setUint32(HDR_RAMDISK_SIZE, initrd.data.length, true);
  }
  const e820 = e820Map(o.memorySize, o.vendor).slice(0, E820_MAX_ZEROPAGE);
  bp[BP_E820_ENTRIES] = e820.length;
  e820.forEach(([base, len, type], i) => {
    const at = BP_E820_TABLE + i * E820_ENTRY_SIZE;
    dv.setBigUint64(at, base, true);
    dv.setBigUint64(at + 8, len, true);
    dv.setUint32(at + 16, type, true);
  });
  return { protocol, version: versionString(bytes), kernel, loadAddr: LINUX_PROT_ADDR, entry: LINUX_PROT_ADDR + ENTRY64_OFFSET, initSize, bootParams: bp, cmdline, initrd };
}

/** Write the kernel, zero page, command line, initrd, identity map and GDT; return the 64-bit entry state
 *  (boot.rst: 64-bit mode, paging on and identity-mapped, CS = __BOOT_CS, DS/ES/SS = __BOOT_DS,
 *  interrupts off, RSI = the zero page). */
export function loadLinux(img: LinuxImage, memory: PhysicalMemory): BootInfo {
  memory.writePhys(img.loadAddr, img.kernel);
  memory.writePhys(LINUX_ZERO_PAGE, img.bootParams);
  memory.writePhys(LINUX_CMDLINE, img.cmdline);
  if (img.initrd !== undefined) memory.writePhys(img.initrd.addr, img.initrd.data);
  writeIdentityMap4G(memory);
  const gdt = new Uint8Array(BOOT_DS + 8);
  const gv = new DataView(gdt.buffer);
  gv.setBigUint64(BOOT_CS, segDesc(TYPE_CODE_XR_A, 0, FL_G | FL_L), true);
  gv.setBigUint64(BOOT_DS, segDesc(TYPE_DATA_RW_A, 0, FL_G | FL_DB), true);
  memory.writePhys(BOOT_GDT, gdt);

  const flat = (selector: number, type: number, flags: number): SegmentState => ({ selector, base: 0n, limit: 0xffffffff, attrs: attrs(type, true, 0, flags) });
  const data = (): SegmentState => flat(BOOT_DS, TYPE_DATA_RW_A, FL_G | FL_DB);
  const state: ArchState = {
    gpr: new Array<bigint>(16).fill(0n),
    rip: BigInt(img.entry),
    rflags: RFLAGS_FIXED,
    seg: [data(), flat(BOOT_CS, TYPE_CODE_XR_A, FL_G | FL_L), data(), data(), data(), data()], // ES CS SS DS FS GS
    gdtr: { base: BigInt(BOOT_GDT), limit: gdt.length - 1 },
    idtr: { base: 0n, limit: 0 },
    tr: { selector: 0, base: 0n, limit: 0xffff, attrs: TR_RESET_ATTRS },
    ldtr: { selector: 0, base: 0n, limit: 0, attrs: 0 },
    cr0: CR0_PE | CR0_MP | CR0_ET | CR0_NE | CR0_WP | CR0_PG,
    cr2: 0n,
    cr3: BigInt(BOOT_PML4),
    cr4: CR4_PAE,
    cr8: 0n,
    efer: EFER_LME | EFER_LMA,
    fsBase: 0n,
    gsBase: 0n,
    kernelGsBase: 0n,
  };
  state.gpr[4] = BigInt(LINUX_BOOT_RSP); // RSP
  state.gpr[6] = BigInt(LINUX_ZERO_PAGE); // RSI: struct boot_params
  // IA32_STAR keeps its reset value: the kernel programs SYSCALL itself.
  return { entry: BigInt(img.entry), state, star: 0n };
}
