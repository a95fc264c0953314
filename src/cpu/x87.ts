// The x87 FPU as far as this CPU models it (SDM Vol. 1 chapter 8): its whole state (eight 80-bit data
// registers, control/status/tag words, last instruction and data pointers, last opcode) and the
// instructions that move that state without computing: FNINIT, FNCLEX, FLDCW, FNSTCW, FNSTSW (m16 and
// AX), FNSTENV/FLDENV, FNSAVE/FRSTOR, FWAIT, FXSAVE/FXRSTOR (SDM Vol. 2A FXSAVE Tables 3-53..3-56) and
// LDMXCSR/STMXCSR. That is what a 64-bit kernel needs to own the FPU (Linux fpu__init_cpu_generic's
// FNINIT, fpu__init_system_mxcsr's FXSAVE, context switches through FXSAVE/FXRSTOR, kernel_fpu_begin's
// FNINIT/LDMXCSR) and what lets the debugger show real x87 registers.
//
// FILD (integer load) is modelled too: Linux's restore_fpregs_from_fpstate runs it on AMD parts.
//
// Not modelled: x87 arithmetic and the other data movement (FLD, FADD, ...): such an instruction is logged once per
// opcode as an unsupported opcode (event cpu.ud, with its bytes) and raises #UD, which a real x87 never does; FIP/FDP/FOP therefore only
// change through FNINIT and the restore instructions (they record the last non-control instruction, SDM
// Vol. 1 8.1.8, and every instruction here is a control one); the 16-bit real-mode FNSTENV layout (real
// mode is not modelled); AMD's FXSAVE leaving out FIP/FDP/FOP while FSW.ES=0 (the "FXSAVE leak" Linux
// works around on K7/K8 only; the AMD family this CPU reports is not affected).

import type { Cpu } from './cpu.js';
import * as A from './arch.js';
import type { Insn } from './decoder.js';
import { opUndefined } from './ops.js';
import { sseCheck } from './sse-state.js';

/** FCW/FSW/FTW after FNINIT (SDM Vol. 2A FINIT/FNINIT), also KVM's and QEMU's vCPU reset state. */
export const FCW_INIT = 0x037f;
/** FCW IM DM ZM OM UM PM (SDM Vol. 1 Figure 8-6). */
export const FCW_EXCEPTION_MASKS = 0x3f;
export const FTW_ALL_EMPTY = 0xffff;
// FSW fields (SDM Vol. 1 Figure 8-4).
export const FSW_EXCEPTION_FLAGS = 0x3f; // IE DE ZE OE UE PE
export const FSW_IE = 1 << 0;
export const FSW_SF = 1 << 6;
export const FSW_C1 = 1 << 9;
/** FCW invalid-operation mask. */
export const FCW_IM = 1 << 0;
// Double extended-precision encoding (SDM Vol. 1 4.2.2, Table 4-3): bits 79 sign, 78:64 exponent.
const SIGN = 0x8000, EXP_MAX = 0x7fff, EXP_BIAS = 16383;
export const FSW_ES = 1 << 7;
export const FSW_B = 1 << 15;
export const FSW_TOP_SHIFT = 11;
export const FSW_TOP = 0x7 << FSW_TOP_SHIFT;
// Tag values (SDM Vol. 1 8.1.7).
export const TAG_VALID = 0, TAG_ZERO = 1, TAG_SPECIAL = 2, TAG_EMPTY = 3;
/** FXSAVE image size and alignment (SDM Vol. 2A FXSAVE). */
export const FXSAVE_SIZE = 512;
const FXSAVE_ALIGN = 16;
// FXSAVE image offsets.
const FX_FCW = 0, FX_FSW = 2, FX_FTW = 4, FX_FOP = 6, FX_FIP = 8, FX_FCS = 12, FX_FDP = 16, FX_FDS = 20;
const FX_MXCSR = 24, FX_MXCSR_MASK = 28, FX_ST0 = 32, FX_XMM0 = 160;
const FOP_MASK = 0x7ff;

/** The x87 state. Data registers in physical order R0-R7, 10 bytes each (64-bit significand, then sign and
 *  exponent), little-endian as FXSAVE stores them; ST(i) is R((TOP + i) mod 8). */
