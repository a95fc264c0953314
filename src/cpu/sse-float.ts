// SSE/SSE2/SSE3 floating-point instructions on XMM registers (SDM Vol. 2: ADD/SUB/MUL/DIV/MIN/MAX/SQRT
// PS/PD/SS/SD, CMPccPS/PD/SS/SD, COMISS/COMISD/UCOMISS/UCOMISD, RCPPS/RCPSS/RSQRTPS/RSQRTSS, the CVT*
// conversions between binary32, binary64 and 32/64-bit integers, ADDSUBPS/PD, HADDPS/PD, HSUBPS/PD).
//
// Each handler reads its operands as bit patterns (a NaN never passes through a JS number, which would not
// keep its payload or its signalling bit), computes every element into RES with sse-fp.ts, then commits
// (finish): an unmasked exception raises #XM (#UD with CR4.OSXMMEXCPT = 0) and leaves the destination
// unchanged, with the MXCSR flags set as SDM Vol. 1 11.5.2 describes; otherwise the flags are ORed into
// MXCSR and the elements written.
import type { Cpu } from './cpu.js';
import type { Insn } from './decoder.js';
import * as A from './arch.js';
import {
  F32_INDEFINITE, F32_QUIET, F64_INDEFINITE_HI, F64_QUIET_HI, MXCSR_DE, MXCSR_IE, MXCSR_ZE, MXCSR_MASK_SHIFT, MXCSR_PRE,
} from './sse-bits.js';
import * as FP from './sse-fp.js';
import { OP, src128, src32, src64, sseCheck } from './sse-state.js';

type H = (c: Cpu, i: Insn) => void;

/** Result elements, committed by finish(). */
const RES = new Int32Array(4);
/** Bit-pattern <-> number conversions of non-NaN values. */
const CV = new Int32Array(2);
const CVF = new Float32Array(CV.buffer);
const CVD = new Float64Array(CV.buffer);

// ---- operand classification (bit patterns) ----
const isNaN32 = (b: number): boolean => (b & 0x7f800000) === 0x7f800000 && (b & 0x7fffff) !== 0;
const isSNaN32 = (b: number): boolean => isNaN32(b) && (b & F32_QUIET) === 0;
const isNaN64 = (lo: number, hi: number): boolean => (hi & 0x7ff00000) === 0x7ff00000 && ((hi & 0xfffff) | lo) !== 0;
const isSNaN64 = (lo: number, hi: number): boolean => isNaN64(lo, hi) && (hi & F64_QUIET_HI) === 0;

/** A binary32 operand as a number: a denormal reads as a signed zero with DAZ, else raises DE. */
function num32(b: number): number {
  if ((b & 0x7f800000) === 0 && (b & 0x7fffff) !== 0) {
    if (FP.dazOn()) return b < 0 ? -0 : 0;
    FP.denormalOperand();
  }
  CV[0] = b;
  return CVF[0]!;
}
function num64(lo: number, hi: number): number {
  if ((hi & 0x7ff00000) === 0 && ((hi & 0xfffff) | lo) !== 0) {
    if (FP.dazOn()) return hi < 0 ? -0 : 0;
    FP.denormalOperand();
  }
  CV[0] = lo; CV[1] = hi;
  return CVD[0]!;
}
/** A result number (never NaN except the INVALID marker) as binary32 bits / binary64 into RES[k], RES[k+1]. */
function bits32(v: number): number {
  if (v !== v) return F32_INDEFINITE;
  CVF[0] = v;
  return CV[0]!;
}
function put64(k: number, v: number): void {
  if (v !== v) { RES[k] = 0; RES[k + 1] = F64_INDEFINITE_HI; return; }
  CVD[0] = v;
  RES[k] = CV[0]!; RES[k + 1] = CV[1]!;
}

// ---- element operations ----
const ADD = 0, SUB = 1, MUL = 2, DIV = 3, MIN = 4, MAX = 5, SQRT = 6;

function arith(op: number, x: number, y: number, f: FP.Fmt): number {
  switch (op) {
    case ADD: return FP.add(x, y, f);
    case SUB: return FP.add(x, -y, f);
    case MUL: return FP.mul(x, y, f);
    case DIV: return FP.div(x, y, f);
    default: return FP.sqrt(y, f);
  }
}

