// SSE/SSE2/SSE3 data movement, shuffles, unpacks and bitwise logic on XMM registers (SDM Vol. 2 MOVAPS ...
// MOVSHDUP, SHUFPS, PSHUFD, PUNPCK*, UNPCK*, PAND/ANDPS, PMOVMSKB/MOVMSKPS, PINSRW/PEXTRW, MASKMOVDQU,
// MOVNTI). Every handler starts with sseCheck (availability before any operand access); handlers for a
// register-only or memory-only form #UD on the other form, as the SDM's "#UD If ModRM.mod ..." says.
// Element views: Cpu.xmmB/xmmW (see sse-state.ts).
import type { Cpu } from './cpu.js';
import type { Insn } from './decoder.js';
import { TWO32 } from './canonical.js';
import { both } from './sse-int.js';
import { mmHi, mmLo, mmxCheck, mmxTransition } from './mmx-state.js';
import { DB, DD, DW, dOff, intEnter, intLeave, OP, OPB, OPW, saveDst, saveFrame, setFromOp, SRC_FULL, SRC_LOW_HALF, SRC_NONE, src128, src64, sseCheck, store128 } from './sse-state.js';

type H = (c: Cpu, i: Insn) => void;

// ---- whole-register and partial moves ----

/** MOVUPS/MOVUPD/MOVDQU load (unaligned), MOVAPS/MOVAPD/MOVDQA load (aligned), LDDQU (unaligned, memory). */
export const movLoadU: H = (c, i) => { sseCheck(c); src128(c, i, false); setFromOp(c, i.reg); };
export const movLoadA: H = (c, i) => { sseCheck(c); src128(c, i, true); setFromOp(c, i.reg); };
export const lddqu: H = (c, i) => { if (!i.mem) c.raiseUD(); sseCheck(c); src128(c, i, false); setFromOp(c, i.reg); };
export const movStoreU: H = (c, i) => { sseCheck(c); store128(c, i, i.reg, false); };
export const movStoreA: H = (c, i) => { sseCheck(c); store128(c, i, i.reg, true); };
/** MOVNTPS/MOVNTPD/MOVNTDQ m128, xmm: aligned store, memory form only (the non-temporal hint has no
 *  architectural effect here: there is no cache model). */
export const movntStore: H = (c, i) => { if (!i.mem) c.raiseUD(); sseCheck(c); store128(c, i, i.reg, true); };