export class X87State {
  readonly regs = new Uint8Array(80);
  fcw = FCW_INIT;
  /** Status word including TOP (bits 13:11). */
  fsw = 0;
  /** Full tag word, 2 bits per physical register (FNSTENV's form; FXSAVE stores the abridged one). */
  ftw = FTW_ALL_EMPTY;
  fop = 0;
  fip = 0; fcs = 0; fdp = 0; fds = 0;

  /** FNINIT (SDM Vol. 2A FINIT/FNINIT): control/status/tag and pointers; the data registers are kept. */
  init(): void {
    this.fcw = FCW_INIT; this.fsw = 0; this.ftw = FTW_ALL_EMPTY;
    this.fop = 0; this.fip = 0; this.fcs = 0; this.fdp = 0; this.fds = 0;
  }

  /** Power-up as KVM (fx_init) and QEMU (x86_cpu_reset) load it: FNINIT's state, data registers +0.0. */
  reset(): void {
    this.init();
    this.regs.fill(0);
  }

  top(): number { return (this.fsw & FSW_TOP) >>> FSW_TOP_SHIFT; }

  /** Physical register number of ST(i). */
  phys(i: number): number { return (this.top() + i) & 7; }

  /** FXSAVE's abridged tag: bit i set when physical register i is not empty. */
  abridgedTag(): number {
    let t = 0;
    for (let r = 0; r < 8; r++) if (((this.ftw >>> (2 * r)) & 3) !== TAG_EMPTY) t |= 1 << r;
    return t;
  }

  /** FXRSTOR's expansion of the abridged tag: a non-empty register's tag is computed from its contents
   *  (SDM Vol. 1 8.1.7 / Vol. 2A FXRSTOR: valid, zero, or special for NaN/infinity/denormal/unnormal). */
  fullTagFrom(abridged: number): number {
    let t = 0;
    for (let r = 0; r < 8; r++) t |= ((abridged >>> r) & 1 ? this.classify(r) : TAG_EMPTY) << (2 * r);
    return t;
  }

  private classify(r: number): number {
    const b = this.regs, o = r * 10;
    const exp = (b[o + 8]! | (b[o + 9]! << 8)) & 0x7fff;
    let mantZero = true;
    for (let k = 0; k < 8; k++) if (b[o + k] !== 0) { mantZero = false; break; }
    const integerBit = (b[o + 7]! & 0x80) !== 0;
    if (exp === 0x7fff) return TAG_SPECIAL;
    if (exp === 0) return mantZero ? TAG_ZERO : TAG_SPECIAL;
    return integerBit ? TAG_VALID : TAG_SPECIAL; // unnormal
  }

  /** Physical register r = sign/exponent `se`, significand mhi:mlo; its tag from the contents. */
  writeReg(r: number, mhi: number, mlo: number, se: number): void {
    const b = this.regs, o = r * 10;
    b[o] = mlo; b[o + 1] = mlo >>> 8; b[o + 2] = mlo >>> 16; b[o + 3] = mlo >>> 24;
    b[o + 4] = mhi; b[o + 5] = mhi >>> 8; b[o + 6] = mhi >>> 16; b[o + 7] = mhi >>> 24;
    b[o + 8] = se; b[o + 9] = se >>> 8;
    this.ftw = (this.ftw & ~(3 << (2 * r))) | (this.classify(r) << (2 * r));
  }

  /** ST(i) as an unsigned 80-bit number (for the debugger and KVM_GET_FPU). */
  getSt(i: number): bigint {
    const o = this.phys(i) * 10;
    let v = 0n;
    for (let k = 9; k >= 0; k--) v = (v << 8n) | BigInt(this.regs[o + k]!);
    return v;
  }

  setSt(i: number, v: bigint): void {
    const o = this.phys(i) * 10;
    for (let k = 0; k < 10; k++) { this.regs[o + k] = Number(v & 0xffn); v >>= 8n; }
  }
}

// ---------------------------------------------------------------------------------------------------
// Fault checks
// ---------------------------------------------------------------------------------------------------

/** Any x87 ESC instruction: #NM when CR0.EM or CR0.TS is set (SDM Vol. 3 2.5, Table 2-2). */
function escCheck(c: Cpu): void {
  if (c.cr0 & (A.CR0_EM | A.CR0_TS)) c.raise(A.VEC_NM, -1);
}

/** A waiting x87 instruction with an unmasked exception pending (FSW.ES): #MF when CR0.NE=1 (SDM Vol. 1
 *  8.7); with NE=0 the PC's FERR#/IRQ13 path would be taken, which this machine does not wire (logged). */