/** One binary32 element: a (destination / first source) op b. SQRT uses b only. */
function el32raw(op: number, a: number, b: number): number {
  if (op === MIN || op === MAX) {
    // Any NaN (QNaN too) is invalid and gives the second operand; so do equal values, ±0 included
    // (SDM Vol. 2 MINPS/MAXPS).
    if (isNaN32(a) || isNaN32(b)) { FP.raiseFlags(MXCSR_IE); return isNaN32(b) ? b : bits32(num32(b)); }
    const x = num32(a), y = num32(b);
    const pickA = op === MIN ? x < y : x > y;
    return pickA ? bits32(x) : bits32(y);
  }
  if (op === SQRT) {
    if (isNaN32(b)) { if (isSNaN32(b)) FP.raiseFlags(MXCSR_IE); return b | F32_QUIET; }
    return bits32(arith(op, 0, num32(b), FP.F32));
  }
  const an = isNaN32(a), bn = isNaN32(b);
  if (an || bn) {
    // SDM Vol. 1 Table 4-7: the first source NaN (quieted) when it is one, else the second's.
    if (isSNaN32(a) || isSNaN32(b)) FP.raiseFlags(MXCSR_IE);
    return (an ? a : b) | F32_QUIET;
  }
  const x = num32(a), y = num32(b);
  return bits32(arith(op, x, y, FP.F32));
}
/** One binary64 element into RES[k..k+1]. */
function el64raw(op: number, k: number, alo: number, ahi: number, blo: number, bhi: number): void {
  if (op === MIN || op === MAX) {
    if (isNaN64(alo, ahi) || isNaN64(blo, bhi)) {
      FP.raiseFlags(MXCSR_IE);
      if (isNaN64(blo, bhi)) { RES[k] = blo; RES[k + 1] = bhi; } else put64(k, num64(blo, bhi)); // DAZ applies to it
      return;
    }
    const x = num64(alo, ahi), y = num64(blo, bhi);
    put64(k, (op === MIN ? x < y : x > y) ? x : y);
    return;
  }
  if (op === SQRT) {
    if (isNaN64(blo, bhi)) { if (isSNaN64(blo, bhi)) FP.raiseFlags(MXCSR_IE); RES[k] = blo; RES[k + 1] = bhi | F64_QUIET_HI; return; }
    put64(k, arith(op, 0, num64(blo, bhi), FP.F64));
    return;
  }
  const an = isNaN64(alo, ahi), bn = isNaN64(blo, bhi);
  if (an || bn) {
    if (isSNaN64(alo, ahi) || isSNaN64(blo, bhi)) FP.raiseFlags(MXCSR_IE);
    if (an) { RES[k] = alo; RES[k + 1] = ahi | F64_QUIET_HI; } else { RES[k] = blo; RES[k + 1] = bhi | F64_QUIET_HI; }
    return;
  }
  put64(k, arith(op, num64(alo, ahi), num64(blo, bhi), FP.F64));
}

/** Exception priority within one element (SDM Vol. 1 4.9.2 / 11.5.2): an invalid operation or a division by
 *  zero hides a denormal operand of the same element (sqrt of a negative denormal raises IE alone; a
 *  denormal divided by zero ZE alone). */
function onlyHighest(before: number): void {
  let mine = FP.exc;
  if (mine & (MXCSR_IE | MXCSR_ZE)) mine &= ~MXCSR_DE;
  FP.setExc(before | mine);
}
function el32(op: number, a: number, b: number): number {
  const before = FP.exc;
  FP.setExc(0);
  const r = el32raw(op, a, b);
  onlyHighest(before);
  return r;
}
function el64(op: number, k: number, alo: number, ahi: number, blo: number, bhi: number): void {
  const before = FP.exc;
  FP.setExc(0);
  el64raw(op, k, alo, ahi, blo, bhi);
  onlyHighest(before);
}

// ---- commit ----
/** SIMD floating-point exception (SDM Vol. 3 6.15 "Interrupt 19"): #XM, or #UD when CR4.OSXMMEXCPT = 0. */
function simdException(c: Cpu): never {
  if (c.cr4 & A.CR4_OSXMMEXCPT) c.raise(A.VEC_XM, -1);
  return c.raiseUD();
}
/** Whether the flags raised so far allow the result to be written; sets MXCSR's flags either way and raises
 *  #XM/#UD when an unmasked exception occurred (SDM Vol. 1 11.5.2.1: with an unmasked pre-computation
 *  exception only the pre-computation flags are set). */
