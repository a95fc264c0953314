// Far control transfers through code-segment descriptors: JMP/CALL ptr16:16/32 (EA/9A) and m16:16/32/64
// (FF /5, FF /3), RETF (CB/CA) and IRET/IRETD outside IA-32e mode (SDM Vol. 2 JMP, CALL, RET, IRET;
// Vol. 3 5.8 "Privilege Level Checking When Transferring Program Control Between Code Segments").
// Call gates and task switches are not modelled: a far transfer through a system descriptor raises
// #GP(selector) and logs why.

import type { Cpu } from './cpu.js';
import { Cpu as CpuClass, STOP, TWO32 } from './cpu.js';
import type { Insn } from './decoder.js';
import { updateMode } from './mode.js';
import { DESC_CODE, DESC_CONFORMING, DESC_WRITABLE, SEG_CS, SEG_SS, commitSegment, markAccessed } from './segments.js';
import * as A from './arch.js';

const CANON_LIMIT = 140737488355328; // 2^47

/** Check a code-segment selector as the target of a far JMP/CALL (same privilege only, no gates) and leave
 *  its descriptor in c.dLo/c.dHi. */
function checkJumpTarget(c: Cpu, sel: number): number {
  const err = sel & 0xfffc;
  if (err === 0) c.raiseGP0();
  c.readDescriptor(sel, 0);
  const at = CpuClass.attrsOf(c.dHi);
  if (!(at & A.ATTR_S)) {
    c.log('warn', 'cpu-unsupported', { what: 'far transfer through a call gate, task gate or TSS', selector: sel, type: at & A.ATTR_TYPE_MASK });
    c.raise(A.VEC_GP, err);
  }
  if (!(at & DESC_CODE)) c.raise(A.VEC_GP, err);
  const dpl = (at >> A.ATTR_DPL_SHIFT) & 3;
  if (at & DESC_CONFORMING) { if (dpl > c.cpl) c.raise(A.VEC_GP, err); }
  else if ((sel & 3) > c.cpl || dpl !== c.cpl) c.raise(A.VEC_GP, err);
  if (!(at & A.ATTR_P)) c.raise(A.VEC_NP, err);
  // In IA-32e mode L=1 with D=1 is reserved (SDM Vol. 3 5.2.1).
  if ((c.efer & A.EFER_LMA) && (at & A.ATTR_L) && (at & A.ATTR_DB)) c.raise(A.VEC_GP, err);
  return at;
}

/** Check the target offset against the new code segment: the limit outside 64-bit mode, canonical form in it. */
function checkOffset(c: Cpu, at: number, offset: number): void {
  const to64 = (c.efer & A.EFER_LMA) !== 0 && (at & A.ATTR_L) !== 0;
  if (to64) { if (offset >= CANON_LIMIT || offset < -CANON_LIMIT) c.raiseGP0(); return; }
  if (offset < 0 || offset > CpuClass.limitOf(c.dLo, c.dHi)) c.raiseGP0();
}

/** Load CS (RPL forced to `rpl`) from c.dLo/c.dHi and continue at `offset` in the new mode. */
function enterCode(c: Cpu, sel: number, rpl: number, offset: number): void {
  markAccessed(c, sel);
  commitSegment(c, SEG_CS, (sel & 0xfffc) | rpl);
  updateMode(c); // may switch between 64-bit, compatibility and legacy decoding
  c.fLin0 = NaN;
  c.nextRip = offset;
  c.dbBranch = true;
}

/** JMP far to sel:offset (same privilege; conforming code keeps CPL). */
export function farJump(c: Cpu, sel: number, offset: number): void {
  const at = checkJumpTarget(c, sel);
  checkOffset(c, at, offset);
  enterCode(c, sel, c.cpl, offset);
}

