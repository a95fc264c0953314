// Far control transfers through code-segment descriptors: JMP/CALL ptr16:16/32 (EA/9A) and m16:16/32/64
// (FF /5, FF /3), RETF (CB/CA) and IRET/IRETD outside IA-32e mode (SDM Vol. 2 JMP, CALL, RET, IRET;
// Vol. 3 5.8 "Privilege Level Checking When Transferring Program Control Between Code Segments").
// Call gates (32-bit in legacy mode, 64-bit 16-byte ones in IA-32e mode) are followed, with the stack switch
// and parameter copy of a CALL to a more privileged level (SDM Vol. 3 5.8.3-5.8.6); task gates and TSSs
// switch tasks (tasks.ts). 16-bit call gates are not modelled: such a far transfer raises #GP(selector)
// and logs why.

import type { Cpu } from './cpu.js';
import { TWO32 } from './canonical.js';
import type { Insn } from './decoder.js';
import { updateMode } from './mode.js';
import { commitSegment, markAccessed, offsetInLimit } from './segments.js';
import { taskSwitch } from './tasks.js';
import { farCall8086, farJump8086, farReturn8086, iretToV86, paragraphSegments } from './mode8086.js';
import {
  DESC_CODE, DESC_CONFORMING, DESC_WRITABLE, SEG_CS, SEG_SS, SYS_TASK_GATE, SYS_TSS32_AVAIL, SYS_TSS32_BUSY, attrsOf, baseOf, limitOf,
} from './descriptor.js';
import * as A from './arch.js';

const CANON_LIMIT = 140737488355328; // 2^47

/** Check a code-segment selector as the target of a far JMP/CALL at the same privilege and leave its
 *  descriptor in c.dLo/c.dHi. System descriptors are handled by the callers (call gates) or refused here. */