function commitFlags(c: Cpu): void {
  const e = FP.exc;
  const unmasked = ~(c.mxcsr >>> MXCSR_MASK_SHIFT) & 0x3f;
  if (e & MXCSR_PRE & unmasked) { c.mxcsr |= e & MXCSR_PRE; simdException(c); }
  c.mxcsr |= e;
  if (e & unmasked) simdException(c);
}
/** Commit RES[0..n-1] to register r's first n dwords. */
function finish(c: Cpu, r: number, n: number): void {
  commitFlags(c);
  const x = c.xmm, d = r * 4;
  for (let k = 0; k < n; k++) x[d + k] = RES[k]!;
}

// ---- arithmetic: packed and scalar ----
function ps(c: Cpu, i: Insn, op: number): void {
  sseCheck(c); src128(c, i, true); FP.begin(c.mxcsr);
  const x = c.xmm, d = i.reg * 4;
  for (let k = 0; k < 4; k++) RES[k] = el32(op, x[d + k]!, OP[k]!);
  finish(c, i.reg, 4);
}
function ss(c: Cpu, i: Insn, op: number): void {
  sseCheck(c); src32(c, i); FP.begin(c.mxcsr);
  RES[0] = el32(op, c.xmm[i.reg * 4]!, OP[0]!);
  finish(c, i.reg, 1);
}
function pd(c: Cpu, i: Insn, op: number): void {
  sseCheck(c); src128(c, i, true); FP.begin(c.mxcsr);
  const x = c.xmm, d = i.reg * 4;
  el64(op, 0, x[d]!, x[d + 1]!, OP[0]!, OP[1]!);
  el64(op, 2, x[d + 2]!, x[d + 3]!, OP[2]!, OP[3]!);
  finish(c, i.reg, 4);
}
function sd(c: Cpu, i: Insn, op: number): void {
  sseCheck(c); src64(c, i); FP.begin(c.mxcsr);
  const x = c.xmm, d = i.reg * 4;
  el64(op, 0, x[d]!, x[d + 1]!, OP[0]!, OP[1]!);
  finish(c, i.reg, 2);
}
/** [none, 66, F3, F2] handlers of an arithmetic opcode (0F 51, 58-5F). */
export function arithForms(op: number): [H, H, H, H] {
  return [(c, i) => ps(c, i, op), (c, i) => pd(c, i, op), (c, i) => ss(c, i, op), (c, i) => sd(c, i, op)];
}
export const OPS = { ADD, SUB, MUL, DIV, MIN, MAX, SQRT };

// ---- SSE3: ADDSUBPS/PD, HADDPS/PD, HSUBPS/PD ----
export const addsubps: H = (c, i) => {
  sseCheck(c); src128(c, i, true); FP.begin(c.mxcsr);
  const x = c.xmm, d = i.reg * 4;
  for (let k = 0; k < 4; k++) RES[k] = el32(k % 2 === 0 ? SUB : ADD, x[d + k]!, OP[k]!);
  finish(c, i.reg, 4);
};
export const addsubpd: H = (c, i) => {
  sseCheck(c); src128(c, i, true); FP.begin(c.mxcsr);
  const x = c.xmm, d = i.reg * 4;
  el64(SUB, 0, x[d]!, x[d + 1]!, OP[0]!, OP[1]!);
  el64(ADD, 2, x[d + 2]!, x[d + 3]!, OP[2]!, OP[3]!);
  finish(c, i.reg, 4);
};
/** HADDPS/HSUBPS: [a0 op a1, a2 op a3, b0 op b1, b2 op b3]. */
function hps(c: Cpu, i: Insn, op: number): void {
  sseCheck(c); src128(c, i, true); FP.begin(c.mxcsr);
  const x = c.xmm, d = i.reg * 4;
  RES[0] = el32(op, x[d]!, x[d + 1]!); RES[1] = el32(op, x[d + 2]!, x[d + 3]!);
  RES[2] = el32(op, OP[0]!, OP[1]!); RES[3] = el32(op, OP[2]!, OP[3]!);
  finish(c, i.reg, 4);
}
function hpd(c: Cpu, i: Insn, op: number): void {
  sseCheck(c); src128(c, i, true); FP.begin(c.mxcsr);
  const x = c.xmm, d = i.reg * 4;
  el64(op, 0, x[d]!, x[d + 1]!, x[d + 2]!, x[d + 3]!);
  el64(op, 2, OP[0]!, OP[1]!, OP[2]!, OP[3]!);
  finish(c, i.reg, 4);
}
export const haddps: H = (c, i) => hps(c, i, ADD);
export const hsubps: H = (c, i) => hps(c, i, SUB);
export const haddpd: H = (c, i) => hpd(c, i, ADD);
export const hsubpd: H = (c, i) => hpd(c, i, SUB);

