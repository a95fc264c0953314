// Guest physical memory: one ArrayBuffer. The CPU registers itself as the code-page listener so host
// writes (loader, debugger `M`/`X`, software breakpoints) drop decoded instructions of the pages they touch.
//
// Layout as on QEMU's default `pc` machine (hw/i386/pc_piix.c pc_init1, QEMU 7.2): RAM below 4 GiB ends at
// the PCI hole; with 3.5 GiB or more the split moves to 3 GiB (gigabyte_align) and the rest of RAM sits
// from 4 GiB up. The buffer holds the low part then the high part, so a RAM offset (an index in `u8`) is
// the physical address below the hole and `lowSize + (phys - 4 GiB)` above it; ramOffset() maps one to the
// other, and physical addresses it does not map are unbacked (reads all ones, writes dropped).

import type { PhysicalMemory } from './api.js';

/** pc_piix: RAM of at least this size is split below/above 4 GiB... */
export const PC_LOWMEM_SPLIT = 0xe0000000;
/** ...at this gigabyte-aligned boundary (pc machine types since 1.7 set gigabyte_align). */
export const PC_LOWMEM_ALIGNED = 0xc0000000;
export const FOUR_GIB = 0x100000000;
/** Node 20 caps a typed array at 2^32 elements: the one-buffer model holds at most 4 GiB of RAM. */
export const MAX_RAM_BYTES = FOUR_GIB;

/** RAM below 4 GiB on QEMU's pc machine with `memorySize` bytes of RAM. */
export function lowRamSize(memorySize: number): number {
  return memorySize >= PC_LOWMEM_SPLIT ? PC_LOWMEM_ALIGNED : memorySize;
}

export class GuestMemory implements PhysicalMemory {
  readonly size: number;
  readonly buffer: ArrayBuffer;
  readonly u8: Uint8Array;
  readonly dv: DataView;
  /** One byte per 4 KiB page: non-zero while the page holds decoded instructions. */
  readonly codePages: Uint8Array;
  /** Called for each code page written from the host side. */
  onCodeWrite: ((ppn: number) => void) | undefined;

  /** RAM at physical 0..lowSize (RAM offsets equal physical addresses there). */
  readonly lowSize: number;
  /** RAM at physical 4 GiB..4 GiB+highSize (RAM offsets lowSize.. ). */
  readonly highSize: number;

  constructor(sizeBytes: number) {
    if (!Number.isInteger(sizeBytes) || sizeBytes <= 0 || sizeBytes % 4096 !== 0 || sizeBytes > MAX_RAM_BYTES) {
      throw new RangeError(`guest memory size must be a positive multiple of 4096 up to 4 GiB, got ${sizeBytes}`);
    }
    this.size = sizeBytes;
    this.lowSize = lowRamSize(sizeBytes);
    this.highSize = sizeBytes - this.lowSize;
    this.buffer = new ArrayBuffer(sizeBytes);
    this.u8 = new Uint8Array(this.buffer);
    this.dv = new DataView(this.buffer);
    this.codePages = new Uint8Array(Math.floor(sizeBytes / 4096));
    this.onCodeWrite = undefined;
  }

  /** The index in `u8` of physical address p, or -1 when no RAM is there (the PCI hole, beyond RAM). */
  ramOffset(p: number): number {
    if (p < this.lowSize) return p >= 0 ? p : -1;
    const h = p - FOUR_GIB;
    return h >= 0 && h < this.highSize ? this.lowSize + h : -1;
  }

  readPhys(addr: number, len: number): Uint8Array {
    const out = new Uint8Array(len);
    for (let i = 0; i < len; i++) {
      const a = this.ramOffset(addr + i);
      out[i] = a >= 0 ? this.u8[a]! : 0xff; // open bus reads all-ones
    }
    return out;
  }

  writePhys(addr: number, data: Uint8Array): void {
    // Each RAM range clipped (bytes outside RAM are dropped), one block copy each, then drop decoded code
    // of the pages hit.
    this.writeRange(addr, data, 0, this.lowSize, 0);
    if (this.highSize !== 0) this.writeRange(addr, data, FOUR_GIB, FOUR_GIB + this.highSize, this.lowSize);
  }

  private writeRange(addr: number, data: Uint8Array, lo: number, hi: number, ramBase: number): void {
    const start = Math.max(lo, addr);
    const end = Math.min(hi, addr + data.length);
    if (end <= start) return;
    const o0 = start - lo + ramBase, o1 = end - lo + ramBase;
    this.u8.set(data.subarray(start - addr, end - addr), o0);
    const cb = this.onCodeWrite;
    if (cb === undefined) return;
    for (let p = Math.floor(o0 / 4096), last = Math.floor((o1 - 1) / 4096); p <= last; p++) {
      if (this.codePages[p] !== 0) cb(p);
    }
  }
}

export function createPhysicalMemory(sizeBytes: number): PhysicalMemory {
  return new GuestMemory(sizeBytes);
}
