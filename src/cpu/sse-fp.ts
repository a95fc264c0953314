// IEEE 754 binary32/binary64 arithmetic as SSE computes it (SDM Vol. 1 4.8-4.9, 11.5): the result of
// ADD/SUB/MUL/DIV/SQRT and of conversions rounded by MXCSR.RC, with the MXCSR exception flags it raises
// (IE invalid, DE denormal operand, ZE divide-by-zero, OE overflow, UE underflow, PE precision), DAZ
// (denormal operands read as zero) and FTZ (tiny results flushed to zero when underflow is masked).
//
// JS numbers are binary64 with round-to-nearest only, so each operation first forms its exact result as
// p * 2^E plus the sign of a residual smaller than p's last bit (error-free transformations: TwoSum for
// sums, Dekker's TwoProduct for products, the remainder a - q*b for quotients and a - q*q for square roots),
// then roundExact() rounds that value to the target format with the requested direction. Nothing here
// allocates; results and flags are module state read right after each call (instructions run one at a time).
import { MXCSR_DAZ, MXCSR_DE, MXCSR_FZ, MXCSR_IE, MXCSR_OE, MXCSR_OM, MXCSR_PE, MXCSR_UE, MXCSR_UM, MXCSR_ZE, RC_DOWN, RC_NEAREST, RC_UP, RC_ZERO } from './sse-bits.js';

/** A binary floating-point format: precision in bits, smallest and largest normal exponent. */
export interface Fmt { readonly p: number; readonly emin: number; readonly emax: number }
export const F32: Fmt = { p: 24, emin: -126, emax: 127 };
export const F64: Fmt = { p: 53, emin: -1022, emax: 1023 };

/** Flags raised by the current instruction (MXCSR bits 0-5), cleared by begin(). */
export let exc = 0;
/** MXCSR fields of the current instruction. */
let rc = RC_NEAREST, ftz = false, daz = false, umMasked = true, omMasked = true;

export function begin(mxcsr: number): void {
  exc = 0;
  rc = (mxcsr >>> 13) & 3;
  ftz = (mxcsr & MXCSR_FZ) !== 0;
  daz = (mxcsr & MXCSR_DAZ) !== 0;
  umMasked = (mxcsr & MXCSR_UM) !== 0;
  omMasked = (mxcsr & MXCSR_OM) !== 0;
}
export function raiseFlags(f: number): void { exc |= f; }
export function setExc(f: number): void { exc = f; }
export function roundingControl(): number { return rc; }
export function dazOn(): boolean { return daz; }

// ---- exact powers of two ----
const POW2 = new Float64Array(1074 + 1024);
for (let n = -1074, v = 2 ** -1074; n <= 1023; n++, v *= 2) POW2[n + 1074] = v;
/** 2^n for -1074 <= n <= 1023. */
export function pow2(n: number): number { return POW2[n + 1074]!; }
/** x * 2^n, exact whenever the result is a normal number or x is scaled up (n may exceed 2^±1023). */
function scale(x: number, n: number): number {
  while (n > 1023) { x *= POW2[1023 + 1074]!; n -= 1023; }
  while (n < -1022) { x *= POW2[-1022 + 1074]!; n += 1022; }
  return x * POW2[n + 1074]!;
}
/** floor(log2(x)) for a positive finite double, exactly. */
export function exponentOf(x: number): number {
  let e = Math.floor(Math.log2(x));
  if (e < -1074) e = -1074;
  if (e > 1023) e = 1023;
  if (POW2[e + 1074]! > x) e--;
  else if (e < 1023 && POW2[e + 1 + 1074]! <= x) e++;
  return e;
}