/** MOVSS xmm, xmm/m32 (F3 0F 10): register form merges the low dword, memory form zeroes bits 127:32. */
export const movssLoad: H = (c, i) => {
  sseCheck(c);
  const x = c.xmm, d = i.reg * 4;
  if (!i.mem) { x[d] = x[i.rm * 4]!; return; }
  x[d] = c.rd32(c.ea(i, 4)); x[d + 1] = 0; x[d + 2] = 0; x[d + 3] = 0;
};
/** MOVSD xmm, xmm/m64 (F2 0F 10). */
export const movsdLoad: H = (c, i) => {
  sseCheck(c);
  const x = c.xmm, d = i.reg * 4;
  if (!i.mem) { x[d] = x[i.rm * 4]!; x[d + 1] = x[i.rm * 4 + 1]!; return; }
  x[d] = c.rd64(c.ea(i, 8)); x[d + 1] = c.th; x[d + 2] = 0; x[d + 3] = 0;
};
/** MOVSS xmm/m32, xmm (F3 0F 11). */
export const movssStore: H = (c, i) => {
  sseCheck(c);
  const x = c.xmm, s = i.reg * 4;
  if (!i.mem) { x[i.rm * 4] = x[s]!; return; }
  c.wr32(c.ea(i, 4), x[s]!);
};
/** MOVSD xmm/m64, xmm (F2 0F 11). */
export const movsdStore: H = (c, i) => {
  sseCheck(c);
  const x = c.xmm, s = i.reg * 4;
  if (!i.mem) { x[i.rm * 4] = x[s]!; x[i.rm * 4 + 1] = x[s + 1]!; return; }
  c.wr64(c.ea(i, 8), x[s]!, x[s + 1]!);
};
/** MOVLPS/MOVLPD xmm, m64 (0F 12 / 66 0F 12, memory) and MOVHLPS xmm, xmm (0F 12, register). */
export const movlpLoad: H = (c, i) => {
  if (!i.mem && i.p66) c.raiseUD();
  sseCheck(c);
  const x = c.xmm, d = i.reg * 4;
  if (!i.mem) { x[d] = x[i.rm * 4 + 2]!; x[d + 1] = x[i.rm * 4 + 3]!; return; }
  x[d] = c.rd64(c.ea(i, 8)); x[d + 1] = c.th;
};
/** MOVHPS/MOVHPD xmm, m64 (0F 16 / 66 0F 16, memory) and MOVLHPS xmm, xmm (0F 16, register). */
export const movhpLoad: H = (c, i) => {
  if (!i.mem && i.p66) c.raiseUD();
  sseCheck(c);
  const x = c.xmm, d = i.reg * 4;
  if (!i.mem) { const s = i.rm * 4; x[d + 2] = x[s]!; x[d + 3] = x[s + 1]!; return; }
  x[d + 2] = c.rd64(c.ea(i, 8)); x[d + 3] = c.th;
};
/** MOVLPS/MOVLPD m64, xmm (0F 13): memory only. */
export const movlpStore: H = (c, i) => {
  if (!i.mem) c.raiseUD();
  sseCheck(c);
  const s = i.reg * 4;
  c.wr64(c.ea(i, 8), c.xmm[s]!, c.xmm[s + 1]!);
};
/** MOVHPS/MOVHPD m64, xmm (0F 17): memory only. */
export const movhpStore: H = (c, i) => {
  if (!i.mem) c.raiseUD();
  sseCheck(c);
  const s = i.reg * 4;
  c.wr64(c.ea(i, 8), c.xmm[s + 2]!, c.xmm[s + 3]!);
};
/** MOVSLDUP / MOVSHDUP (SSE3, F3 0F 12 / F3 0F 16): even / odd dwords duplicated; m128 aligned. */
export const movsldup: H = (c, i) => {
  sseCheck(c); src128(c, i, true);
  const x = c.xmm, d = i.reg * 4;
  x[d] = OP[0]!; x[d + 1] = OP[0]!; x[d + 2] = OP[2]!; x[d + 3] = OP[2]!;
};
export const movshdup: H = (c, i) => {
  sseCheck(c); src128(c, i, true);
  const x = c.xmm, d = i.reg * 4;
  x[d] = OP[1]!; x[d + 1] = OP[1]!; x[d + 2] = OP[3]!; x[d + 3] = OP[3]!;
};
/** MOVDDUP xmm, xmm/m64 (SSE3, F2 0F 12): the low quadword in both halves; m64 has no alignment rule. */
export const movddup: H = (c, i) => {
  sseCheck(c); src64(c, i);
  const x = c.xmm, d = i.reg * 4;
  x[d] = OP[0]!; x[d + 1] = OP[1]!; x[d + 2] = OP[0]!; x[d + 3] = OP[1]!;
};
/** MOVD/MOVQ xmm, r/m32/64 (66 [REX.W] 0F 6E): zero-extends to 128 bits. */
export const movdToXmm: H = (c, i) => {
  sseCheck(c);
  const sz = i.rexW ? 8 : 4;
  let lo: number, hi = 0;
  if (!i.mem) { lo = c.getReg(i.rm, sz, i.rex); if (sz === 8) hi = c.th; }
  else { const la = c.ea(i, sz); lo = sz === 8 ? c.rd64(la) : c.rd32(la); if (sz === 8) hi = c.th; }
  const x = c.xmm, d = i.reg * 4;
  x[d] = lo; x[d + 1] = hi; x[d + 2] = 0; x[d + 3] = 0;
};
/** MOVD/MOVQ r/m32/64, xmm (66 [REX.W] 0F 7E). */
export const movdFromXmm: H = (c, i) => {
  sseCheck(c);
  const sz = i.rexW ? 8 : 4, s = i.reg * 4;
  if (!i.mem) { c.setReg(i.rm, sz, i.rex, c.xmm[s]!, c.xmm[s + 1]!); return; }
  const la = c.ea(i, sz);
  if (sz === 8) c.wr64(la, c.xmm[s]!, c.xmm[s + 1]!); else c.wr32(la, c.xmm[s]!);
};
/** MOVQ xmm, xmm/m64 (F3 0F 7E): zero-extends. */
export const movqLoad: H = (c, i) => {
  sseCheck(c); src64(c, i);
  const x = c.xmm, d = i.reg * 4;
  x[d] = OP[0]!; x[d + 1] = OP[1]!; x[d + 2] = 0; x[d + 3] = 0;
};
/** MOVQ xmm/m64, xmm (66 0F D6): the register form zero-extends the destination. */
export const movqStore: H = (c, i) => {
  sseCheck(c);
  const x = c.xmm, s = i.reg * 4;
  if (!i.mem) { const d = i.rm * 4; x[d] = x[s]!; x[d + 1] = x[s + 1]!; x[d + 2] = 0; x[d + 3] = 0; return; }
  c.wr64(c.ea(i, 8), x[s]!, x[s + 1]!);
};
/** MOVNTI m32/m64, r32/r64 (0F C3, SSE2): memory only; a plain store here (no cache model). */
export const movnti: H = (c, i) => {
  if (!i.mem) c.raiseUD();
  const sz = i.rexW ? 8 : 4;
  const la = c.ea(i, sz);
  const lo = c.getReg(i.reg, sz, i.rex);
  if (sz === 8) c.wr64(la, lo, c.th); else c.wr32(la, lo);
};
/** MASKMOVDQU xmm1, xmm2 (66 0F F7) / MASKMOVQ mm1, mm2 (0F F7, SSE), register form only: the bytes of the
 *  first operand whose mask byte in the second has bit 7 set go to DS:rDI (segment override allowed, address
 *  size from 67). Unselected bytes are not written; a fault is taken as for a 16 / 8-byte store (probeWrite)
 *  when any byte is selected. */
