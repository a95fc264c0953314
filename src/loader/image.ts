// Which boot protocol a guest file gets, and the loaded form of either (docs/boot.md "Choosing the boot
// protocol"). Multiboot when the file carries a valid Multiboot header where QEMU looks for one (so a
// kernel for qemu-system-x86_64 -kernel boots the same way here), otherwise dbstub's 64-bit ELF boot
// environment (boot.ts). `boot: multiboot | elf64` forces one.

import { readInputFile } from './guest-file.js';
import type { PhysicalMemory, Vendor } from '../cpu/index.js';
import type { BootProtocol } from '../config/config.js';
import { writeAcpiTables } from './acpi.js';
import { writeFirmwareIvt } from './bios-ivt.js';
import { buildBootEnvironment, BOOT_RESERVED_HIGH, BOOT_RESERVED_LOW, type BootInfo } from './boot.js';
import { ElfError, loadElf, parseElf, PF_R, PF_W, PF_X, type ElfImage } from './elf.js';
import { isLinuxBzImage, loadLinux, planLinux, type LinuxImage } from './linux.js';
import { findPvhEntry, loadPvh, planPvh, type PvhImage } from './pvh.js';
import { findMultibootHeader, loadMultiboot, MultibootError, parseInitrd, planMultiboot, type ModuleInput, type MultibootImage } from './multiboot.js';

export interface BootImageOptions {
  protocol: BootProtocol;
  memorySize: number;
  vendor: Vendor;
  /** Multiboot: kernel name put in front of the command line (QEMU uses the -kernel argument as given). */
  kernelName: string;
  append: string;
  /** QEMU -initrd syntax; the files are read relative to the current directory, as QEMU does. */
  initrd: string;
  /** Modules already in memory (library API); replaces `initrd` when given. */
  modules?: ModuleInput[];
  /** Told about choices the user may not expect (ignored --append, a stray magic...). */
  warn?: (message: string) => void;
}

export type BootImage =
  | { protocol: 'elf64'; image: ElfImage }
  | { protocol: 'multiboot'; image: ElfImage; multiboot: MultibootImage }
  | { protocol: 'linux'; image: ElfImage; linux: LinuxImage }
  | { protocol: 'pvh'; image: ElfImage; pvh: PvhImage };

const isElf64 = (b: Uint8Array) => b.length > 4 && b[0] === 0x7f && b[1] === 0x45 && b[2] === 0x4c && b[3] === 0x46 && b[4] === 2;

/** Read the --initrd files (ENOENT and friends propagate with the path, like any unreadable input). */
export function readModules(initrd: string, memorySize = Number.MAX_SAFE_INTEGER): ModuleInput[] {
  if (initrd === '') return [];
  return parseInitrd(initrd).map((m) => {
    if (m.path === '') throw new MultibootError('bad-module', `--initrd ${JSON.stringify(initrd)}: an empty module file name (QEMU separates modules with ",", and ",," is a literal comma)`);
    const b = readInputFile(m.path, '--initrd module', memorySize, 'guest RAM');
    return { ...m, data: new Uint8Array(b.buffer, b.byteOffset, b.byteLength) };
  });
}

/** Decide the protocol and parse/lay out the image. Throws ElfError / MultibootError for a bad file. */
export function prepareBootImage(bytes: Uint8Array, o: BootImageOptions): BootImage {
  let protocol: 'elf64' | 'multiboot' | 'linux' = o.protocol === 'auto' ? 'elf64' : o.protocol;
  // A bzImage first, as QEMU's x86_load_linux looks for the Linux header before a Multiboot one, and an ELF with
  // a PVH entry note last (load_elfboot).
  if (o.protocol === 'auto' && isLinuxBzImage(bytes)) protocol = 'linux';
  else if (o.protocol === 'auto') {
    const found = findMultibootHeader(bytes);
    if (found.header) protocol = 'multiboot';
    else if (findPvhEntry(bytes) !== undefined) protocol = 'linux';
    else if (found.badChecksumAt !== undefined) {
      // A magic without a valid checksum: QEMU would not boot the file as Multiboot either. An ELF64
      // keeps the 64-bit environment (the constant may be data); anything else is reported as the bad
      // Multiboot kernel it most likely is.
      if (isElf64(bytes)) o.warn?.(`Multiboot magic at offset ${found.badChecksumAt} with a bad checksum: booting the ELF64 file in the 64-bit environment`);
      else protocol = 'multiboot';
    }
  }
  if (protocol === 'linux') return prepareLinux(bytes, o);
  if (protocol === 'elf64') {
    if (o.append !== '' || o.initrd !== '' || (o.modules?.length ?? 0) > 0) o.warn?.('--append / --initrd apply to Multiboot and Linux kernels only: ignored for this ELF64 guest');
    const image = parseElf(bytes, { memorySize: o.memorySize });
    for (const seg of image.segments) {
      if (seg.paddr < BOOT_RESERVED_HIGH && seg.paddr + seg.memsz > BOOT_RESERVED_LOW) {
        throw new ElfError(
          'segment-outside-memory',
          `PT_LOAD segment at physical 0x${seg.paddr.toString(16)}..0x${(seg.paddr + seg.memsz).toString(16)} overlaps the boot area ` +
            `0x${BOOT_RESERVED_LOW.toString(16)}..0x${BOOT_RESERVED_HIGH.toString(16)} (page tables, GDT, TSS, stacks; see docs/boot.md); link the guest at 1 MiB`,
        );
      }
    }
    return { protocol, image };
  }
  const mb = planMultiboot(bytes, {
    memorySize: o.memorySize,
    kernelName: o.kernelName,
    append: o.append,
    modules: o.modules ?? readModules(o.initrd, o.memorySize),
    vendor: o.vendor,
    warn: o.warn,
  });
  if (mb.header.flags & 0x4) o.warn?.('Multiboot header asks for a video mode (flag bit 2): there is no display; QEMU ignores it too ("multiboot knows VBE. we don\'t")');
  // A kernel without an ELF (flat a.out-kludge binary) still gets an image: one segment, no symbols.
  const image: ElfImage = mb.elf ?? {
    bits: 32,
    entry: BigInt(mb.entry),
    segments: [{ paddr: mb.loadAddr, vaddr: BigInt(mb.loadAddr), data: mb.buf.subarray(0, mb.kernelSize), memsz: mb.kernelSize, flags: PF_R | PF_W | PF_X }],
    symbols: new Map(),
    physLow: mb.loadAddr,
    physHigh: mb.loadAddr + mb.kernelSize,
  };
  return { protocol, image: { ...image, entry: BigInt(mb.entry) }, multiboot: mb };
}

