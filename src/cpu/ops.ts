// Instruction semantics (SDM Vol. 2). Each handler runs one decoded Insn against the Cpu; faults are
// raised with c.raise() (which throws the preallocated FAULT sentinel). Handlers are chosen at decode
// time, so there is no opcode dispatch on the execution path.

import type { Cpu } from './cpu.js';
import {
  LF_ADC, LF_ADD, LF_A, LF_AH, LF_B, LF_BH, LF_C, LF_DEC, LF_EAGER, LF_INC, LF_LOGIC, LF_OP, LF_R,
  LF_RH, LF_SBB, LF_SUB, LF_SZ, SHADOW_MOVSS, SHADOW_NONE, SHADOW_STI, SL_SHADOW, SL_TRAP,
} from './state.js';
import { TWO32, laToBig } from './canonical.js';
import * as A from './arch.js';
import { Imm, type Insn, OpF, def, defGroup, defGroupImm, farOps, setLockUdHandler } from './decoder.js';
import { syscall, sysret } from './fast-syscall.js';
import { R, divu128, mulu32, muls64, mulu64, neg64, sar64, shl64, shr64, bit64 } from './alu.js';
import * as D from './debug.js';
import * as S from './system.js';
import { stringIo } from './string-io.js';
import { repContinues } from './rep-chunk.js';
import { iopl, ioPermitted } from './io-permission.js';
import { checkV86Iopl } from './mode8086.js';
import * as X87 from './x87.js';
import { xrstor, xsave } from './xsave.js';
import { AMD_LEGACY_PERF_COUNTERS } from './model-msrs.js';

type H = (c: Cpu, i: Insn) => void;

let LA = 0; // linear address of the current memory operand (set by rmRead/rmAddr)

export function mask(sz: number): number { return sz === 1 ? 0xff : sz === 2 ? 0xffff : -1; }
export function trunc(v: number, sz: number): number { return sz === 1 ? v & 0xff : sz === 2 ? v & 0xffff : v | 0; }

/** Read the ModRM r/m operand (register or memory). For 8-byte operands the high dword is in c.th. */
export function rmRead(c: Cpu, i: Insn, sz: number): number {
  if (!i.mem) return c.getReg(i.rm, sz, i.rex);
  LA = c.ea(i, sz);
  return c.rdSized(LA, sz);
}
/** Read for read-modify-write: translate for write first so a fault reports W=1 (SDM 4.7). */
export function rmReadRmw(c: Cpu, i: Insn, sz: number): number {
  if (!i.mem) return c.getReg(i.rm, sz, i.rex);
  LA = c.ea(i, sz);
  c.probeWrite(LA, sz); // both pages when the operand crosses one: a #PF on either reports W/R=1
  return c.rdSized(LA, sz);
}
export function rmWrite(c: Cpu, i: Insn, sz: number, lo: number, hi: number): void {
  if (!i.mem) c.setReg(i.rm, sz, i.rex, lo, hi);
  else c.wrSized(LA, sz, lo, hi);
}
export function checkLock(c: Cpu, i: Insn): void {
  // LOCK is legal only with a memory destination of the listed RMW instructions (SDM Vol. 2 LOCK).
  if (i.lock && (!i.mem || !(i.flags & OpF.LOCKOK))) c.raiseUD();
}
export function busLockCheck(c: Cpu, i: Insn, sz: number, implicit: boolean): void {
  if ((i.lock || implicit) && i.mem && ((LA & 63) + sz) > 64) D.busLock(c);
}

// ---------------------------------------------------------------------------------------------
// ALU core with lazy flags
// ---------------------------------------------------------------------------------------------
function setLazy(c: Cpu, op: number, sz: number, r: number, rh: number, a: number, ah: number, b: number, bh: number, cin: number): void {
  const lf = c.lf;
  lf[LF_OP] = op; lf[LF_SZ] = sz; lf[LF_R] = r; lf[LF_RH] = rh; lf[LF_A] = a; lf[LF_AH] = ah; lf[LF_B] = b; lf[LF_BH] = bh; lf[LF_C] = cin;
}

/** k: 0 add 1 or 2 adc 3 sbb 4 and 5 sub 6 xor 7 cmp. Returns low dword, high in c.th. */
export function alu(c: Cpu, k: number, sz: number, a: number, ah: number, b: number, bh: number): number {
  let r = 0, rh = 0;
  if (sz !== 8) { b = trunc(b, sz); ah = 0; bh = 0; }
  switch (k) {
    case 0:
      if (sz === 8) { const s = (a >>> 0) + (b >>> 0); r = s | 0; rh = (ah + bh + (s >= TWO32 ? 1 : 0)) | 0; }
      else r = trunc(a + b, sz);
      setLazy(c, LF_ADD, sz, r, rh, a, ah, b, bh, 0);
      break;
    case 2: {
      const cin = c.getCF();
      if (sz === 8) { const s = (a >>> 0) + (b >>> 0) + cin; r = s | 0; rh = (ah + bh + (s >= TWO32 ? 1 : 0)) | 0; }
      else r = trunc(a + b + cin, sz);
      setLazy(c, LF_ADC, sz, r, rh, a, ah, b, bh, cin);
      break;
    }
    case 3: {
      const cin = c.getCF();
      if (sz === 8) { const s = (a >>> 0) - (b >>> 0) - cin; r = s | 0; rh = (ah - bh - (s < 0 ? 1 : 0)) | 0; }
      else r = trunc(a - b - cin, sz);
      setLazy(c, LF_SBB, sz, r, rh, a, ah, b, bh, cin);
      break;
    }
    case 5: case 7:
      if (sz === 8) { const s = (a >>> 0) - (b >>> 0); r = s | 0; rh = (ah - bh - (s < 0 ? 1 : 0)) | 0; }
      else r = trunc(a - b, sz);
      setLazy(c, LF_SUB, sz, r, rh, a, ah, b, bh, 0);
      break;
    case 1: r = a | b; rh = ah | bh; setLazy(c, LF_LOGIC, sz, r, rh, a, ah, b, bh, 0); break;
    case 4: r = a & b; rh = ah & bh; setLazy(c, LF_LOGIC, sz, r, rh, a, ah, b, bh, 0); break;
    default: r = a ^ b; rh = ah ^ bh; setLazy(c, LF_LOGIC, sz, r, rh, a, ah, b, bh, 0); break;
  }
  c.th = rh;
  return r;
}

const opAluEG: H = (c, i) => { // op Eb/Ev, Gb/Gv
  const k = (i.op >> 3) & 7, sz = i.osz;
  if (k !== 7) checkLock(c, i); else if (i.lock) c.raiseUD();
  const a = k === 7 ? rmRead(c, i, sz) : rmReadRmw(c, i, sz); const ah = c.th;
  const b = c.getReg(i.reg, sz, i.rex); const bh = c.th;
  const r = alu(c, k, sz, a, ah, b, bh);
  if (k !== 7) { rmWrite(c, i, sz, r, c.th); busLockCheck(c, i, sz, false); }
};
const opAluGE: H = (c, i) => { // op Gb/Gv, Eb/Ev
  if (i.lock) c.raiseUD();
  const k = (i.op >> 3) & 7, sz = i.osz;
  const b = rmRead(c, i, sz); const bh = c.th;
  const a = c.getReg(i.reg, sz, i.rex); const ah = c.th;
  const r = alu(c, k, sz, a, ah, b, bh);
  if (k !== 7) c.setReg(i.reg, sz, i.rex, r, c.th);
};
const opAluAI: H = (c, i) => { // op AL/eAX, imm
  if (i.lock) c.raiseUD();
  const k = (i.op >> 3) & 7, sz = i.osz;
  const a = c.getReg(0, sz, 0); const ah = c.th;
  const r = alu(c, k, sz, a, ah, i.imm, i.immHi);
  if (k !== 7) c.setReg(0, sz, 0, r, c.th);
};
export const opGrp1: H = (c, i) => { // 80/81/83 op Ev, imm
  const k = i.reg & 7, sz = i.osz;
  if (k !== 7) checkLock(c, i); else if (i.lock) c.raiseUD();
  const a = k === 7 ? rmRead(c, i, sz) : rmReadRmw(c, i, sz); const ah = c.th;
  const r = alu(c, k, sz, a, ah, i.imm, i.immHi);
  if (k !== 7) { rmWrite(c, i, sz, r, c.th); busLockCheck(c, i, sz, false); }
};
const opTestEG: H = (c, i) => {
  if (i.lock) c.raiseUD();
  const sz = i.osz;
  const a = rmRead(c, i, sz); const ah = c.th;
  const b = c.getReg(i.reg, sz, i.rex); const bh = c.th;
  alu(c, 4, sz, a, ah, b, bh);
};
const opTestAI: H = (c, i) => {
  const sz = i.osz;
  const a = c.getReg(0, sz, 0); const ah = c.th;
  alu(c, 4, sz, a, ah, i.imm, i.immHi);
};