export const [maskmovdqu, maskmovq] = both((c, i, mm) => {
  if (i.mem) c.raiseUD();
  let n: number, s: number, m: number, src: Uint8Array, mask: Uint8Array;
  if (mm) {
    mmxCheck(c);
    const r = i.reg & 7, k = i.rm & 7;
    OP[0] = mmLo(c, r); OP[1] = mmHi(c, r); OP[2] = mmLo(c, k); OP[3] = mmHi(c, k);
    mmxTransition(c); // MASKMOVQ reads both MMX registers (Vol. 3 Table 12-2), whether or not a byte is stored
    n = 8; src = OPB; s = 0; mask = OPB; m = 8;
  } else {
    sseCheck(c);
    n = 16; src = c.xmmB; s = i.reg * 16; mask = c.xmmB; m = i.rm * 16;
  }
  let any = false;
  for (let k = 0; k < n; k++) if (mask[m + k]! & 0x80) { any = true; break; }
  if (!any) return;
  let la: number;
  const seg = i.seg >= 0 ? i.seg : 3;
  if (i.leg) {
    const off = i.asz === 2 ? c.rl[7]! & 0xffff : c.rl[7]! >>> 0;
    la = c.dataLin(seg, off, n, true);
  } else {
    let v = i.asz === 8 ? c.rh[7]! * TWO32 + (c.rl[7]! >>> 0) : c.rl[7]! >>> 0;
    if (seg >= 4) v += c.segBase[seg]!;
    la = c.canon(v);
  }
  c.probeWrite(la, n);
  for (let k = 0; k < n; k++) if (mask[m + k]! & 0x80) c.wr8(la + k, src[s + k]!);
});

// ---- sign masks ----

