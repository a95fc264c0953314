// The Linux/x86 64-bit boot protocol loader (src/loader/linux.ts) on a bzImage-shaped file built here: the zero
// page a kernel finds at RSI (setup header copied, the fields a loader fills in as QEMU's x86_load_linux fills
// them, the E820 map), the entry state the protocol requires, and the refusals; and a vmlinux-shaped ELF entered
// through its PVH note (the start info QEMU's pvh.bin builds, Xen's PVH entry state). The real Debian kernel boots
// in boot.test.ts.
import { describe, expect, it } from 'vitest';
import { createPhysicalMemory } from '../../src/cpu/index.js';
import { e820Map } from '../../src/loader/multiboot.js';
import {
  BOOT_CS, BOOT_DS, BP_E820_ENTRIES, BP_E820_TABLE, CAN_USE_HEAP, HDR_CMD_LINE_PTR, HDR_CMDLINE_SIZE, HDR_HEAP_END_PTR, HDR_INITRD_ADDR_MAX, HDR_INIT_SIZE,
  HDR_KERNEL_VERSION, HDR_LOADFLAGS, HDR_PREF_ADDRESS, HDR_RAMDISK_IMAGE, HDR_RAMDISK_SIZE, HDR_SETUP_SECTS, HDR_TYPE_OF_LOADER, HDR_VERSION, HDR_VID_MODE,
  HDR_XLOADFLAGS, LINUX_CMDLINE, LINUX_ZERO_PAGE, LinuxBootError, loadLinux, planLinux, type LinuxBootErrorCode,
} from '../../src/loader/linux.js';
import { ElfError } from '../../src/loader/elf.js';
import {
  findPvhEntry, loadPvh, planPvh, PVH_START_INFO, SI_CMDLINE, SI_MAGIC, SI_MEMMAP, SI_MEMMAP_ENTRIES, SI_MODLIST, SI_NR_MODULES, SI_RSDP, SI_VERSION,
  XEN_HVM_START_MAGIC_VALUE,
} from '../../src/loader/pvh.js';

const MiB = 1 << 20;
const SETUP_SECTS = 3;
const KERNEL_AT = (SETUP_SECTS + 1) * 512;

/** A file with a setup header as `make bzImage` writes it (protocol 2.15, 64-bit entry) and a 4 KiB "kernel". */
function bzImage(o: { version?: number; xloadflags?: number; initSize?: number; cmdlineSize?: number; initrdMax?: number } = {}): Uint8Array {
  const b = new Uint8Array(KERNEL_AT + 4096);
  const dv = new DataView(b.buffer);
  b[HDR_SETUP_SECTS] = SETUP_SECTS;
  dv.setUint16(0x1fe, 0xaa55, true);
  b[0x200] = 0xeb; // jmp short over the header: its length is 0x202 + this byte
  b[0x201] = 0x6a;
  dv.setUint32(0x202, 0x53726448, true);
  dv.setUint16(HDR_VERSION, o.version ?? 0x20f, true);
  dv.setUint16(HDR_KERNEL_VERSION, 0x300, true); // the version string at 0x200 + 0x300
  b.set(new TextEncoder().encode('6.1.0-test (builder@host) #1\0'), 0x500);
  b[HDR_LOADFLAGS] = 0x01; // LOADED_HIGH
  dv.setUint32(HDR_INITRD_ADDR_MAX, o.initrdMax ?? 0x7fffffff, true);
  dv.setUint16(HDR_XLOADFLAGS, o.xloadflags ?? 0x1f, true);
  dv.setUint32(HDR_CMDLINE_SIZE, o.cmdlineSize ?? 2047, true);
  dv.setBigUint64(HDR_PREF_ADDRESS, 0x1000000n, true);
  dv.setUint32(HDR_INIT_SIZE, o.initSize ?? 0x2000000, true);
  for (let i = 0; i < 4096; i++) b[KERNEL_AT + i] = i & 0xff;
  return b;
}

const code = (f: () => unknown): LinuxBootErrorCode | 'none' => {
  try {
    f();
    return 'none';
  } catch (e) {
    if (e instanceof LinuxBootError) return e.code;
    throw e;
  }
};