export function pendingCheck(c: Cpu): void {
  if ((c.x87.fsw & FSW_ES) === 0) return;
  if (c.cr0 & A.CR0_NE) c.raise(A.VEC_MF, -1);
  c.log('warn', 'x87-ferr', { detail: 'pending x87 exception with CR0.NE=0: FERR#/IRQ13 is not wired, ignored' });
}

/** FWAIT/WAIT (9B): #NM when CR0.MP and CR0.TS are both set (SDM Vol. 3 Table 2-2), then the pending check. */
export function fwait(c: Cpu): void {
  if ((c.cr0 & (A.CR0_MP | A.CR0_TS)) === (A.CR0_MP | A.CR0_TS)) c.raise(A.VEC_NM, -1);
  pendingCheck(c);
}

/** An x87 instruction this model does not compute: #UD, logged with its bytes as every unsupported opcode
 *  is (event cpu.ud, rate-limited). */
function unimplemented(c: Cpu, i: Insn): never {
  opUndefined(c, i);
  return c.raiseUD();
}

// ---------------------------------------------------------------------------------------------------
// ESC opcodes D8-DF
// ---------------------------------------------------------------------------------------------------

export function esc(c: Cpu, i: Insn): void {
  escCheck(c);
  const op = i.op & 7, k = i.reg & 7, f = c.x87;
  if (i.mem) {
    if (op === 1) { // D9
      if (k === 5) { pendingCheck(c); const la = c.ea(i, 2); f.fcw = c.rd16(la); return; } // FLDCW m2byte
      if (k === 7) { const la = c.ea(i, 2); c.wr16(la, f.fcw); return; } // FNSTCW m2byte
      if (k === 4) { fldenv(c, i, false); return; } // FLDENV
      if (k === 6) { fnstenv(c, i, false); return; } // FNSTENV
    } else if (op === 3 && k === 0) { fild(c, i, 4); return; // DB /0 FILD m32int
    } else if (op === 7 && (k === 0 || k === 5)) { fild(c, i, k === 0 ? 2 : 8); return; // DF /0 m16int, /5 m64int
    } else if (op === 5) { // DD
      if (k === 7) { const la = c.ea(i, 2); c.wr16(la, f.fsw); return; } // FNSTSW m2byte
      if (k === 4) { fldenv(c, i, true); return; } // FRSTOR
      if (k === 6) { fnstenv(c, i, true); f.init(); return; } // FNSAVE (then initializes, as FNINIT)
    }
    unimplemented(c, i);
  }
  const modrm = 0xc0 | (k << 3) | (i.rm & 7);
  if (op === 3) { // DB
    if (modrm === 0xe3) { f.init(); return; } // FNINIT
    if (modrm === 0xe2) { f.fsw &= ~(FSW_EXCEPTION_FLAGS | FSW_SF | FSW_ES | FSW_B); return; } // FNCLEX
    // FNENI/FNDISI (8087) and FNSETPM (287): executed as NOPs since the 387 (SDM Vol. 2A FNOP notes).
    if (modrm === 0xe0 || modrm === 0xe1 || modrm === 0xe4) return;
  }
  if (op === 7 && modrm === 0xe0) { c.setReg(0, 2, 0, f.fsw, 0); return; } // FNSTSW AX
  if (op === 1 && modrm === 0xd0) { pendingCheck(c); return; } // FNOP (a waiting instruction)
  unimplemented(c, i);
}

/** FILD m16int/m32int/m64int (SDM Vol. 2A FILD): the signed integer, converted exactly, pushed (TOP - 1).
 *  A waiting instruction (#MF first). A non-empty destination is a stack overflow (Vol. 1 8.5.1.1: IE, SF
 *  and C1 set): masked, the QNaN floating-point indefinite is pushed; unmasked, FSW.ES and B are set and
 *  TOP and the registers stay. C1 = 0 otherwise. Linux 6.1 restore_fpregs_from_fpstate runs FILD m32 on AMD
 *  (X86_BUG_FXSAVE_LEAK) right after FNCLEX; EMMS. FIP/FDP/FOP are not updated (see the header). */
