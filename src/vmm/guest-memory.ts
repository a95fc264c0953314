// Debugger access to guest memory through the guest's page tables, one translation per page (QEMU's
// cpu_memory_rw_debug walks a page at a time the same way). Both accelerators use it with their own
// translation: the CPU's page walk (bare) or KVM_TRANSLATE (kvm).

import type { PhysicalMemory } from '../cpu/index.js';

/** Paging granularity (SDM Vol. 3A 4.1): a 4 KiB-aligned linear page maps to one contiguous physical range. */
const PAGE_SIZE = 4096;
const PAGE_OFFSET_MASK = 0xfffn;

/** Linear -> physical for a debugger access; undefined when not mapped (or not writable for a write). */
export type Translate = (linear: bigint, write: boolean) => number | undefined;

/**
 * RAM through the page tables; undefined when any byte is unmapped or outside RAM. gdb reads 64-byte stack
 * lines and the watched value at every stop, and `x/4096xb` asks for whole pages, hence once per page.
 */
export function readLinear(translate: Translate, mem: PhysicalMemory, addr: bigint, len: number): Uint8Array | undefined {
  const out = new Uint8Array(len);
  let done = 0;
  while (done < len) {
    const la = addr + BigInt(done);
    const n = Math.min(PAGE_SIZE - Number(la & PAGE_OFFSET_MASK), len - done);
    const t = translate(la, false);
    // A physical address; RAM above the PCI hole sits elsewhere in mem.u8 (PhysicalMemory.ramOffset).
    const p = t === undefined ? -1 : mem.ramOffset(t);
    if (p < 0 || p + n > mem.size) return undefined;
    out.set(mem.u8.subarray(p, p + n), done);
    done += n;
  }
  return out;
}

/** Write all of `data` or nothing (false when any byte is unmapped, read-only or outside RAM). Goes through
 *  writePhys so the CPU's decoded-instruction cache sees the change. */
export function writeLinear(translate: Translate, mem: PhysicalMemory, addr: bigint, data: Uint8Array): boolean {
  const phys: number[] = [];
  for (let k = 0; k < data.length; k++) {
    const p = translate(addr + BigInt(k), true);
    if (p === undefined || mem.ramOffset(p) < 0) return false;
    phys.push(p);
  }
  for (let k = 0; k < data.length; k++) mem.writePhys(phys[k]!, data.subarray(k, k + 1));
  return true;
}
