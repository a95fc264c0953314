// SSE2 packed integer arithmetic (SDM Vol. 2: PADD*/PSUB* with and without saturation, PCMPEQ*/PCMPGT*,
// PMIN/PMAX UB/SW, PAVGB/W, PMULLW/PMULHW/PMULHUW/PMULUDQ/PMADDWD, PSADBW, PACKSSWB/PACKUSWB/PACKSSDW,
// PSLL/PSRL/PSRA by register and by immediate, PSLLDQ/PSRLDQ), each written once for both register files:
// the 66-prefixed 128-bit form on XMM registers (aligned m128 source) and the no-prefix 64-bit form on MMX
// registers (mm/m64 source; MMX, or SSE/SSE2 additions on MMX registers for PMIN/PMAX/PAVG/PMULHUW/PSADBW/
// PADDQ/PSUBQ/PMULUDQ). `both` gives the pair [XMM handler, MMX handler]; the element loops run over the
// frame of sse-state.ts (intEnter/intLeave). Element arithmetic is done on the byte/word views (typed-array
// stores wrap) and on signed values recovered with shifts.
import type { Cpu } from './cpu.js';
import type { Insn } from './decoder.js';
import { DB, DD, DW, dOff, intEnter, intLeave, OP, OPB, OPW, SRC_FULL, SRC_NONE, saveFrame } from './sse-state.js';

type H = (c: Cpu, i: Insn) => void;
type E = (a: number, b: number) => number;
/** An operation on either register file: `mm` selects the MMX form. */
type Op = (c: Cpu, i: Insn, mm: boolean) => void;
/** [XMM (66) handler, MMX (no prefix) handler] of one operation. */
export function both(op: Op): [H, H] {
  return [(c, i) => op(c, i, false), (c, i) => op(c, i, true)];
}

const s8 = (v: number): number => (v << 24) >> 24;
const s16 = (v: number): number => (v << 16) >> 16;
const satS8 = (v: number): number => (v < -128 ? -128 : v > 127 ? 127 : v);
const satU8 = (v: number): number => (v < 0 ? 0 : v > 255 ? 255 : v);
const satS16 = (v: number): number => (v < -32768 ? -32768 : v > 32767 ? 32767 : v);
const satU16 = (v: number): number => (v < 0 ? 0 : v > 65535 ? 65535 : v);

/** dst byte k = f(dst byte k, src byte k) (f sees unsigned bytes). */
function bytes(c: Cpu, i: Insn, mm: boolean, f: E): void {
  const n = intEnter(c, i, mm, i.reg, SRC_FULL), d = dOff;
  for (let k = 0; k < n; k++) DB[d + k] = f(DB[d + k]!, OPB[k]!);
  intLeave(c, mm, i.reg);
}
/** dst word k = f(dst word k, src word k) (f sees unsigned words). */
function words(c: Cpu, i: Insn, mm: boolean, f: E): void {
  const n = intEnter(c, i, mm, i.reg, SRC_FULL) >> 1, d = dOff >> 1;
  for (let k = 0; k < n; k++) DW[d + k] = f(DW[d + k]!, OPW[k]!);
  intLeave(c, mm, i.reg);
}
/** dst dword k = f(dst dword k, src dword k) (f sees signed dwords). */
function dwords(c: Cpu, i: Insn, mm: boolean, f: E): void {
  const n = intEnter(c, i, mm, i.reg, SRC_FULL) >> 2, d = dOff >> 2;
  for (let k = 0; k < n; k++) DD[d + k] = f(DD[d + k]!, OP[k]!);
  intLeave(c, mm, i.reg);
}
const B = (f: E): [H, H] => both((c, i, mm) => bytes(c, i, mm, f));
const W = (f: E): [H, H] => both((c, i, mm) => words(c, i, mm, f));
const D = (f: E): [H, H] => both((c, i, mm) => dwords(c, i, mm, f));

