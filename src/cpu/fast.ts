// Specialised handlers for the most frequent instruction forms (register-register and register-immediate
// integer ALU ops at 32/64-bit operand size, MOV between registers and memory, INC/DEC of a register,
// JZ/JNZ, MOV r, imm). The generic handlers in ops.ts switch on operand size, direction and ALU kind for
// every execution; these are chosen once at decode time (specialize()) and do only the work of their form.
//
// Semantics are exactly those of the generic handlers (ops.ts alu()/incdec()/opMovEG/opMovGE/opJcc): the
// same lazy-flag record (SDM Vol. 1 3.4.3.1 status flags), 32-bit destinations zero-extend (SDM Vol. 1
// 3.4.1.1), memory goes through Cpu.rd*/wr* so paging, the TLB, data breakpoints and code-page
// invalidation are unchanged. Forms with LOCK, byte/word operands or ADC/SBB keep the generic handler.

import type { Cpu } from './cpu.js';
import { LF_A, LF_ADD, LF_AH, LF_B, LF_BH, LF_DEC, LF_EAGER, LF_INC, LF_LOGIC, LF_SUB, LF_SZ } from './state.js';
import { TWO32 } from './canonical.js';
import { RFLAGS_ARITH, RFLAGS_CF, RFLAGS_OF } from './arch.js';
import { R, bit64, mulhu32, muls64, sar64, shl64, shr64 } from './alu.js';
import type { Insn } from './decoder.js';

type H = (c: Cpu, i: Insn) => void;

// ---- lazy-flag record (same layout as ops.ts setLazy) ----
function lazy(c: Cpu, op: number, sz: number, r: number, rh: number, a: number, ah: number, b: number, bh: number, cin: number): void {
  const lf = c.lf;
  lf[0] = op; lf[1] = sz; lf[2] = r; lf[3] = rh; lf[4] = a; lf[5] = ah; lf[6] = b; lf[7] = bh; lf[8] = cin;
}
// ADD/SUB/CMP: the carry-in slot is read only for ADC/SBB/INC/DEC (Cpu.getCF), so it is not written.
function lazyAS(c: Cpu, op: number, sz: number, r: number, rh: number, a: number, ah: number, b: number, bh: number): void {
  const lf = c.lf;
  lf[0] = op; lf[1] = sz; lf[2] = r; lf[3] = rh; lf[4] = a; lf[5] = ah; lf[6] = b; lf[7] = bh;
}
// AND/OR/XOR/TEST: CF = OF = AF = 0 and SF/ZF/PF come from the result (SDM Vol. 2 AND/OR/XOR/TEST), so the
// getters never read the operand slots of an LF_LOGIC record: only op, size and result are written.
function lazyLogic(c: Cpu, sz: number, r: number, rh: number): void {
  const lf = c.lf;
  lf[0] = LF_LOGIC; lf[1] = sz; lf[2] = r; lf[3] = rh;
}

// ---- 64-bit cores: destination register d, source (b, bh) ----
function add64(c: Cpu, d: number, b: number, bh: number): void {
  const rl = c.rl, rh = c.rh;
  const a = rl[d]!, ah = rh[d]!;
  const s = (a >>> 0) + (b >>> 0);
  const r = s | 0, h = (ah + bh + (s >= TWO32 ? 1 : 0)) | 0;
  rl[d] = r; rh[d] = h;
  lazyAS(c, LF_ADD, 8, r, h, a, ah, b, bh);
}
function sub64(c: Cpu, d: number, b: number, bh: number, write: boolean): void {
  const rl = c.rl, rh = c.rh;
  const a = rl[d]!, ah = rh[d]!;
  const s = (a >>> 0) - (b >>> 0);
  const r = s | 0, h = (ah - bh - (s < 0 ? 1 : 0)) | 0;
  if (write) { rl[d] = r; rh[d] = h; }
  lazyAS(c, LF_SUB, 8, r, h, a, ah, b, bh);
}
function logic64(c: Cpu, d: number, b: number, bh: number, k: number, write: boolean): void {
  const rl = c.rl, rh = c.rh;
  const a = rl[d]!, ah = rh[d]!;
  let r: number, h: number;
  if (k === 1) { r = a | b; h = ah | bh; } else if (k === 4) { r = a & b; h = ah & bh; } else { r = a ^ b; h = ah ^ bh; }
  if (write) { rl[d] = r; rh[d] = h; }
  lazyLogic(c, 8, r, h);
}
// ---- 32-bit cores ----
function add32(c: Cpu, d: number, b: number): void {
  const a = c.rl[d]!;
  const r = (a + b) | 0;
  c.rl[d] = r; c.rh[d] = 0;
  lazyAS(c, LF_ADD, 4, r, 0, a, 0, b, 0);
}
function sub32(c: Cpu, d: number, b: number, write: boolean): void {
  const a = c.rl[d]!;
  const r = (a - b) | 0;
  if (write) { c.rl[d] = r; c.rh[d] = 0; }
  lazyAS(c, LF_SUB, 4, r, 0, a, 0, b, 0);
}
function logic32(c: Cpu, d: number, b: number, k: number, write: boolean): void {
  const a = c.rl[d]!;
  const r = k === 1 ? a | b : k === 4 ? a & b : a ^ b;
  if (write) { c.rl[d] = r; c.rh[d] = 0; }
  lazyLogic(c, 4, r, 0);
}

