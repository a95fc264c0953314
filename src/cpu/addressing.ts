// Effective and linear addresses of operands (64-bit: canonical checks; legacy modes: segment base, limit
// and type checks, SDM Vol. 3 3.4, 5.3) and the stack (RSP in 64-bit mode; ESP/SP by SS.B outside it).
//
// One layer of the Cpu class (core.ts -> memory-access.ts -> addressing.ts -> events.ts -> cpu.ts): each
// layer is abstract and only ever instantiated as a Cpu, so `this` is handed to the helper modules (typed
// with Cpu) through a cast.

import type { Insn } from './decoder.js';
import { CANON_LIMIT, TWO32 } from './canonical.js';
import * as A from './arch.js';
import { CpuMemoryAccess } from './memory-access.js';

// Segment descriptor type bits (SDM Vol. 3 Table 3-1), as in SegmentState.attrs bits 3:0: code/data and,
// for data segments, E (expand-down).
const SEG_TYPE_CODE = 8, SEG_TYPE_EXPAND_DOWN = 4;
/** Type bit 1 of a code/data descriptor: writable (data) or readable (code), SDM Vol. 3 3.4.5.1 Table 3-1. */
const SEG_TYPE_WRITABLE = 2, SEG_TYPE_READABLE = 2;

export abstract class CpuAddressing extends CpuMemoryAccess {

