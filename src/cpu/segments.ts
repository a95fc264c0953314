// Segment-register loads with the protected-mode checks (SDM Vol. 3 3.4.3-3.4.5, 5.5-5.7; Vol. 2 MOV
// Sreg, POP Sreg, LDS/LES/LFS/LGS/LSS). The hidden part (base, limit scaled by G, attributes) is loaded
// from the GDT/LDT descriptor; CPL comes from CS and is never changed here.

import type { Cpu } from './cpu.js';
import { updateMode } from './mode.js';
import * as A from './arch.js';
import { DESC_CODE, DESC_CONFORMING, DESC_EXPAND_DOWN, DESC_READABLE, DESC_WRITABLE, SEG_CS, SEG_SS, attrsOf, baseOf, limitOf } from './descriptor.js';
import { loadSegment8086, paragraphSegments } from './mode8086.js';

/** The accessed bit as it sits in the descriptor's high dword (bit 8 = type bit 0). */
const DESC_HI_ACCESSED = 1 << 8;

/** Linear address of the descriptor that `sel` names (after readDescriptor validated it). */
export function descriptorAddress(c: Cpu, sel: number): number {
  return ((sel & 4) ? c.ldtrBase : c.gdtrBase) + (sel & 0xfff8);
}

/** Set the descriptor's accessed bit the way the processor does on a segment load (SDM 3.4.5.1). */
export function markAccessed(c: Cpu, sel: number): void {
  if (c.dHi & DESC_HI_ACCESSED) return;
  c.dHi |= DESC_HI_ACCESSED;
  c.sysWr32(descriptorAddress(c, sel) + 4, c.dHi);
}

/** Commit a descriptor (in c.dLo/c.dHi) into segment register s. */
export function commitSegment(c: Cpu, s: number, sel: number): void {
  c.segSel[s] = sel;
  c.segAttr[s] = attrsOf(c.dHi);
  c.segLimit[s] = limitOf(c.dLo, c.dHi);
  c.segBase[s] = baseOf(c.dLo, c.dHi);
}

/** Whether `size` bytes at `off` lie inside a data/stack segment with these attributes and (byte-granular)
 *  limit: up to the limit for expand-up, above it up to FFFFH or FFFFFFFFH (per B) for expand-down
 *  (SDM Vol. 3 5.3). Used for stacks the CPU switches to before loading SS. */
export function offsetInLimit(attrs: number, limit: number, off: number, size: number): boolean {
  const end = off + size - 1;
  if ((attrs & DESC_CODE) === 0 && (attrs & DESC_EXPAND_DOWN) !== 0) {
    const top = (attrs & A.ATTR_DB) ? 0xffffffff : 0xffff;
    return off > limit && end <= top;
  }
  return end <= limit;
}

/** A null selector in a data segment register: usable for the load, faults on use (SDM 3.4.2). */
function loadNull(c: Cpu, s: number, sel: number): void {
  c.segSel[s] = sel;
  c.segAttr[s] = 0;
  c.segLimit[s] = 0;
  // 64-bit mode keeps the FS/GS base model of the earlier code (a null load clears it); outside 64-bit mode
  // the base of an unusable segment is never used.
  c.segBase[s] = 0;
}

/**
 * Load segment register `s` (ES/SS/DS/FS/GS; CS is loaded only by far transfers) with `selector`.
 * Faults: #GP(0) for a null SS (outside the 64-bit mode exception), #GP(selector) for a selector outside
 * its table, a wrong type or a privilege violation, #SS(selector) for a not-present stack segment,
 * #NP(selector) for another not-present segment (SDM Vol. 2 MOV Sreg, "Protected Mode Exceptions").
 */
export function loadSegment(c: Cpu, s: number, selector: number): void {
  const sel = selector & 0xffff;
  if (s === SEG_CS || s < 0 || s > 5) c.raiseUD(); // MOV CS / POP CS are invalid opcodes
  if (paragraphSegments(c)) { loadSegment8086(c, s, sel); return; } // real-address / virtual-8086 mode
  const err = sel & 0xfffc;
  if (err === 0) {
    if (s === SEG_SS) {
      // 64-bit mode allows a null SS at CPL 0-2 when RPL = CPL (SDM Vol. 2 MOV, 64-bit mode exceptions).
      if (!c.long64 || c.cpl === 3 || (sel & 3) !== c.cpl) c.raiseGP0();
    }
    loadNull(c, s, sel);
    updateMode(c);
    return;
  }
  c.readDescriptor(sel, 0);
  const at = attrsOf(c.dHi);
  const dpl = (at >> A.ATTR_DPL_SHIFT) & 3, rpl = sel & 3;
  if (!(at & A.ATTR_S)) c.raise(A.VEC_GP, err); // system descriptors cannot be loaded into data registers
  const code = (at & DESC_CODE) !== 0;
  if (s === SEG_SS) {
    if (rpl !== c.cpl || dpl !== c.cpl || code || !(at & DESC_WRITABLE)) c.raise(A.VEC_GP, err);
    if (!(at & A.ATTR_P)) c.raise(A.VEC_SS, err);
  } else {
    const conforming = code && (at & DESC_CONFORMING) !== 0;
    if (code && !(at & DESC_READABLE)) c.raise(A.VEC_GP, err);
    if (!conforming && (rpl > dpl || c.cpl > dpl)) c.raise(A.VEC_GP, err);
    if (!(at & A.ATTR_P)) c.raise(A.VEC_NP, err);
  }
  markAccessed(c, sel);
  commitSegment(c, s, sel);
  updateMode(c);
}