// Register-register (i.fd = destination / first operand, i.fs = source).
const add64RR: H = (c, i) => add64(c, i.fd, c.rl[i.fs]!, c.rh[i.fs]!);
const sub64RR: H = (c, i) => sub64(c, i.fd, c.rl[i.fs]!, c.rh[i.fs]!, true);
const cmp64RR: H = (c, i) => sub64(c, i.fd, c.rl[i.fs]!, c.rh[i.fs]!, false);
const or64RR: H = (c, i) => logic64(c, i.fd, c.rl[i.fs]!, c.rh[i.fs]!, 1, true);
const and64RR: H = (c, i) => logic64(c, i.fd, c.rl[i.fs]!, c.rh[i.fs]!, 4, true);
const xor64RR: H = (c, i) => logic64(c, i.fd, c.rl[i.fs]!, c.rh[i.fs]!, 6, true);
const test64RR: H = (c, i) => logic64(c, i.fd, c.rl[i.fs]!, c.rh[i.fs]!, 4, false);
const add32RR: H = (c, i) => add32(c, i.fd, c.rl[i.fs]!);
const sub32RR: H = (c, i) => sub32(c, i.fd, c.rl[i.fs]!, true);
const cmp32RR: H = (c, i) => sub32(c, i.fd, c.rl[i.fs]!, false);
const or32RR: H = (c, i) => logic32(c, i.fd, c.rl[i.fs]!, 1, true);
const and32RR: H = (c, i) => logic32(c, i.fd, c.rl[i.fs]!, 4, true);
const xor32RR: H = (c, i) => logic32(c, i.fd, c.rl[i.fs]!, 6, true);
const test32RR: H = (c, i) => logic32(c, i.fd, c.rl[i.fs]!, 4, false);
// Register-immediate (sign-extended immediate in imm/immHi).
const add64RI: H = (c, i) => add64(c, i.fd, i.imm, i.immHi);
const sub64RI: H = (c, i) => sub64(c, i.fd, i.imm, i.immHi, true);
const cmp64RI: H = (c, i) => sub64(c, i.fd, i.imm, i.immHi, false);
const or64RI: H = (c, i) => logic64(c, i.fd, i.imm, i.immHi, 1, true);
const and64RI: H = (c, i) => logic64(c, i.fd, i.imm, i.immHi, 4, true);
const xor64RI: H = (c, i) => logic64(c, i.fd, i.imm, i.immHi, 6, true);
const test64RI: H = (c, i) => logic64(c, i.fd, i.imm, i.immHi, 4, false);
const add32RI: H = (c, i) => add32(c, i.fd, i.imm);
const sub32RI: H = (c, i) => sub32(c, i.fd, i.imm, true);
const cmp32RI: H = (c, i) => sub32(c, i.fd, i.imm, false);
const or32RI: H = (c, i) => logic32(c, i.fd, i.imm, 1, true);
const and32RI: H = (c, i) => logic32(c, i.fd, i.imm, 4, true);
const xor32RI: H = (c, i) => logic32(c, i.fd, i.imm, 6, true);
const test32RI: H = (c, i) => logic32(c, i.fd, i.imm, 4, false);