export function incdec(c: Cpu, i: Insn, dec: boolean, sz: number, reg: boolean): void {
  const cf = c.getCF();
  let a: number, ah = 0;
  if (reg) { a = c.getReg(i.rm, sz, i.rex); ah = sz === 8 ? c.th : 0; }
  else { checkLock(c, i); a = rmReadRmw(c, i, sz); ah = sz === 8 ? c.th : 0; }
  let r: number, rh = 0;
  if (sz === 8) {
    if (!dec) { const s = (a >>> 0) + 1; r = s | 0; rh = (ah + (s >= TWO32 ? 1 : 0)) | 0; }
    else { const s = (a >>> 0) - 1; r = s | 0; rh = (ah - (s < 0 ? 1 : 0)) | 0; }
  } else r = trunc(dec ? a - 1 : a + 1, sz);
  setLazy(c, dec ? LF_DEC : LF_INC, sz, r, rh, a, ah, 1, 0, cf);
  if (reg) c.setReg(i.rm, sz, i.rex, r, rh);
  else { rmWrite(c, i, sz, r, rh); busLockCheck(c, i, sz, false); }
}

// ---------------------------------------------------------------------------------------------
// Shifts and rotates (SDM Vol. 2 SAL/SAR/SHL/SHR, RCL/RCR/ROL/ROR)
// ---------------------------------------------------------------------------------------------
export function setResultFlags(c: Cpu, sz: number, r: number, rh: number, cf: number, of: number, af = 0): void {
  const zf = (sz === 8 ? (r | rh) === 0 : trunc(r, sz) === 0) ? 1 : 0;
  const sf = sz === 8 ? rh >>> 31 : (trunc(r, sz) >>> (sz * 8 - 1)) & 1;
  let p = r & 0xff; p ^= p >> 4; p ^= p >> 2; p ^= p >> 1; const pf = (~p) & 1;
  c.setArith(A.RFLAGS_ARITH, cf | (pf << 2) | (af << 4) | (zf << 6) | (sf << 7) | (of << 11));
}

/** Most significant bit of a sz-byte value (no closure: shifts are hot). */
function msbOf(sz: number, lo: number, hi: number): number { return sz === 8 ? hi >>> 31 : (lo >>> (sz * 8 - 1)) & 1; }

function shiftOp(c: Cpu, i: Insn, kind: number, count: number): void {
  const sz = i.osz;
  const bits = sz * 8;
  count &= sz === 8 ? 63 : 31;
  if (i.lock) c.raiseUD();
  let a = rmReadRmw(c, i, sz); let ah = sz === 8 ? c.th : 0;
  if (count === 0) { if (!i.mem && sz === 4) c.rh[i.rm] = 0; return; } // no flags; a 32-bit register still zero-extends
  let r = 0, rh = 0, cf = 0, of = 0;
  switch (kind) {
    case 0: case 1: { // ROL / ROR
      const n = count % bits;
      if (sz === 8) {
        if (kind === 0) { shl64(a, ah, n); const l = R.lo, h = R.hi; shr64(a, ah, (64 - n) & 63); r = n ? l | R.lo : a; rh = n ? h | R.hi : ah; }
        else { shr64(a, ah, n); const l = R.lo, h = R.hi; shl64(a, ah, (64 - n) & 63); r = n ? l | R.lo : a; rh = n ? h | R.hi : ah; }
      } else {
        const m = mask(sz);
        r = kind === 0 ? ((a << n) | (a >>> (bits - n))) & m : ((a >>> n) | (a << (bits - n))) & m;
        if (n === 0) r = a;
        if (sz === 4) r |= 0;
      }
      if (kind === 0) { cf = r & 1; of = msbOf(sz, r, rh) ^ cf; }
      else { cf = msbOf(sz, r, rh); of = cf ^ (sz === 8 ? (rh >>> 30) & 1 : (r >>> (bits - 2)) & 1); }
      c.materialize();
      c.fl = (c.fl & ~(A.RFLAGS_CF | A.RFLAGS_OF)) | cf | (of << 11);
      rmWrite(c, i, sz, r, rh);
      return;
    }
    case 2: case 3: { // RCL / RCR: rotate through CF, bit by bit (rare)
      let n = sz === 8 ? count : count % (bits + 1);
      cf = c.getCF();
      r = a; rh = ah;
      while (n-- > 0) {
        if (kind === 2) {
          const out = msbOf(sz, r, rh);
          if (sz === 8) { shl64(r, rh, 1); r = R.lo | cf; rh = R.hi; } else r = trunc((r << 1) | cf, sz);
          cf = out;
        } else {
          const out = r & 1;
          if (sz === 8) { shr64(r, rh, 1); r = R.lo; rh = R.hi | (cf << 31); } else r = trunc(((r >>> 1) | (cf << (bits - 1))), sz);
          cf = out;
        }
      }
      of = kind === 2 ? msbOf(sz, r, rh) ^ cf : msbOf(sz, r, rh) ^ (sz === 8 ? (rh >>> 30) & 1 : (r >>> (bits - 2)) & 1);
      c.materialize();
      c.fl = (c.fl & ~(A.RFLAGS_CF | A.RFLAGS_OF)) | cf | (of << 11);
      rmWrite(c, i, sz, r, rh);
      return;
    }
    case 4: case 6: // SHL/SAL
      if (sz === 8) { shl64(a, ah, count); r = R.lo; rh = R.hi; cf = bit64(a, ah, 64 - count); }
      else {
        if (sz !== 4) a &= mask(sz);
        r = count >= 32 ? 0 : trunc(a << count, sz);
        cf = count <= bits ? (count === 32 ? a & 1 : (a >>> (bits - count)) & 1) : 0;
      }
      of = msbOf(sz, r, rh) ^ cf;
      break;
    case 5: // SHR
      if (sz === 8) { shr64(a, ah, count); r = R.lo; rh = R.hi; cf = bit64(a, ah, count - 1); }
      else { const u = a & mask(sz); r = trunc(u >>> count, sz); cf = (u >>> (count - 1)) & 1; }
      of = msbOf(sz, a, ah);
      break;
    default: { // SAR
      if (sz === 8) { sar64(a, ah, count); r = R.lo; rh = R.hi; cf = bit64(a, ah, count - 1); }
      else { const s = (a << (32 - bits)) >> (32 - bits); r = trunc(s >> Math.min(count, 31), sz); cf = (s >> Math.min(count - 1, 31)) & 1; }
      of = 0;
      break;
    }
  }
  setResultFlags(c, sz, r, rh, cf, of);
  rmWrite(c, i, sz, r, rh);
  void ah;
}
const opShiftImm: H = (c, i) => shiftOp(c, i, i.reg & 7, i.imm & 0xff);
const opShift1: H = (c, i) => shiftOp(c, i, i.reg & 7, 1);
const opShiftCl: H = (c, i) => shiftOp(c, i, i.reg & 7, c.rl[1]! & 0xff);

function shxd(c: Cpu, i: Insn, right: boolean, count: number): void {
  if (i.lock) c.raiseUD();
  const sz = i.osz;
  count &= sz === 8 ? 63 : 31;
  const a = rmReadRmw(c, i, sz); const ah = sz === 8 ? c.th : 0;
  const b = c.getReg(i.reg, sz, i.rex); const bh = sz === 8 ? c.th : 0;
  if (count === 0) { if (!i.mem && sz === 4) c.rh[i.rm] = 0; return; }
  let r: number, rh = 0, cf: number;
  if (sz === 8) {
    if (!right) { shl64(a, ah, count); const l = R.lo, h = R.hi; shr64(b, bh, 64 - count); r = l | R.lo; rh = h | R.hi; cf = bit64(a, ah, 64 - count); }
    else { shr64(a, ah, count); const l = R.lo, h = R.hi; shl64(b, bh, 64 - count); r = l | R.lo; rh = h | R.hi; cf = bit64(a, ah, count - 1); }
  } else if (sz === 4) {
    if (!right) { r = (a << count) | (b >>> (32 - count)); cf = (a >>> (32 - count)) & 1; }
    else { r = (a >>> count) | (b << (32 - count)); cf = (a >>> (count - 1)) & 1; }
  } else { // 16-bit: concatenate into 32 bits (count > 16 undefined; modelled as the 32-bit composite)
    const v = right ? ((b & 0xffff) << 16) | (a & 0xffff) : ((a & 0xffff) << 16) | (b & 0xffff);
    if (!right) { r = ((v << count) >>> 16) & 0xffff; cf = (v >>> (32 - count)) & 1; }
    else { r = (v >>> count) & 0xffff; cf = (v >>> (count - 1)) & 1; }
  }
  const msbA = sz === 8 ? ah >>> 31 : (a >>> (sz * 8 - 1)) & 1;
  const msbR = sz === 8 ? rh >>> 31 : (r >>> (sz * 8 - 1)) & 1;
  setResultFlags(c, sz, r, rh, cf, msbA ^ msbR);
  rmWrite(c, i, sz, r, rh);
}

// ---------------------------------------------------------------------------------------------
// MUL / IMUL / DIV / IDIV
// ---------------------------------------------------------------------------------------------
function setMulFlags(c: Cpu, overflow: boolean, lo: number): void {
  // CF=OF=overflow; SF/ZF/PF/AF undefined: set from the low result like recent Intel parts.
  const f = overflow ? A.RFLAGS_CF | A.RFLAGS_OF : 0;
  c.setArith(A.RFLAGS_ARITH, f | ((lo & 0x80) ? 0 : 0));
}