// ---- add / subtract ----
const addE: E = (a, b) => a + b;
const subE: E = (a, b) => a - b;
export const [paddb, mmPaddb] = B(addE);
export const [paddw, mmPaddw] = W(addE);
export const [paddd, mmPaddd] = D((a, b) => (a + b) | 0);
export const [psubb, mmPsubb] = B(subE);
export const [psubw, mmPsubw] = W(subE);
export const [psubd, mmPsubd] = D((a, b) => (a - b) | 0);
export const [paddsb, mmPaddsb] = B((a, b) => satS8(s8(a) + s8(b)));
export const [paddsw, mmPaddsw] = W((a, b) => satS16(s16(a) + s16(b)));
export const [paddusb, mmPaddusb] = B((a, b) => satU8(a + b));
export const [paddusw, mmPaddusw] = W((a, b) => satU16(a + b));
export const [psubsb, mmPsubsb] = B((a, b) => satS8(s8(a) - s8(b)));
export const [psubsw, mmPsubsw] = W((a, b) => satS16(s16(a) - s16(b)));
export const [psubusb, mmPsubusb] = B((a, b) => satU8(a - b));
export const [psubusw, mmPsubusw] = W((a, b) => satU16(a - b));
/** PADDQ / PSUBQ: 64-bit lanes as dword pairs with the carry / borrow between them. */
function qAddSub(c: Cpu, i: Insn, mm: boolean, sub: boolean): void {
  const n = intEnter(c, i, mm, i.reg, SRC_FULL) >> 2, x = DD, d = dOff >> 2;
  for (let q = 0; q < n; q += 2) {
    const a = x[d + q]! >>> 0, b = OP[q]! >>> 0;
    const lo = sub ? a - b : a + b;
    const carry = sub ? (lo < 0 ? -1 : 0) : lo > 0xffffffff ? 1 : 0;
    x[d + q] = lo | 0;
    x[d + q + 1] = (sub ? x[d + q + 1]! - OP[q + 1]! + carry : x[d + q + 1]! + OP[q + 1]! + carry) | 0;
  }
  intLeave(c, mm, i.reg);
}
export const [paddq, mmPaddq] = both((c, i, mm) => qAddSub(c, i, mm, false));
export const [psubq, mmPsubq] = both((c, i, mm) => qAddSub(c, i, mm, true));

// ---- compare, min / max, average ----
export const [pcmpeqb, mmPcmpeqb] = B((a, b) => (a === b ? 0xff : 0));
export const [pcmpeqw, mmPcmpeqw] = W((a, b) => (a === b ? 0xffff : 0));
export const [pcmpeqd, mmPcmpeqd] = D((a, b) => (a === b ? -1 : 0));
export const [pcmpgtb, mmPcmpgtb] = B((a, b) => (s8(a) > s8(b) ? 0xff : 0));
export const [pcmpgtw, mmPcmpgtw] = W((a, b) => (s16(a) > s16(b) ? 0xffff : 0));
export const [pcmpgtd, mmPcmpgtd] = D((a, b) => (a > b ? -1 : 0));
export const [pminub, mmPminub] = B((a, b) => (a < b ? a : b));
export const [pmaxub, mmPmaxub] = B((a, b) => (a > b ? a : b));
export const [pminsw, mmPminsw] = W((a, b) => (s16(a) < s16(b) ? a : b));
export const [pmaxsw, mmPmaxsw] = W((a, b) => (s16(a) > s16(b) ? a : b));
export const [pavgb, mmPavgb] = B((a, b) => (a + b + 1) >> 1);
export const [pavgw, mmPavgw] = W((a, b) => (a + b + 1) >> 1);