// ---- stack helpers for the current mode: 64-bit uses RSP, else ESP/SP per SS.B ----
function pushSized(c: Cpu, v: number, sz: number): void {
  if (c.long64) {
    if (sz === 8) c.push64(v % TWO32 | 0, Math.floor(v / TWO32) | 0);
    else { const la = c.rspLa() - sz; c.wrSized(la, sz, v, 0); c.addRsp(-sz); }
  } else c.pushLeg(v, sz);
}
/** Read the stack at [SP + k] with size sz (zero-extended; 8-byte values as numbers: canonical). */
function peek(c: Cpu, k: number, sz: number): number {
  if (c.long64) {
    const la = c.rspLa() + k;
    if (sz === 8) { const lo = c.rd64(la); return c.th * TWO32 + (lo >>> 0); }
    return sz === 4 ? c.rd32(la) >>> 0 : c.rd16(la);
  }
  return sz === 2 ? c.stackReadAt(k, 2) & 0xffff : c.stackReadAt(k, 4) >>> 0;
}

/** CALL far to sel:offset: push CS and the return (E/R)IP with the operand size, then jump. */
export function farCall(c: Cpu, sel: number, offset: number, sz: number): void {
  const at = checkJumpTarget(c, sel);
  checkOffset(c, at, offset);
  const ret = c.nextRip;
  const cs = c.segSel[SEG_CS]!;
  // Both pushes fault before anything changes: restore the stack pointer if the second one does.
  const spLo = c.rl[4]!, spHi = c.rh[4]!;
  try {
    pushSized(c, cs, sz);
    pushSized(c, ret, sz);
  } catch (e) { c.rl[4] = spLo; c.rh[4] = spHi; throw e; }
  enterCode(c, sel, c.cpl, offset);
}

/** JMP/CALL far through a memory operand m16:16/32/64 (FF /5, FF /3): offset first, then the selector. */
function farIndirect(c: Cpu, i: Insn, call: boolean): void {
  if (i.lock || !i.mem) c.raiseUD();
  const sz = i.osz;
  const la = c.ea(i);
  let offset: number, sel: number;
  if (c.long64) {
    if (sz === 8) { const lo = c.rd64(la); offset = c.hiloLa(lo, c.th); }
    else offset = sz === 4 ? c.rd32(la) >>> 0 : c.rd16(la);
    sel = c.rd16(la + sz);
  } else {
    offset = sz === 2 ? c.rd16(la) : c.rd32(la) >>> 0;
    sel = c.rd16(c.eaLegPlus(i, la, sz));
  }
  if (call) farCall(c, sel, offset, sz); else farJump(c, sel, offset);
}
export function farJumpIndirect(c: Cpu, i: Insn): void { farIndirect(c, i, false); }
export function farCallIndirect(c: Cpu, i: Insn): void { farIndirect(c, i, true); }

/** Data segment registers that must not stay loaded with a more privileged segment after a return to an
 *  outer level (SDM Vol. 2 RET/IRET: "FOR each of segment register ES, FS, GS, and DS ..."). */
export function nullInaccessibleDataSegments(c: Cpu, cpl: number): void {
  for (const s of [0, 3, 4, 5]) {
    const at = c.segAttr[s]!;
    const conformingCode = (at & DESC_CODE) && (at & DESC_CONFORMING);
    if ((c.segSel[s]! & 0xfffc) && !conformingCode && ((at >> A.ATTR_DPL_SHIFT) & 3) < cpl) {
      c.segSel[s] = 0; c.segAttr[s] = 0;
    }
  }
}