// ---- error-free transformations ----
/** Set by twoProduct: the exact error of the product (a*b = hi + LO). */
let LO = 0;
const SPLIT = 134217729; // 2^27 + 1 (Veltkamp)
/** hi = fl(a*b) and LO = a*b - hi exactly, for |a|, |b| in [1, 4) (no overflow or underflow possible). */
function twoProduct(a: number, b: number): number {
  const h = a * b;
  let t = SPLIT * a; const ah = t - (t - a), al = a - ah;
  t = SPLIT * b; const bh = t - (t - b), bl = b - bh;
  LO = ((ah * bh - h) + ah * bl + al * bh) + al * bl;
  return h;
}
/** Significand of a positive finite x scaled into [1, 2); the exponent goes to MEXP. */
let MEXP = 0;
function mant(x: number): number {
  MEXP = exponentOf(x);
  return scale(x, -MEXP);
}

// ---- rounding ----
/** Magnitude of the largest finite value of fmt. */
function maxFinite(f: Fmt): number { return (2 - pow2(1 - f.p)) * pow2(f.emax); }

/** Overflow (SDM Vol. 1 4.9.1.4): OE and PE, the masked result by rounding direction. With overflow
 *  unmasked, PE only when the significand itself was rounded (`inexactU`: rounding to the format's
 *  precision with an unbounded exponent), as silicon reports it. */
function overflow(f: Fmt, neg: boolean, inexactU: boolean): number {
  exc |= omMasked || inexactU ? MXCSR_OE | MXCSR_PE : MXCSR_OE;
  const toInf = rc === RC_NEAREST || (rc === RC_UP && !neg) || (rc === RC_DOWN && neg);
  return toInf ? Infinity : maxFinite(f);
}

/** Round the integer part of t = value / quantum: 0 keep fl, 1 up, -1 down (only when frac = 0 and the
 *  exact value lies below fl). */
function direction(fl: number, frac: number, eSign: number, neg: boolean): number {
  if (frac === 0 && eSign === 0) return 0;
  const up = rc === RC_UP ? !neg : rc === RC_DOWN ? neg : false;
  if (rc === RC_NEAREST) {
    if (frac > 0.5) return 1;
    if (frac < 0.5) return 0;
    return eSign > 0 ? 1 : eSign < 0 ? 0 : (fl % 2 === 1 ? 1 : 0);
  }
  if (up) return frac > 0 || eSign > 0 ? 1 : 0;
  return frac === 0 && eSign < 0 ? -1 : 0;
}

/**
 * The magnitude of (p + d) * 2^E rounded to fmt by MXCSR.RC, where p > 0 is a finite double and d, of sign
 * eSign, is smaller than half a unit in p's last place. `neg`: the result's sign (directed rounding).
 * Raises OE/UE/PE as SSE does (tininess detected after rounding; with underflow masked UE only when also
 * inexact; FTZ flushes a tiny result to zero with UE and PE).
 */
export function roundExact(p: number, eSign: number, E: number, neg: boolean, f: Fmt): number {
  const ep = exponentOf(p), k = ep + E;
  // The significand rounded to fmt's precision with an unbounded exponent (p scaled into [2^(P-1), 2^P)).
  const tU = scale(p, f.p - 1 - ep), flU = Math.floor(tU);
  const inexactU = tU !== flU || eSign !== 0;
  if (k > f.emax) return overflow(f, neg, inexactU);
  const qexp = k >= f.emin ? k - f.p + 1 : f.emin - f.p + 1;
  const sh = E - qexp;
  let fl: number, frac: number;
  if (sh < -1000) { fl = 0; frac = 0.25; } // far below the quantum: only "inexact, below half" matters
  else {
    const t = scale(p, sh);
    fl = Math.floor(t); frac = t - fl;
  }
  const dir = direction(fl, frac, eSign, neg);
  const inexact = frac !== 0 || eSign !== 0;
  let r: number;
  if (dir === -1) {
    // Just below a power of two at a normal exponent, the next value down is half a quantum away.
    r = fl === pow2(f.p - 1) && k - 1 >= f.emin ? (fl - 0.5) * pow2(qexp) : (fl - 1) * pow2(qexp);
  } else r = (fl + dir) * (qexp >= -1074 ? pow2(qexp) : 0);
  if (r >= pow2(f.emax) * 2) return overflow(f, neg, inexactU);
  // Tininess after rounding (SDM Vol. 1 4.9.1.5): the result rounded to fmt's precision with an unbounded
  // exponent is below 2^emin.
  let tiny = k < f.emin - 1;
  if (k === f.emin - 1) tiny = flU + direction(flU, tU - flU, eSign, neg) < pow2(f.p);
  if (tiny) {
    if (ftz && umMasked) { exc |= MXCSR_UE | MXCSR_PE; return 0; }
    // Unmasked: UE, exact or not, and PE only if the significand was rounded (as overflow above). Masked:
    // UE only for a tiny and inexact result.
    if (!umMasked) { exc |= inexactU ? MXCSR_UE | MXCSR_PE : MXCSR_UE; return r; }
    if (inexact) exc |= MXCSR_UE;
  }
  if (inexact) exc |= MXCSR_PE;
  return r;
}