// ALU kind (ModRM.reg / opcode bits 5:3): 0 ADD 1 OR 2 ADC 3 SBB 4 AND 5 SUB 6 XOR 7 CMP; 8 = TEST.
const RR64: (H | undefined)[] = [add64RR, or64RR, undefined, undefined, and64RR, sub64RR, xor64RR, cmp64RR, test64RR];
const RR32: (H | undefined)[] = [add32RR, or32RR, undefined, undefined, and32RR, sub32RR, xor32RR, cmp32RR, test32RR];
const RI64: (H | undefined)[] = [add64RI, or64RI, undefined, undefined, and64RI, sub64RI, xor64RI, cmp64RI, test64RI];
const RI32: (H | undefined)[] = [add32RI, or32RI, undefined, undefined, and32RI, sub32RI, xor32RI, cmp32RI, test32RI];

// ---- MOV ----
const mov64RR: H = (c, i) => { c.rl[i.fd] = c.rl[i.fs]!; c.rh[i.fd] = c.rh[i.fs]!; };
const mov32RR: H = (c, i) => { c.rl[i.fd] = c.rl[i.fs]!; c.rh[i.fd] = 0; };
const mov64Load: H = (c, i) => { const lo = c.rd64(c.ea(i)); c.rl[i.fd] = lo; c.rh[i.fd] = c.th; };
const mov32Load: H = (c, i) => { const lo = c.rd32(c.ea(i)); c.rl[i.fd] = lo; c.rh[i.fd] = 0; };
const mov64Store: H = (c, i) => { const lo = c.rl[i.fs]!, hi = c.rh[i.fs]!; c.wr64(c.ea(i), lo, hi); };
const mov32Store: H = (c, i) => { const lo = c.rl[i.fs]!; c.wr32(c.ea(i), lo); };

// 64-bit mode, 64-bit addressing, base and/or index, no FS/GS override (the ES/CS/SS/DS bases are ignored
// in 64-bit mode, SDM Vol. 1 3.3.7.1): when both upper halves are zero and the 32-bit sum neither borrows
// nor carries, the address is that sum, a canonical address below 4 GiB (SDM Vol. 1 3.3.7.1), so
// Cpu.ea's 64-bit carry and canonical check are skipped. Every other case goes through Cpu.ea unchanged.
function eaLow(c: Cpu, i: Insn): number {
  const b = i.base, x = i.index;
  let sum = i.disp, hs = 0;
  if (b >= 0) { sum += c.rl[b]! >>> 0; hs = c.rh[b]!; }
  if (x >= 0) { sum += (c.rl[x]! >>> 0) * (1 << i.scale); hs |= c.rh[x]!; }
  if (hs === 0 && sum >= 0 && sum < TWO32) return sum;
  return c.ea(i);
}
const mov64LoadL: H = (c, i) => { const lo = c.rd64(eaLow(c, i)); c.rl[i.fd] = lo; c.rh[i.fd] = c.th; };
const mov32LoadL: H = (c, i) => { const lo = c.rd32(eaLow(c, i)); c.rl[i.fd] = lo; c.rh[i.fd] = 0; };
const mov64StoreL: H = (c, i) => { const lo = c.rl[i.fs]!, hi = c.rh[i.fs]!; c.wr64(eaLow(c, i), lo, hi); };
const mov32StoreL: H = (c, i) => { const lo = c.rl[i.fs]!; c.wr32(eaLow(c, i), lo); };
/** The record's memory operand qualifies for eaLow. */
function lowForm(i: Insn): boolean { return !i.leg && !i.ripRel && i.asz === 8 && i.seg < 4 && (i.base >= 0 || i.index >= 0); }