/** Check the CS selector a RETF/IRET returns to; descriptor left in c.dLo/c.dHi. Returns its attributes. */
export function checkReturnCs(c: Cpu, cs: number): number {
  const err = cs & 0xfffc;
  if (err === 0) c.raiseGP0();
  const rpl = cs & 3;
  if (rpl < c.cpl) c.raise(A.VEC_GP, err);
  c.readDescriptor(cs, 0);
  const at = CpuClass.attrsOf(c.dHi);
  if (!(at & A.ATTR_S) || !(at & DESC_CODE)) c.raise(A.VEC_GP, err);
  const dpl = (at >> A.ATTR_DPL_SHIFT) & 3;
  if ((at & DESC_CONFORMING) ? dpl > rpl : dpl !== rpl) c.raise(A.VEC_GP, err);
  if (!(at & A.ATTR_P)) c.raise(A.VEC_NP, err);
  if ((c.efer & A.EFER_LMA) && (at & A.ATTR_L) && (at & A.ATTR_DB)) c.raise(A.VEC_GP, err);
  return at;
}

/** Check the SS selector of a return to an outer privilege level `rpl`; returns [lo, hi] of its descriptor,
 *  or undefined for a null SS allowed in 64-bit mode below CPL 3. */
export function checkReturnSs(c: Cpu, ss: number, rpl: number, to64: boolean): [number, number] | undefined {
  const err = ss & 0xfffc;
  if (err === 0) {
    if (to64 && rpl !== 3) return undefined;
    c.raiseGP0();
  }
  if ((ss & 3) !== rpl) c.raise(A.VEC_GP, err);
  c.readDescriptor(ss, 0);
  const at = CpuClass.attrsOf(c.dHi);
  if (!(at & A.ATTR_S) || (at & DESC_CODE) || !(at & DESC_WRITABLE) || ((at >> A.ATTR_DPL_SHIFT) & 3) !== rpl) c.raise(A.VEC_GP, err);
  if (!(at & A.ATTR_P)) c.raise(A.VEC_SS, err);
  return [c.dLo, c.dHi];
}

/** Load SS from a saved descriptor pair (or null it, 64-bit mode) and the stack pointer. */
function loadStack(c: Cpu, ss: number, desc: [number, number] | undefined, sp: number, spSize: number): void {
  if (desc === undefined) {
    c.segSel[SEG_SS] = ss; c.segAttr[SEG_SS] = 0; c.segBase[SEG_SS] = 0; c.segLimit[SEG_SS] = 0;
  } else {
    c.dLo = desc[0]; c.dHi = desc[1];
    markAccessed(c, ss);
    commitSegment(c, SEG_SS, ss);
  }
  if (spSize === 8) { c.rl[4] = sp % TWO32 | 0; c.rh[4] = Math.floor(sp / TWO32) | 0; }
  else if (c.segAttr[SEG_SS]! & A.ATTR_DB || c.long64 || desc === undefined) { c.rl[4] = sp | 0; c.rh[4] = 0; }
  else c.rl[4] = (c.rl[4]! & ~0xffff) | (sp & 0xffff);
}

/** RETF / RETF imm16 (CB / CA): same privilege, or to an outer level popping SS:(E/R)SP as well. */
export function farReturn(c: Cpu, i: Insn): void {
  const sz = i.osz;
  const imm = (i.op & 0xff) === 0xca ? i.imm & 0xffff : 0;
  const offset = peek(c, 0, sz);
  const cs = peek(c, sz, sz) & 0xffff;
  const at = checkReturnCs(c, cs);
  const csDesc: [number, number] = [c.dLo, c.dHi];
  const rpl = cs & 3;
  const to64 = (c.efer & A.EFER_LMA) !== 0 && (at & A.ATTR_L) !== 0;
  c.dLo = csDesc[0]; c.dHi = csDesc[1];
  const target = to64 ? offset : offset >>> 0;
  checkOffset(c, at, sz === 2 ? target & 0xffff : target);
  if (rpl === c.cpl) {
    c.addRsp(2 * sz + imm);
    c.dLo = csDesc[0]; c.dHi = csDesc[1];
    enterCode(c, cs, rpl, sz === 2 ? target & 0xffff : target);
    return;
  }
  // Return to an outer privilege level: the caller's SS:(E/R)SP follow the immediate-adjusted CS:EIP.
  const sp = peek(c, 2 * sz + imm, sz);
  const ss = peek(c, 3 * sz + imm, sz) & 0xffff;
  const ssDesc = checkReturnSs(c, ss, rpl, to64);
  c.dLo = csDesc[0]; c.dHi = csDesc[1];
  enterCode(c, cs, rpl, sz === 2 ? target & 0xffff : target);
  c.cpl = rpl; c.updateCplMasks();
  loadStack(c, ss, ssDesc, sp + imm, sz);
  nullInaccessibleDataSegments(c, rpl);
  updateMode(c);
}