// ---- compare ----
/** CMPPS/CMPPD/CMPSS/CMPSD predicate imm8[2:0] (SDM Vol. 2 Table 3-1, the eight SSE predicates): EQ, LT,
 *  LE, UNORD, NEQ, NLT, NLE, ORD. LT/LE/NLT/NLE signal invalid on a QNaN too; the others only on an SNaN. */
function cmpResult(pred: number, x: number, y: number, unordered: boolean): boolean {
  switch (pred & 7) {
    case 0: return !unordered && x === y;
    case 1: return !unordered && x < y;
    case 2: return !unordered && x <= y;
    case 3: return unordered;
    case 4: return unordered || x !== y;
    case 5: return unordered || !(x < y);
    case 6: return unordered || !(x <= y);
    default: return !unordered;
  }
}
const signalsQnan = (pred: number): boolean => { const p = pred & 3; return p === 1 || p === 2; };
function cmp32(pred: number, a: number, b: number): number {
  const un = isNaN32(a) || isNaN32(b);
  if (un) {
    if (isSNaN32(a) || isSNaN32(b) || signalsQnan(pred)) FP.raiseFlags(MXCSR_IE);
    return cmpResult(pred, 0, 0, true) ? -1 : 0;
  }
  return cmpResult(pred, num32(a), num32(b), false) ? -1 : 0;
}
function cmp64(pred: number, alo: number, ahi: number, blo: number, bhi: number): number {
  const un = isNaN64(alo, ahi) || isNaN64(blo, bhi);
  if (un) {
    if (isSNaN64(alo, ahi) || isSNaN64(blo, bhi) || signalsQnan(pred)) FP.raiseFlags(MXCSR_IE);
    return cmpResult(pred, 0, 0, true) ? -1 : 0;
  }
  return cmpResult(pred, num64(alo, ahi), num64(blo, bhi), false) ? -1 : 0;
}
export const cmpps: H = (c, i) => {
  sseCheck(c); src128(c, i, true); FP.begin(c.mxcsr);
  const x = c.xmm, d = i.reg * 4;
  for (let k = 0; k < 4; k++) RES[k] = cmp32(i.imm, x[d + k]!, OP[k]!);
  finish(c, i.reg, 4);
};
export const cmpss: H = (c, i) => {
  sseCheck(c); src32(c, i); FP.begin(c.mxcsr);
  RES[0] = cmp32(i.imm, c.xmm[i.reg * 4]!, OP[0]!);
  finish(c, i.reg, 1);
};
export const cmppd: H = (c, i) => {
  sseCheck(c); src128(c, i, true); FP.begin(c.mxcsr);
  const x = c.xmm, d = i.reg * 4;
  for (let q = 0; q < 4; q += 2) { const m = cmp64(i.imm, x[d + q]!, x[d + q + 1]!, OP[q]!, OP[q + 1]!); RES[q] = m; RES[q + 1] = m; }
  finish(c, i.reg, 4);
};
export const cmpsd: H = (c, i) => {
  sseCheck(c); src64(c, i); FP.begin(c.mxcsr);
  const x = c.xmm, d = i.reg * 4;
  const m = cmp64(i.imm, x[d]!, x[d + 1]!, OP[0]!, OP[1]!); RES[0] = m; RES[1] = m;
  finish(c, i.reg, 2);
};