// ---- LEA (SDM Vol. 2 LEA: the offset only, no segment base, no canonical check; truncated to the
// operand size, and to 32 bits with a 32-bit address size) ----
// 64-bit result: the dword halves are summed separately; the low sum (at most three terms below 2^35) is
// exact in a double, ToInt32 (`| 0`) keeps it modulo 2^32 and the carry into the high half is the exact
// quotient (sum - low) / 2^32.
const lea64: H = (c, i) => {
  const rl = c.rl, rh = c.rh, b = i.base, x = i.index;
  let sum = i.disp, hs = 0;
  if (b >= 0) { sum += rl[b]! >>> 0; hs = rh[b]!; }
  if (x >= 0) { const m = 1 << i.scale; sum += (rl[x]! >>> 0) * m; hs += rh[x]! * m; }
  const lo = sum | 0;
  rl[i.fd] = lo; rh[i.fd] = (hs + (sum - (lo >>> 0)) / TWO32) | 0;
};
const leaBase64: H = (c, i) => {
  const rl = c.rl, rh = c.rh, b = i.base;
  const sum = i.disp + (rl[b]! >>> 0);
  const lo = sum | 0;
  rl[i.fd] = lo; rh[i.fd] = (rh[b]! + (sum - (lo >>> 0)) / TWO32) | 0;
};
// 32-bit result (operand size 32 or address size 32): only the low dwords matter, all modulo 2^32.
const lea32: H = (c, i) => {
  const rl = c.rl, b = i.base, x = i.index;
  let sum = i.disp;
  if (b >= 0) sum += rl[b]!;
  if (x >= 0) sum += rl[x]! << i.scale;
  rl[i.fd] = sum | 0; c.rh[i.fd] = 0;
};
// RIP-relative, 64-bit operand and address size: next RIP + disp (a signed canonical number).
const leaRip64: H = (c, i) => {
  const v = c.nextRip + i.disp;
  const lo = v | 0;
  c.rl[i.fd] = lo; c.rh[i.fd] = ((v - (lo >>> 0)) / TWO32) | 0;
};

// ---- IMUL r, r/m and IMUL r, r/m, imm with a register source (SDM Vol. 2 IMUL) ----
// CF = OF = the signed product does not fit the destination; SF/ZF/AF/PF are undefined and written as 0,
// all six eagerly, exactly as the generic ops.ts imulCore/setMulFlags.
function mulFlags(c: Cpu, ov: boolean): void {
  c.lf[0] = LF_EAGER;
  c.fl = (c.fl & ~RFLAGS_ARITH) | (ov ? RFLAGS_CF | RFLAGS_OF : 0);
}
// The low 64 bits of the product are the same signed or unsigned: lo = low(a*b), hi = high(a*b) + a*bh +
// ah*b modulo 2^32. Overflow needs the magnitude only: the product of the two operands as doubles is within
// a relative 2^-51 of the exact one, so below 2^62 it certainly fits 64 signed bits and at 2^64 or above it
// certainly does not; in between (rare) the exact 128-bit product decides.
const TWO62 = 4611686018427387904, TWO64 = 18446744073709551616;
function imul64(c: Cpu, d: number, a: number, ah: number, b: number, bh: number): void {
  const lo = Math.imul(a, b);
  const hi = (mulhu32(a, b) + Math.imul(a, bh) + Math.imul(ah, b)) | 0;
  const m = Math.abs((ah * TWO32 + (a >>> 0)) * (bh * TWO32 + (b >>> 0)));
  let ov: boolean;
  if (m < TWO62) ov = false;
  else if (m >= TWO64) ov = true;
  else { muls64(a, ah, b, bh); const s = R.hi >> 31; ov = R.w2 !== s || R.w3 !== s; }
  c.rl[d] = lo; c.rh[d] = hi;
  mulFlags(c, ov);
}
function imul32(c: Cpu, d: number, a: number, b: number): void {
  const lo = Math.imul(a, b);
  // The double product rounds only above 2^53, far from the int32 range, so it equals the 32-bit result
  // exactly when the signed product fits 32 bits.
  c.rl[d] = lo; c.rh[d] = 0;
  mulFlags(c, a * b !== lo);
}
const imul64RR: H = (c, i) => { const s = i.fs; imul64(c, i.fd, c.rl[i.fd]!, c.rh[i.fd]!, c.rl[s]!, c.rh[s]!); };
const imul32RR: H = (c, i) => imul32(c, i.fd, c.rl[i.fd]!, c.rl[i.fs]!);
const imul64RRI: H = (c, i) => { const s = i.fs; imul64(c, i.fd, c.rl[s]!, c.rh[s]!, i.imm, i.immHi); };
const imul32RRI: H = (c, i) => imul32(c, i.fd, c.rl[i.fs]!, i.imm);
const mov64RI: H = (c, i) => { c.rl[i.fd] = i.imm; c.rh[i.fd] = i.immHi; };
const mov32RI: H = (c, i) => { c.rl[i.fd] = i.imm; c.rh[i.fd] = 0; };

