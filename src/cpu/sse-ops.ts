// Registers the SSE, SSE2 and SSE3 instructions (128-bit XMM forms) in the decoder's tables by opcode and
// mandatory prefix (SDM Vol. 2 Appendix A, Table A-3 "Two-byte Opcode Map"; columns "pfx" none / 66 / F3 /
// F2). No-prefix forms that name MMX registers (0F 60-7F, D1-FF without 66, CVTPI2PS and friends, EMMS,
// MOVQ2DQ/MOVDQ2Q) stay undefined: CPUID does not offer MMX, so they #UD as on a CPU without it.
import { Imm, OpF, defPfx, type Handler } from './decoder.js';
import * as M from './sse-move.js';
import * as I from './sse-int.js';
import * as F from './sse-float.js';

/** [none, 66, F3, F2]. */
type P = [Handler | undefined, Handler | undefined, Handler | undefined, Handler | undefined];
const u = undefined;

/** 66-only integer forms of the 0F map (every one takes ModRM). */
const INT66: [number, Handler][] = [
  [0x60, M.punpcklbw], [0x61, M.punpcklwd], [0x62, M.punpckldq], [0x63, I.packsswb],
  [0x64, I.pcmpgtb], [0x65, I.pcmpgtw], [0x66, I.pcmpgtd], [0x67, I.packuswb],
  [0x68, M.punpckhbw], [0x69, M.punpckhwd], [0x6a, M.punpckhdq], [0x6b, I.packssdw],
  [0x6c, M.punpcklqdq], [0x6d, M.punpckhqdq], [0x6e, M.movdToXmm],
  [0x74, I.pcmpeqb], [0x75, I.pcmpeqw], [0x76, I.pcmpeqd],
  [0xd1, I.psrlw], [0xd2, I.psrld], [0xd3, I.psrlq], [0xd4, I.paddq], [0xd5, I.pmullw], [0xd7, M.pmovmskb],
  [0xd8, I.psubusb], [0xd9, I.psubusw], [0xda, I.pminub], [0xdb, M.pand],
  [0xdc, I.paddusb], [0xdd, I.paddusw], [0xde, I.pmaxub], [0xdf, M.pandn],
  [0xe0, I.pavgb], [0xe1, I.psraw], [0xe2, I.psrad], [0xe3, I.pavgw], [0xe4, I.pmulhuw], [0xe5, I.pmulhw],
  [0xe7, M.movntStore],
  [0xe8, I.psubsb], [0xe9, I.psubsw], [0xea, I.pminsw], [0xeb, M.por],
  [0xec, I.paddsb], [0xed, I.paddsw], [0xee, I.pmaxsw], [0xef, M.pxor],
  [0xf1, I.psllw], [0xf2, I.pslld], [0xf3, I.psllq], [0xf4, I.pmuludq], [0xf5, I.pmaddwd], [0xf6, I.psadbw],
  [0xf7, M.maskmovdqu],
  [0xf8, I.psubb], [0xf9, I.psubw], [0xfa, I.psubd], [0xfb, I.psubq],
  [0xfc, I.paddb], [0xfd, I.paddw], [0xfe, I.paddd],
];