/** COMISS/UCOMISS/COMISD/UCOMISD (SDM Vol. 2): ZF/PF/CF = 111 unordered, 000 greater, 001 less, 100 equal;
 *  OF, SF, AF cleared. COMI* signal invalid on any NaN, UCOMI* on an SNaN only. */
function setCompareFlags(c: Cpu, unordered: boolean, x: number, y: number): void {
  commitFlags(c);
  const f = unordered ? A.RFLAGS_ZF | A.RFLAGS_PF | A.RFLAGS_CF : x < y ? A.RFLAGS_CF : x === y ? A.RFLAGS_ZF : 0;
  c.setArith(A.RFLAGS_ZF | A.RFLAGS_PF | A.RFLAGS_CF | A.RFLAGS_OF | A.RFLAGS_SF | A.RFLAGS_AF, f);
}
function comiss(c: Cpu, i: Insn, signalQ: boolean): void {
  sseCheck(c); src32(c, i); FP.begin(c.mxcsr);
  const a = c.xmm[i.reg * 4]!, b = OP[0]!;
  if (isNaN32(a) || isNaN32(b)) {
    if (signalQ || isSNaN32(a) || isSNaN32(b)) FP.raiseFlags(MXCSR_IE);
    setCompareFlags(c, true, 0, 0);
    return;
  }
  setCompareFlags(c, false, num32(a), num32(b));
}
function comisd(c: Cpu, i: Insn, signalQ: boolean): void {
  sseCheck(c); src64(c, i); FP.begin(c.mxcsr);
  const x = c.xmm, d = i.reg * 4;
  const alo = x[d]!, ahi = x[d + 1]!, blo = OP[0]!, bhi = OP[1]!;
  if (isNaN64(alo, ahi) || isNaN64(blo, bhi)) {
    if (signalQ || isSNaN64(alo, ahi) || isSNaN64(blo, bhi)) FP.raiseFlags(MXCSR_IE);
    setCompareFlags(c, true, 0, 0);
    return;
  }
  setCompareFlags(c, false, num64(alo, ahi), num64(blo, bhi));
}
export const ucomiss: H = (c, i) => comiss(c, i, false);
export const comissH: H = (c, i) => comiss(c, i, true);
export const ucomisd: H = (c, i) => comisd(c, i, false);
export const comisdH: H = (c, i) => comisd(c, i, true);

// ---- reciprocal approximations ----
/** RCPPS/RCPSS/RSQRTPS/RSQRTSS: the SDM bounds only the relative error (|e| <= 1.5 * 2^-12); silicon
 *  differs between vendors and generations. This model returns the binary32 value nearest to the exact
 *  result, within the bound. Denormal inputs count as zero and tiny results flush to zero, as the SDM's
 *  tables for these instructions give; no MXCSR flags. */
function approx32(b: number, rsqrt: boolean): number {
  if (isNaN32(b)) return b | F32_QUIET;
  const neg = b < 0;
  const exp = b & 0x7f800000;
  if (exp === 0) return rsqrt ? (neg ? 0xff800000 | 0 : 0x7f800000) : (neg ? 0xff800000 | 0 : 0x7f800000);
  if (exp === 0x7f800000) return rsqrt ? (neg ? F32_INDEFINITE : 0) : (neg ? 0x80000000 | 0 : 0);
  if (rsqrt && neg) return F32_INDEFINITE;
  CV[0] = b;
  const v = CVF[0]!;
  const r = rsqrt ? 1 / Math.sqrt(v) : 1 / v;
  if (Math.abs(r) < 2 ** -126) return neg ? 0x80000000 | 0 : 0;
  CVF[0] = r;
  return CV[0]!;
}
export const rcpps: H = (c, i) => { sseCheck(c); src128(c, i, true); const d = i.reg * 4; for (let k = 0; k < 4; k++) c.xmm[d + k] = approx32(OP[k]!, false); };
export const rcpss: H = (c, i) => { sseCheck(c); src32(c, i); c.xmm[i.reg * 4] = approx32(OP[0]!, false); };
export const rsqrtps: H = (c, i) => { sseCheck(c); src128(c, i, true); const d = i.reg * 4; for (let k = 0; k < 4; k++) c.xmm[d + k] = approx32(OP[k]!, true); };
export const rsqrtss: H = (c, i) => { sseCheck(c); src32(c, i); c.xmm[i.reg * 4] = approx32(OP[0]!, true); };