// ---- INC / DEC register (CF preserved: SDM Vol. 2 INC/DEC) ----
const inc64R: H = (c, i) => {
  const cf = c.getCF();
  const rl = c.rl, rh = c.rh, d = i.fd;
  const a = rl[d]!, ah = rh[d]!;
  const s = (a >>> 0) + 1;
  const r = s | 0, h = (ah + (s >= TWO32 ? 1 : 0)) | 0;
  rl[d] = r; rh[d] = h;
  lazy(c, LF_INC, 8, r, h, a, ah, 1, 0, cf);
};
const dec64R: H = (c, i) => {
  const cf = c.getCF();
  const rl = c.rl, rh = c.rh, d = i.fd;
  const a = rl[d]!, ah = rh[d]!;
  const s = (a >>> 0) - 1;
  const r = s | 0, h = (ah - (s < 0 ? 1 : 0)) | 0;
  rl[d] = r; rh[d] = h;
  lazy(c, LF_DEC, 8, r, h, a, ah, 1, 0, cf);
};
const inc32R: H = (c, i) => {
  const cf = c.getCF();
  const d = i.fd, a = c.rl[d]!, r = (a + 1) | 0;
  c.rl[d] = r; c.rh[d] = 0;
  lazy(c, LF_INC, 4, r, 0, a, 0, 1, 0, cf);
};
const dec32R: H = (c, i) => {
  const cf = c.getCF();
  const d = i.fd, a = c.rl[d]!, r = (a - 1) | 0;
  c.rl[d] = r; c.rh[d] = 0;
  lazy(c, LF_DEC, 4, r, 0, a, 0, 1, 0, cf);
};

// ---- JZ / JNZ ----
const jz: H = (c, i) => { if (c.getZF() !== 0) c.jumpTo(c.nextRip + i.imm); };
const jnz: H = (c, i) => { if (c.getZF() === 0) c.jumpTo(c.nextRip + i.imm); };
// Outside 64-bit mode (32-bit operand size): EIP wraps at 2^32 and the CS limit applies (Cpu.jumpLeg).
const jzLeg: H = (c, i) => { if (c.getZF() !== 0) c.jumpLeg(c.nextRip + i.imm, 4); };
const jnzLeg: H = (c, i) => { if (c.getZF() === 0) c.jumpLeg(c.nextRip + i.imm, 4); };
// The other conditions (SDM Vol. 1 Appendix B) through Cpu.cond.
const jcc: H = (c, i) => { if (c.cond(i.op & 15)) c.jumpTo(c.nextRip + i.imm); };
const jccLeg: H = (c, i) => { if (c.cond(i.op & 15)) c.jumpLeg(c.nextRip + i.imm, 4); };
// B/AE/BE/A/L/GE/LE/G right after a CMP/SUB (the usual case) compare the recorded operands directly, one
// handler per condition so each does only its own compare; any other flag state goes through Cpu.cond.
// Unsigned below: CF of a - b; signed less: SF != OF of a - b (SDM Vol. 1 Appendix B, Table B-1).
function subBelow(lf: Int32Array, orEqual: boolean): boolean {
  const a = lf[LF_A]!, b = lf[LF_B]!, sz = lf[LF_SZ]!;
  if (sz === 8) { const ah = lf[LF_AH]!, bh = lf[LF_BH]!; if (ah !== bh) return (ah >>> 0) < (bh >>> 0); }
  return orEqual ? (a >>> 0) <= (b >>> 0) : (a >>> 0) < (b >>> 0);
}
function subLess(lf: Int32Array, orEqual: boolean): boolean {
  const a = lf[LF_A]!, b = lf[LF_B]!, sz = lf[LF_SZ]!;
  if (sz === 8) {
    const ah = lf[LF_AH]!, bh = lf[LF_BH]!;
    if (ah !== bh) return ah < bh;
    return orEqual ? (a >>> 0) <= (b >>> 0) : (a >>> 0) < (b >>> 0);
  }
  const sh = 32 - sz * 8, sa = (a << sh) >> sh, sb = (b << sh) >> sh;
  return orEqual ? sa <= sb : sa < sb;
}
const jb: H = (c, i) => { const lf = c.lf; if (lf[0] === LF_SUB ? subBelow(lf, false) : c.cond(2)) c.jumpTo(c.nextRip + i.imm); };
const jae: H = (c, i) => { const lf = c.lf; if (lf[0] === LF_SUB ? !subBelow(lf, false) : c.cond(3)) c.jumpTo(c.nextRip + i.imm); };
const jbe: H = (c, i) => { const lf = c.lf; if (lf[0] === LF_SUB ? subBelow(lf, true) : c.cond(6)) c.jumpTo(c.nextRip + i.imm); };
const ja: H = (c, i) => { const lf = c.lf; if (lf[0] === LF_SUB ? !subBelow(lf, true) : c.cond(7)) c.jumpTo(c.nextRip + i.imm); };
const jl: H = (c, i) => { const lf = c.lf; if (lf[0] === LF_SUB ? subLess(lf, false) : c.cond(12)) c.jumpTo(c.nextRip + i.imm); };
const jge: H = (c, i) => { const lf = c.lf; if (lf[0] === LF_SUB ? !subLess(lf, false) : c.cond(13)) c.jumpTo(c.nextRip + i.imm); };
const jle: H = (c, i) => { const lf = c.lf; if (lf[0] === LF_SUB ? subLess(lf, true) : c.cond(14)) c.jumpTo(c.nextRip + i.imm); };
const jg: H = (c, i) => { const lf = c.lf; if (lf[0] === LF_SUB ? !subLess(lf, true) : c.cond(15)) c.jumpTo(c.nextRip + i.imm); };
/** 64-bit mode handlers for condition codes 2, 3, 6, 7, 12-15 (others: jcc). */
const JCC64: (H | undefined)[] = [undefined, undefined, jb, jae, undefined, undefined, jbe, ja, undefined, undefined, undefined, undefined, jl, jge, jle, jg];