function grp3(c: Cpu, i: Insn): void {
  const sz = i.osz, k = i.reg & 7;
  if (k === 0 || k === 1) { // TEST Ev, imm
    if (i.lock) c.raiseUD();
    const a = rmRead(c, i, sz); const ah = c.th;
    alu(c, 4, sz, a, ah, i.imm, i.immHi);
    return;
  }
  if (k === 2) { // NOT
    checkLock(c, i);
    const a = rmReadRmw(c, i, sz); const ah = c.th;
    rmWrite(c, i, sz, ~a, ~ah); busLockCheck(c, i, sz, false);
    return;
  }
  if (k === 3) { // NEG
    checkLock(c, i);
    const a = rmReadRmw(c, i, sz); const ah = c.th;
    const r = alu(c, 5, sz, 0, 0, a, ah);
    rmWrite(c, i, sz, r, c.th); busLockCheck(c, i, sz, false);
    return;
  }
  if (i.lock) c.raiseUD();
  const s = rmRead(c, i, sz); const sh = c.th;
  const rl = c.rl, rh = c.rh;
  switch (k) {
    case 4: case 5: { // MUL / IMUL one-operand
      const signed = k === 5;
      if (sz === 1) {
        const a = rl[0]! & 0xff;
        const p = signed ? ((a << 24) >> 24) * ((s << 24) >> 24) : a * s;
        rl[0] = (rl[0]! & ~0xffff) | (p & 0xffff);
        const ov = signed ? ((p << 24) >> 24) !== p : (p & 0xff00) !== 0;
        setMulFlags(c, ov, p);
      } else if (sz === 2) {
        const a = rl[0]! & 0xffff;
        const p = signed ? ((a << 16) >> 16) * ((s << 16) >> 16) : a * s;
        rl[0] = (rl[0]! & ~0xffff) | (p & 0xffff);
        rl[2] = (rl[2]! & ~0xffff) | ((p >> 16) & 0xffff);
        const ov = signed ? ((p << 16) >> 16) !== p : (p >>> 16) !== 0;
        setMulFlags(c, ov, p);
      } else if (sz === 4) {
        const a = rl[0]!;
        mulu32(a, s);
        let hi = R.hi;
        const lo = R.lo;
        if (signed) { hi = (hi - (a < 0 ? s : 0) - (s < 0 ? a : 0)) | 0; }
        rl[0] = lo; rh[0] = 0; rl[2] = hi; rh[2] = 0;
        const ov = signed ? hi !== (lo >> 31) : hi !== 0;
        setMulFlags(c, ov, lo);
      } else {
        if (signed) muls64(rl[0]!, rh[0]!, s, sh); else mulu64(rl[0]!, rh[0]!, s, sh);
        const lo = R.lo, hi = R.hi, w2 = R.w2, w3 = R.w3;
        rl[0] = lo; rh[0] = hi; rl[2] = w2; rh[2] = w3;
        const ov = signed ? !(w2 === (hi >> 31) && w3 === (hi >> 31)) : (w2 | w3) !== 0;
        setMulFlags(c, ov, lo);
      }
      return;
    }
    default: { // DIV / IDIV (#DE on divide by zero or quotient overflow, SDM Vol. 2 DIV)
      const signed = k === 7;
      if (sz === 8 ? (s | sh) === 0 : trunc(s, sz) === 0) c.raise(A.VEC_DE, -1);
      if (sz === 1 || sz === 2) {
        const bits = sz * 8;
        let n: number, d: number;
        if (sz === 1) { n = rl[0]! & 0xffff; if (signed) n = (n << 16) >> 16; }
        else { n = ((rl[2]! & 0xffff) * 65536) + (rl[0]! & 0xffff); if (signed) n = n | 0; }
        d = s & mask(sz); if (signed) d = (d << (32 - bits)) >> (32 - bits);
        const q = Math.trunc(n / d), r = n - q * d;
        const lim = signed ? (q < -(2 ** (bits - 1)) || q > 2 ** (bits - 1) - 1) : q > 2 ** bits - 1;
        if (lim) c.raise(A.VEC_DE, -1);
        if (sz === 1) rl[0] = (rl[0]! & ~0xffff) | (q & 0xff) | ((r & 0xff) << 8);
        else { rl[0] = (rl[0]! & ~0xffff) | (q & 0xffff); rl[2] = (rl[2]! & ~0xffff) | (r & 0xffff); }
        return;
      }
      // 32/64-bit: dividend (rdx:rax) as 128 words.
      let n0: number, n1: number, n2: number, n3: number, d0: number, d1: number;
      if (sz === 4) { n0 = rl[0]!; n1 = rl[2]!; n2 = signed ? n1 >> 31 : 0; n3 = n2; d0 = s; d1 = signed ? s >> 31 : 0; }
      else { n0 = rl[0]!; n1 = rh[0]!; n2 = rl[2]!; n3 = rh[2]!; d0 = s; d1 = sh; }
      let negN = false, negD = false;
      if (signed) {
        if (n3 < 0) { // negate 128
          negN = true;
          n0 = ~n0; n1 = ~n1; n2 = ~n2; n3 = ~n3;
          let t = (n0 >>> 0) + 1; n0 = t | 0; let cy = t >= TWO32 ? 1 : 0;
          t = (n1 >>> 0) + cy; n1 = t | 0; cy = t >= TWO32 ? 1 : 0;
          t = (n2 >>> 0) + cy; n2 = t | 0; cy = t >= TWO32 ? 1 : 0;
          n3 = (n3 + cy) | 0;
        }
        if (d1 < 0) { negD = true; neg64(d0, d1); d0 = R.lo; d1 = R.hi; }
      }
      divu128(n0, n1, n2, n3, d0, d1);
      if (!R.ok) c.raise(A.VEC_DE, -1);
      let ql = R.lo, qh = R.hi, rlo = R.rlo, rhi = R.rhi;
      if (sz === 4 && !signed && qh !== 0) c.raise(A.VEC_DE, -1);
      if (signed) {
        const qneg = negN !== negD;
        // magnitude limits: 2^(bits-1) for negative quotient, 2^(bits-1)-1 for positive
        if (sz === 4) {
          if (qh !== 0 || (qneg ? (ql >>> 0) > 0x80000000 : (ql >>> 0) > 0x7fffffff)) c.raise(A.VEC_DE, -1);
        } else {
          const over = qneg ? ((qh >>> 0) > 0x80000000 || ((qh >>> 0) === 0x80000000 && ql !== 0)) : qh < 0;
          if (over) c.raise(A.VEC_DE, -1);
        }
        if (qneg) { neg64(ql, qh); ql = R.lo; qh = R.hi; }
        if (negN) { neg64(rlo, rhi); rlo = R.lo; rhi = R.hi; }
      }
      if (sz === 4) { rl[0] = ql; rh[0] = 0; rl[2] = rlo; rh[2] = 0; }
      else { rl[0] = ql; rh[0] = qh; rl[2] = rlo; rh[2] = rhi; }
    }
  }
}

function imulCore(c: Cpu, i: Insn, a: number, ah: number, b: number, bh: number): void {
  const sz = i.osz;
  let lo: number, hi = 0, ov: boolean;
  if (sz === 2) {
    const p = ((a << 16) >> 16) * ((b << 16) >> 16);
    lo = p & 0xffff; ov = ((p << 16) >> 16) !== p;
  } else if (sz === 4) {
    lo = Math.imul(a, b);
    const p = a * b; // exact sign check: |p| < 2^62, compare with the 32-bit result
    ov = p !== lo && Math.abs(p) >= 2147483648 ? true : p !== lo;
  } else {
    muls64(a, ah, b, bh);
    lo = R.lo; hi = R.hi;
    ov = !(R.w2 === (hi >> 31) && R.w3 === (hi >> 31));
  }
  c.setReg(i.reg, sz, i.rex, lo, hi);
  setMulFlags(c, ov, lo);
}
const opImulGE: H = (c, i) => { if (i.lock) c.raiseUD(); const b = rmRead(c, i, i.osz); const bh = c.th; const a = c.getReg(i.reg, i.osz, i.rex); imulCore(c, i, a, c.th, b, bh); };
const opImulGEI: H = (c, i) => { if (i.lock) c.raiseUD(); const a = rmRead(c, i, i.osz); imulCore(c, i, a, c.th, i.imm, i.immHi); };