function fild(c: Cpu, i: Insn, size: number): void {
  pendingCheck(c);
  const f = c.x87, la = c.ea(i, size);
  let lo: number, hi: number;
  if (size === 2) { lo = (c.rd16(la) << 16) >> 16; hi = lo >> 31; }
  else if (size === 4) { lo = c.rd32(la); hi = lo >> 31; }
  else { lo = c.rd64(la); hi = c.th; }
  const top = (f.top() - 1) & 7;
  f.fsw &= ~FSW_C1;
  if (((f.ftw >>> (2 * top)) & 3) !== TAG_EMPTY) {
    f.fsw |= FSW_IE | FSW_SF | FSW_C1;
    if (!(f.fcw & FCW_IM)) { f.fsw |= FSW_ES | FSW_B; return; }
    f.fsw = (f.fsw & ~FSW_TOP) | (top << FSW_TOP_SHIFT);
    f.writeReg(top, 0xc0000000, 0, EXP_MAX | SIGN); // QNaN floating-point indefinite (Vol. 1 Table 8-10)
    return;
  }
  f.fsw = (f.fsw & ~FSW_TOP) | (top << FSW_TOP_SHIFT);
  const neg = hi < 0;
  if (neg) { lo = -lo | 0; hi = (~hi + (lo === 0 ? 1 : 0)) | 0; } // two's complement magnitude (2^63 stays 2^63)
  let mhi = hi >>> 0, mlo = lo >>> 0;
  if (mhi === 0 && mlo === 0) { f.writeReg(top, 0, 0, 0); return; } // +0 (an integer zero has no sign)
  // Normalize: shift the 64-bit magnitude left until bit 63 is set; the exponent counts what is left.
  let shift = 0;
  if (mhi === 0) { mhi = mlo; mlo = 0; shift = 32; }
  const z = Math.clz32(mhi);
  if (z) { mhi = ((mhi << z) | (mlo >>> (32 - z))) >>> 0; mlo = (mlo << z) >>> 0; }
  shift += z;
  f.writeReg(top, mhi, mlo, (EXP_BIAS + 63 - shift) | (neg ? SIGN : 0));
}

/** Environment layout (SDM Vol. 1 Figures 8-9/8-10, protected mode): 32-bit (28 bytes: FCW, FSW, FTW,
 *  FIP, FCS | FOP << 16, FDP, FDS, each in a dword) or 16-bit (14 bytes, each a word, FOP not stored). */
function envSize(i: Insn): number { return i.osz === 2 ? 14 : 28; }

function fnstenv(c: Cpu, i: Insn, withRegs: boolean): void {
  const f = c.x87, w = i.osz === 2 ? 2 : 4, env = envSize(i);
  const la = c.ea(i, env);
  c.probeWrite(la, withRegs ? env + 80 : env);
  const put = (slot: number, v: number): void => { if (w === 2) c.wr16(la + 2 * slot, v & 0xffff); else c.wr32(la + 4 * slot, v); };
  // Reserved upper halves are written 0, as QEMU's helper_fstenv does.
  put(0, f.fcw);
  put(1, f.fsw);
  // The stored tag word is recomputed from the contents of every non-empty register (SDM Vol. 3 12.2.1:
  // FSAVE and FSTENV "determine the actual tag values ... and store the updated tag word"; QEMU 7.2
  // helper_fstenv likewise): after an MMX instruction marked all eight valid, an MMX-written register
  // (exponent all ones) reads back as special.
  put(2, f.fullTagFrom(f.abridgedTag()));
  put(3, f.fip);
  put(4, w === 4 ? (f.fcs | ((f.fop & FOP_MASK) << 16)) >>> 0 : f.fcs);
  put(5, f.fdp);
  put(6, f.fds);
  if (withRegs) for (let s = 0; s < 8; s++) { const o = f.phys(s) * 10; for (let b = 0; b < 10; b++) c.wr8(la + env + 10 * s + b, f.regs[o + b]!); }
  // FNSTENV masks all floating-point exceptions after storing (SDM Vol. 2A FSTENV/FNSTENV).
  if (!withRegs) f.fcw |= FCW_EXCEPTION_MASKS;
}