describe('the zero page', () => {
  it('carries the file setup header and the loader fields QEMU x86_load_linux writes', () => {
    const img = planLinux(bzImage(), { memorySize: 256 * MiB, vendor: 'intel', append: 'console=ttyS0 -foo' });
    const bp = img.bootParams;
    const dv = new DataView(bp.buffer);
    expect(img.protocol).toBe(0x20f);
    expect(img.version).toBe('6.1.0-test (builder@host) #1');
    expect(bp[HDR_SETUP_SECTS]).toBe(SETUP_SECTS);
    expect(dv.getUint32(0x202, true)).toBe(0x53726448);
    expect(dv.getUint16(HDR_XLOADFLAGS, true)).toBe(0x1f);
    expect(dv.getUint16(HDR_VID_MODE, true)).toBe(0xffff);
    expect(bp[HDR_TYPE_OF_LOADER]).toBe(0xb0);
    expect(bp[HDR_LOADFLAGS]).toBe(0x01 | CAN_USE_HEAP);
    expect(dv.getUint16(HDR_HEAP_END_PTR, true)).toBe(0xfe00);
    expect(dv.getUint32(HDR_CMD_LINE_PTR, true)).toBe(LINUX_CMDLINE);
    expect(new TextDecoder().decode(img.cmdline)).toBe('console=ttyS0 -foo\0');
    expect(dv.getUint32(HDR_RAMDISK_IMAGE, true)).toBe(0);
    // Beyond the header (0x202 + 0x6a) nothing of the file leaks into the zero page.
    expect(bp.subarray(0x202 + 0x6a, 0x2d0).every((x) => x === 0)).toBe(true);
  });

  it('holds the E820 map SeaBIOS reports, for each RAM size and vendor', () => {
    for (const [mib, vendor] of [[64, 'intel'], [3584, 'amd'], [4096, 'intel']] as const) {
      const img = planLinux(bzImage(), { memorySize: mib * MiB, vendor, append: '' });
      const dv = new DataView(img.bootParams.buffer);
      const want = e820Map(mib * MiB, vendor);
      expect(img.bootParams[BP_E820_ENTRIES]).toBe(want.length);
      want.forEach(([base, len, type], i) => {
        const at = BP_E820_TABLE + i * 20;
        expect([dv.getBigUint64(at, true), dv.getBigUint64(at + 8, true), dv.getUint32(at + 16, true)]).toEqual([base, len, type]);
      });
    }
  });

  it('puts the initrd page-aligned at the top of low RAM, below initrd_addr_max', () => {
    const initrd = new Uint8Array(10000).fill(7);
    const img = planLinux(bzImage(), { memorySize: 256 * MiB, vendor: 'intel', append: '', initrd });
    // Low RAM ends at 256 MiB - 128 KiB (SeaBIOS's reserve): the last page-aligned start that fits.
    const top = 256 * MiB - 0x20000;
    expect(img.initrd?.addr).toBe(Math.floor((top - 10000) / 4096) * 4096);
    const dv = new DataView(img.bootParams.buffer);
    expect(dv.getUint32(HDR_RAMDISK_IMAGE, true)).toBe(img.initrd?.addr);
    expect(dv.getUint32(HDR_RAMDISK_SIZE, true)).toBe(10000);
    const low = planLinux(bzImage({ initrdMax: 0x37ffffff }), { memorySize: 2048 * MiB, vendor: 'intel', append: '', initrd });
    expect(low.initrd?.addr).toBe(Math.floor((0x38000000 - 10000) / 4096) * 4096);
  });
});