// ---- CMOVcc register (SDM Vol. 2 CMOVcc: a 32-bit destination is zero-extended even when not taken) ----
const cmov64RR: H = (c, i) => { if (c.cond(i.op & 15)) { c.rl[i.fd] = c.rl[i.fs]!; c.rh[i.fd] = c.rh[i.fs]!; } };
const cmov32RR: H = (c, i) => { const v = c.rl[i.fs]!; if (c.cond(i.op & 15)) c.rl[i.fd] = v; c.rh[i.fd] = 0; };

// ---- SHL / SHR / SAR register by a constant non-zero count (i.fs = masked count) ----
// Flags as ops.ts shiftOp: CF = last bit shifted out, OF = (count 1 definition, kept for every count
// like the generic handler), AF = 0, SF/ZF/PF from the result; all six written eagerly.
function shiftFlags(c: Cpu, r: number, zero: boolean, sign: number, cf: number, of: number): void {
  let p = r & 0xff; p ^= p >> 4; p ^= p >> 2; p ^= p >> 1;
  const v = cf | (((~p) & 1) << 2) | ((zero ? 1 : 0) << 6) | (sign << 7) | (of << 11);
  c.lf[0] = LF_EAGER;
  c.fl = (c.fl & ~RFLAGS_ARITH) | v;
}
const shl32: H = (c, i) => {
  const d = i.fd, n = i.fs, a = c.rl[d]!;
  const r = a << n, cf = (a >>> (32 - n)) & 1;
  c.rl[d] = r; c.rh[d] = 0;
  shiftFlags(c, r, r === 0, r >>> 31, cf, (r >>> 31) ^ cf);
};
const shr32: H = (c, i) => {
  const d = i.fd, n = i.fs, a = c.rl[d]!;
  const r = (a >>> n) | 0, cf = (a >>> (n - 1)) & 1;
  c.rl[d] = r; c.rh[d] = 0;
  shiftFlags(c, r, r === 0, r >>> 31, cf, a >>> 31);
};
const sar32: H = (c, i) => {
  const d = i.fd, n = i.fs, a = c.rl[d]!;
  const r = a >> n, cf = (a >> (n - 1)) & 1;
  c.rl[d] = r; c.rh[d] = 0;
  shiftFlags(c, r, r === 0, r >>> 31, cf, 0);
};
const shl64R: H = (c, i) => {
  const d = i.fd, n = i.fs, a = c.rl[d]!, ah = c.rh[d]!;
  shl64(a, ah, n); const r = R.lo, h = R.hi;
  const cf = bit64(a, ah, 64 - n);
  c.rl[d] = r; c.rh[d] = h;
  shiftFlags(c, r, (r | h) === 0, h >>> 31, cf, (h >>> 31) ^ cf);
};
const shr64R: H = (c, i) => {
  const d = i.fd, n = i.fs, a = c.rl[d]!, ah = c.rh[d]!;
  shr64(a, ah, n); const r = R.lo, h = R.hi;
  const cf = bit64(a, ah, n - 1);
  c.rl[d] = r; c.rh[d] = h;
  shiftFlags(c, r, (r | h) === 0, h >>> 31, cf, ah >>> 31);
};
// Counts 1-31 (the usual constant shifts): the halves exchange bits directly, CF = the last bit shifted out
// (SHL: bit 64-n of the source, in the high dword; SHR/SAR: bit n-1, in the low dword).
const shl64RLo: H = (c, i) => {
  const d = i.fd, n = i.fs, a = c.rl[d]!, ah = c.rh[d]!;
  const r = a << n, h = (ah << n) | (a >>> (32 - n));
  const cf = (ah >>> (32 - n)) & 1;
  c.rl[d] = r; c.rh[d] = h;
  shiftFlags(c, r, (r | h) === 0, h >>> 31, cf, (h >>> 31) ^ cf);
};
const shr64RLo: H = (c, i) => {
  const d = i.fd, n = i.fs, a = c.rl[d]!, ah = c.rh[d]!;
  const r = (a >>> n) | (ah << (32 - n)), h = ah >>> n;
  const cf = (a >>> (n - 1)) & 1;
  c.rl[d] = r; c.rh[d] = h;
  shiftFlags(c, r, (r | h) === 0, 0, cf, ah >>> 31);
};
const sar64RLo: H = (c, i) => {
  const d = i.fd, n = i.fs, a = c.rl[d]!, ah = c.rh[d]!;
  const r = (a >>> n) | (ah << (32 - n)), h = ah >> n;
  const cf = (a >>> (n - 1)) & 1;
  c.rl[d] = r; c.rh[d] = h;
  shiftFlags(c, r, (r | h) === 0, h >>> 31, cf, 0);
};
const sar64R: H = (c, i) => {
  const d = i.fd, n = i.fs, a = c.rl[d]!, ah = c.rh[d]!;
  sar64(a, ah, n); const r = R.lo, h = R.hi;
  const cf = bit64(a, ah, n - 1);
  c.rl[d] = r; c.rh[d] = h;
  shiftFlags(c, r, (r | h) === 0, h >>> 31, cf, 0);
};

