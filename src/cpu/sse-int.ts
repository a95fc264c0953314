// SSE2 packed integer arithmetic on XMM registers (SDM Vol. 2: PADD*/PSUB* with and without saturation,
// PCMPEQ*/PCMPGT*, PMIN/PMAX UB/SW, PAVGB/W, PMULLW/PMULHW/PMULHUW/PMULUDQ/PMADDWD, PSADBW, PACKSSWB/
// PACKUSWB/PACKSSDW, PSLL/PSRL/PSRA by register and by immediate, PSLLDQ/PSRLDQ). All 66-prefixed
// 128-bit forms with an aligned m128 source; the MMX (no prefix) forms are undefined because CPUID does not
// offer MMX. Element arithmetic is done on the byte/word views (Cpu.xmmB/xmmW; typed-array stores wrap)
// and on signed values recovered with shifts.
import type { Cpu } from './cpu.js';
import type { Insn } from './decoder.js';
import { OP, OPB, OPW, saveDst, src128, sseCheck } from './sse-state.js';

type H = (c: Cpu, i: Insn) => void;
type E = (a: number, b: number) => number;

const s8 = (v: number): number => (v << 24) >> 24;
const s16 = (v: number): number => (v << 16) >> 16;
const satS8 = (v: number): number => (v < -128 ? -128 : v > 127 ? 127 : v);
const satU8 = (v: number): number => (v < 0 ? 0 : v > 255 ? 255 : v);
const satS16 = (v: number): number => (v < -32768 ? -32768 : v > 32767 ? 32767 : v);
const satU16 = (v: number): number => (v < 0 ? 0 : v > 65535 ? 65535 : v);

/** dst byte k = f(dst byte k, src byte k) for the 16 bytes (f sees unsigned bytes). */
function bytes(c: Cpu, i: Insn, f: E): void {
  sseCheck(c); src128(c, i, true);
  const xb = c.xmmB, d = i.reg * 16;
  for (let k = 0; k < 16; k++) xb[d + k] = f(xb[d + k]!, OPB[k]!);
}
/** dst word k = f(dst word k, src word k) for the 8 words (f sees unsigned words). */
function words(c: Cpu, i: Insn, f: E): void {
  sseCheck(c); src128(c, i, true);
  const xw = c.xmmW, d = i.reg * 8;
  for (let k = 0; k < 8; k++) xw[d + k] = f(xw[d + k]!, OPW[k]!);
}
/** dst dword k = f(dst dword k, src dword k) (f sees signed dwords). */
function dwords(c: Cpu, i: Insn, f: E): void {
  sseCheck(c); src128(c, i, true);
  const x = c.xmm, d = i.reg * 4;
  for (let k = 0; k < 4; k++) x[d + k] = f(x[d + k]!, OP[k]!);
}

// ---- add / subtract ----
const addE: E = (a, b) => a + b;
const subE: E = (a, b) => a - b;
export const paddb: H = (c, i) => bytes(c, i, addE);
export const paddw: H = (c, i) => words(c, i, addE);
export const paddd: H = (c, i) => dwords(c, i, (a, b) => (a + b) | 0);
export const psubb: H = (c, i) => bytes(c, i, subE);
export const psubw: H = (c, i) => words(c, i, subE);
export const psubd: H = (c, i) => dwords(c, i, (a, b) => (a - b) | 0);
export const paddsb: H = (c, i) => bytes(c, i, (a, b) => satS8(s8(a) + s8(b)));
export const paddsw: H = (c, i) => words(c, i, (a, b) => satS16(s16(a) + s16(b)));
export const paddusb: H = (c, i) => bytes(c, i, (a, b) => satU8(a + b));
export const paddusw: H = (c, i) => words(c, i, (a, b) => satU16(a + b));
export const psubsb: H = (c, i) => bytes(c, i, (a, b) => satS8(s8(a) - s8(b)));
export const psubsw: H = (c, i) => words(c, i, (a, b) => satS16(s16(a) - s16(b)));
export const psubusb: H = (c, i) => bytes(c, i, (a, b) => satU8(a - b));
export const psubusw: H = (c, i) => words(c, i, (a, b) => satU16(a - b));
/** PADDQ / PSUBQ: two 64-bit lanes as dword pairs with the carry / borrow between them. */
function qAddSub(c: Cpu, i: Insn, sub: boolean): void {
  sseCheck(c); src128(c, i, true);
  const x = c.xmm, d = i.reg * 4;
  for (let q = 0; q < 4; q += 2) {
    const a = x[d + q]! >>> 0, b = OP[q]! >>> 0;
    const lo = sub ? a - b : a + b;
    const carry = sub ? (lo < 0 ? -1 : 0) : lo > 0xffffffff ? 1 : 0;
    x[d + q] = lo | 0;
    x[d + q + 1] = (sub ? x[d + q + 1]! - OP[q + 1]! + carry : x[d + q + 1]! + OP[q + 1]! + carry) | 0;
  }
}
export const paddq: H = (c, i) => qAddSub(c, i, false);
export const psubq: H = (c, i) => qAddSub(c, i, true);