describe('the 64-bit entry', () => {
  it('enters at the kernel + 0x200 in 64-bit mode with __BOOT_CS/__BOOT_DS, paging on, IF=0, RSI = the zero page', () => {
    const mem = createPhysicalMemory(64 * MiB);
    const img = planLinux(bzImage(), { memorySize: 64 * MiB, vendor: 'intel', append: 'x' });
    const boot = loadLinux(img, mem);
    const s = boot.state;
    expect(s.rip).toBe(0x100200n);
    expect(s.gpr[6]).toBe(BigInt(LINUX_ZERO_PAGE));
    expect(s.seg[1]!.selector).toBe(BOOT_CS);
    expect([s.seg[0]!.selector, s.seg[2]!.selector, s.seg[3]!.selector]).toEqual([BOOT_DS, BOOT_DS, BOOT_DS]);
    expect(s.seg[1]!.attrs & 0x200).toBe(0x200); // L
    expect(s.rflags & 0x200n).toBe(0n);
    expect(s.efer & 0x500n).toBe(0x500n); // LME | LMA
    // The kernel bytes at 1 MiB, the zero page and command line where the header says.
    expect(mem.u8[0x100000 + 5]).toBe(5);
    expect(mem.u8[LINUX_ZERO_PAGE + HDR_TYPE_OF_LOADER]).toBe(0xb0);
    expect(mem.u8[LINUX_CMDLINE]).toBe('x'.charCodeAt(0));
    // The GDT the protocol names: 0x10 a 64-bit code segment, 0x18 a writable data segment.
    const gdt = Number(s.gdtr.base);
    const dv = new DataView(mem.u8.buffer, mem.u8.byteOffset);
    expect((dv.getBigUint64(gdt + BOOT_CS, true) >> 40n) & 0xffn).toBe(0x9bn);
    expect((dv.getBigUint64(gdt + BOOT_CS, true) >> 53n) & 1n).toBe(1n); // L
    expect((dv.getBigUint64(gdt + BOOT_DS, true) >> 40n) & 0xffn).toBe(0x93n);
  });
});

describe('kernels this loader refuses, with the reason', () => {
  const opts = { memorySize: 256 * MiB, vendor: 'intel' as const, append: '' };
  it('no header, protocol before 2.12, a 32-bit-only kernel', () => {
    expect(code(() => planLinux(new Uint8Array(4096), opts))).toBe('not-bzimage');
    expect(code(() => planLinux(bzImage({ version: 0x20b }), opts))).toBe('old-protocol');
    expect(code(() => planLinux(bzImage({ xloadflags: 0 }), opts))).toBe('no-64bit-entry');
  });
  it('a command line over cmdline_size; RAM too small to decompress into; an initrd that does not fit', () => {
    expect(code(() => planLinux(bzImage({ cmdlineSize: 4 }), { ...opts, append: 'abcde' }))).toBe('cmdline-too-long');
    expect(code(() => planLinux(bzImage({ cmdlineSize: 4 }), { ...opts, append: 'abcd' }))).toBe('none');
    expect(code(() => planLinux(bzImage({ initSize: 0x10000000 }), opts))).toBe('too-big');
    expect(code(() => planLinux(bzImage(), { ...opts, memorySize: 64 * MiB, initrd: new Uint8Array(40 * MiB) }))).toBe('initrd-too-big');
  });
});

/** An ELF64 vmlinux shape: one PT_LOAD at 16 MiB and a PT_NOTE with Xen's PHYS32_ENTRY note (and one note before
 *  it that must be skipped), as `readelf -n vmlinux` shows Debian's. */
function vmlinux(entry: number | undefined): Uint8Array {
  const code = new Uint8Array(0x100).fill(0x90);
  const note = (name: string, type: number, desc: number[]): number[] => {
    const n = [...Buffer.from(`${name}\0`)];
    while (n.length % 4) n.push(0);
    const d = [...desc];
    while (d.length % 4) d.push(0);
    const h = new DataView(new ArrayBuffer(12));
    h.setUint32(0, name.length + 1, true);
    h.setUint32(4, desc.length, true);
    h.setUint32(8, type, true);
    return [...new Uint8Array(h.buffer), ...n, ...d];
  };
  const le64 = (v: number) => [...new Uint8Array(new BigUint64Array([BigInt(v)]).buffer)];
  const notes = [...note('Xen', 6, [...Buffer.from('linux\0')]), ...(entry === undefined ? [] : note('Xen', 18, le64(entry)))];
  const phoff = 64, codeAt = 0x200, noteAt = 0x300;
  const b = new Uint8Array(noteAt + notes.length);
  const dv = new DataView(b.buffer);
  b.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]);
  dv.setUint16(16, 2, true); // ET_EXEC
  dv.setUint16(18, 62, true); // EM_X86_64
  dv.setUint32(20, 1, true);
  dv.setBigUint64(24, 0x1000000n, true);
  dv.setBigUint64(32, BigInt(phoff), true);
  dv.setUint16(52, 64, true);
  dv.setUint16(54, 56, true);
  dv.setUint16(56, 2, true);
  const ph = (i: number, type: number, off: number, paddr: number, size: number) => {
    const at = phoff + i * 56;
    dv.setUint32(at, type, true);
    dv.setBigUint64(at + 8, BigInt(off), true);
    dv.setBigUint64(at + 16, BigInt(0xffffffff80000000 + paddr), true);
    dv.setBigUint64(at + 24, BigInt(paddr), true);
    dv.setBigUint64(at + 32, BigInt(size), true);
    dv.setBigUint64(at + 40, BigInt(size), true);
  };
  ph(0, 1, codeAt, 0x1000000, code.length);
  ph(1, 4, noteAt, 0x1000000 + noteAt, notes.length);
  b.set(code, codeAt);
  b.set(notes, noteAt);
  return b;
}

