// Guest physical memory: one ArrayBuffer. The CPU registers itself as the code-page listener so host
// writes (loader, debugger `M`/`X`, software breakpoints) drop decoded instructions of the pages they touch.

import type { PhysicalMemory } from './api.js';

export class GuestMemory implements PhysicalMemory {
  readonly size: number;
  readonly buffer: ArrayBuffer;
  readonly u8: Uint8Array;
  readonly dv: DataView;
  /** One byte per 4 KiB page: non-zero while the page holds decoded instructions. */
  readonly codePages: Uint8Array;
  /** Called for each code page written from the host side. */
  onCodeWrite: ((ppn: number) => void) | undefined;

  constructor(sizeBytes: number) {
    if (!Number.isInteger(sizeBytes) || sizeBytes <= 0 || sizeBytes % 4096 !== 0) {
      throw new RangeError(`guest memory size must be a positive multiple of 4096, got ${sizeBytes}`);
    }
    this.size = sizeBytes;
    this.buffer = new ArrayBuffer(sizeBytes);
    this.u8 = new Uint8Array(this.buffer);
    this.dv = new DataView(this.buffer);
    this.codePages = new Uint8Array(sizeBytes >>> 12);
    this.onCodeWrite = undefined;
  }

  readPhys(addr: number, len: number): Uint8Array {
    const out = new Uint8Array(len);
    for (let i = 0; i < len; i++) {
      const a = addr + i;
      out[i] = a >= 0 && a < this.size ? this.u8[a]! : 0xff; // open bus reads all-ones
    }
    return out;
  }

  writePhys(addr: number, data: Uint8Array): void {
    // Clip to RAM (bytes outside it are dropped), one block copy, then drop decoded code of the pages hit.
    const start = Math.max(0, addr);
    const end = Math.min(this.size, addr + data.length);
    if (end <= start) return;
    this.u8.set(data.subarray(start - addr, end - addr), start);
    const cb = this.onCodeWrite;
    if (cb === undefined) return;
    for (let p = start >>> 12, last = (end - 1) >>> 12; p <= last; p++) {
      if (this.codePages[p] !== 0) cb(p);
    }
  }
}

export function createPhysicalMemory(sizeBytes: number): PhysicalMemory {
  return new GuestMemory(sizeBytes);
}