/** IRET/IRETD outside IA-32e mode (SDM Vol. 2 IRET, "PROTECTED-MODE"). Task returns (NT=1) and returns to
 *  virtual-8086 mode are not modelled: the first is #GP(0) with a log line, the second stops the CPU with
 *  the unsupported-mode reason (RIP stays at the IRET). */
export function iretProtected(c: Cpu, i: Insn): void {
  const sz = i.osz === 2 ? 2 : 4;
  if (c.fl & A.RFLAGS_NT) {
    c.log('warn', 'cpu-unsupported', { what: 'IRET with EFLAGS.NT=1 (task return)' });
    c.raiseGP0();
  }
  const eip = peek(c, 0, sz);
  const cs = peek(c, sz, sz) & 0xffff;
  const flags = peek(c, 2 * sz, sz);
  if (sz === 4 && (flags & A.RFLAGS_VM) && c.cpl === 0) {
    const why = 'virtual-8086 mode (IRET to EFLAGS.VM=1) is not modelled';
    c.log('error', 'cpu-unsupported-mode', { reason: why });
    c.stopReason = { kind: 'stop-requested', why: `unsupported CPU mode: ${why}` };
    c.nextRip = c.insnRip;
    throw STOP;
  }
  const at = checkReturnCs(c, cs);
  const csDesc: [number, number] = [c.dLo, c.dHi];
  const rpl = cs & 3;
  checkOffset(c, at, eip);
  let ssDesc: [number, number] | undefined;
  let sp = 0, ss = 0;
  if (rpl > c.cpl) {
    sp = peek(c, 3 * sz, sz);
    ss = peek(c, 4 * sz, sz) & 0xffff;
    ssDesc = checkReturnSs(c, ss, rpl, false);
  }
  const nf = iretFlags(c, flags, sz);
  const oldCpl = c.cpl;
  c.dLo = csDesc[0]; c.dHi = csDesc[1];
  enterCode(c, cs, rpl, eip);
  if (rpl === oldCpl) c.addRsp(3 * sz);
  else {
    c.cpl = rpl; c.updateCplMasks();
    loadStack(c, ss, ssDesc, sp, sz);
    nullInaccessibleDataSegments(c, rpl);
  }
  c.setFlagsAll(nf);
  if (nf & A.RFLAGS_RF) c.rfKeep = true; // RF loaded by IRET survives until the next instruction completes
  updateMode(c);
}

/** RFLAGS image IRET loads (SDM Vol. 2 IRET): IOPL only at CPL 0, IF only when CPL <= IOPL, VIF/VIP at
 *  CPL 0; VM is never loaded here; a 16-bit IRET changes only FLAGS. */
export function iretFlags(c: Cpu, flags: number, sz: number): number {
  const cur = c.getFlags();
  const curIopl = (cur >> A.RFLAGS_IOPL_SHIFT) & 3;
  let m = A.RFLAGS_ARITH | A.RFLAGS_TF | A.RFLAGS_DF | A.RFLAGS_NT | A.RFLAGS_RF | A.RFLAGS_AC | A.RFLAGS_ID;
  if (c.cpl === 0) m |= A.RFLAGS_IOPL | A.RFLAGS_VIF | A.RFLAGS_VIP;
  if (c.cpl <= curIopl) m |= A.RFLAGS_IF;
  if (sz === 2) m &= 0xffff;
  return (cur & ~m) | (flags & m);
}