// ---- multiply ----
export const [pmullw, mmPmullw] = W((a, b) => Math.imul(a, b));
export const [pmulhw, mmPmulhw] = W((a, b) => (s16(a) * s16(b)) >> 16);
export const [pmulhuw, mmPmulhuw] = W((a, b) => (a * b) >>> 16);
/** PMULUDQ: per 64-bit lane, unsigned dword 0 of the lane x the source's dword 0 of the lane. */
export const [pmuludq, mmPmuludq] = both((c, i, mm) => {
  const n = intEnter(c, i, mm, i.reg, SRC_FULL) >> 2, x = DD, d = dOff >> 2;
  for (let q = 0; q < n; q += 2) {
    const a = x[d + q]! >>> 0, b = OP[q]! >>> 0;
    // 32x32 -> 64 exactly: split b into 16-bit halves so every partial product stays below 2^53.
    const lo16 = a * (b & 0xffff), hi16 = a * (b >>> 16);
    const low = lo16 + (hi16 % 65536) * 65536;
    const lowDword = low % 4294967296;
    const high = Math.floor(hi16 / 65536) + Math.floor(low / 4294967296);
    x[d + q] = lowDword | 0; x[d + q + 1] = high | 0;
  }
  intLeave(c, mm, i.reg);
});
/** PMADDWD: signed word products, adjacent pairs summed into dwords (0x8000*0x8000*2 wraps to 0x80000000). */
export const [pmaddwd, mmPmaddwd] = both((c, i, mm) => {
  const n = intEnter(c, i, mm, i.reg, SRC_FULL) >> 2, dw = dOff >> 1, dd = dOff >> 2;
  for (let k = 0; k < n; k++) {
    const p = s16(DW[dw + 2 * k]!) * s16(OPW[2 * k]!) + s16(DW[dw + 2 * k + 1]!) * s16(OPW[2 * k + 1]!);
    DD[dd + k] = p | 0;
  }
  intLeave(c, mm, i.reg);
});
/** PSADBW: per 64-bit lane, the sum of absolute byte differences in the low word, the rest zero. */
export const [psadbw, mmPsadbw] = both((c, i, mm) => {
  const n = intEnter(c, i, mm, i.reg, SRC_FULL) >> 3, d = dOff;
  for (let q = 0; q < n; q++) {
    let sum = 0;
    for (let k = 0; k < 8; k++) { const t = DB[d + 8 * q + k]! - OPB[8 * q + k]!; sum += t < 0 ? -t : t; }
    DD[(d >> 2) + 2 * q] = sum; DD[(d >> 2) + 2 * q + 1] = 0;
  }
  intLeave(c, mm, i.reg);
});

// ---- pack ----
/** PACKSSWB / PACKUSWB: the destination's words then the source's words, saturated to bytes (8+8 words
 *  into 16 bytes for XMM, 4+4 into 8 for MMX). */
function packWB(c: Cpu, i: Insn, mm: boolean, unsigned: boolean): void {
  const n = intEnter(c, i, mm, i.reg, SRC_FULL), half = n >> 1, d = dOff;
  saveFrame();
  for (let k = 0; k < n; k++) {
    const w = s16(k < half ? OPW[8 + k]! : OPW[k - half]!);
    DB[d + k] = unsigned ? satU8(w) : satS8(w);
  }
  intLeave(c, mm, i.reg);
}
export const [packsswb, mmPacksswb] = both((c, i, mm) => packWB(c, i, mm, false));
export const [packuswb, mmPackuswb] = both((c, i, mm) => packWB(c, i, mm, true));
/** PACKSSDW: the destination's dwords then the source's, saturated to signed words. */
export const [packssdw, mmPackssdw] = both((c, i, mm) => {
  const n = intEnter(c, i, mm, i.reg, SRC_FULL) >> 1, half = n >> 1, d = dOff >> 1;
  saveFrame();
  for (let k = 0; k < n; k++) DW[d + k] = satS16(k < half ? OP[4 + k]! : OP[k - half]!);
  intLeave(c, mm, i.reg);
});

// ---- shifts ----
const SHL = 0, SHR = 1, SAR = 2;
/** Shift every element (size 2/4/8 bytes) of the frame's `n` bytes by `cnt` (0..2^32-1; counts at or above
 *  the element width give 0, or all sign bits for SAR, SDM Vol. 2 PSLLW/PSRLW/PSRAW). */