/** Round a finite double exactly known (no residual) to fmt: conversions. */
export function roundValue(v: number, f: Fmt): number {
  if (v === 0) return v;
  const neg = v < 0;
  const m = roundExact(neg ? -v : v, 0, 0, neg, f);
  return neg ? -m : m;
}

// ---- operations on finite, non-zero-checked operands (NaNs handled by the caller) ----
/** Default NaN marker: the caller writes the format's QNaN floating-point indefinite. */
export const INVALID = NaN;

/** x + y for finite or infinite x, y (not NaN). */
export function add(x: number, y: number, f: Fmt): number {
  if (x === Infinity || x === -Infinity || y === Infinity || y === -Infinity) {
    if (x === -y) { exc |= MXCSR_IE; return INVALID; } // inf - inf: IE (SDM Vol. 1 4.8.3.7)
    return x === Infinity || x === -Infinity ? x : y;
  }
  const s = x + y;
  if (s === Infinity || s === -Infinity) {
    // Both operands are huge here, so halving them is exact; the halves' sum tells whether the
    // significand was rounded.
    const hx = x / 2, hy = y / 2, hs = hx + hy, hb = hs - hx;
    return overflow(f, s < 0, (hx - (hs - hb)) + (hy - hb) !== 0) * (s < 0 ? -1 : 1);
  }
  const bb = s - x;
  const err = (x - (s - bb)) + (y - bb);
  if (s === 0) {
    // An exact zero sum (IEEE 754 6.3): zeros of one sign keep it; otherwise +0, or -0 when rounding down.
    if (x === 0 && y === 0 && Object.is(x, -0) === Object.is(y, -0)) return x;
    return rc === RC_DOWN ? -0 : 0;
  }
  const neg = s < 0;
  const m = roundExact(neg ? -s : s, err === 0 ? 0 : (err > 0) !== neg ? 1 : -1, 0, neg, f);
  return neg ? -m : m;
}

export function mul(x: number, y: number, f: Fmt): number {
  const neg = (x < 0 || Object.is(x, -0)) !== (y < 0 || Object.is(y, -0));
  const xi = x === Infinity || x === -Infinity, yi = y === Infinity || y === -Infinity;
  if (xi || yi) {
    if (x === 0 || y === 0) { exc |= MXCSR_IE; return INVALID; } // 0 * inf: IE
    return neg ? -Infinity : Infinity;
  }
  if (x === 0 || y === 0) return neg ? -0 : 0;
  const ma = mant(Math.abs(x)), ea = MEXP, mb = mant(Math.abs(y)), eb = MEXP;
  const h = twoProduct(ma, mb);
  const m = roundExact(h, LO === 0 ? 0 : LO > 0 ? 1 : -1, ea + eb, neg, f);
  return neg ? -m : m;
}