// ---------------------------------------------------------------------------------------------
// Moves
// ---------------------------------------------------------------------------------------------
const opMovEG: H = (c, i) => { if (i.lock) c.raiseUD(); const v = c.getReg(i.reg, i.osz, i.rex); if (i.mem) LA = c.ea(i); rmWrite(c, i, i.osz, v, c.th); };
const opMovGE: H = (c, i) => { if (i.lock) c.raiseUD(); const v = rmRead(c, i, i.osz); c.setReg(i.reg, i.osz, i.rex, v, c.th); };
const opMovEI: H = (c, i) => { if (i.lock) c.raiseUD(); if (i.mem) LA = c.ea(i); rmWrite(c, i, i.osz, i.imm, i.immHi); };
const opMovRI: H = (c, i) => { c.setReg(i.rm, i.osz, i.rex, i.imm, i.immHi); };
const opLea: H = (c, i) => {
  if (!i.mem) c.raiseUD();
  // LEA computes the offset only: no segment base, no canonical check (SDM Vol. 2 LEA).
  let lo: number, hi: number;
  if (i.ripRel) {
    if (i.leg) { c.setReg(i.reg, i.osz, 0, c.eaOffLeg(i), 0); return; } // legacy operand: the 16/32-bit offset
    const v = c.nextRip + i.disp; lo = v % TWO32 | 0; hi = Math.floor(v / TWO32) | 0;
  }
  else {
    let sum = i.disp, hs = 0;
    if (i.base >= 0) { sum += c.rl[i.base]! >>> 0; hs = c.rh[i.base]!; }
    if (i.index >= 0) { const m = 1 << i.scale; sum += (c.rl[i.index]! >>> 0) * m; hs += c.rh[i.index]! * m; }
    lo = sum % TWO32 | 0; hi = (hs + Math.floor(sum / TWO32)) | 0;
  }
  if (i.asz === 4) hi = 0;
  c.setReg(i.reg, i.osz, i.rex, lo, hi);
};
const opMovzx: H = (c, i) => {
  const ssz = (i.op & 1) ? 2 : 1;
  const v = rmRead(c, i, ssz);
  c.setReg(i.reg, i.osz, i.rex, v, 0);
};
const opMovsx: H = (c, i) => {
  const ssz = (i.op & 1) ? 2 : 1;
  let v = rmRead(c, i, ssz);
  v = ssz === 1 ? (v << 24) >> 24 : (v << 16) >> 16;
  c.setReg(i.reg, i.osz, i.rex, i.osz === 2 ? v & 0xffff : v, v >> 31);
};
const opMovsxd: H = (c, i) => {
  const v = rmRead(c, i, 4);
  if (i.osz === 8) c.setReg(i.reg, 8, i.rex, v, v >> 31); else c.setReg(i.reg, i.osz, i.rex, v, 0);
};
function moffs(c: Cpu, i: Insn): number {
  let v = i.immHi * TWO32 + (i.imm >>> 0);
  if (i.asz === 4) v = i.imm >>> 0;
  if (i.seg >= 4) v += c.segBase[i.seg]!;
  return c.canon(v);
}
const opMovAO: H = (c, i) => { const la = moffs(c, i); const sz = (i.op & 1) ? i.osz : 1; const v = c.rdSized(la, sz); c.setReg(0, sz, 0, v, c.th); };
const opMovOA: H = (c, i) => { const la = moffs(c, i); const sz = (i.op & 1) ? i.osz : 1; const v = c.getReg(0, sz, 0); c.wrSized(la, sz, v, c.th); };

function xchgRegs(c: Cpu, a: number, b: number, sz: number, rex: number): void {
  const va = c.getReg(a, sz, rex), ha = c.th;
  const vb = c.getReg(b, sz, rex), hb = c.th;
  c.setReg(a, sz, rex, vb, hb);
  c.setReg(b, sz, rex, va, ha);
}
const opXchgEG: H = (c, i) => {
  const sz = i.osz;
  if (!i.mem) { if (i.lock) c.raiseUD(); xchgRegs(c, i.rm, i.reg, sz, i.rex); return; }
  // XCHG with memory is implicitly locked (SDM Vol. 2 XCHG).
  const m = rmReadRmw(c, i, sz), mh = c.th;
  const r = c.getReg(i.reg, sz, i.rex), rh = c.th;
  rmWrite(c, i, sz, r, rh);
  c.setReg(i.reg, sz, i.rex, m, mh);
  busLockCheck(c, i, sz, true);
};
const opXchgA: H = (c, i) => {
  if (i.rm === 0) return; // 90: NOP (any size) or PAUSE (F3 90); 41 90 is XCHG r8, rax
  xchgRegs(c, 0, i.rm, i.osz, i.rex);
};

// ---------------------------------------------------------------------------------------------
// Stack and control transfer
// ---------------------------------------------------------------------------------------------
function pushV(c: Cpu, sz: number, lo: number, hi: number): void { if (sz === 2) c.push16(lo); else c.push64(lo, hi); }
const opPushR: H = (c, i) => { const v = c.getReg(i.rm, i.osz, 0); pushV(c, i.osz, v, c.th); };
const opPopR: H = (c, i) => {
  if (i.osz === 2) { const v = c.pop16(); c.setReg(i.rm, 2, 0, v, 0); }
  else { const v = c.pop64(); c.setReg(i.rm, 8, 0, v, c.th); }
};
const opPushI: H = (c, i) => pushV(c, i.osz, i.imm, i.immHi);
const opPopE: H = (c, i) => {
  if (i.lock) c.raiseUD();
  // The address is computed after RSP is incremented (SDM Vol. 2 POP).
  const rspL = c.rl[4]!, rspH = c.rh[4]!;
  const v = i.osz === 2 ? c.pop16() : c.pop64();
  const vh = c.th;
  try {
    if (i.mem) LA = c.ea(i);
    rmWrite(c, i, i.osz, v, vh);
  } catch (e) { c.rl[4] = rspL; c.rh[4] = rspH; throw e; }
};
const opCallRel: H = (c, i) => {
  const target = c.nextRip + i.imm;
  const nr = c.nextRip;
  c.jumpTo(target);
  c.push64(nr >>> 0, Math.floor(nr / TWO32) | 0);
};
const opJmpRel: H = (c, i) => c.jumpTo(c.nextRip + i.imm);
const opJcc: H = (c, i) => { if (c.cond(i.op & 15)) c.jumpTo(c.nextRip + i.imm); };
const opRet: H = (c, i) => {
  const la = c.rspLa();
  const lo = c.rd64(la), hi = c.th;
  const t = c.hiloLa(lo, hi);
  c.jumpTo(t);
  c.addRsp(8 + (i.op === 0xc2 ? i.imm & 0xffff : 0));
};
const opLoop: H = (c, i) => {
  // E0 LOOPNE, E1 LOOPE, E2 LOOP, E3 JrCXZ (address size selects RCX/ECX)
  const rl = c.rl, rh = c.rh;
  if (i.op === 0xe3) {
    const z = i.asz === 8 ? (rl[1]! | rh[1]!) === 0 : rl[1] === 0;
    if (z) c.jumpTo(c.nextRip + i.imm);
    return;
  }
  let nz: boolean;
  if (i.asz === 8) { const s = (rl[1]! >>> 0) - 1; rl[1] = s | 0; rh[1] = (rh[1]! - (s < 0 ? 1 : 0)) | 0; nz = (rl[1]! | rh[1]!) !== 0; }
  else { rl[1] = (rl[1]! - 1) | 0; rh[1] = 0; nz = rl[1] !== 0; }
  let take = nz;
  if (i.op === 0xe0) take = nz && c.getZF() === 0;
  else if (i.op === 0xe1) take = nz && c.getZF() === 1;
  if (take) c.jumpTo(c.nextRip + i.imm);
};
const opLeave: H = (c, i) => {
  const rl = c.rl, rh = c.rh;
  const sl = rl[4]!, sh = rh[4]!;
  rl[4] = rl[5]!; rh[4] = rh[5]!;
  try {
    if (i.osz === 2) { const v = c.pop16(); c.setReg(5, 2, 0, v, 0); }
    else { const v = c.pop64(); rl[5] = v; rh[5] = c.th; }
  } catch (e) { rl[4] = sl; rh[4] = sh; throw e; }
};
const opEnter: H = (c, i) => {
  const size = i.imm & 0xffff, level = i.imm2 & 31;
  const rl = c.rl, rh = c.rh;
  const sl = rl[4]!, sh = rh[4]!, bl = rl[5]!, bh = rh[5]!;
  try {
    c.push64(bl, bh);
    const fl = rl[4]!, fh = rh[4]!;
    for (let k = 1; k < level; k++) {
      const s = (bl >>> 0) - 8 * k;
      const la = c.hiloLa(s | 0, (bh + Math.floor(s / TWO32)) | 0);
      const v = c.rd64(la);
      c.push64(v, c.th);
    }
    if (level > 0) c.push64(fl, fh);
    rl[5] = fl; rh[5] = fh;
    c.addRsp(-size);
    c.probeWrite(c.rspLa(), 1);
  } catch (e) { rl[4] = sl; rh[4] = sh; rl[5] = bl; rh[5] = bh; throw e; }
};

const grp5: H = (c, i) => {
  const k = i.reg & 7;
  switch (k) {
    case 0: case 1: incdec(c, i, k === 1, i.osz, false); return;
    case 2: { // CALL Ev (64-bit operand)
      if (i.lock) c.raiseUD();
      const v = rmRead(c, i, 8); const t = c.hiloLa(v, c.th);
      const nr = c.nextRip;
      c.jumpTo(t);
      c.push64(nr >>> 0, Math.floor(nr / TWO32) | 0);
      return;
    }
    case 4: { if (i.lock) c.raiseUD(); const v = rmRead(c, i, 8); c.jumpTo(c.hiloLa(v, c.th)); return; }
    case 6: { if (i.lock) c.raiseUD(); const sz = i.p66 ? 2 : 8; const v = rmRead(c, i, sz); pushV(c, sz, v, c.th); return; }
    case 3: case 5: {
      // Far CALL/JMP through m16:32, or m16:64 with REX.W: semantics in far.ts (decoder.farOps). AMD
      // ignores REX.W here and always reads m16:32 (APM Vol. 3 CALL (Far), JMP (Far)); a register operand
      // is #UD. The vendor never changes for a CPU, so fixing the cached record's size is safe.
      const h = k === 3 ? farOps.callMem : farOps.jmpMem;
      if (h === undefined || !i.mem) c.raiseUD();
      if (i.osz === 8 && c.vendor === 'amd') i.osz = 4;
      h!(c, i);
      return;
    }
    default: c.raiseUD();
  }
};
const grp4: H = (c, i) => { const k = i.reg & 7; if (k > 1) c.raiseUD(); incdec(c, i, k === 1, 1, false); };