  // =====================================================================================
  // Effective addresses
  // =====================================================================================
  /** Linear address of the ModRM memory operand (signed canonical number). */
  ea(i: Insn, size?: number): number {
    let v: number;
    if (i.ripRel) {
      // Legacy-mode operand (the decoder sets ripRel for those: Insn.ripRel); `size` (default: the operand
      // size) is the access width for the segment-limit check.
      if (i.leg) return this.eaLeg(i, size ?? i.osz);
      v = this.nextRip + i.disp;
      if (i.asz === 4) v = v >>> 0;
    } else {
      let sum = i.disp, hs = 0;
      const b = i.base, x = i.index;
      if (b >= 0) { sum += this.rl[b]! >>> 0; hs = this.rh[b]!; }
      if (x >= 0) { const m = 1 << i.scale; sum += (this.rl[x]! >>> 0) * m; hs += this.rh[x]! * m; }
      if (i.asz === 4) v = sum >>> 0;
      else {
        const hi = (hs + Math.floor(sum / TWO32)) | 0;
        if (((hi << 16) >> 16) !== hi) this.nonCanonical(i);
        v = hi * TWO32 + (sum >>> 0);
      }
    }
    if (i.seg >= 4) {
      v += this.segBase[i.seg]!;
      if (v >= CANON_LIMIT || v < -CANON_LIMIT) this.nonCanonical(i);
    }
    return v;
  }
  /**
   * Outside 64-bit mode (SDM Vol. 3 3.4, 5.3): offset = base + index*scale + disp modulo 2^32 (2^16 with
   * 16-bit addressing), linear = segment base + offset modulo 2^32. The segment checks run only when the
   * segments are not flat or FS/GS is used: an unusable (null) segment gives #GP(0), an offset whose last
   * byte (`size` bytes) is beyond the limit gives #GP(0), or #SS(0) for SS (SDM Vol. 3 6.15
   * "Interrupt 12/13"); expand-down data segments check the range above the limit (segLinear).
   */
  eaLeg(i: Insn, size: number): number {
    const off = this.eaOffLeg(i);
    const s = i.eseg;
    if ((this.flatMask >> s) & 1) return off;
    // The decoder marks operands the instruction writes (Insn.memW): those need a writable data segment.
    return i.memW ? this.segLinearW(s, off, size) : this.segLinear(s, off, size);
  }
  /** Offset (effective address) of the ModRM operand outside 64-bit mode, wrapped to the address size. */
  eaOffLeg(i: Insn): number {
    let off = i.disp;
    const b = i.base, x = i.index;
    if (b >= 0) off += this.rl[b]!;
    if (x >= 0) off += this.rl[x]! << i.scale;
    return i.asz === 2 ? off & 0xffff : off >>> 0;
  }
  /** Linear address of the ModRM operand's offset + k (second half of a BOUND pair or a far pointer), given
   *  `la` = ea(i); the offset wraps to the address size and the segment limit is checked for `k` bytes. */
  eaLegPlus(i: Insn, la: number, k: number): number {
    const s = i.eseg;
    const flat = (this.flatMask >> s) & 1;
    if (flat && i.asz === 4) return (la + k) >>> 0;
    const off = i.asz === 2 ? (this.eaOffLeg(i) + k) & 0xffff : (this.eaOffLeg(i) + k) >>> 0;
    if (flat) return off;
    return i.memW ? this.segLinearW(s, off, k === 2 ? 2 : 4) : this.segLinear(s, off, k === 2 ? 2 : 4);
  }
  /** Linear address of `off` (already wrapped to the address size) in segment s, with the usability and
   *  limit checks of a data access of `size` bytes (legacy modes only). */
  segLinear(s: number, off: number, size: number): number {
    const vec = s === 2 ? A.VEC_SS : A.VEC_GP;
    const at = this.segAttr[s]!;
    if (!(at & A.ATTR_P)) this.raise(vec, 0);
    // A read through an execute-only code segment (only reachable with a CS override: loads of DS/ES/FS/GS
    // refuse such a segment) is #GP(0) (SDM Vol. 3 5.4; Vol. 2 MOV "Protected Mode Exceptions"); not in
    // real-address mode (segLinearW).
    if ((at & (SEG_TYPE_CODE | SEG_TYPE_READABLE)) === SEG_TYPE_CODE && !this.realMode) this.raise(vec, 0);
    const last = off + size - 1;
    if ((at & (SEG_TYPE_CODE | SEG_TYPE_EXPAND_DOWN)) === SEG_TYPE_EXPAND_DOWN) {
      // Expand-down data segment (SDM Vol. 3 3.4.5.1, 5.3): valid offsets run from limit+1 to FFFFH
      // (B=0) or FFFFFFFFH (B=1).
      if (off <= this.segLimit[s]! || last > ((at & A.ATTR_DB) ? 0xffffffff : 0xffff)) this.raise(vec, 0);
    } else if (last > this.segLimit[s]!) this.raise(vec, 0);
    return (this.segBase[s]! + off) >>> 0;
  }
  /** segLinear for a write: the segment must be a writable data segment, else #GP(0) (#SS(0) for SS): a code
   *  segment (CS override, or DS/ES/FS/GS holding a readable code segment) or a read-only data segment
   *  (SDM Vol. 3 5.4 "Limit checking", 5.5 type checking; Vol. 2 MOV/STOS "destination located in a
   *  non-writable segment"). */
  segLinearW(s: number, off: number, size: number): number {
    const at = this.segAttr[s]!;
    // Real-address mode checks limits only: code and data segments are all readable and writable there (a
    // CS override writes, as 8086 code does; SDM Vol. 3 20.1.1), whatever type protected mode left in the cache.
    if ((at & (SEG_TYPE_CODE | SEG_TYPE_WRITABLE)) !== SEG_TYPE_WRITABLE && !this.realMode) this.raise(s === 2 ? A.VEC_SS : A.VEC_GP, 0);
    return this.segLinear(s, off, size);
  }
  /** Linear address of a data access at `off` (wrapped to the address size) in segment s outside 64-bit mode,
   *  for operands that are not ModRM operands (string instructions, moffs, XLAT). */
  dataLin(s: number, off: number, size: number, write: boolean): number {
    if ((this.flatMask >> s) & 1) return off;
    return write ? this.segLinearW(s, off, size) : this.segLinear(s, off, size);
  }
  /** Outside 64-bit mode: linear address of the bit-string element `delta` bytes from the ModRM operand's offset
   *  (BT/BTS/BTR/BTC with a register bit offset). The element's offset wraps to the address size and is the one
   *  the segment checks apply to (SDM Vol. 2 BT: the operand addressed is the byte/word/dword at EA + the
   *  element displacement; Vol. 3 5.3 limit check), so the ModRM offset alone may lie outside the limit. */
  bitStringLeg(i: Insn, delta: number, size: number): number {
    const raw = this.eaOffLeg(i) + delta;
    const off = i.asz === 2 ? raw & 0xffff : raw >>> 0;
    const s = i.eseg;
    if ((this.flatMask >> s) & 1) return off;
    return i.memW ? this.segLinearW(s, off, size) : this.segLinear(s, off, size);
  }
  /** Canonical check of an address formed from the ModRM operand (BT bit strings): #SS(0)/#GP(0) as ea(). */
  canonEa(i: Insn, v: number): number {
    if (i.leg) return v >>> 0; // 32-bit linear addresses wrap (the bit-string displacement is not limit-checked)
    if (v >= CANON_LIMIT || v < -CANON_LIMIT) this.nonCanonical(i);
    return v;
  }
  protected nonCanonical(i: Insn): never {
    // Memory references through RSP/RBP use SS: #SS(0); otherwise #GP(0) (SDM Vol. 3 6.15).
    if (i.seg < 0 && (i.base === 4 || i.base === 5)) this.raise(A.VEC_SS, 0);
    this.raise(A.VEC_GP, 0);
  }
  /** Check that a computed linear address is canonical, #GP(0) otherwise. */
  canon(v: number): number {
    if (v >= CANON_LIMIT || v < -CANON_LIMIT) this.raise(A.VEC_GP, 0);
    return v;
  }