// ---- conversions ----
/** binary32 bits -> binary64 into RES[k..k+1] (exact; SNaN: IE, NaNs keep their payload, quieted). */
function cvt32to64(k: number, b: number): void {
  if (isNaN32(b)) {
    if (isSNaN32(b)) FP.raiseFlags(MXCSR_IE);
    RES[k] = (b & 0x7) << 29; RES[k + 1] = (b & 0x80000000) | 0x7ff80000 | ((b & 0x3fffff) >>> 3);
    return;
  }
  put64(k, num32(b));
}
/** binary64 -> binary32 bits, rounded by MXCSR.RC (NaNs keep the payload's top bits, quieted). */
function cvt64to32(lo: number, hi: number): number {
  if (isNaN64(lo, hi)) {
    if (isSNaN64(lo, hi)) FP.raiseFlags(MXCSR_IE);
    return (hi & 0x80000000) | 0x7fc00000 | ((hi & 0x7ffff) << 3) | (lo >>> 29);
  }
  const v = num64(lo, hi);
  if (v === 0 || v === Infinity || v === -Infinity) return bits32(v);
  return bits32(FP.roundValue(v, FP.F32));
}
/** A float element (already a number) to int32/int64; NaN gives the integer indefinite with IE. */
function toIntBits(nan: boolean, v: number, bits: number, truncate: boolean): number {
  if (nan) { FP.raiseFlags(MXCSR_IE); FP.setIntHi(bits === 64 ? -2147483648 : 0); return bits === 64 ? 0 : -2147483648; }
  return FP.toInt(v, bits, truncate);
}
/** A binary32 operand for a conversion to integer: denormals are not DE here (CVTSS2SI raises only IE
 *  and PE), but DAZ still reads them as zero. */
function num32NoDe(b: number): number {
  if ((b & 0x7f800000) === 0 && FP.dazOn()) return b < 0 ? -0 : 0;
  CV[0] = b; return CVF[0]!;
}
function num64NoDe(lo: number, hi: number): number {
  if ((hi & 0x7ff00000) === 0 && FP.dazOn()) return hi < 0 ? -0 : 0;
  CV[0] = lo; CV[1] = hi; return CVD[0]!;
}

/** CVTPS2PD xmm, xmm/m64 (0F 5A). */
export const cvtps2pd: H = (c, i) => {
  sseCheck(c); src64(c, i); FP.begin(c.mxcsr);
  const a = OP[0]!, b = OP[1]!;
  cvt32to64(0, a); cvt32to64(2, b);
  finish(c, i.reg, 4);
};
/** CVTPD2PS xmm, xmm/m128 (66 0F 5A): upper half zeroed. */
export const cvtpd2ps: H = (c, i) => {
  sseCheck(c); src128(c, i, true); FP.begin(c.mxcsr);
  RES[0] = cvt64to32(OP[0]!, OP[1]!); RES[1] = cvt64to32(OP[2]!, OP[3]!); RES[2] = 0; RES[3] = 0;
  finish(c, i.reg, 4);
};
/** CVTSS2SD xmm, xmm/m32 (F3 0F 5A). */
export const cvtss2sd: H = (c, i) => {
  sseCheck(c); src32(c, i); FP.begin(c.mxcsr);
  cvt32to64(0, OP[0]!);
  finish(c, i.reg, 2);
};
/** CVTSD2SS xmm, xmm/m64 (F2 0F 5A). */
export const cvtsd2ss: H = (c, i) => {
  sseCheck(c); src64(c, i); FP.begin(c.mxcsr);
  RES[0] = cvt64to32(OP[0]!, OP[1]!);
  finish(c, i.reg, 1);
};
/** CVTDQ2PS xmm, xmm/m128 (0F 5B): rounded by MXCSR.RC. */
export const cvtdq2ps: H = (c, i) => {
  sseCheck(c); src128(c, i, true); FP.begin(c.mxcsr);
  for (let k = 0; k < 4; k++) RES[k] = bits32(FP.roundValue(OP[k]!, FP.F32));
  finish(c, i.reg, 4);
};
/** CVTDQ2PD xmm, xmm/m64 (F3 0F E6): exact. */
export const cvtdq2pd: H = (c, i) => {
  sseCheck(c); src64(c, i); FP.begin(c.mxcsr);
  const a = OP[0]!, b = OP[1]!;
  put64(0, a); put64(2, b);
  finish(c, i.reg, 4);
};
/** CVTPS2DQ (66 0F 5B) / CVTTPS2DQ (F3 0F 5B). */
function cvtps2dq(c: Cpu, i: Insn, truncate: boolean): void {
  sseCheck(c); src128(c, i, true); FP.begin(c.mxcsr);
  for (let k = 0; k < 4; k++) { const b = OP[k]!; RES[k] = toIntBits(isNaN32(b), isNaN32(b) ? 0 : num32NoDe(b), 32, truncate); }
  finish(c, i.reg, 4);
}
export const cvtps2dqH: H = (c, i) => cvtps2dq(c, i, false);
export const cvttps2dq: H = (c, i) => cvtps2dq(c, i, true);
/** CVTPD2DQ (F2 0F E6) / CVTTPD2DQ (66 0F E6): upper half zeroed. */
function cvtpd2dq(c: Cpu, i: Insn, truncate: boolean): void {
  sseCheck(c); src128(c, i, true); FP.begin(c.mxcsr);
  for (let k = 0; k < 2; k++) {
    const lo = OP[2 * k]!, hi = OP[2 * k + 1]!, nan = isNaN64(lo, hi);
    RES[k] = toIntBits(nan, nan ? 0 : num64NoDe(lo, hi), 32, truncate);
  }
  RES[2] = 0; RES[3] = 0;
  finish(c, i.reg, 4);
}
export const cvtpd2dqH: H = (c, i) => cvtpd2dq(c, i, false);
export const cvttpd2dq: H = (c, i) => cvtpd2dq(c, i, true);