// ---------------------------------------------------------------------------------------------
// Flags instructions
// ---------------------------------------------------------------------------------------------
const opCmc: H = (c) => { c.materialize(); c.fl ^= A.RFLAGS_CF; };
const opClc: H = (c) => { c.materialize(); c.fl &= ~A.RFLAGS_CF; };
const opStc: H = (c) => { c.materialize(); c.fl |= A.RFLAGS_CF; };
const opCld: H = (c) => { c.fl &= ~A.RFLAGS_DF; };
const opStd: H = (c) => { c.fl |= A.RFLAGS_DF; };
const opCli: H = (c) => { if (c.cpl > iopl(c)) c.raiseGP0(); c.fl &= ~A.RFLAGS_IF; };
const opSti: H = (c) => {
  if (c.cpl > iopl(c)) c.raiseGP0();
  // STI shadow only when IF was 0 (SDM Vol. 2 STI).
  if (!(c.fl & A.RFLAGS_IF)) { c.shadowNew = SHADOW_STI; c.slow |= SL_SHADOW; }
  c.fl |= A.RFLAGS_IF;
};
const opLahf: H = (c) => { const f = c.getFlags(); c.rl[0] = (c.rl[0]! & ~0xff00) | ((f & 0xd5 | 2) << 8); };
const opSahf: H = (c) => { const v = (c.rl[0]! >> 8) & 0xd5; c.setArith(A.RFLAGS_CF | A.RFLAGS_PF | A.RFLAGS_AF | A.RFLAGS_ZF | A.RFLAGS_SF, v); };
const opPushf: H = (c, i) => {
  const f = c.getFlags() & ~(A.RFLAGS_RF | A.RFLAGS_VM); // pushed image has RF and VM cleared (SDM PUSHF)
  pushV(c, i.osz, f, 0);
};
const opPopf: H = (c, i) => popfApply(c, i.osz, i.osz === 2 ? c.pop16() : c.pop64());
/** POPF's write of the popped image `v` (operand size sz) into RFLAGS. */
export function popfApply(c: Cpu, sz: number, v: number): void {
  const cur = c.getFlags();
  // SDM Vol. 2 POPF, protected/64-bit mode: RF cleared, VM/VIP/VIF unaffected; IOPL only at CPL 0;
  // IF only when CPL <= IOPL.
  let m = A.RFLAGS_ARITH | A.RFLAGS_TF | A.RFLAGS_DF | A.RFLAGS_NT | A.RFLAGS_AC | A.RFLAGS_ID;
  if (c.cpl === 0) m |= A.RFLAGS_IOPL;
  if (c.cpl <= iopl(c)) m |= A.RFLAGS_IF;
  if (sz === 2) m &= 0xffff;
  c.setFlagsAll(((cur & ~m) | (v & m)) & ~A.RFLAGS_RF);
}
const opCbw: H = (c, i) => {
  const rl = c.rl, rh = c.rh;
  if (i.osz === 2) rl[0] = (rl[0]! & ~0xffff) | (((rl[0]! << 24) >> 24) & 0xffff);
  else if (i.osz === 4) { rl[0] = (rl[0]! << 16) >> 16; rh[0] = 0; }
  else rh[0] = rl[0]! >> 31;
};
const opCwd: H = (c, i) => {
  const rl = c.rl, rh = c.rh;
  if (i.osz === 2) rl[2] = (rl[2]! & ~0xffff) | (((rl[0]! << 16) >> 31) & 0xffff);
  else if (i.osz === 4) { rl[2] = rl[0]! >> 31; rh[2] = 0; }
  else { rl[2] = rh[0]! >> 31; rh[2] = rh[0]! >> 31; }
};

// ---------------------------------------------------------------------------------------------
// Conditionals
// ---------------------------------------------------------------------------------------------
const opSetcc: H = (c, i) => { const v = c.cond(i.op & 15) ? 1 : 0; if (i.mem) LA = c.ea(i); rmWrite(c, i, 1, v, 0); };
const opCmov: H = (c, i) => {
  const v = rmRead(c, i, i.osz), h = c.th; // the source is read even when the condition is false
  if (c.cond(i.op & 15)) c.setReg(i.reg, i.osz, i.rex, v, h);
  else if (i.osz === 4) c.rh[i.reg] = 0; // 32-bit CMOV zero-extends even when not taken
};

// ---------------------------------------------------------------------------------------------
// Bit instructions
// ---------------------------------------------------------------------------------------------
function btCore(c: Cpu, i: Insn, kind: number, bitOff: number, bitOffHi: number, fromReg: boolean): void {
  // kind: 0 BT, 1 BTS, 2 BTR, 3 BTC
  const sz = i.osz;
  const bits = sz * 8;
  if (kind === 0) { if (i.lock) c.raiseUD(); } else checkLock(c, i);
  let v: number, vh = 0, bit: number;
  if (!i.mem) {
    bit = bitOff & (bits - 1);
    v = c.getReg(i.rm, sz, i.rex); vh = sz === 8 ? c.th : 0;
  } else {
    let la: number;
    if (fromReg) {
      // Register bit offset addresses a bit string (SDM Vol. 2 BT): signed offset, operand-size units.
      let off: number;
      if (sz === 8) off = bitOffHi * TWO32 + (bitOff >>> 0);
      else if (sz === 4) off = bitOff | 0;
      else off = (bitOff << 16) >> 16;
      const unit = Math.floor(off / bits);
      // Outside 64-bit mode the element's own offset is what the segment limit checks (Cpu.bitStringLeg).
      la = i.leg ? c.bitStringLeg(i, unit * sz, sz) : c.canonEa(i, c.ea(i) + unit * sz); // #SS(0) through RSP/RBP, #GP(0) otherwise
      bit = off - unit * bits;
    } else { la = c.ea(i); bit = bitOff & (bits - 1); }
    LA = la;
    if (kind !== 0) c.probeWrite(la, sz);
    v = c.rdSized(la, sz); vh = sz === 8 ? c.th : 0;
  }
  const cf = bit < 32 ? (v >>> bit) & 1 : (vh >>> (bit - 32)) & 1;
  c.materialize();
  c.fl = (c.fl & ~A.RFLAGS_CF) | cf;
  if (kind === 0) return;
  const m = bit < 32 ? 1 << bit : 0, mh = bit >= 32 ? 1 << (bit - 32) : 0;
  if (kind === 1) { v |= m; vh |= mh; } else if (kind === 2) { v &= ~m; vh &= ~mh; } else { v ^= m; vh ^= mh; }
  rmWrite(c, i, sz, trunc(v, sz === 8 ? 4 : sz), vh);
  busLockCheck(c, i, sz, false);
}
const opBtR: H = (c, i) => { const b = c.getReg(i.reg, i.osz, i.rex); const bh = c.th; btCore(c, i, [0, 1, 2, 3][((i.op & 0xff) - 0xa3) >> 3]!, b, bh, true); };
const grp8: H = (c, i) => { const k = i.reg & 7; if (k < 4) c.raiseUD(); btCore(c, i, k - 4, i.imm, 0, false); };