function checkJumpTarget(c: Cpu, sel: number): number {
  const err = sel & 0xfffc;
  if (err === 0) c.raiseGP0();
  c.readDescriptor(sel, 0);
  const at = attrsOf(c.dHi);
  if (!(at & A.ATTR_S)) {
    c.log('warn', 'cpu-unsupported', { what: 'far transfer through this system descriptor (16-bit call gate, LDT, or a TSS in IA-32e mode)', selector: sel, type: at & A.ATTR_TYPE_MASK });
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
  if (offset < 0 || offset > limitOf(c.dLo, c.dHi)) c.raiseGP0();
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

/** A far JMP/CALL whose selector names a system descriptor: a call gate (32-bit, or 64-bit in IA-32e mode),
 *  or outside IA-32e mode a task gate or an available TSS (a task switch, tasks.ts). Returns false when the
 *  selector names a code segment (or a type checkJumpTarget refuses). */
function throughSystemDescriptor(c: Cpu, sel: number, call: boolean): boolean {
  if ((sel & 0xfffc) === 0) return false;
  c.readDescriptor(sel, 0);
  const at = attrsOf(c.dHi);
  if (at & A.ATTR_S) return false;
  const type = at & A.ATTR_TYPE_MASK;
  if (type === A.SYS_CALL_GATE64) { throughGate(c, sel, call); return true; }
  if ((c.efer & A.EFER_LMA) || (type !== SYS_TASK_GATE && type !== SYS_TSS32_AVAIL && type !== SYS_TSS32_BUSY)) return false;
  // Task gate or TSS: DPL >= CPL and >= RPL, present (SDM Vol. 2 JMP/CALL "TASK-GATE", "TASK-STATE-SEGMENT").
  const err = sel & 0xfffc;
  const dpl = (at >> A.ATTR_DPL_SHIFT) & 3;
  if (dpl < c.cpl || dpl < (sel & 3)) c.raise(A.VEC_GP, err);
  if (!(at & A.ATTR_P)) c.raise(A.VEC_NP, err);
  const tss = type === SYS_TASK_GATE ? c.dLo >>> 16 : sel;
  taskSwitch(c, tss, call ? 'call' : 'jmp', c.nextRip, -1, 0);
  return true;
}

/** JMP far to sel:offset (same privilege; conforming code keeps CPL), through a call gate, or to a task. */
export function farJump(c: Cpu, sel: number, offset: number): void {
  if (paragraphSegments(c)) { farJump8086(c, sel, offset); return; }
  if (throughSystemDescriptor(c, sel, false)) return;
  const at = checkJumpTarget(c, sel);
  checkOffset(c, at, offset);
  enterCode(c, sel, c.cpl, offset);
}

// ---- stack helpers for the current mode: 64-bit uses RSP, else ESP/SP per SS.B ----
function pushSized(c: Cpu, v: number, sz: number): void {
  // 8-byte pushes also happen in compatibility mode (a CALL through a 64-bit call gate uses RSP).
  if (sz === 8) c.push64(v % TWO32 | 0, Math.floor(v / TWO32) | 0);
  else if (c.long64) { const la = c.rspLa() - sz; c.wrSized(la, sz, v, 0); c.addRsp(-sz); }
  else c.pushLeg(v, sz);
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

/** CALL far to sel:offset: push CS and the return (E/R)IP with the operand size, then jump; or through a
 *  call gate. */
export function farCall(c: Cpu, sel: number, offset: number, sz: number): void {
  if (paragraphSegments(c)) { farCall8086(c, sel, offset, sz); return; }
  if (throughSystemDescriptor(c, sel, true)) return;
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

/** 32-bit TSS: ESPn at 4 + 8n, SSn at 8 + 8n; 64-bit TSS: RSPn at 4 + 8n (SDM Vol. 3 8.2.1, 8.7). */
const TSS_SP0 = 4, TSS32_SS0 = 8;

/** Far JMP/CALL through the call gate in c.dLo/c.dHi (SDM Vol. 2 CALL "CALL-GATE", JMP "CALL-GATE"). */
function throughGate(c: Cpu, gateSel: number, call: boolean): void {
  const gErr = gateSel & 0xfffc;
  const ia32e = (c.efer & A.EFER_LMA) !== 0;
  const gLo = c.dLo, gHi = c.dHi;
  const gAt = attrsOf(gHi);
  const gDpl = (gAt >> A.ATTR_DPL_SHIFT) & 3;
  if (gDpl < c.cpl || gDpl < (gateSel & 3)) c.raise(A.VEC_GP, gErr);
  if (!(gAt & A.ATTR_P)) c.raise(A.VEC_NP, gErr);
  const csSel = gLo >>> 16;
  let offset = ((gLo & 0xffff) | (gHi & 0xffff0000)) >>> 0;
  const paramCount = gHi & 0x1f; // legacy gates: dwords copied on a privilege change
  if (ia32e) {
    // 16-byte gate: bits 63:32 of the offset in the next dword; its type field must be 0 (SDM 5.8.3.1).
    const a = descriptorBase(c, gateSel) + 8;
    const hi = c.sysRd32(a), upper = c.sysRd32(a + 4);
    if ((upper >>> 8) & 0x1f) c.raise(A.VEC_GP, gErr);
    offset = hi * TWO32 + offset;
  }
  if ((csSel & 0xfffc) === 0) c.raiseGP0();
  c.readDescriptor(csSel, 0);
  const cLo = c.dLo, cHi = c.dHi;
  const at = attrsOf(cHi);
  const cErr = csSel & 0xfffc;
  const dpl = (at >> A.ATTR_DPL_SHIFT) & 3;
  if (!(at & A.ATTR_S) || !(at & DESC_CODE) || dpl > c.cpl) c.raise(A.VEC_GP, cErr);
  const conforming = (at & DESC_CONFORMING) !== 0;
  if (!call && !conforming && dpl !== c.cpl) c.raise(A.VEC_GP, cErr); // JMP never changes privilege
  if (!(at & A.ATTR_P)) c.raise(A.VEC_NP, cErr);
  if (ia32e && (!(at & A.ATTR_L) || (at & A.ATTR_DB))) c.raise(A.VEC_GP, cErr); // a 64-bit code segment
  c.dLo = cLo; c.dHi = cHi;
  checkOffset(c, at, offset);
  const gateSz = ia32e ? 8 : 4;
  if (!call) { c.dLo = cLo; c.dHi = cHi; enterCode(c, csSel, c.cpl, offset); return; }
  const retIp = c.nextRip, oldCs = c.segSel[SEG_CS]!;
  if (conforming || dpl === c.cpl) {
    const spLo = c.rl[4]!, spHi = c.rh[4]!;
    try { pushSized(c, oldCs, gateSz); pushSized(c, retIp, gateSz); } catch (e) { c.rl[4] = spLo; c.rh[4] = spHi; throw e; }
    c.dLo = cLo; c.dHi = cHi;
    enterCode(c, csSel, c.cpl, offset);
    return;
  }
  // More privileged: the new stack comes from the TSS.
  const newCpl = dpl;
  const oldSs = c.segSel[SEG_SS]!, oldSpLo = c.rl[4]!, oldSpHi = c.rh[4]!;
  const oldCpl = c.cpl;
  if (ia32e) {
    const lo = c.sysRd32(c.trBase + TSS_SP0 + newCpl * 8), hi = c.sysRd32(c.trBase + TSS_SP0 + newCpl * 8 + 4);
    const rsp = hi * TWO32 + (lo >>> 0);
    if (rsp >= CANON_LIMIT || rsp < -CANON_LIMIT) c.raise(A.VEC_SS, 0);
    c.cpl = newCpl; c.updateCplMasks();
    try {
      c.wr64(rsp - 8, oldSs, 0);
      c.wr64(rsp - 16, oldSpLo, oldSpHi);
      c.wr64(rsp - 24, oldCs, 0);
      c.wr64(rsp - 32, retIp % TWO32 | 0, Math.floor(retIp / TWO32) | 0);
    } catch (e) { c.cpl = oldCpl; c.updateCplMasks(); throw e; }
    const top = rsp - 32;
    c.segSel[SEG_SS] = newCpl; c.segAttr[SEG_SS] = 0; c.segBase[SEG_SS] = 0; c.segLimit[SEG_SS] = 0; // null SS, RPL = CPL
    c.rl[4] = top % TWO32 | 0; c.rh[4] = Math.floor(top / TWO32) | 0;
  } else {
    if (TSS32_SS0 + newCpl * 8 + 1 > c.trLimit) c.raise(A.VEC_TS, c.trSel & 0xfffc);
    const newEsp = c.sysRd32(c.trBase + TSS_SP0 + newCpl * 8) >>> 0;
    const newSs = c.sysRd32(c.trBase + TSS32_SS0 + newCpl * 8) & 0xffff;
    if ((newSs & 0xfffc) === 0) c.raise(A.VEC_TS, 0);
    if ((newSs & 3) !== newCpl) c.raise(A.VEC_TS, newSs & 0xfffc);
    c.readDescriptor(newSs, 0);
    const sAt = attrsOf(c.dHi);
    if (!(sAt & A.ATTR_S) || (sAt & DESC_CODE) || !(sAt & DESC_WRITABLE) || ((sAt >> A.ATTR_DPL_SHIFT) & 3) !== newCpl) c.raise(A.VEC_TS, newSs & 0xfffc);
    if (!(sAt & A.ATTR_P)) c.raise(A.VEC_SS, newSs & 0xfffc);
    const sLo = c.dLo, sHi = c.dHi;
    const ssBase = baseOf(sLo, sHi);
    const frame = 4 * (4 + paramCount);
    if (!offsetInLimit(sAt, limitOf(sLo, sHi), (newEsp - frame) >>> 0, frame)) c.raise(A.VEC_SS, newSs & 0xfffc);
    // Parameters are read from the caller's stack before anything changes.
    const params: number[] = [];
    for (let k = paramCount - 1; k >= 0; k--) params.push(peek(c, 4 * k, 4));
    const oldEsp = oldSpLo >>> 0;
    const at4 = (k: number): number => (ssBase + ((newEsp - 4 * k) >>> 0)) >>> 0;
    c.cpl = newCpl; c.updateCplMasks();
    try {
      c.wr32(at4(1), oldSs);
      c.wr32(at4(2), oldEsp);
      for (let k = 0; k < params.length; k++) c.wr32(at4(3 + k), params[k]!);
      c.wr32(at4(3 + paramCount), oldCs);
      c.wr32(at4(4 + paramCount), retIp >>> 0);
    } catch (e) { c.cpl = oldCpl; c.updateCplMasks(); throw e; }
    c.dLo = sLo; c.dHi = sHi;
    markAccessed(c, newSs);
    commitSegment(c, SEG_SS, newSs);
    c.rl[4] = (newEsp - 4 * (4 + paramCount)) | 0; c.rh[4] = 0;
  }
  c.dLo = cLo; c.dHi = cHi;
  enterCode(c, csSel, newCpl, offset);
  updateMode(c);
}

function descriptorBase(c: Cpu, sel: number): number { return ((sel & 4) ? c.ldtrBase : c.gdtrBase) + (sel & 0xfff8); }

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
  const at = attrsOf(c.dHi);
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
  const at = attrsOf(c.dHi);
  if (!(at & A.ATTR_S) || (at & DESC_CODE) || !(at & DESC_WRITABLE) || ((at >> A.ATTR_DPL_SHIFT) & 3) !== rpl) c.raise(A.VEC_GP, err);
  if (!(at & A.ATTR_P)) c.raise(A.VEC_SS, err);
  return [c.dLo, c.dHi];
}

/** Load SS from a saved descriptor pair (or null it, 64-bit mode) and the stack pointer: `sp` (the low
 *  dword when spSize is 8) and `spHi`, the high dword of a 64-bit RSP. */
function loadStack(c: Cpu, ss: number, desc: [number, number] | undefined, sp: number, spSize: number, spHi = 0): void {
  if (desc === undefined) {
    c.segSel[SEG_SS] = ss; c.segAttr[SEG_SS] = 0; c.segBase[SEG_SS] = 0; c.segLimit[SEG_SS] = 0;
  } else {
    c.dLo = desc[0]; c.dHi = desc[1];
    markAccessed(c, ss);
    commitSegment(c, SEG_SS, ss);
  }
  if (spSize === 8) { c.rl[4] = sp | 0; c.rh[4] = spHi; }
  else if (c.segAttr[SEG_SS]! & A.ATTR_DB || c.long64 || desc === undefined) { c.rl[4] = sp | 0; c.rh[4] = 0; }
  else c.rl[4] = (c.rl[4]! & ~0xffff) | (sp & 0xffff);
}

/** RETF / RETF imm16 (CB / CA): same privilege, or to an outer level popping SS:(E/R)SP as well. */
export function farReturn(c: Cpu, i: Insn): void {
  if (paragraphSegments(c)) { farReturn8086(c, i); return; }
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
  // A 64-bit RSP stays two dwords: the popped RSP need not be canonical (RET far checks only the return
  // RIP, SDM Vol. 2 RET, IA-32e mode) and a non-canonical value does not fit a double. RETF imm16 adds
  // imm16 to it as a 64-bit sum.
  let sp: number, spHi = 0;
  if (sz === 8) {
    const sum = (c.rd64(c.rspLa() + 2 * sz + imm) >>> 0) + imm;
    sp = sum | 0; spHi = (c.th + Math.floor(sum / TWO32)) | 0;
  } else sp = peek(c, 2 * sz + imm, sz) + imm;
  const ss = peek(c, 3 * sz + imm, sz) & 0xffff;
  const ssDesc = checkReturnSs(c, ss, rpl, to64);
  c.dLo = csDesc[0]; c.dHi = csDesc[1];
  enterCode(c, cs, rpl, sz === 2 ? target & 0xffff : target);
  c.cpl = rpl; c.updateCplMasks();
  loadStack(c, ss, ssDesc, sp, sz, spHi);
  nullInaccessibleDataSegments(c, rpl);
  updateMode(c);
}

/** IRET/IRETD in protected mode outside IA-32e mode (SDM Vol. 2 IRET, "PROTECTED-MODE"). NT=1 returns to the
 *  task in the TSS back-link (tasks.ts); an IRETD at CPL 0 whose EFLAGS image has VM=1 returns to
 *  virtual-8086 mode (mode8086.ts). Real-address and virtual-8086 mode's own IRET is mode8086.ts iret8086. */
export function iretProtected(c: Cpu, i: Insn): void {
  const sz = i.osz === 2 ? 2 : 4;
  if (c.fl & A.RFLAGS_NT) {
    const link = c.sysRd32(c.trBase) & 0xffff; // TSS offset 0: previous task link
    taskSwitch(c, link, 'iret', c.nextRip, -1, 0);
    return;
  }
  const eip = peek(c, 0, sz);
  const cs = peek(c, sz, sz) & 0xffff;
  const flags = peek(c, 2 * sz, sz);
  if (sz === 4 && (flags & A.RFLAGS_VM) && c.cpl === 0) { iretToV86(c); return; }
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