function shiftElems(n: number, size: number, kind: number, cnt: number): void {
  if (size === 2) {
    const xw = DW, d = dOff >> 1;
    for (let k = 0; k < n >> 1; k++) {
      const v = xw[d + k]!;
      xw[d + k] = kind === SHL ? (cnt > 15 ? 0 : v << cnt) : kind === SHR ? (cnt > 15 ? 0 : v >>> cnt) : s16(v) >> (cnt > 15 ? 15 : cnt);
    }
  } else if (size === 4) {
    const x = DD, d = dOff >> 2;
    for (let k = 0; k < n >> 2; k++) {
      const v = x[d + k]!;
      x[d + k] = kind === SHL ? (cnt > 31 ? 0 : v << cnt) : kind === SHR ? (cnt > 31 ? 0 : v >>> cnt) : v >> (cnt > 31 ? 31 : cnt);
    }
  } else {
    const x = DD, d = dOff >> 2;
    for (let q = 0; q < n >> 2; q += 2) {
      const lo = x[d + q]!, hi = x[d + q + 1]!;
      if (cnt > 63) { x[d + q] = 0; x[d + q + 1] = 0; }
      else if (cnt === 0) { /* unchanged */ }
      else if (kind === SHL) {
        if (cnt >= 32) { x[d + q + 1] = lo << (cnt - 32); x[d + q] = 0; }
        else { x[d + q + 1] = (hi << cnt) | (lo >>> (32 - cnt)); x[d + q] = lo << cnt; }
      } else if (cnt >= 32) { x[d + q] = hi >>> (cnt - 32); x[d + q + 1] = 0; }
      else { x[d + q] = (lo >>> cnt) | (hi << (32 - cnt)); x[d + q + 1] = hi >>> cnt; }
    }
  }
}
/** Shift by register: the count is the source's low quadword, unsigned; anything >= 2^32 acts as "too large"
 *  the same way (every count above 63 already gives the saturated result). */
function shiftBySrc(c: Cpu, i: Insn, mm: boolean, size: number, kind: number): void {
  const n = intEnter(c, i, mm, i.reg, SRC_FULL);
  shiftElems(n, size, kind, OP[1] !== 0 ? 0xffffffff : OP[0]! >>> 0);
  intLeave(c, mm, i.reg);
}
export const [psllw, mmPsllw] = both((c, i, mm) => shiftBySrc(c, i, mm, 2, SHL));
export const [pslld, mmPslld] = both((c, i, mm) => shiftBySrc(c, i, mm, 4, SHL));
export const [psllq, mmPsllq] = both((c, i, mm) => shiftBySrc(c, i, mm, 8, SHL));
export const [psrlw, mmPsrlw] = both((c, i, mm) => shiftBySrc(c, i, mm, 2, SHR));
export const [psrld, mmPsrld] = both((c, i, mm) => shiftBySrc(c, i, mm, 4, SHR));
export const [psrlq, mmPsrlq] = both((c, i, mm) => shiftBySrc(c, i, mm, 8, SHR));
export const [psraw, mmPsraw] = both((c, i, mm) => shiftBySrc(c, i, mm, 2, SAR));
export const [psrad, mmPsrad] = both((c, i, mm) => shiftBySrc(c, i, mm, 4, SAR));

/** 0F 71/72/73 /r ib (register form only): shifts of words / dwords / quadwords by an immediate, and for XMM
 *  only PSRLDQ (66 0F 73 /3) / PSLLDQ (66 0F 73 /7), byte shifts of the whole register. Other /r values,
 *  and 73 /3 /7 without 66, are undefined. The destination is ModRM.rm. */
export const [pshiftImm, mmPshiftImm] = both((c, i, mm) => {
  const k = i.reg & 7, op = i.op & 0xff, cnt = i.imm & 0xff;
  const valid = i.mem ? false : op === 0x73 ? k === 2 || k === 6 || (!mm && (k === 3 || k === 7)) : k === 2 || k === 4 || k === 6;
  if (!valid) c.raiseUD();
  const n = intEnter(c, i, mm, i.rm, SRC_NONE);
  if (op === 0x73 && (k === 3 || k === 7)) {
    saveFrame();
    const d = dOff;
    for (let j = 0; j < 16; j++) {
      const s = k === 3 ? j + cnt : j - cnt;
      DB[d + j] = s >= 0 && s < 16 ? OPB[16 + s]! : 0;
    }
    return;
  }
  shiftElems(n, op === 0x71 ? 2 : op === 0x72 ? 4 : 8, k === 2 ? SHR : k === 4 ? SAR : SHL, cnt);
  intLeave(c, mm, i.rm);
});