/** CVTSI2SS / CVTSI2SD xmm, r/m32 or r/m64 (REX.W) (F3/F2 0F 2A). */
function cvtsi2s(c: Cpu, i: Insn, double: boolean): void {
  sseCheck(c);
  const sz = i.rexW ? 8 : 4;
  let lo: number, hi = 0;
  if (!i.mem) { lo = c.getReg(i.rm, sz, i.rex); if (sz === 8) hi = c.th; }
  else { const la = c.ea(i, sz); lo = sz === 8 ? c.rd64(la) : c.rd32(la); if (sz === 8) hi = c.th; }
  FP.begin(c.mxcsr);
  const v = sz === 8 ? FP.fromInt64(lo, hi, double ? FP.F64 : FP.F32) : double ? lo : FP.roundValue(lo, FP.F32);
  if (double) { put64(0, v); finish(c, i.reg, 2); } else { RES[0] = bits32(v); finish(c, i.reg, 1); }
}
export const cvtsi2ss: H = (c, i) => cvtsi2s(c, i, false);
export const cvtsi2sd: H = (c, i) => cvtsi2s(c, i, true);
/** CVT(T)SS2SI / CVT(T)SD2SI r32/r64, xmm/m32|m64 (F3/F2 0F 2C/2D). An unmasked IE/PE leaves the GPR. */
function cvts2si(c: Cpu, i: Insn, double: boolean, truncate: boolean): void {
  sseCheck(c);
  if (double) src64(c, i); else src32(c, i);
  FP.begin(c.mxcsr);
  const bits = i.rexW ? 64 : 32;
  let r: number;
  if (double) { const lo = OP[0]!, hi = OP[1]!, nan = isNaN64(lo, hi); r = toIntBits(nan, nan ? 0 : num64NoDe(lo, hi), bits, truncate); }
  else { const b = OP[0]!, nan = isNaN32(b); r = toIntBits(nan, nan ? 0 : num32NoDe(b), bits, truncate); }
  commitFlags(c);
  c.setReg(i.reg, bits === 64 ? 8 : 4, i.rex, r, FP.intHi);
}
export const cvtss2si: H = (c, i) => cvts2si(c, i, false, false);
export const cvttss2si: H = (c, i) => cvts2si(c, i, false, true);
export const cvtsd2si: H = (c, i) => cvts2si(c, i, true, false);
export const cvttsd2si: H = (c, i) => cvts2si(c, i, true, true);