/** MOVMSKPS/MOVMSKPD r32, xmm (0F 50, register form only): the element sign bits, zero-extended. */
export const movmskps: H = (c, i) => {
  if (i.mem) c.raiseUD();
  sseCheck(c);
  const x = c.xmm, s = i.rm * 4;
  const v = (x[s]! >>> 31) | ((x[s + 1]! >>> 31) << 1) | ((x[s + 2]! >>> 31) << 2) | ((x[s + 3]! >>> 31) << 3);
  c.setReg(i.reg, 4, i.rex, v, 0);
};
export const movmskpd: H = (c, i) => {
  if (i.mem) c.raiseUD();
  sseCheck(c);
  const x = c.xmm, s = i.rm * 4;
  c.setReg(i.reg, 4, i.rex, (x[s + 1]! >>> 31) | ((x[s + 3]! >>> 31) << 1), 0);
};
/** PMOVMSKB r32, xmm (66 0F D7) / r32, mm (0F D7, SSE), register form only: the byte sign bits. */
export const [pmovmskb, mmPmovmskb] = both((c, i, mm) => {
  if (i.mem) c.raiseUD();
  const n = intEnter(c, i, mm, i.rm, SRC_NONE), d = dOff;
  let v = 0;
  for (let k = 0; k < n; k++) v |= (DB[d + k]! >> 7) << k;
  if (mm) mmxTransition(c);
  c.setReg(i.reg, 4, i.rex, v, 0);
});

// ---- word insert / extract ----

/** PINSRW xmm, r32/m16, imm8 (66 0F C4) / mm, r32/m16, imm8 (0F C4, SSE): word imm8[2:0] (imm8[1:0] for MMX)
 *  of the destination from the low word of the source. */
export const [pinsrw, mmPinsrw] = both((c, i, mm) => {
  const n = intEnter(c, i, mm, i.reg, SRC_NONE);
  const v = i.mem ? c.rd16(c.ea(i, 2)) : c.getReg(i.rm, 4, i.rex) & 0xffff;
  DW[(dOff >> 1) + (i.imm & ((n >> 1) - 1))] = v;
  intLeave(c, mm, i.reg);
});
/** PEXTRW r32, xmm, imm8 (66 0F C5) / r32, mm, imm8 (0F C5, SSE), register form only: the zero-extended word
 *  imm8[2:0] (imm8[1:0] for MMX). */
export const [pextrw, mmPextrw] = both((c, i, mm) => {
  if (i.mem) c.raiseUD();
  const n = intEnter(c, i, mm, i.rm, SRC_NONE);
  const v = DW[(dOff >> 1) + (i.imm & ((n >> 1) - 1))]!;
  if (mm) mmxTransition(c);
  c.setReg(i.reg, 4, i.rex, v, 0);
});

// ---- bitwise logic (ANDPS/ANDPD/PAND, ANDNPS/ANDNPD/PANDN, ORPS/ORPD/POR, XORPS/XORPD/PXOR) ----

type L = (a: number, b: number) => number;
function logic(c: Cpu, i: Insn, mm: boolean, f: L): void {
  const n = intEnter(c, i, mm, i.reg, SRC_FULL) >> 2, d = dOff >> 2;
  for (let k = 0; k < n; k++) DD[d + k] = f(DD[d + k]!, OP[k]!);
  intLeave(c, mm, i.reg);
}
const AND: L = (a, b) => a & b, ANDN: L = (a, b) => ~a & b, OR: L = (a, b) => a | b, XOR: L = (a, b) => a ^ b;
export const [pand, mmPand] = both((c, i, mm) => logic(c, i, mm, AND));
export const [pandn, mmPandn] = both((c, i, mm) => logic(c, i, mm, ANDN));
export const [por, mmPor] = both((c, i, mm) => logic(c, i, mm, OR));
export const [pxor, mmPxor] = both((c, i, mm) => logic(c, i, mm, XOR));

// ---- shuffles ----