// ---- compare, min / max, average ----
export const pcmpeqb: H = (c, i) => bytes(c, i, (a, b) => (a === b ? 0xff : 0));
export const pcmpeqw: H = (c, i) => words(c, i, (a, b) => (a === b ? 0xffff : 0));
export const pcmpeqd: H = (c, i) => dwords(c, i, (a, b) => (a === b ? -1 : 0));
export const pcmpgtb: H = (c, i) => bytes(c, i, (a, b) => (s8(a) > s8(b) ? 0xff : 0));
export const pcmpgtw: H = (c, i) => words(c, i, (a, b) => (s16(a) > s16(b) ? 0xffff : 0));
export const pcmpgtd: H = (c, i) => dwords(c, i, (a, b) => (a > b ? -1 : 0));
export const pminub: H = (c, i) => bytes(c, i, (a, b) => (a < b ? a : b));
export const pmaxub: H = (c, i) => bytes(c, i, (a, b) => (a > b ? a : b));
export const pminsw: H = (c, i) => words(c, i, (a, b) => (s16(a) < s16(b) ? a : b));
export const pmaxsw: H = (c, i) => words(c, i, (a, b) => (s16(a) > s16(b) ? a : b));
export const pavgb: H = (c, i) => bytes(c, i, (a, b) => (a + b + 1) >> 1);
export const pavgw: H = (c, i) => words(c, i, (a, b) => (a + b + 1) >> 1);

// ---- multiply ----
export const pmullw: H = (c, i) => words(c, i, (a, b) => Math.imul(a, b));
export const pmulhw: H = (c, i) => words(c, i, (a, b) => (s16(a) * s16(b)) >> 16);
export const pmulhuw: H = (c, i) => words(c, i, (a, b) => (a * b) >>> 16);
/** PMULUDQ: unsigned dword 0 x dword 0 and dword 2 x dword 2 into the two 64-bit lanes. */
export const pmuludq: H = (c, i) => {
  sseCheck(c); src128(c, i, true);
  const x = c.xmm, d = i.reg * 4;
  for (let q = 0; q < 4; q += 2) {
    const a = x[d + q]! >>> 0, b = OP[q]! >>> 0;
    // 32x32 -> 64 exactly: split b into 16-bit halves so every partial product stays below 2^53.
    const lo16 = a * (b & 0xffff), hi16 = a * (b >>> 16);
    const low = lo16 + (hi16 % 65536) * 65536;
    const lowDword = low % 4294967296;
    const high = Math.floor(hi16 / 65536) + Math.floor(low / 4294967296);
    x[d + q] = lowDword | 0; x[d + q + 1] = high | 0;
  }
};
/** PMADDWD: signed word products, adjacent pairs summed into dwords (0x8000*0x8000*2 wraps to 0x80000000). */
export const pmaddwd: H = (c, i) => {
  sseCheck(c); src128(c, i, true);
  const xw = c.xmmW, x = c.xmm, d = i.reg * 8;
  for (let k = 0; k < 4; k++) {
    const p = s16(xw[d + 2 * k]!) * s16(OPW[2 * k]!) + s16(xw[d + 2 * k + 1]!) * s16(OPW[2 * k + 1]!);
    x[i.reg * 4 + k] = p | 0;
  }
};
/** PSADBW: per 64-bit lane, the sum of absolute byte differences in the low word, the rest zero. */
export const psadbw: H = (c, i) => {
  sseCheck(c); src128(c, i, true);
  const xb = c.xmmB, x = c.xmm, d = i.reg * 16;
  for (let q = 0; q < 2; q++) {
    let sum = 0;
    for (let k = 0; k < 8; k++) { const t = xb[d + 8 * q + k]! - OPB[8 * q + k]!; sum += t < 0 ? -t : t; }
    x[i.reg * 4 + 2 * q] = sum; x[i.reg * 4 + 2 * q + 1] = 0;
  }
};

// ---- pack ----
/** PACKSSWB / PACKUSWB: the destination's 8 words then the source's 8 words, saturated to bytes. */
function packWB(c: Cpu, i: Insn, unsigned: boolean): void {
  sseCheck(c); src128(c, i, true); saveDst(c, i.reg);
  const xb = c.xmmB, d = i.reg * 16;
  for (let k = 0; k < 16; k++) {
    const w = s16(k < 8 ? OPW[8 + k]! : OPW[k - 8]!);
    xb[d + k] = unsigned ? satU8(w) : satS8(w);
  }
}
export const packsswb: H = (c, i) => packWB(c, i, false);
export const packuswb: H = (c, i) => packWB(c, i, true);
/** PACKSSDW: the destination's 4 dwords then the source's, saturated to signed words. */
export const packssdw: H = (c, i) => {
  sseCheck(c); src128(c, i, true); saveDst(c, i.reg);
  const xw = c.xmmW, d = i.reg * 8;
  for (let k = 0; k < 8; k++) xw[d + k] = satS16(k < 4 ? OP[4 + k]! : OP[k - 4]!);
};