  // =====================================================================================
  // Stack
  // =====================================================================================
  push64(lo: number, hi: number): void {
    const rsp = this.rl[4]! >>> 0;
    let sum = rsp - 8;
    const h = (this.rh[4]! + Math.floor(sum / TWO32)) | 0;
    sum = sum >>> 0;
    if (((h << 16) >> 16) !== h) this.raise(A.VEC_SS, 0);
    this.wr64(h * TWO32 + sum, lo, hi);
    this.rl[4] = sum | 0; this.rh[4] = h;
  }
  push16(v: number): void {
    const rsp = this.rl[4]! >>> 0;
    let sum = rsp - 2;
    const h = (this.rh[4]! + Math.floor(sum / TWO32)) | 0;
    sum = sum >>> 0;
    if (((h << 16) >> 16) !== h) this.raise(A.VEC_SS, 0);
    this.wr16(h * TWO32 + sum, v);
    this.rl[4] = sum | 0; this.rh[4] = h;
  }
  /** Pop 64: returns lo, th = hi. */
  pop64(): number {
    const la = this.rspLa();
    const lo = this.rd64(la);
    const hi = this.th;
    this.addRsp(8);
    this.th = hi;
    return lo;
  }
  pop16(): number {
    const v = this.rd16(this.rspLa());
    this.addRsp(2);
    return v;
  }
  // ---- legacy-mode stack (SDM Vol. 1 6.2, Vol. 3 3.4.5.1): SS.B selects ESP or SP, pushes/pops of 2 or 4 bytes ----
  /** Stack pointer (ESP or SP per SS.B) plus `delta`, wrapped to the stack-address size. */
  spPlus(delta: number): number {
    return this.ss32 ? (this.rl[4]! + delta) >>> 0 : (this.rl[4]! + delta) & 0xffff;
  }
  /** Linear address of stack offset `off` (wrapped) for an access of `size` bytes: SS base and limit (#SS(0)). */
  stackLin(off: number, size: number): number {
    if (this.flatSegs) return off;
    return this.segLinear(2, off, size);
  }
  /** Write ESP or SP (SP writes keep the upper half of ESP). */
  setSp(v: number): void {
    if (this.ss32) { this.rl[4] = v | 0; this.rh[4] = 0; } else this.rl[4] = (this.rl[4]! & ~0xffff) | (v & 0xffff);
  }
  /** PUSH of a 2- or 4-byte value outside 64-bit mode; nothing changes when the write faults. */
  pushLeg(v: number, size: number): void {
    const sp = this.spPlus(-size);
    this.wrSized(this.stackLin(sp, size), size, v, 0);
    this.setSp(sp);
  }
  /** Store at [SP - k*size] without moving SP (PUSHA / ENTER build their frame before committing SP). */
  stackWriteAt(delta: number, size: number, v: number): void {
    this.wrSized(this.stackLin(this.spPlus(delta), size), size, v, 0);
  }
  /** Read [SP + delta] (no SP change). */
  stackReadAt(delta: number, size: number): number {
    return size === 2 ? this.rd16(this.stackLin(this.spPlus(delta), 2)) : this.rd32(this.stackLin(this.spPlus(delta), 4));
  }
  /** POP of a 2- or 4-byte value outside 64-bit mode (the value is zero-extended for 2). */
  popLeg(size: number): number {
    const v = this.stackReadAt(0, size);
    this.setSp(this.spPlus(size));
    return v;
  }
  /** Near branch outside 64-bit mode: EIP truncated to the operand size (IP for 16), #GP(0) beyond the CS limit
   *  (SDM Vol. 2 JMP/CALL/Jcc/RET "If the target is not within the code segment limit: #GP(0)"). */
  jumpLeg(target: number, osz: number): void {
    const t = osz === 2 ? target & 0xffff : target >>> 0;
    if (!this.flatSegs && t > this.segLimit[1]!) this.raise(A.VEC_GP, 0);
    this.nextRip = t;
    this.dbBranch = true;
  }

  rspLa(): number {
    if (!this.long64) return this.stackLin(this.spPlus(0), 1);
    const h = this.rh[4]!;
    if (((h << 16) >> 16) !== h) this.raise(A.VEC_SS, 0);
    return h * TWO32 + (this.rl[4]! >>> 0);
  }
  addRsp(n: number): void {
    if (!this.long64) { this.setSp(this.spPlus(n)); return; }
    const sum = (this.rl[4]! >>> 0) + n;
    this.rh[4] = (this.rh[4]! + Math.floor(sum / TWO32)) | 0;
    this.rl[4] = sum | 0;
  }
  /** Value of GPR as a signed number (for branch targets); raises #GP if non-canonical. */
  regLa(r: number): number {
    const h = this.rh[r]!;
    if (((h << 16) >> 16) !== h) this.raise(A.VEC_GP, 0);
    return h * TWO32 + (this.rl[r]! >>> 0);
  }
  hiloLa(lo: number, hi: number): number {
    if (((hi << 16) >> 16) !== hi) this.raise(A.VEC_GP, 0);
    return hi * TWO32 + (lo >>> 0);
  }
  /** Near branch target (SDM: #GP(0) if non-canonical). */
  jumpTo(target: number): void {
    // 64-bit mode only: code outside 64-bit mode branches through jumpLeg (EIP/IP wrap, CS limit).
    if (target >= CANON_LIMIT || target < -CANON_LIMIT) this.raise(A.VEC_GP, 0);
    this.nextRip = target;
    this.dbBranch = true;
  }
}