export function div(x: number, y: number, f: Fmt): number {
  const neg = (x < 0 || Object.is(x, -0)) !== (y < 0 || Object.is(y, -0));
  const xi = x === Infinity || x === -Infinity, yi = y === Infinity || y === -Infinity;
  if ((xi && yi) || (x === 0 && y === 0)) { exc |= MXCSR_IE; return INVALID; } // inf/inf, 0/0: IE
  if (xi) return neg ? -Infinity : Infinity;
  if (yi || x === 0) return neg ? -0 : 0;
  if (y === 0) { exc |= MXCSR_ZE; return neg ? -Infinity : Infinity; } // ZE (SDM Vol. 1 4.9.1.3)
  const ma = mant(Math.abs(x)), ea = MEXP, mb = mant(Math.abs(y)), eb = MEXP;
  const q = ma / mb;
  const h = twoProduct(q, mb);
  const r = (ma - h) - LO;
  const m = roundExact(q, r === 0 ? 0 : r > 0 ? 1 : -1, ea - eb, neg, f);
  return neg ? -m : m;
}

export function sqrt(x: number, f: Fmt): number {
  if (x === 0) return x; // sqrt(-0) = -0
  if (x < 0) { exc |= MXCSR_IE; return INVALID; }
  if (x === Infinity) return x;
  let ma = mant(x), e = MEXP;
  if (e % 2 !== 0) { ma *= 2; e -= 1; }
  const q = Math.sqrt(ma);
  const h = twoProduct(q, q);
  const r = (ma - h) - LO;
  return roundExact(q, r === 0 ? 0 : r > 0 ? 1 : -1, e / 2, false, f);
}

/** A 64-bit integer (hi:lo dwords, signed) converted to fmt (CVTSI2SD/SS with REX.W), PE when inexact. */
export function fromInt64(lo: number, hi: number, f: Fmt): number {
  const a = hi * 4294967296, b = lo >>> 0;
  const s = a + b;
  if (s === 0) return 0;
  const bb = s - a;
  const err = (a - (s - bb)) + (b - bb);
  const neg = s < 0;
  const m = roundExact(neg ? -s : s, err === 0 ? 0 : (err > 0) !== neg ? 1 : -1, 0, neg, f);
  return neg ? -m : m;
}

/** Set by toInt: the high dword of a 64-bit result. */
export let intHi = 0;
export function setIntHi(v: number): void { intHi = v; }
/**
 * x (finite or infinite, not NaN) to a signed integer of `bits` (32 or 64) by MXCSR.RC, or truncated
 * (CVTT*). Out of range: IE and the integer indefinite (0x80000000 / 0x80000000_00000000, SDM Vol. 1
 * 4.8.3.7); inexact: PE. Returns the low dword; the high one is in intHi.
 */
export function toInt(x: number, bits: number, truncate: boolean): number {
  let r: number;
  if (x === Infinity || x === -Infinity) r = x;
  else {
    const fl = Math.floor(x), frac = x - fl;
    const mode = truncate ? RC_ZERO : rc;
    if (frac === 0) r = fl;
    else {
      if (mode === RC_NEAREST) r = frac > 0.5 ? fl + 1 : frac < 0.5 ? fl : (fl % 2 === 0 ? fl : fl + 1);
      else if (mode === RC_DOWN) r = fl;
      else if (mode === RC_UP) r = fl + 1;
      else r = x < 0 ? fl + 1 : fl;
    }
  }
  const lim = bits === 32 ? 2147483648 : 9223372036854775808;
  if (!(r >= -lim && r < lim)) { exc |= MXCSR_IE; intHi = bits === 64 ? -2147483648 : 0; return bits === 64 ? 0 : -2147483648; }
  if (r !== x) exc |= MXCSR_PE;
  const h = Math.floor(r / 4294967296);
  intHi = bits === 64 ? h | 0 : 0;
  return (r - h * 4294967296) | 0;
}

/** A denormal operand was read (and not zeroed by DAZ): DE. */
export function denormalOperand(): void { exc |= MXCSR_DE; }