/** SHUFPS xmm, xmm/m128, imm8 (0F C6): low two dwords from the destination, high two from the source. */
export const shufps: H = (c, i) => {
  sseCheck(c); src128(c, i, true); saveDst(c, i.reg);
  const x = c.xmm, d = i.reg * 4, o = i.imm;
  x[d] = OP[4 + (o & 3)]!; x[d + 1] = OP[4 + ((o >> 2) & 3)]!;
  x[d + 2] = OP[(o >> 4) & 3]!; x[d + 3] = OP[(o >> 6) & 3]!;
};
/** SHUFPD xmm, xmm/m128, imm8 (66 0F C6). */
export const shufpd: H = (c, i) => {
  sseCheck(c); src128(c, i, true); saveDst(c, i.reg);
  const x = c.xmm, d = i.reg * 4, lo = (i.imm & 1) * 2, hi = ((i.imm >> 1) & 1) * 2;
  x[d] = OP[4 + lo]!; x[d + 1] = OP[5 + lo]!; x[d + 2] = OP[hi]!; x[d + 3] = OP[hi + 1]!;
};
/** PSHUFD xmm, xmm/m128, imm8 (66 0F 70). */
export const pshufd: H = (c, i) => {
  sseCheck(c); src128(c, i, true);
  const x = c.xmm, d = i.reg * 4, o = i.imm;
  for (let k = 0; k < 4; k++) x[d + k] = OP[(o >> (2 * k)) & 3]!;
};
/** PSHUFLW (F2 0F 70) / PSHUFHW (F3 0F 70): shuffle the low / high four words, copy the other half. */
export const pshuflw: H = (c, i) => {
  sseCheck(c); src128(c, i, true);
  const w = c.xmmW, d = i.reg * 8, o = i.imm;
  for (let k = 0; k < 4; k++) w[d + k] = OPW[(o >> (2 * k)) & 3]!;
  c.xmm[i.reg * 4 + 2] = OP[2]!; c.xmm[i.reg * 4 + 3] = OP[3]!;
};
export const pshufhw: H = (c, i) => {
  sseCheck(c); src128(c, i, true);
  const w = c.xmmW, d = i.reg * 8, o = i.imm;
  for (let k = 0; k < 4; k++) w[d + 4 + k] = OPW[4 + ((o >> (2 * k)) & 3)]!;
  c.xmm[i.reg * 4] = OP[0]!; c.xmm[i.reg * 4 + 1] = OP[1]!;
};

/** Interleave elements of `size` bytes from the low (high=false) or high halves of destination and source:
 *  PUNPCKL/HBW, WD, DQ, QDQ and UNPCKLPS/PD, UNPCKHPS/PD (which are the DQ / QDQ byte patterns); the MMX
 *  forms interleave 4-byte halves, and the low ones read only mm/m32 (SDM Vol. 2 PUNPCKLBW). */
function unpack(c: Cpu, i: Insn, mm: boolean, size: number, high: boolean): void {
  const half = intEnter(c, i, mm, i.reg, high ? SRC_FULL : SRC_LOW_HALF) >> 1, d = dOff, base = high ? half : 0;
  saveFrame();
  for (let e = 0; e < half / size; e++) {
    for (let b = 0; b < size; b++) {
      DB[d + 2 * e * size + b] = OPB[16 + base + e * size + b]!;
      DB[d + (2 * e + 1) * size + b] = OPB[base + e * size + b]!;
    }
  }
  intLeave(c, mm, i.reg);
}
export const [punpcklbw, mmPunpcklbw] = both((c, i, mm) => unpack(c, i, mm, 1, false));
export const [punpcklwd, mmPunpcklwd] = both((c, i, mm) => unpack(c, i, mm, 2, false));
export const [punpckldq, mmPunpckldq] = both((c, i, mm) => unpack(c, i, mm, 4, false));
export const punpcklqdq: H = (c, i) => unpack(c, i, false, 8, false);
export const [punpckhbw, mmPunpckhbw] = both((c, i, mm) => unpack(c, i, mm, 1, true));
export const [punpckhwd, mmPunpckhwd] = both((c, i, mm) => unpack(c, i, mm, 2, true));
export const [punpckhdq, mmPunpckhdq] = both((c, i, mm) => unpack(c, i, mm, 4, true));
export const punpckhqdq: H = (c, i) => unpack(c, i, false, 8, true);