function bsfr(c: Cpu, i: Insn): void {
  const sz = i.osz;
  const v = rmRead(c, i, sz), vh = sz === 8 ? c.th : 0;
  const rev = (i.op & 1) === 1; // BD = BSR/LZCNT
  const lzTz = i.rep === 0xf3;
  const bits = sz * 8;
  const lo = sz === 2 ? v & 0xffff : v;
  let idx = -1;
  if (sz === 8) {
    if (rev) idx = vh !== 0 ? 63 - Math.clz32(vh) : lo !== 0 ? 31 - Math.clz32(lo) : -1;
    else idx = lo !== 0 ? 31 - Math.clz32(lo & -lo) : vh !== 0 ? 63 - Math.clz32(vh & -vh) : -1;
  } else if (lo !== 0) {
    idx = rev ? 31 - Math.clz32(lo) : 31 - Math.clz32(lo & -lo);
  }
  if (lzTz) {
    // TZCNT / LZCNT: CF = source zero, ZF = result zero.
    const cnt = idx < 0 ? bits : rev ? bits - 1 - idx : idx;
    c.setReg(i.reg, sz, i.rex, cnt, 0);
    c.setArith(A.RFLAGS_CF | A.RFLAGS_ZF, (idx < 0 ? A.RFLAGS_CF : 0) | (cnt === 0 ? A.RFLAGS_ZF : 0));
    return;
  }
  if (idx < 0) { c.setArith(A.RFLAGS_ZF, A.RFLAGS_ZF); return; } // destination unchanged (as on hardware)
  c.setReg(i.reg, sz, i.rex, idx, 0);
  c.setArith(A.RFLAGS_ARITH, 0);
}
const opPopcnt: H = (c, i) => {
  if (i.rep !== 0xf3) c.raiseUD();
  const sz = i.osz;
  const v = rmRead(c, i, sz), vh = sz === 8 ? c.th : 0;
  const pc = (x: number): number => { x = x - ((x >>> 1) & 0x55555555); x = (x & 0x33333333) + ((x >>> 2) & 0x33333333); return (((x + (x >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24; };
  const n = pc(sz === 2 ? v & 0xffff : v) + pc(vh);
  c.setReg(i.reg, sz, i.rex, n, 0);
  c.setArith(A.RFLAGS_ARITH, n === 0 ? A.RFLAGS_ZF : 0);
};
const opBswap: H = (c, i) => {
  const r = i.rm;
  const sw = (x: number): number => ((x & 0xff) << 24) | ((x & 0xff00) << 8) | ((x >>> 8) & 0xff00) | (x >>> 24);
  if (i.osz === 8) { const l = c.rl[r]!, h = c.rh[r]!; c.rl[r] = sw(h); c.rh[r] = sw(l); }
  else if (i.osz === 4) { c.rl[r] = sw(c.rl[r]!); c.rh[r] = 0; }
  else c.rl[r] = c.rl[r]! & ~0xffff; // 16-bit BSWAP is undefined; hardware zeroes the low word
};

// ---------------------------------------------------------------------------------------------
// Atomics
// ---------------------------------------------------------------------------------------------
const opCmpxchg: H = (c, i) => {
  const sz = i.osz;
  checkLock(c, i);
  const m = rmReadRmw(c, i, sz), mh = c.th;
  const a = c.getReg(0, sz, 0), ah = c.th;
  alu(c, 7, sz, a, ah, m, mh);
  if (c.getZF()) { const s = c.getReg(i.reg, sz, i.rex); rmWrite(c, i, sz, s, c.th); }
  else { if (i.mem) rmWrite(c, i, sz, m, mh); c.setReg(0, sz, 0, m, mh); } // memory is written back either way
  busLockCheck(c, i, sz, false);
};
const opXadd: H = (c, i) => {
  const sz = i.osz;
  checkLock(c, i);
  const m = rmReadRmw(c, i, sz), mh = c.th;
  const s = c.getReg(i.reg, sz, i.rex), sh = c.th;
  const r = alu(c, 0, sz, m, mh, s, sh), rh = c.th;
  c.setReg(i.reg, sz, i.rex, m, mh);
  rmWrite(c, i, sz, r, rh);
  busLockCheck(c, i, sz, false);
};
const grp9: H = (c, i) => {
  const k = i.reg & 7;
  if (k === 7 && !i.mem && i.rep === 0xf3) { // RDPID r: IA32_TSC_AUX, r64 in 64-bit mode, else r32 (SDM Vol. 2B RDPID)
    if (i.lock) c.raiseUD();
    c.setReg(i.rm, c.long64 ? 8 : 4, i.rex, c.tscAux, 0);
    return;
  }
  if (k !== 1 || !i.mem) c.raiseUD(); // RDRAND/RDSEED not reported in CPUID
  checkLock(c, i);
  const wide = i.rexW;
  const la = c.ea(i, wide ? 16 : 8);
  LA = la;
  if (wide && (la & 15) !== 0) c.raiseGP0(); // CMPXCHG16B requires 16-byte alignment
  c.probeWrite(la, wide ? 16 : 8); // a page-crossing CMPXCHG8B faults as a write on either page
  const rl = c.rl, rh = c.rh;
  if (!wide) {
    const lo = c.rd32(la), hi = c.rd32(la + 4);
    if (lo === rl[0] && hi === rl[2]) { c.wr32(la, rl[3]!); c.wr32(la + 4, rl[1]!); c.setArith(A.RFLAGS_ZF, A.RFLAGS_ZF); }
    else { c.wr32(la, lo); c.wr32(la + 4, hi); rl[0] = lo; rh[0] = 0; rl[2] = hi; rh[2] = 0; c.setArith(A.RFLAGS_ZF, 0); }
  } else {
    const l0 = c.rd64(la), h0 = c.th, l1 = c.rd64(la + 8), h1 = c.th;
    if (l0 === rl[0] && h0 === rh[0] && l1 === rl[2] && h1 === rh[2]) {
      c.wr64(la, rl[3]!, rh[3]!); c.wr64(la + 8, rl[1]!, rh[1]!); c.setArith(A.RFLAGS_ZF, A.RFLAGS_ZF);
    } else {
      c.wr64(la, l0, h0); c.wr64(la + 8, l1, h1);
      rl[0] = l0; rh[0] = h0; rl[2] = l1; rh[2] = h1; c.setArith(A.RFLAGS_ZF, 0);
    }
  }
  busLockCheck(c, i, wide ? 16 : 8, false);
};

// ---------------------------------------------------------------------------------------------
// String instructions (SDM Vol. 2 MOVS/STOS/LODS/CMPS/SCAS, REP prefixes)
// ---------------------------------------------------------------------------------------------
function strAddr(c: Cpu, r: number, i: Insn, seg: number): number {
  let v = i.asz === 8 ? c.rh[r]! * TWO32 + (c.rl[r]! >>> 0) : c.rl[r]! >>> 0;
  if (seg >= 4) v += c.segBase[seg]!;
  return c.canon(v);
}
function advance(c: Cpu, r: number, i: Insn, n: number): void {
  const d = (c.fl & A.RFLAGS_DF) ? -n : n;
  if (i.asz === 8) { const s = (c.rl[r]! >>> 0) + d; c.rh[r] = (c.rh[r]! + Math.floor(s / TWO32)) | 0; c.rl[r] = s | 0; }
  else { c.rl[r] = (c.rl[r]! + d) | 0; c.rh[r] = 0; }
}
function rcxZero(c: Cpu, i: Insn): boolean { return i.asz === 8 ? (c.rl[1]! | c.rh[1]!) === 0 : c.rl[1] === 0; }
function decRcx(c: Cpu, i: Insn): void {
  if (i.asz === 8) { const s = (c.rl[1]! >>> 0) - 1; c.rl[1] = s | 0; c.rh[1] = (c.rh[1]! - (s < 0 ? 1 : 0)) | 0; }
  else { c.rl[1] = (c.rl[1]! - 1) | 0; c.rh[1] = 0; }
}
function stringOp(c: Cpu, i: Insn): void {
  if (i.lock) c.raiseUD();
  const op = i.op;
  const sz = (op & 1) ? i.osz : 1;
  const rep = i.rep !== 0;
  const srcSeg = i.seg >= 0 ? i.seg : 3;
  for (;;) {
    if (rep && rcxZero(c, i)) return;
    switch (op & 0xfe) {
      case 0xa4: { const v = c.rdSized(strAddr(c, 6, i, srcSeg), sz); c.wrSized(strAddr(c, 7, i, 0), sz, v, c.th); advance(c, 6, i, sz); advance(c, 7, i, sz); break; }
      case 0xaa: { const v = c.getReg(0, sz, 0); c.wrSized(strAddr(c, 7, i, 0), sz, v, c.th); advance(c, 7, i, sz); break; }
      case 0xac: { const v = c.rdSized(strAddr(c, 6, i, srcSeg), sz); c.setReg(0, sz, 0, v, c.th); advance(c, 6, i, sz); break; }
      case 0xa6: {
        const a = c.rdSized(strAddr(c, 6, i, srcSeg), sz), ah = c.th;
        const b = c.rdSized(strAddr(c, 7, i, 0), sz), bh = c.th;
        alu(c, 7, sz, a, ah, b, bh); advance(c, 6, i, sz); advance(c, 7, i, sz); break;
      }
      default: { // SCAS
        const b = c.rdSized(strAddr(c, 7, i, 0), sz), bh = c.th;
        const a = c.getReg(0, sz, 0), ah = c.th;
        alu(c, 7, sz, a, ah, b, bh); advance(c, 7, i, sz); break;
      }
    }
    if (!rep) return;
    decRcx(c, i);
    if ((op & 0xf6) === 0xa6) { // CMPS/SCAS: REPE/REPNE termination
      const zf = c.getZF();
      if (i.rep === 0xf3 && zf === 0) return;
      if (i.rep === 0xf2 && zf === 1) return;
    }
    if (!repContinues(c, c.rl[1]!, rcxZero(c, i))) return;
  }
}

// ---------------------------------------------------------------------------------------------
// Port I/O
// ---------------------------------------------------------------------------------------------
function doIn(c: Cpu, i: Insn, port: number): void {
  const sz = (i.op & 1) ? (i.osz === 2 ? 2 : 4) : 1;
  ioPermitted(c, port, sz);
  if (c.intercept('in', i)) return;
  D.ioAccess(c, port, sz);
  const v = c.io.in(port, sz as 1 | 2 | 4);
  c.setReg(0, sz, 0, v | 0, 0);
}
function doOut(c: Cpu, i: Insn, port: number): void {
  const sz = (i.op & 1) ? (i.osz === 2 ? 2 : 4) : 1;
  ioPermitted(c, port, sz);
  if (c.intercept('out', i)) return;
  D.ioAccess(c, port, sz);
  const v = c.getReg(0, sz, 0);
  c.io.out(port, sz as 1 | 2 | 4, sz === 4 ? v >>> 0 : v);
}
const opInI: H = (c, i) => doIn(c, i, i.imm & 0xff);
const opOutI: H = (c, i) => doOut(c, i, i.imm & 0xff);
const opInD: H = (c, i) => doIn(c, i, c.rl[2]! & 0xffff);
const opOutD: H = (c, i) => doOut(c, i, c.rl[2]! & 0xffff);

// ---------------------------------------------------------------------------------------------
// Interrupts and system instructions
// ---------------------------------------------------------------------------------------------
const opHlt: H = (c, i) => {
  if (c.cpl !== 0) c.raiseGP0();
  if (c.intercept('hlt', i)) return;
  S.requestHltStop(c);
};
const opInt3: H = (c, i) => S.softwareInterrupt(c, i, A.VEC_BP, true);
// INT n is IOPL-sensitive in virtual-8086 mode; INT3, INTO and INT1 are not (SDM Vol. 2 INT n, mode8086.ts).
const opIntN: H = (c, i) => { checkV86Iopl(c); S.softwareInterrupt(c, i, i.imm & 0xff, false); };
const opIcebp: H = (c, i) => D.icebp(c, i);
const opUd2: H = (c) => c.raiseUD();
const opNop: H = () => { /* NOP / hint NOP / ENDBR64 */ };

const opIret: H = (c, i) => S.iret(c, i);
const opSyscall: H = (c) => syscall(c);
const opSysret: H = (c, i) => sysret(c, i);
const opCpuid: H = (c, i) => {
  if (c.intercept('cpuid', i)) return;
  const r = c.cpuid(c.rl[0]! >>> 0, c.rl[1]! >>> 0);
  c.rl[0] = r[0]; c.rl[3] = r[1]; c.rl[1] = r[2]; c.rl[2] = r[3];
  c.rh[0] = 0; c.rh[3] = 0; c.rh[1] = 0; c.rh[2] = 0;
};
/** RDPMC (SDM Vol. 2B RDPMC, APM Vol. 3 RDPMC): #GP(0) at CPL > 0 unless CR4.PCE, and #GP(0) for a counter the
 *  CPU does not have. The Intel model offers no architectural PMU (CPUID.0AH version 0), so it has none (KVM
 *  kvm_pmu_rdpmc with pmu->version 0 injects #GP); the AMD model has the four legacy PerfCtr0-3 (ECX 0-3;
 *  KVM amd_rdpmc_ecx_to_pmc), read as their 48-bit value. */
const opRdpmc: H = (c) => {
  if (c.cpl !== 0 && !(c.cr4 & A.CR4_PCE)) c.raiseGP0();
  const ecx = c.rl[1]! >>> 0;
  if (c.vendor !== 'amd' || ecx >= AMD_LEGACY_PERF_COUNTERS) c.raiseGP0();
  const v = c.modelMsrs.perfCtr[ecx]!;
  c.rl[0] = Number(v & 0xffffffffn) | 0; c.rh[0] = 0; c.rl[2] = Number(v >> 32n) | 0; c.rh[2] = 0;
};
const opRdtsc: H = (c) => {
  if ((c.cr4 & A.CR4_TSD) && c.cpl !== 0) c.raiseGP0();
  const t = S.tsc(c);
  c.rl[0] = t % TWO32 | 0; c.rh[0] = 0; c.rl[2] = Math.floor(t / TWO32) | 0; c.rh[2] = 0;
};
const opRdmsr: H = (c, i) => { if (c.cpl !== 0) c.raiseGP0(); if (!c.intercept('rdmsr', i)) S.rdmsrInsn(c); };
const opWrmsr: H = (c, i) => { if (c.cpl !== 0) c.raiseGP0(); if (!c.intercept('wrmsr', i)) S.wrmsrInsn(c); };
const opMovCr: H = (c, i) => S.movCr(c, i);
const opMovDr: H = (c, i) => D.movDr(c, i);
const opClts: H = (c) => { if (c.cpl !== 0) c.raiseGP0(); c.cr0 &= ~A.CR0_TS; };
const opWbinvd: H = (c) => { if (c.cpl !== 0) c.raiseGP0(); };
const grp6: H = (c, i) => S.grp6(c, i);
const grp7: H = (c, i) => S.grp7(c, i);
const opMovSregE: H = (c, i) => S.movToSreg(c, i);
const opMovESreg: H = (c, i) => {
  const s = i.reg & 7;
  if (s > 5) c.raiseUD();
  const v = c.segSel[s]!;
  if (i.mem) { LA = c.ea(i, 2); c.wr16(LA, v); } else c.setReg(i.rm, i.osz === 2 ? 2 : i.osz, i.rex, v, 0);
};
const opPushFsGs: H = (c, i) => { const s = (i.op & 0xff) === 0xa0 ? 4 : 5; pushV(c, i.osz, c.segSel[s]!, 0); };
const opPopFsGs: H = (c, i) => S.popSreg(c, i, (i.op & 0xff) === 0xa1 ? 4 : 5);
const opXlat: H = (c, i) => {
  let v = (i.asz === 8 ? c.rh[3]! * TWO32 + (c.rl[3]! >>> 0) : c.rl[3]! >>> 0) + (c.rl[0]! & 0xff);
  if (i.seg >= 4) v += c.segBase[i.seg]!;
  const b = c.rd8(c.canon(v));
  c.rl[0] = (c.rl[0]! & ~0xff) | b;
};
const grp15: H = (c, i) => {
  const k = i.reg & 7;
  if (!i.mem) { if (k >= 5 && !i.p66) return; c.raiseUD(); } // LFENCE/MFENCE/SFENCE (66 /6 mod=3 is TPAUSE: not offered)
  // CLFLUSH, 66: CLFLUSHOPT (/7) and CLWB (/6): no cache is modelled, so only the address is formed (SDM Vol. 2A).
  if (k === 7 || (k === 6 && i.p66)) { c.ea(i); return; }
  switch (k) {
    case 0: X87.fxsave(c, i); return;
    case 1: X87.fxrstor(c, i); return;
    case 2: X87.ldmxcsr(c, i); return;
    case 3: X87.stmxcsr(c, i); return;
    case 4: xsave(c, i); return;
    case 5: xrstor(c, i); return;
  }
  c.raiseUD(); // XSAVEOPT: CPUID.(0DH,1) does not offer it
};

// ---------------------------------------------------------------------------------------------
// Undefined opcodes
// ---------------------------------------------------------------------------------------------
export const opUndefined: H = (c, i) => {
  // Log the bytes at RIP (up to the 15-byte instruction limit, stopping at an unmapped page), not only
  // the ones the decoder consumed before giving up: DB E3 (FNINIT) must show both bytes.
  const rip = laToBig(c.insnRip);
  const at = c.readVirtual(rip, 15);
  let shown: number[] = i.bytes;
  if (at !== undefined) shown = Array.from(at);
  else {
    const part: number[] = [];
    for (let k = 0; k < 15; k++) { const b = c.readVirtual(rip + BigInt(k), 1); if (b === undefined) break; part.push(b[0]!); }
    if (part.length >= shown.length) shown = part;
  }
  c.log('warn', 'undefined-opcode', {
    rip: '0x' + rip.toString(16),
    bytes: shown.map((b) => b.toString(16).padStart(2, '0')).join(' '),
  });
  c.raiseUD();
};

// ---------------------------------------------------------------------------------------------
// Table
// ---------------------------------------------------------------------------------------------
let installed = false;
export function installOps(): void {
  if (installed) return;
  installed = true;
  setLockUdHandler((c: Cpu) => c.raiseUD());
  const M = OpF.M, B = OpF.BYTE, D64 = OpF.D64, F64 = OpF.F64, L = OpF.LOCKOK;
  for (let k = 0; k < 8; k++) {
    const b = k << 3;
    def(b + 0, M | B | L, Imm.None, opAluEG);
    def(b + 1, M | L, Imm.None, opAluEG);
    def(b + 2, M | B, Imm.None, opAluGE);
    def(b + 3, M, Imm.None, opAluGE);
    def(b + 4, B, Imm.B, opAluAI);
    def(b + 5, 0, Imm.Z, opAluAI);
  }
  for (let r = 0; r < 8; r++) {
    def(0x50 + r, D64, Imm.None, opPushR);
    def(0x58 + r, D64, Imm.None, opPopR);
    def(0x90 + r, 0, Imm.None, opXchgA);
    def(0xb0 + r, B, Imm.V, opMovRI);
    def(0xb8 + r, 0, Imm.V, opMovRI);
    def(0x1c8 + r, 0, Imm.None, opBswap);
  }
  for (let cc = 0; cc < 16; cc++) {
    def(0x70 + cc, F64, Imm.B, opJcc);
    def(0x180 + cc, F64, Imm.Z, opJcc);
    def(0x190 + cc, M | B, Imm.None, opSetcc);
    def(0x140 + cc, M, Imm.None, opCmov);
  }
  def(0x63, M, Imm.None, opMovsxd);
  def(0x68, D64, Imm.Z, opPushI);
  def(0x69, M, Imm.Z, opImulGEI);
  def(0x6a, D64, Imm.B, opPushI);
  def(0x6b, M, Imm.B, opImulGEI);
  const g1 = [opGrp1, opGrp1, opGrp1, opGrp1, opGrp1, opGrp1, opGrp1, opGrp1];
  defGroup(0x80, M | B | L, Imm.B, g1);
  defGroup(0x81, M | L, Imm.Z, g1);
  defGroup(0x83, M | L, Imm.B, g1);
  def(0x84, M | B, Imm.None, opTestEG);
  def(0x85, M, Imm.None, opTestEG);
  def(0x86, M | B | L, Imm.None, opXchgEG);
  def(0x87, M | L, Imm.None, opXchgEG);
  def(0x88, M | B, Imm.None, opMovEG);
  def(0x89, M, Imm.None, opMovEG);
  def(0x8a, M | B, Imm.None, opMovGE);
  def(0x8b, M, Imm.None, opMovGE);
  def(0x8c, M, Imm.None, opMovESreg);
  def(0x8d, M, Imm.None, opLea);
  def(0x8e, M, Imm.None, opMovSregE);
  defGroup(0x8f, M | D64, Imm.None, [opPopE]);
  def(0x98, 0, Imm.None, opCbw);
  def(0x99, 0, Imm.None, opCwd);
  def(0x9b, 0, Imm.None, X87.fwait); // FWAIT
  for (let op = 0xd8; op <= 0xdf; op++) def(op, M, Imm.None, X87.esc); // x87 escape opcodes
  def(0x9c, D64, Imm.None, opPushf);
  def(0x9d, D64, Imm.None, opPopf);
  def(0x9e, 0, Imm.None, opSahf);
  def(0x9f, 0, Imm.None, opLahf);
  def(0xa0, B, Imm.O, opMovAO);
  def(0xa1, 0, Imm.O, opMovAO);
  def(0xa2, B, Imm.O, opMovOA);
  def(0xa3, 0, Imm.O, opMovOA);
  for (const o of [0xa4, 0xa6, 0xaa, 0xac, 0xae]) { def(o, B, Imm.None, stringOp); def(o + 1, 0, Imm.None, stringOp); }
  def(0xa8, B, Imm.B, opTestAI);
  def(0xa9, 0, Imm.Z, opTestAI);
  const sh = [opShiftImm, opShiftImm, opShiftImm, opShiftImm, opShiftImm, opShiftImm, opShiftImm, opShiftImm];
  defGroup(0xc0, M | B, Imm.BU, sh);
  defGroup(0xc1, M, Imm.BU, sh);
  def(0xc2, F64, Imm.W, opRet);
  def(0xc3, F64, Imm.None, opRet);
  defGroup(0xc6, M | B, Imm.B, [opMovEI]);
  defGroup(0xc7, M, Imm.Z, [opMovEI]);
  def(0xc8, D64, Imm.WB, opEnter);
  def(0xc9, D64, Imm.None, opLeave);
  def(0xcc, 0, Imm.None, opInt3);
  def(0xcd, 0, Imm.BU, opIntN);
  def(0xcf, 0, Imm.None, opIret);
  const s1 = [opShift1, opShift1, opShift1, opShift1, opShift1, opShift1, opShift1, opShift1];
  const sc = [opShiftCl, opShiftCl, opShiftCl, opShiftCl, opShiftCl, opShiftCl, opShiftCl, opShiftCl];
  defGroup(0xd0, M | B, Imm.None, s1);
  defGroup(0xd1, M, Imm.None, s1);
  defGroup(0xd2, M | B, Imm.None, sc);
  defGroup(0xd3, M, Imm.None, sc);
  def(0xd7, B, Imm.None, opXlat);
  for (let o = 0xe0; o <= 0xe3; o++) def(o, F64, Imm.B, opLoop);
  def(0xe4, B, Imm.BU, opInI);
  def(0xe5, 0, Imm.BU, opInI);
  def(0xe6, B, Imm.BU, opOutI);
  def(0xe7, 0, Imm.BU, opOutI);
  def(0xe8, F64, Imm.Z, opCallRel);
  def(0xe9, F64, Imm.Z, opJmpRel);
  def(0xeb, F64, Imm.B, opJmpRel);
  // INS/OUTS (string-io.ts): the same entries serve every mode (the legacy table has none of its own).
  def(0x6c, B, Imm.None, stringIo);
  def(0x6d, 0, Imm.None, stringIo);
  def(0x6e, B, Imm.None, stringIo);
  def(0x6f, 0, Imm.None, stringIo);
  def(0xec, B, Imm.None, opInD);
  def(0xed, 0, Imm.None, opInD);
  def(0xee, B, Imm.None, opOutD);
  def(0xef, 0, Imm.None, opOutD);
  def(0xf1, 0, Imm.None, opIcebp);
  def(0xf4, 0, Imm.None, opHlt);
  def(0xf5, 0, Imm.None, opCmc);
  const g3 = [grp3, grp3, grp3, grp3, grp3, grp3, grp3, grp3];
  defGroup(0xf6, M | B | L, Imm.None, g3);
  defGroup(0xf7, M | L, Imm.None, g3);
  defGroupImm(0xf6, (r) => (r < 2 ? Imm.B : Imm.None));
  defGroupImm(0xf7, (r) => (r < 2 ? Imm.Z : Imm.None));
  def(0xf8, 0, Imm.None, opClc);
  def(0xf9, 0, Imm.None, opStc);
  def(0xfa, 0, Imm.None, opCli);
  def(0xfb, 0, Imm.None, opSti);
  def(0xfc, 0, Imm.None, opCld);
  def(0xfd, 0, Imm.None, opStd);
  defGroup(0xfe, M | B | L, Imm.None, [grp4, grp4]);
  defGroup(0xff, M | L, Imm.None, [grp5, grp5, grp5, grp5, grp5, grp5, grp5]);
  // FF /2 /4 are 64-bit by default, /6 too; /0 /1 follow the normal operand size. Resolved in fixups below.

  // 0F map
  def(0x100, M, Imm.None, grp6);
  def(0x101, M, Imm.None, grp7);
  def(0x105, 0, Imm.None, opSyscall);
  def(0x106, 0, Imm.None, opClts);
  def(0x107, 0, Imm.None, opSysret);
  def(0x108, 0, Imm.None, opWbinvd); // INVD
  def(0x109, 0, Imm.None, opWbinvd);
  def(0x10b, 0, Imm.None, opUd2);
  def(0x10d, M, Imm.None, opNop); // PREFETCHW
  for (let o = 0x118; o <= 0x11f; o++) def(o, M, Imm.None, opNop); // hint NOPs, ENDBR64 (F3 0F 1E FA)
  def(0x120, M | F64 | OpF.MODREG, Imm.None, opMovCr);
  def(0x122, M | F64 | OpF.MODREG, Imm.None, opMovCr);
  def(0x121, M | F64 | OpF.MODREG, Imm.None, opMovDr);
  def(0x123, M | F64 | OpF.MODREG, Imm.None, opMovDr);
  def(0x130, 0, Imm.None, opWrmsr);
  def(0x131, 0, Imm.None, opRdtsc);
  def(0x133, 0, Imm.None, opRdpmc);
  def(0x132, 0, Imm.None, opRdmsr);
  def(0x1a0, D64, Imm.None, opPushFsGs);
  def(0x1a1, D64, Imm.None, opPopFsGs);
  def(0x1a8, D64, Imm.None, opPushFsGs);
  def(0x1a9, D64, Imm.None, opPopFsGs);
  def(0x1a2, 0, Imm.None, opCpuid);
  def(0x1a3, M, Imm.None, opBtR);
  def(0x1ab, M | L, Imm.None, opBtR);
  def(0x1b3, M | L, Imm.None, opBtR);
  def(0x1bb, M | L, Imm.None, opBtR);
  def(0x1a4, M, Imm.BU, (c, i) => shxd(c, i, false, i.imm));
  def(0x1a5, M, Imm.None, (c, i) => shxd(c, i, false, c.rl[1]!));
  def(0x1ac, M, Imm.BU, (c, i) => shxd(c, i, true, i.imm));
  def(0x1ad, M, Imm.None, (c, i) => shxd(c, i, true, c.rl[1]!));
  def(0x1ae, M, Imm.None, grp15);
  def(0x1af, M, Imm.None, opImulGE);
  def(0x1b0, M | B | L, Imm.None, opCmpxchg);
  def(0x1b1, M | L, Imm.None, opCmpxchg);
  def(0x1b6, M, Imm.None, opMovzx);
  def(0x1b7, M, Imm.None, opMovzx);
  def(0x1b8, M, Imm.None, opPopcnt);
  defGroup(0x1ba, M | L, Imm.BU, [undefined, undefined, undefined, undefined, grp8, grp8, grp8, grp8]);
  def(0x1bc, M, Imm.None, bsfr);
  def(0x1bd, M, Imm.None, bsfr);
  def(0x1be, M, Imm.None, opMovsx);
  def(0x1bf, M, Imm.None, opMovsx);
  def(0x1c0, M | B | L, Imm.None, opXadd);
  def(0x1c1, M | L, Imm.None, opXadd);
  def(0x1c7, M | L, Imm.None, grp9);
  void LF_EAGER; void LF_ADD; void SHADOW_MOVSS; void SHADOW_NONE; void SL_TRAP;
}