/** Forms with several prefixes (or an immediate). */
const MIXED: [number, Imm, P][] = [
  [0x10, Imm.None, [M.movLoadU, M.movLoadU, M.movssLoad, M.movsdLoad]],
  [0x11, Imm.None, [M.movStoreU, M.movStoreU, M.movssStore, M.movsdStore]],
  [0x12, Imm.None, [M.movlpLoad, M.movlpLoad, M.movsldup, M.movddup]],
  [0x13, Imm.None, [M.movlpStore, M.movlpStore, u, u]],
  [0x14, Imm.None, [M.punpckldq, M.punpcklqdq, u, u]], // UNPCKLPS / UNPCKLPD
  [0x15, Imm.None, [M.punpckhdq, M.punpckhqdq, u, u]], // UNPCKHPS / UNPCKHPD
  [0x16, Imm.None, [M.movhpLoad, M.movhpLoad, M.movshdup, u]],
  [0x17, Imm.None, [M.movhpStore, M.movhpStore, u, u]],
  [0x28, Imm.None, [M.movLoadA, M.movLoadA, u, u]],
  [0x29, Imm.None, [M.movStoreA, M.movStoreA, u, u]],
  [0x2b, Imm.None, [M.movntStore, M.movntStore, u, u]],
  [0x50, Imm.None, [M.movmskps, M.movmskpd, u, u]],
  [0x54, Imm.None, [M.pand, M.pand, u, u]], // ANDPS / ANDPD
  [0x55, Imm.None, [M.pandn, M.pandn, u, u]], // ANDNPS / ANDNPD
  [0x56, Imm.None, [M.por, M.por, u, u]], // ORPS / ORPD
  [0x57, Imm.None, [M.pxor, M.pxor, u, u]], // XORPS / XORPD
  [0x6f, Imm.None, [u, M.movLoadA, M.movLoadU, u]], // MOVDQA / MOVDQU
  [0x70, Imm.BU, [u, M.pshufd, M.pshufhw, M.pshuflw]],
  [0x71, Imm.BU, [u, I.pshiftImm, u, u]],
  [0x72, Imm.BU, [u, I.pshiftImm, u, u]],
  [0x73, Imm.BU, [u, I.pshiftImm, u, u]],
  [0x7e, Imm.None, [u, M.movdFromXmm, M.movqLoad, u]],
  [0x7f, Imm.None, [u, M.movStoreA, M.movStoreU, u]],
  [0xc3, Imm.None, [M.movnti, u, u, u]],
  [0xc4, Imm.BU, [u, M.pinsrw, u, u]],
  [0xc5, Imm.BU, [u, M.pextrw, u, u]],
  [0xc6, Imm.BU, [M.shufps, M.shufpd, u, u]],
  [0xd6, Imm.None, [u, M.movqStore, u, u]],
  [0xf0, Imm.None, [u, u, u, M.lddqu]],
  // Floating point (sse-float.ts).
  [0x2a, Imm.None, [u, u, F.cvtsi2ss, F.cvtsi2sd]], // CVTPI2PS/CVTPI2PD read MMX registers
  [0x2c, Imm.None, [u, u, F.cvttss2si, F.cvttsd2si]],
  [0x2d, Imm.None, [u, u, F.cvtss2si, F.cvtsd2si]],
  [0x2e, Imm.None, [F.ucomiss, F.ucomisd, u, u]],
  [0x2f, Imm.None, [F.comissH, F.comisdH, u, u]],
  [0x51, Imm.None, F.arithForms(F.OPS.SQRT)],
  [0x52, Imm.None, [F.rsqrtps, u, F.rsqrtss, u]],
  [0x53, Imm.None, [F.rcpps, u, F.rcpss, u]],
  [0x58, Imm.None, F.arithForms(F.OPS.ADD)],
  [0x59, Imm.None, F.arithForms(F.OPS.MUL)],
  [0x5a, Imm.None, [F.cvtps2pd, F.cvtpd2ps, F.cvtss2sd, F.cvtsd2ss]],
  [0x5b, Imm.None, [F.cvtdq2ps, F.cvtps2dqH, F.cvttps2dq, u]],
  [0x5c, Imm.None, F.arithForms(F.OPS.SUB)],
  [0x5d, Imm.None, F.arithForms(F.OPS.MIN)],
  [0x5e, Imm.None, F.arithForms(F.OPS.DIV)],
  [0x5f, Imm.None, F.arithForms(F.OPS.MAX)],
  [0x7c, Imm.None, [u, F.haddpd, u, F.haddps]],
  [0x7d, Imm.None, [u, F.hsubpd, u, F.hsubps]],
  [0xc2, Imm.BU, [F.cmpps, F.cmppd, F.cmpss, F.cmpsd]],
  [0xd0, Imm.None, [u, F.addsubpd, u, F.addsubps]],
  [0xe6, Imm.None, [u, F.cvttpd2dq, F.cvtdq2pd, F.cvtpd2dqH]],
];

let installed = false;
export function installSseOps(): void {
  if (installed) return;
  installed = true;
  for (const [op, fn] of INT66) defPfx(0x100 | op, OpF.M, Imm.None, [u, fn, u, u]);
  for (const [op, imm, p] of MIXED) defPfx(0x100 | op, OpF.M, imm, p);
}
