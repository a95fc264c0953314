// Integer helpers on 32-bit halves (no BigInt in the hot path): multiplies, 128/64 division, 64-bit shifts.
// Results are returned through the module-level scratch `R` (no allocation).

export const R = { lo: 0, hi: 0, w2: 0, w3: 0, rlo: 0, rhi: 0, ok: true };

/** Unsigned 32x32 -> 64; R.lo/R.hi. */
export function mulu32(a: number, b: number): void {
  a >>>= 0; b >>>= 0;
  const a0 = a & 0xffff, a1 = a >>> 16, b0 = b & 0xffff, b1 = b >>> 16;
  const p00 = a0 * b0, p01 = a0 * b1, p10 = a1 * b0, p11 = a1 * b1;
  const mid = (p00 >>> 16) + (p01 & 0xffff) + (p10 & 0xffff);
  R.lo = ((mid & 0xffff) << 16) | (p00 & 0xffff);
  R.hi = (p11 + (p01 >>> 16) + (p10 >>> 16) + Math.floor(mid / 65536)) | 0;
}

/** High dword of the unsigned 32x32 product (the low dword is Math.imul). Two partial products of at most
 *  48 bits each are exact in doubles: a*b = u*2^16 + t with u = a*b[31:16], t = a*b[15:0], so
 *  floor(a*b / 2^32) = floor((u + floor(t / 2^16)) / 2^16). */
export function mulhu32(a: number, b: number): number {
  a >>>= 0;
  const t = a * (b & 0xffff), u = a * (b >>> 16);
  return Math.floor((u + Math.floor(t / 65536)) / 65536) | 0;
}

/** Unsigned 64x64 -> 128; words R.lo, R.hi, R.w2, R.w3 (low to high). */
export function mulu64(al: number, ah: number, bl: number, bh: number): void {
  mulu32(al, bl); const w0 = R.lo; let c1 = R.hi >>> 0;
  mulu32(al, bh); let x1 = R.lo >>> 0, x2 = R.hi >>> 0;
  mulu32(ah, bl); const y1 = R.lo >>> 0, y2 = R.hi >>> 0;
  mulu32(ah, bh); const z2 = R.lo >>> 0, z3 = R.hi >>> 0;
  let s1 = c1 + x1 + y1;
  const w1 = s1 >>> 0; let carry = Math.floor(s1 / 4294967296);
  let s2 = x2 + y2 + z2 + carry;
  const w2 = s2 >>> 0; carry = Math.floor(s2 / 4294967296);
  const w3 = (z3 + carry) >>> 0;
  R.lo = w0; R.hi = w1 | 0; R.w2 = w2 | 0; R.w3 = w3 | 0;
  void c1; void x1; void s1; void s2;
}

/** Signed 64x64 -> 128 (two's complement). */
export function muls64(al: number, ah: number, bl: number, bh: number): void {
  mulu64(al, ah, bl, bh);
  // high 64 -= (a<0 ? b : 0) + (b<0 ? a : 0)
  let w2 = R.w2 >>> 0, w3 = R.w3 >>> 0;
  if (ah < 0) { const s = w2 - (bl >>> 0); w2 = s >>> 0; w3 = (w3 - (bh >>> 0) + Math.floor(s / 4294967296)) >>> 0; }
  if (bh < 0) { const s = w2 - (al >>> 0); w2 = s >>> 0; w3 = (w3 - (ah >>> 0) + Math.floor(s / 4294967296)) >>> 0; }
  R.w2 = w2 | 0; R.w3 = w3 | 0;
}

/**
 * Unsigned 128/64 division: dividend words n3..n0, divisor d1:d0 (non-zero).
 * Sets R.lo/R.hi = quotient low 64, R.ok=false if the quotient does not fit 64 bits; R.rlo/R.rhi remainder.
 */
export function divu128(n0: number, n1: number, n2: number, n3: number, d0: number, d1: number): void {
  n0 >>>= 0; n1 >>>= 0; n2 >>>= 0; n3 >>>= 0; d0 >>>= 0; d1 >>>= 0;
  // Quotient fits 64 bits iff high 64 of dividend < divisor.
  if (n3 > d1 || (n3 === d1 && n2 >= d0)) { R.ok = false; return; }
  R.ok = true;
  const D = d1 * 4294967296 + d0;
  const N = n1 * 4294967296 + n0;
  if (n3 === 0 && n2 === 0 && N < 9007199254740992 && D < 9007199254740992) {
    let q = Math.floor(N / D);
    let r = N - q * D;
    if (r < 0) { q--; r += D; } else if (r >= D) { q++; r -= D; }
    R.lo = q % 4294967296 | 0; R.hi = Math.floor(q / 4294967296) | 0;
    R.rlo = r % 4294967296 | 0; R.rhi = Math.floor(r / 4294967296) | 0;
    return;
  }
  // Restoring division, one bit at a time over the low 64 dividend bits; remainder starts as the high 64.
  let r1 = n3, r0 = n2, q1 = 0, q0 = 0;
  let l1 = n1, l0 = n0;
  for (let k = 0; k < 64; k++) {
    const top = r1 >>> 31;
    r1 = ((r1 << 1) | (r0 >>> 31)) >>> 0;
    r0 = ((r0 << 1) | (l1 >>> 31)) >>> 0;
    l1 = ((l1 << 1) | (l0 >>> 31)) >>> 0;
    l0 = (l0 << 1) >>> 0;
    q1 = ((q1 << 1) | (q0 >>> 31)) >>> 0;
    q0 = (q0 << 1) >>> 0;
    if (top || r1 > d1 || (r1 === d1 && r0 >= d0)) {
      const s = r0 - d0;
      r0 = s >>> 0;
      r1 = (r1 - d1 - (s < 0 ? 1 : 0)) >>> 0;
      q0 = (q0 | 1) >>> 0;
    }
  }
  R.lo = q0 | 0; R.hi = q1 | 0; R.rlo = r0 | 0; R.rhi = r1 | 0;
}

/** 64-bit negate of (lo,hi) into R.lo/R.hi. */
export function neg64(lo: number, hi: number): void {
  const l = (-(lo >>> 0)) >>> 0;
  R.lo = l | 0;
  R.hi = (~hi + (lo === 0 ? 1 : 0)) | 0;
}

/** Logical shift left of a 64-bit value by n (0..63). */
export function shl64(lo: number, hi: number, n: number): void {
  if (n === 0) { R.lo = lo; R.hi = hi; }
  else if (n < 32) { R.hi = (hi << n) | (lo >>> (32 - n)); R.lo = lo << n; }
  else { R.hi = lo << (n - 32); R.lo = 0; }
}
export function shr64(lo: number, hi: number, n: number): void {
  if (n === 0) { R.lo = lo; R.hi = hi; }
  else if (n < 32) { R.lo = (lo >>> n) | (hi << (32 - n)); R.hi = hi >>> n | 0; }
  else { R.lo = (hi >>> (n - 32)) | 0; R.hi = 0; }
}
export function sar64(lo: number, hi: number, n: number): void {
  if (n === 0) { R.lo = lo; R.hi = hi; }
  else if (n < 32) { R.lo = (lo >>> n) | (hi << (32 - n)); R.hi = hi >> n; }
  else { R.lo = hi >> (n - 32); R.hi = hi >> 31; }
}
/** Bit k (0..63) of (lo,hi). */
export function bit64(lo: number, hi: number, k: number): number {
  return k < 32 ? (lo >>> k) & 1 : (hi >>> (k - 32)) & 1;
}