/** A Linux bzImage, or a vmlinux with a PVH entry note: --initrd is one file (the initramfs), as QEMU's -initrd is
 *  for a Linux kernel. */
function prepareLinux(bytes: Uint8Array, o: BootImageOptions): BootImage {
  const initrd = o.modules !== undefined ? o.modules[0]?.data : o.initrd === '' ? undefined : readInputFile(o.initrd, '--initrd', o.memorySize, 'guest RAM');
  if (o.modules !== undefined && o.modules.length > 1) o.warn?.('a Linux kernel takes one initrd: only the first module is loaded');
  if (!isLinuxBzImage(bytes) && findPvhEntry(bytes) !== undefined) {
    const pvh = planPvh(bytes, { memorySize: o.memorySize, vendor: o.vendor, append: o.append, initrd: initrd === undefined ? undefined : new Uint8Array(initrd.buffer, initrd.byteOffset, initrd.byteLength) });
    return { protocol: 'pvh', image: { ...pvh.elf, entry: BigInt(pvh.entry) }, pvh };
  }
  const linux = planLinux(bytes, { memorySize: o.memorySize, vendor: o.vendor, append: o.append, initrd: initrd === undefined ? undefined : new Uint8Array(initrd.buffer, initrd.byteOffset, initrd.byteLength) });
  // No ELF: one segment for the protected-mode kernel as loaded, no symbols (gdb takes vmlinux's own).
  const image: ElfImage = {
    bits: 64,
    entry: BigInt(linux.entry),
    segments: [{ paddr: linux.loadAddr, vaddr: BigInt(linux.loadAddr), data: linux.kernel, memsz: linux.kernel.length, flags: PF_R | PF_W | PF_X }],
    symbols: new Map(),
    physLow: linux.loadAddr,
    physHigh: linux.loadAddr + linux.kernel.length,
  };
  return { protocol: 'linux', image, linux };
}

/** Write the image and its boot structures into RAM; returns the entry register state. */
export function loadBootImage(b: BootImage, memory: PhysicalMemory): BootInfo {
  if (b.protocol === 'pvh') {
    writeAcpiTables(memory, memory.size);
    return loadPvh(b.pvh, memory);
  }
  if (b.protocol === 'linux') {
    // The ACPI tables QEMU's firmware leaves (SeaBIOS installs them before any -kernel is entered).
    writeAcpiTables(memory, memory.size);
    return loadLinux(b.linux, memory);
  }
  if (b.protocol === 'multiboot') {
    // SeaBIOS installs the ACPI tables before QEMU's Multiboot option ROM runs, so a -kernel Multiboot guest finds
    // them too (kvm-unit-tests' lib/acpi.c: s3 wants the FACS, vmexit's inl_pmtimer the FADT's PM_TMR_BLK). The
    // kernel and modules are written after them: where they overlap, the kernel's bytes win, as under QEMU.
    writeFirmwareIvt(memory);
    writeAcpiTables(memory, memory.size);
    loadMultiboot(b.multiboot, memory);
    // IA32_STAR keeps its reset value 0: nothing set up SYSCALL for a Multiboot kernel.
    return { entry: BigInt(b.multiboot.entry), state: b.multiboot.state, star: 0n };
  }
  loadElf(b.image, memory);
  return buildBootEnvironment(memory, b.image.entry);
}