let enabled = true;
/** Test hook: turn specialisation off so the generic handlers can be compared with these (per decode). */
export function setSpecialize(on: boolean): void { enabled = on; }

/**
 * Replace a freshly decoded record's generic handler by a specialised one when its form has one.
 * Called once per decode (never on the execution path). LOCK-prefixed forms are left alone (the decoder
 * already routes an illegal LOCK to #UD and the legal ones need the bus-lock check).
 *
 * Records decoded for a 16/32-bit code segment (i.leg) get the same 32-bit specialisations: operand size 4
 * means the same register semantics there (writing zeros to the upper halves is invisible outside 64-bit
 * mode), memory forms go through Cpu.ea (segment base/limit when i.leg), and 16-bit operand sizes are never
 * specialised (the size check below). Only the branches differ: jzLeg/jnzLeg. Opcodes 40-4F are INC/DEC
 * outside 64-bit mode and never reach the op < 0x40 table.
 */
export function specialize(i: Insn): void {
  if (i.lock || !enabled) return;
  const op = i.op, sz = i.osz;
  if (sz !== 8 && sz !== 4) return;
  const w = sz === 8;
  if (op < 0x40) {
    const form = op & 7, k = (op >> 3) & 7;
    if ((form === 1 || form === 3) && !i.mem) {
      const h = (w ? RR64 : RR32)[k];
      if (h === undefined) return;
      if (form === 1) { i.fd = i.rm; i.fs = i.reg; } else { i.fd = i.reg; i.fs = i.rm; }
      i.fn = h;
    } else if (form === 5) {
      const h = (w ? RI64 : RI32)[k];
      if (h === undefined) return;
      i.fd = 0;
      i.fn = h;
    }
    return;
  }
  if (op >= 0x140 && op <= 0x14f) {
    if (i.mem) return;
    i.fd = i.reg; i.fs = i.rm;
    i.fn = w ? cmov64RR : cmov32RR;
    return;
  }
  switch (op) {
    case 0x81: case 0x83: {
      if (i.mem) return;
      const h = (w ? RI64 : RI32)[i.reg & 7];
      if (h === undefined) return;
      i.fd = i.rm;
      i.fn = h;
      return;
    }
    case 0x85:
      if (i.mem) return;
      i.fd = i.rm; i.fs = i.reg;
      i.fn = (w ? RR64 : RR32)[8]!;
      return;
    case 0xa9:
      i.fd = 0;
      i.fn = (w ? RI64 : RI32)[8]!;
      return;
    case 0x89:
      if (i.mem) { i.fs = i.reg; i.fn = lowForm(i) ? (w ? mov64StoreL : mov32StoreL) : (w ? mov64Store : mov32Store); }
      else { i.fd = i.rm; i.fs = i.reg; i.fn = w ? mov64RR : mov32RR; }
      return;
    case 0x8b:
      if (i.mem) { i.fd = i.reg; i.fn = lowForm(i) ? (w ? mov64LoadL : mov32LoadL) : (w ? mov64Load : mov32Load); }
      else { i.fd = i.reg; i.fs = i.rm; i.fn = w ? mov64RR : mov32RR; }
      return;
    case 0xb8: case 0xb9: case 0xba: case 0xbb: case 0xbc: case 0xbd: case 0xbe: case 0xbf:
      i.fd = i.rm;
      i.fn = w ? mov64RI : mov32RI;
      return;
    case 0xff: {
      if (i.mem) return;
      const k = i.reg & 7;
      if (k > 1) return;
      i.fd = i.rm;
      i.fn = k === 0 ? (w ? inc64R : inc32R) : (w ? dec64R : dec32R);
      return;
    }
    case 0xc1: case 0xd1: {
      if (i.mem) return;
      const k = i.reg & 7;
      const n = (op === 0xd1 ? 1 : i.imm) & (w ? 63 : 31);
      if (n === 0) return;
      i.fd = i.rm; i.fs = n;
      const lo = n < 32;
      if (k === 4 || k === 6) i.fn = w ? (lo ? shl64RLo : shl64R) : shl32;
      else if (k === 5) i.fn = w ? (lo ? shr64RLo : shr64R) : shr32;
      else if (k === 7) i.fn = w ? (lo ? sar64RLo : sar64R) : sar32;
      return;
    }
    case 0x74: case 0x184: i.fn = i.leg ? jzLeg : jz; return;
    case 0x75: case 0x185: i.fn = i.leg ? jnzLeg : jnz; return;
    case 0x8d: {
      if (!i.mem) return; // LEA with a register operand is #UD (generic handler)
      if (i.ripRel) { if (!i.leg && w && i.asz === 8) { i.fd = i.reg; i.fn = leaRip64; } return; }
      if (i.leg) return;
      i.fd = i.reg;
      if (w && i.asz === 8) i.fn = i.index < 0 && i.base >= 0 ? leaBase64 : lea64;
      else i.fn = lea32;
      return;
    }
    case 0x1af:
      if (i.mem) return;
      i.fd = i.reg; i.fs = i.rm;
      i.fn = w ? imul64RR : imul32RR;
      return;
    case 0x69: case 0x6b:
      if (i.mem) return;
      i.fd = i.reg; i.fs = i.rm;
      i.fn = w ? imul64RRI : imul32RRI;
      return;
  }
  if ((op >= 0x70 && op <= 0x7f) || (op >= 0x180 && op <= 0x18f)) i.fn = i.leg ? jccLeg : JCC64[op & 15] ?? jcc;
}
