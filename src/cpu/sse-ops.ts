// Registers the MMX, SSE, SSE2 and SSE3 instructions in the decoder's tables by opcode and mandatory prefix
// (SDM Vol. 2 Appendix A, Table A-3 "Two-byte Opcode Map"; columns "pfx" none / 66 / F3 / F2): the 128-bit
// XMM forms, the no-prefix MMX forms of the integer instructions (0F 60-7F, C4, C5, D1-FF, EMMS) and
// MOVQ2DQ/MOVDQ2Q. The conversions between MMX registers and packed floats (CVTPI2PS, CVTPS2PI, CVTTPS2PI,
// CVTPI2PD, CVTPD2PI, CVTTPD2PI) are not modelled and stay undefined (#UD, logged).
import { Imm, OpF, defPfx, type Handler } from './decoder.js';
import * as M from './sse-move.js';
import * as I from './sse-int.js';
import * as F from './sse-float.js';
import * as X from './mmx-move.js';
import { emms } from './mmx-state.js';

/** [none, 66, F3, F2]. */
type P = [Handler | undefined, Handler | undefined, Handler | undefined, Handler | undefined];
const u = undefined;

/** Integer forms of the 0F map as [opcode, 66 form on XMM, no-prefix form on MMX] (every one takes ModRM). */
const INT: [number, Handler, Handler | undefined][] = [
  [0x60, M.punpcklbw, M.mmPunpcklbw], [0x61, M.punpcklwd, M.mmPunpcklwd], [0x62, M.punpckldq, M.mmPunpckldq],
  [0x63, I.packsswb, I.mmPacksswb], [0x64, I.pcmpgtb, I.mmPcmpgtb], [0x65, I.pcmpgtw, I.mmPcmpgtw],
  [0x66, I.pcmpgtd, I.mmPcmpgtd], [0x67, I.packuswb, I.mmPackuswb],
  [0x68, M.punpckhbw, M.mmPunpckhbw], [0x69, M.punpckhwd, M.mmPunpckhwd], [0x6a, M.punpckhdq, M.mmPunpckhdq],
  [0x6b, I.packssdw, I.mmPackssdw], [0x6c, M.punpcklqdq, u], [0x6d, M.punpckhqdq, u], [0x6e, M.movdToXmm, X.movdToMm],
  [0x74, I.pcmpeqb, I.mmPcmpeqb], [0x75, I.pcmpeqw, I.mmPcmpeqw], [0x76, I.pcmpeqd, I.mmPcmpeqd],
  [0xd1, I.psrlw, I.mmPsrlw], [0xd2, I.psrld, I.mmPsrld], [0xd3, I.psrlq, I.mmPsrlq], [0xd4, I.paddq, I.mmPaddq],
  [0xd5, I.pmullw, I.mmPmullw], [0xd7, M.pmovmskb, M.mmPmovmskb],
  [0xd8, I.psubusb, I.mmPsubusb], [0xd9, I.psubusw, I.mmPsubusw], [0xda, I.pminub, I.mmPminub], [0xdb, M.pand, M.mmPand],
  [0xdc, I.paddusb, I.mmPaddusb], [0xdd, I.paddusw, I.mmPaddusw], [0xde, I.pmaxub, I.mmPmaxub], [0xdf, M.pandn, M.mmPandn],
  [0xe0, I.pavgb, I.mmPavgb], [0xe1, I.psraw, I.mmPsraw], [0xe2, I.psrad, I.mmPsrad], [0xe3, I.pavgw, I.mmPavgw],
  [0xe4, I.pmulhuw, I.mmPmulhuw], [0xe5, I.pmulhw, I.mmPmulhw], [0xe7, M.movntStore, X.movntq],
  [0xe8, I.psubsb, I.mmPsubsb], [0xe9, I.psubsw, I.mmPsubsw], [0xea, I.pminsw, I.mmPminsw], [0xeb, M.por, M.mmPor],
  [0xec, I.paddsb, I.mmPaddsb], [0xed, I.paddsw, I.mmPaddsw], [0xee, I.pmaxsw, I.mmPmaxsw], [0xef, M.pxor, M.mmPxor],
  [0xf1, I.psllw, I.mmPsllw], [0xf2, I.pslld, I.mmPslld], [0xf3, I.psllq, I.mmPsllq], [0xf4, I.pmuludq, I.mmPmuludq],
  [0xf5, I.pmaddwd, I.mmPmaddwd], [0xf6, I.psadbw, I.mmPsadbw], [0xf7, M.maskmovdqu, M.maskmovq],
  [0xf8, I.psubb, I.mmPsubb], [0xf9, I.psubw, I.mmPsubw], [0xfa, I.psubd, I.mmPsubd], [0xfb, I.psubq, I.mmPsubq],
  [0xfc, I.paddb, I.mmPaddb], [0xfd, I.paddw, I.mmPaddw], [0xfe, I.paddd, I.mmPaddd],
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
  [0x6f, Imm.None, [X.movqToMm, M.movLoadA, M.movLoadU, u]], // MOVQ mm / MOVDQA / MOVDQU
  [0x70, Imm.BU, [X.pshufw, M.pshufd, M.pshufhw, M.pshuflw]],
  [0x71, Imm.BU, [I.mmPshiftImm, I.pshiftImm, u, u]],
  [0x72, Imm.BU, [I.mmPshiftImm, I.pshiftImm, u, u]],
  [0x73, Imm.BU, [I.mmPshiftImm, I.pshiftImm, u, u]],
  [0x7e, Imm.None, [X.movdFromMm, M.movdFromXmm, M.movqLoad, u]],
  [0x7f, Imm.None, [X.movqFromMm, M.movStoreA, M.movStoreU, u]],
  [0xc3, Imm.None, [M.movnti, u, u, u]],
  [0xc4, Imm.BU, [M.mmPinsrw, M.pinsrw, u, u]],
  [0xc5, Imm.BU, [M.mmPextrw, M.pextrw, u, u]],
  [0xc6, Imm.BU, [M.shufps, M.shufpd, u, u]],
  [0xd6, Imm.None, [u, M.movqStore, X.movq2dq, X.movdq2q]],
  [0xf0, Imm.None, [u, u, u, M.lddqu]],
  // Floating point (sse-float.ts).
  [0x2a, Imm.None, [u, u, F.cvtsi2ss, F.cvtsi2sd]], // CVTPI2PS/CVTPI2PD (MMX sources): not modelled
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
  for (const [op, xmm, mmx] of INT) defPfx(0x100 | op, OpF.M, Imm.None, [mmx, xmm, u, u]);
  for (const [op, imm, p] of MIXED) defPfx(0x100 | op, OpF.M, imm, p);
  defPfx(0x177, 0, Imm.None, [emms, u, u, u]); // EMMS: no ModRM; 66/F3/F2 0F 77 are undefined
}