function fldenv(c: Cpu, i: Insn, withRegs: boolean): void {
  const f = c.x87, w = i.osz === 2 ? 2 : 4, env = envSize(i);
  const la = c.ea(i, env);
  const get = (slot: number): number => (w === 2 ? c.rd16(la + 2 * slot) : c.rd32(la + 4 * slot) >>> 0);
  const fcw = get(0) & 0xffff, fsw = get(1) & 0xffff, ftw = get(2) & 0xffff, fip = get(3), csop = get(4), fdp = get(5), fds = get(6) & 0xffff;
  const regs = new Uint8Array(withRegs ? 80 : 0);
  for (let k = 0; k < regs.length; k++) regs[k] = c.rd8(la + env + k);
  f.fcw = fcw; f.fsw = fsw; f.ftw = ftw; f.fip = fip; f.fdp = fdp; f.fds = fds;
  f.fcs = csop & 0xffff; f.fop = w === 4 ? (csop >>> 16) & FOP_MASK : f.fop;
  if (withRegs) for (let s = 0; s < 8; s++) { const o = f.phys(s) * 10; for (let b = 0; b < 10; b++) f.regs[o + b] = regs[10 * s + b]!; }
}

// ---------------------------------------------------------------------------------------------------
// 0F AE /0-/3: FXSAVE, FXRSTOR, LDMXCSR, STMXCSR
// ---------------------------------------------------------------------------------------------------

/** FXSAVE/FXRSTOR (SDM Vol. 2A): #UD with CR0.EM, #NM with CR0.TS, #GP(0) unless 16-byte aligned.
 *  MXCSR and the XMM registers take part only with CR4.OSFXSR (implementation dependent per the SDM; as
 *  QEMU's helper_fxsave/helper_fxrstor do). XMM8-15 only in 64-bit mode; REX.W selects the 64-bit FIP/FDP
 *  layout (Table 3-56) instead of FIP/FCS and FDP/FDS (Tables 3-53, 3-55). */
function fxCheck(c: Cpu, i: Insn): number {
  if (i.lock || (c.cr0 & A.CR0_EM)) c.raiseUD();
  if (c.cr0 & A.CR0_TS) c.raise(A.VEC_NM, -1);
  const la = c.ea(i, FXSAVE_SIZE);
  if (la % FXSAVE_ALIGN !== 0) c.raiseGP0();
  return la;
}

export function fxsave(c: Cpu, i: Insn): void {
  const la = fxCheck(c, i);
  c.probeWrite(la, FXSAVE_SIZE);
  storeX87Image(c, la, i.rexW && c.long64);
  if (c.cr4 & A.CR4_OSFXSR) storeSseImage(c, la, true, true);
}

export function fxrstor(c: Cpu, i: Insn): void {
  const la = fxCheck(c, i);
  const sse = (c.cr4 & A.CR4_OSFXSR) !== 0;
  // Read everything before changing anything: a fault or a reserved MXCSR bit (#GP(0)) leaves the state intact.
  const x87 = readX87Image(c, la, i.rexW && c.long64);
  const img = sse ? readSseImage(c, la, true, true) : undefined;
  applyX87Image(c, x87);
  if (img) applySseImage(c, img);
}

// The legacy region FXSAVE and XSAVE share (SDM Vol. 1 13.4.1): the x87 state in bytes 0-23 and 32-159, MXCSR
// and MXCSR_MASK in 24-31, the XMM registers from 160 (XMM8-15 only in 64-bit mode). `rex64`: REX.W in 64-bit
// mode, the 64-bit FIP/FDP layout (Table 3-56) instead of FIP/FCS and FDP/FDS (Tables 3-53, 3-55).

/** The x87 part of a legacy region read from memory, not yet applied. */
export interface X87Image { fcw: number; fsw: number; ftwx: number; fop: number; fip: number; fcs: number; fdp: number; fds: number; st: Uint8Array }
/** The SSE part of a legacy region read from memory, not yet applied (undefined: not read). */
export interface SseImage { mxcsr: number | undefined; xmm: Int32Array | undefined }

export function storeX87Image(c: Cpu, la: number, rex64: boolean): void {
  const f = c.x87;
  c.wr16(la + FX_FCW, f.fcw);
  c.wr16(la + FX_FSW, f.fsw);
  c.wr16(la + FX_FTW, f.abridgedTag()); // byte 5 is reserved: written 0
  c.wr16(la + FX_FOP, f.fop & FOP_MASK);
  if (rex64) {
    c.wr64(la + FX_FIP, f.fip, 0);
    c.wr64(la + FX_FDP, f.fdp, 0);
  } else {
    c.wr32(la + FX_FIP, f.fip); c.wr32(la + FX_FCS, f.fcs);
    c.wr32(la + FX_FDP, f.fdp); c.wr32(la + FX_FDS, f.fds);
  }
  for (let s = 0; s < 8; s++) {
    const o = f.phys(s) * 10, d = la + FX_ST0 + 16 * s;
    for (let b = 0; b < 10; b++) c.wr8(d + b, f.regs[o + b]!);
  }
}

