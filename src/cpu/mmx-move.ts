// MMX data movement that has no XMM twin among the shared integer handlers (SDM Vol. 2): MOVD/MOVQ between
// MMX registers, GPRs and memory (0F 6E/7E/6F/7F), MOVNTQ (0F E7, SSE), PSHUFW (0F 70, SSE), and the
// transfers between the register files MOVQ2DQ (F3 0F D6) and MOVDQ2Q (F2 0F D6). MMX register numbers
// ignore REX.R/REX.B; GPR operands use them. Every handler checks availability (mmx-state.ts mmxCheck)
// before any operand access and ends with the x87 transition (mmWrite for a written MMX register).
import type { Cpu } from './cpu.js';
import type { Insn } from './decoder.js';
import { mmHi, mmLo, mmWrite, mmxCheck, mmxTransition } from './mmx-state.js';
import { OP, OPW, srcMm, sseCheck } from './sse-state.js';

type H = (c: Cpu, i: Insn) => void;

/** MOVD mm, r/m32 / MOVQ mm, r/m64 (NP [REX.W] 0F 6E): zero-extends to 64 bits. */
export const movdToMm: H = (c, i) => {
  mmxCheck(c);
  const sz = i.rexW ? 8 : 4;
  let lo: number, hi = 0;
  if (!i.mem) { lo = c.getReg(i.rm, sz, i.rex); if (sz === 8) hi = c.th; }
  else { const la = c.ea(i, sz); lo = sz === 8 ? c.rd64(la) : c.rd32(la); if (sz === 8) hi = c.th; }
  mmWrite(c, i.reg & 7, lo, hi);
};
/** MOVD r/m32, mm / MOVQ r/m64, mm (NP [REX.W] 0F 7E). */
export const movdFromMm: H = (c, i) => {
  mmxCheck(c);
  const sz = i.rexW ? 8 : 4, r = i.reg & 7, lo = mmLo(c, r), hi = mmHi(c, r);
  if (!i.mem) c.setReg(i.rm, sz, i.rex, lo, hi);
  else { const la = c.ea(i, sz); if (sz === 8) c.wr64(la, lo, hi); else c.wr32(la, lo); }
  mmxTransition(c);
};
/** MOVQ mm, mm/m64 (NP 0F 6F). */
export const movqToMm: H = (c, i) => {
  mmxCheck(c); srcMm(c, i, 8);
  mmWrite(c, i.reg & 7, OP[0]!, OP[1]!);
};
/** MOVQ mm/m64, mm (NP 0F 7F): the register form writes ModRM.rm. */
export const movqFromMm: H = (c, i) => {
  mmxCheck(c);
  const r = i.reg & 7, lo = mmLo(c, r), hi = mmHi(c, r);
  if (!i.mem) { mmWrite(c, i.rm & 7, lo, hi); return; }
  c.wr64(c.ea(i, 8), lo, hi);
  mmxTransition(c);
};
/** MOVNTQ m64, mm (NP 0F E7, SSE): memory only; a plain store here (no cache model). */
export const movntq: H = (c, i) => {
  if (!i.mem) c.raiseUD();
  movqFromMm(c, i);
};
/** PSHUFW mm1, mm2/m64, imm8 (NP 0F 70, SSE): word k of mm1 = source word imm8[2k+1:2k]. */
export const pshufw: H = (c, i) => {
  mmxCheck(c); srcMm(c, i, 8);
  const o = i.imm;
  mmWrite(c, i.reg & 7, OPW[o & 3]! | (OPW[(o >> 2) & 3]! << 16), OPW[(o >> 4) & 3]! | (OPW[(o >> 6) & 3]! << 16));
};

/** MOVQ2DQ / MOVDQ2Q (SDM Vol. 2): SSE2 instructions that touch both files, so both checks apply: #UD with
 *  CR0.EM or CR4.OSFXSR = 0, #NM with CR0.TS, #MF with a pending x87 exception; register forms only. */
function crossCheck(c: Cpu, i: Insn): void {
  if (i.mem) c.raiseUD();
  sseCheck(c);
  mmxCheck(c);
}
/** MOVQ2DQ xmm, mm (F3 0F D6): the XMM register's bits 127:64 are zeroed. */
export const movq2dq: H = (c, i) => {
  crossCheck(c, i);
  const r = i.rm & 7, x = c.xmm, d = i.reg * 4;
  x[d] = mmLo(c, r); x[d + 1] = mmHi(c, r); x[d + 2] = 0; x[d + 3] = 0;
  mmxTransition(c);
};
/** MOVDQ2Q mm, xmm (F2 0F D6): the low quadword. */
export const movdq2q: H = (c, i) => {
  crossCheck(c, i);
  const x = c.xmm, s = i.rm * 4;
  mmWrite(c, i.reg & 7, x[s]!, x[s + 1]!);
};