describe('a vmlinux through its PVH entry (QEMU -kernel vmlinux: load_elfboot + pvh.bin)', () => {
  it('finds XEN_ELFNOTE_PHYS32_ENTRY, and nothing in a file without it', () => {
    expect(findPvhEntry(vmlinux(0x1000850))).toBe(0x1000850);
    expect(findPvhEntry(vmlinux(undefined))).toBeUndefined();
    expect(findPvhEntry(bzImage())).toBeUndefined();
  });

  it('fills hvm_start_info v1: magic, cmdline, the initrd as module 0, the RSDP, the E820 map; enters in 32-bit protected mode with EBX', () => {
    const mem = createPhysicalMemory(256 * MiB);
    const initrd = new Uint8Array(5000).fill(3);
    const img = planPvh(vmlinux(0x1000850), { memorySize: 256 * MiB, vendor: 'intel', append: 'console=ttyS0', initrd });
    const boot = loadPvh(img, mem);
    const dv = new DataView(mem.u8.buffer, mem.u8.byteOffset);
    const si = PVH_START_INFO;
    expect(dv.getUint32(si + SI_MAGIC, true)).toBe(XEN_HVM_START_MAGIC_VALUE);
    expect(dv.getUint32(si + SI_VERSION, true)).toBe(1);
    expect(dv.getUint32(si + SI_NR_MODULES, true)).toBe(1);
    const cmd = Number(dv.getBigUint64(si + SI_CMDLINE, true));
    expect(new TextDecoder().decode(mem.u8.subarray(cmd, cmd + 14))).toBe('console=ttyS0\0');
    expect(dv.getBigUint64(si + SI_RSDP, true)).toBe(0xf0000n);
    const mod = Number(dv.getBigUint64(si + SI_MODLIST, true));
    const initrdAt = Number(dv.getBigUint64(mod, true));
    expect([initrdAt % 4096, Number(dv.getBigUint64(mod + 8, true)), mem.u8[initrdAt]]).toEqual([0, 5000, 3]);
    const map = Number(dv.getBigUint64(si + SI_MEMMAP, true));
    const want = e820Map(256 * MiB, 'intel');
    expect(dv.getUint32(si + SI_MEMMAP_ENTRIES, true)).toBe(want.length);
    want.forEach(([base, len, type], i) => expect([dv.getBigUint64(map + i * 24, true), dv.getBigUint64(map + i * 24 + 8, true), dv.getUint32(map + i * 24 + 16, true)]).toEqual([base, len, type]));
    // The segment at its physical address; the entry state of Xen's PVH ABI.
    expect(mem.u8[0x1000000]).toBe(0x90);
    const s = boot.state;
    expect([s.rip, s.gpr[3], s.cr0 & 0x80000001n, s.efer, s.rflags & 0x200n]).toEqual([0x1000850n, BigInt(PVH_START_INFO), 1n, 0n, 0n]);
    expect(s.seg[1]!.attrs & 0x400).toBe(0x400); // CS.D: 32-bit code
    expect([s.tr.base, s.tr.limit]).toEqual([0n, 0x67]);
  });

  it('without a PVH note: refused (exit 65 through ElfError)', () => {
    expect(() => planPvh(vmlinux(undefined), { memorySize: 256 * MiB, vendor: 'intel', append: '' })).toThrow(ElfError);
  });
});