/** MXCSR (and MXCSR_MASK) and/or the XMM registers into the legacy region at la. */
export function storeSseImage(c: Cpu, la: number, mxcsr: boolean, xmm: boolean): void {
  if (mxcsr) {
    c.wr32(la + FX_MXCSR, c.mxcsr);
    c.wr32(la + FX_MXCSR_MASK, A.MXCSR_MASK);
  }
  if (xmm) {
    const n = c.long64 ? 16 : 8, x = c.xmm;
    for (let r = 0; r < n; r++) for (let d = 0; d < 4; d++) c.wr32(la + FX_XMM0 + 16 * r + 4 * d, x[4 * r + d]!);
  }
}

export function readX87Image(c: Cpu, la: number, rex64: boolean): X87Image {
  const fcw = c.rd16(la + FX_FCW), fsw = c.rd16(la + FX_FSW), ftwx = c.rd8(la + FX_FTW), fop = c.rd16(la + FX_FOP) & FOP_MASK;
  let fip: number, fcs: number, fdp: number, fds: number;
  if (rex64) {
    fip = c.rd32(la + FX_FIP) >>> 0; fcs = 0; fdp = c.rd32(la + FX_FDP) >>> 0; fds = 0;
  } else {
    fip = c.rd32(la + FX_FIP) >>> 0; fcs = c.rd16(la + FX_FCS); fdp = c.rd32(la + FX_FDP) >>> 0; fds = c.rd16(la + FX_FDS);
  }
  const st = new Uint8Array(80);
  for (let s = 0; s < 8; s++) for (let b = 0; b < 10; b++) st[10 * s + b] = c.rd8(la + FX_ST0 + 16 * s + b);
  return { fcw, fsw, ftwx, fop, fip, fcs, fdp, fds, st };
}

/** Reads MXCSR (#GP(0) for a reserved bit) and/or the XMM registers; changes nothing. */
export function readSseImage(c: Cpu, la: number, mxcsr: boolean, xmm: boolean): SseImage {
  let m: number | undefined, x: Int32Array | undefined;
  if (mxcsr) {
    m = c.rd32(la + FX_MXCSR) >>> 0;
    if (m & ~A.MXCSR_MASK) c.raiseGP0();
  }
  if (xmm) {
    const n = c.long64 ? 16 : 8;
    x = new Int32Array(4 * n);
    for (let r = 0; r < 4 * n; r++) x[r] = c.rd32(la + FX_XMM0 + 4 * r);
  }
  return { mxcsr: m, xmm: x };
}

export function applyX87Image(c: Cpu, img: X87Image): void {
  const f = c.x87;
  f.fcw = img.fcw; f.fsw = img.fsw; f.fop = img.fop; f.fip = img.fip; f.fcs = img.fcs; f.fdp = img.fdp; f.fds = img.fds;
  for (let s = 0; s < 8; s++) { const o = f.phys(s) * 10; for (let b = 0; b < 10; b++) f.regs[o + b] = img.st[10 * s + b]!; }
  f.ftw = f.fullTagFrom(img.ftwx);
}

export function applySseImage(c: Cpu, img: SseImage): void {
  if (img.mxcsr !== undefined) c.mxcsr = img.mxcsr;
  if (img.xmm !== undefined) c.xmm.set(img.xmm);
}

/** LDMXCSR / STMXCSR (SDM Vol. 2B): #UD with CR0.EM or CR4.OSFXSR=0, #NM with CR0.TS; LDMXCSR #GP(0) for a
 *  reserved bit. */
function mxcsrCheck(c: Cpu, i: Insn): void {
  if (i.lock) c.raiseUD();
  sseCheck(c);
}

export function ldmxcsr(c: Cpu, i: Insn): void {
  mxcsrCheck(c, i);
  const v = c.rd32(c.ea(i, 4)) >>> 0;
  if (v & ~A.MXCSR_MASK) c.raiseGP0();
  c.mxcsr = v;
}

export function stmxcsr(c: Cpu, i: Insn): void {
  mxcsrCheck(c, i);
  c.wr32(c.ea(i, 4), c.mxcsr);
}