// ---- shifts ----
const SHL = 0, SHR = 1, SAR = 2;
/** Shift every element of register r (element size 2/4/8 bytes) by `n` (0..2^32-1; counts at or above the
 *  element width give 0, or all sign bits for SAR, SDM Vol. 2 PSLLW/PSRLW/PSRAW). */
function shiftElems(c: Cpu, r: number, size: number, kind: number, n: number): void {
  if (size === 2) {
    const xw = c.xmmW, d = r * 8;
    for (let k = 0; k < 8; k++) {
      const v = xw[d + k]!;
      xw[d + k] = kind === SHL ? (n > 15 ? 0 : v << n) : kind === SHR ? (n > 15 ? 0 : v >>> n) : s16(v) >> (n > 15 ? 15 : n);
    }
  } else if (size === 4) {
    const x = c.xmm, d = r * 4;
    for (let k = 0; k < 4; k++) {
      const v = x[d + k]!;
      x[d + k] = kind === SHL ? (n > 31 ? 0 : v << n) : kind === SHR ? (n > 31 ? 0 : v >>> n) : v >> (n > 31 ? 31 : n);
    }
  } else {
    const x = c.xmm, d = r * 4;
    for (let q = 0; q < 4; q += 2) {
      const lo = x[d + q]!, hi = x[d + q + 1]!;
      if (n > 63) { x[d + q] = 0; x[d + q + 1] = 0; }
      else if (n === 0) { /* unchanged */ }
      else if (kind === SHL) {
        if (n >= 32) { x[d + q + 1] = lo << (n - 32); x[d + q] = 0; }
        else { x[d + q + 1] = (hi << n) | (lo >>> (32 - n)); x[d + q] = lo << n; }
      } else if (n >= 32) { x[d + q] = hi >>> (n - 32); x[d + q + 1] = 0; }
      else { x[d + q] = (lo >>> n) | (hi << (32 - n)); x[d + q + 1] = hi >>> n; }
    }
  }
}
/** The count of a shift by register: the source's low quadword, unsigned; anything >= 2^32 acts as "too
 *  large" the same way (every count above 63 already gives the saturated result). */
function countFromSrc(c: Cpu, i: Insn): number {
  src128(c, i, true);
  return OP[1] !== 0 ? 0xffffffff : OP[0]! >>> 0;
}
export const psllw: H = (c, i) => { sseCheck(c); shiftElems(c, i.reg, 2, SHL, countFromSrc(c, i)); };
export const pslld: H = (c, i) => { sseCheck(c); shiftElems(c, i.reg, 4, SHL, countFromSrc(c, i)); };
export const psllq: H = (c, i) => { sseCheck(c); shiftElems(c, i.reg, 8, SHL, countFromSrc(c, i)); };
export const psrlw: H = (c, i) => { sseCheck(c); shiftElems(c, i.reg, 2, SHR, countFromSrc(c, i)); };
export const psrld: H = (c, i) => { sseCheck(c); shiftElems(c, i.reg, 4, SHR, countFromSrc(c, i)); };
export const psrlq: H = (c, i) => { sseCheck(c); shiftElems(c, i.reg, 8, SHR, countFromSrc(c, i)); };
export const psraw: H = (c, i) => { sseCheck(c); shiftElems(c, i.reg, 2, SAR, countFromSrc(c, i)); };
export const psrad: H = (c, i) => { sseCheck(c); shiftElems(c, i.reg, 4, SAR, countFromSrc(c, i)); };

/** 66 0F 71/72/73 /r ib (register form only): shifts of words / dwords / quadwords by an immediate, and
 *  PSRLDQ (73 /3) / PSLLDQ (73 /7), byte shifts of the whole register. Other /r values are undefined. */
export const pshiftImm: H = (c, i) => {
  const k = i.reg & 7, op = i.op & 0xff, n = i.imm & 0xff;
  const valid = i.mem ? false : op === 0x73 ? k === 2 || k === 3 || k === 6 || k === 7 : k === 2 || k === 4 || k === 6;
  if (!valid) c.raiseUD();
  sseCheck(c);
  const r = i.rm;
  if (op === 0x73 && (k === 3 || k === 7)) {
    saveDst(c, r);
    const xb = c.xmmB, d = r * 16;
    for (let j = 0; j < 16; j++) {
      const s = k === 3 ? j + n : j - n;
      xb[d + j] = s >= 0 && s < 16 ? OPB[16 + s]! : 0;
    }
    return;
  }
  const size = op === 0x71 ? 2 : op === 0x72 ? 4 : 8;
  shiftElems(c, r, size, k === 2 ? SHR : k === 4 ? SAR : SHL, n);
};
