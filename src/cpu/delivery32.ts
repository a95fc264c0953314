// Event delivery through a protected-mode (non-IA-32e) IDT: 8-byte interrupt and trap gates
// (SDM Vol. 3 6.10-6.12). Same privilege: EFLAGS, CS, EIP [, error code] are pushed on the current stack.
// Inner privilege: SS:ESP for the new CPL come from the 32-bit TSS (SS0:ESP0 at offsets 8 and 4, SDM 8.2.1)
// and the old SS, ESP are pushed first. Interrupt gates clear IF; every gate clears TF, NT, RF and VM
// (SDM 6.12.1.2). 16-bit gates push 2-byte slots; task gates switch tasks (tasks.ts). From virtual-8086 mode
// the frame also holds GS, FS, DS, ES and the handler runs at CPL 0 (SDM Vol. 3 20.3.1.1).
// In IA-32e mode (also from compatibility mode) Cpu.deliverIdt uses the 16-byte 64-bit gates instead.

import type { Cpu } from './cpu.js';
import { updateMode } from './mode.js';
import { commitSegment, markAccessed, offsetInLimit } from './segments.js';
import {
  DESC_CODE, DESC_CONFORMING, DESC_WRITABLE, SEG_CS, SEG_DS, SEG_ES, SEG_FS, SEG_GS, SEG_SS, SYS_INT_GATE16, SYS_INT_GATE32, SYS_TASK_GATE, SYS_TRAP_GATE16,
  SYS_TRAP_GATE32, attrsOf, baseOf, limitOf,
} from './descriptor.js';
import { taskSwitch } from './tasks.js';
import * as A from './arch.js';

/** 32-bit TSS: ESPn at 4 + 8n, SSn at 8 + 8n (SDM Vol. 3 Figure 8-2). */
const TSS32_ESP0 = 4;
const TSS32_SS0 = 8;

/** Raise `vec` with an error code naming the IDT entry (EXT, IDT=1: SDM 6.13). */
function idtFault(c: Cpu, vec: number, gate: number, ext: number): never { c.raise(vec, gate * 8 + 2 + ext); }

export function deliverIdt32(c: Cpu, vec: number, err: number, pushEip: number, pushRf: boolean | undefined, soft: boolean, ext: number): void {
  const e = soft ? 0 : ext;
  if (vec * 8 + 7 > c.idtrLimit) idtFault(c, A.VEC_GP, vec, e);
  const g = c.idtrBase + vec * 8;
  const w0 = c.sysRd32(g), w1 = c.sysRd32(g + 4);
  const type = (w1 >>> 8) & 0x1f, dpl = (w1 >>> 13) & 3, present = (w1 >>> 15) & 1;
  if (type === SYS_TASK_GATE) {
    // Task gate: the handler is a task (SDM 6.11, 8.3); the error code goes on the new task's stack.
    if (soft && dpl < c.cpl) idtFault(c, A.VEC_GP, vec, 0);
    if (!present) idtFault(c, A.VEC_NP, vec, e);
    taskSwitch(c, w0 >>> 16, 'event', pushEip, err, e);
    return;
  }
  const gate16 = type === SYS_INT_GATE16 || type === SYS_TRAP_GATE16;
  if (!gate16 && type !== SYS_INT_GATE32 && type !== SYS_TRAP_GATE32) idtFault(c, A.VEC_GP, vec, e);
  // The gate's size decides the frame: 2-byte slots and a 16-bit offset for 16-bit gates (SDM 6.12.1).
  const w = gate16 ? 2 : 4;
  const put = (la: number, v: number): void => { if (w === 4) c.wr32(la, v); else c.wr16(la, v & 0xffff); };
  // INT n / INT3 / INTO check the gate's DPL against CPL (SDM 6.12.1.1).
  if (soft && dpl < c.cpl) idtFault(c, A.VEC_GP, vec, 0);
  if (!present) idtFault(c, A.VEC_NP, vec, e);
  const sel = w0 >>> 16;
  const offset = gate16 ? w0 & 0xffff : ((w0 & 0xffff) | (w1 & 0xffff0000)) >>> 0;
  if ((sel & 0xfffc) === 0) c.raise(A.VEC_GP, e);
  c.readDescriptor(sel, e);
  const cLo = c.dLo, cHi = c.dHi;
  const cAttr = attrsOf(cHi);
  const cdpl = (cAttr >> A.ATTR_DPL_SHIFT) & 3;
  if (!(cAttr & A.ATTR_S) || !(cAttr & DESC_CODE) || cdpl > c.cpl) c.raise(A.VEC_GP, (sel & 0xfffc) | e);
  if (!(cAttr & A.ATTR_P)) c.raise(A.VEC_NP, (sel & 0xfffc) | e);
  if (offset > limitOf(cLo, cHi)) c.raise(A.VEC_GP, e);
  const oldCpl = c.cpl;
  const newCpl = (cAttr & DESC_CONFORMING) ? oldCpl : cdpl;
  // From virtual-8086 mode the handler must run at CPL 0 on the TSS stack (SDM Vol. 3 20.3.1.1; Vol. 2 INT n
  // INTERRUPT-FROM-VIRTUAL-8086-MODE; QEMU do_interrupt_protected): a conforming or DPL > 0 target is #GP(selector).
  const fromV86 = c.v86Mode;
  if (fromV86 && newCpl !== 0) c.raise(A.VEC_GP, (sel & 0xfffc) | e);
  const flags = c.getFlags();
  let pushedFlags = flags & ~A.RFLAGS_RF;
  if (pushRf === true || (pushRf === undefined && (flags & A.RFLAGS_RF))) pushedFlags |= A.RFLAGS_RF;
  const oldSs = c.segSel[SEG_SS]!, oldCs = c.segSel[SEG_CS]!, oldEsp = c.rl[4]! >>> 0;
  const n = err >= 0 ? 4 : 3;

  if (newCpl < oldCpl) {
    // Inner privilege: the new stack from the TSS, checked as SDM 6.12.1 lists (#TS for a bad SS).
    const espOff = TSS32_ESP0 + newCpl * 8, ssOff = TSS32_SS0 + newCpl * 8;
    if (ssOff + 1 > c.trLimit) c.raise(A.VEC_TS, (c.trSel & 0xfffc) | e);
    const newEsp = c.sysRd32(c.trBase + espOff) >>> 0;
    const newSs = c.sysRd32(c.trBase + ssOff) & 0xffff;
    if ((newSs & 0xfffc) === 0) c.raise(A.VEC_TS, e);
    if ((newSs & 3) !== newCpl) c.raise(A.VEC_TS, (newSs & 0xfffc) | e);
    c.readDescriptor(newSs, e);
    const sAttr = attrsOf(c.dHi);
    if (!(sAttr & A.ATTR_S) || (sAttr & DESC_CODE) || !(sAttr & DESC_WRITABLE) || ((sAttr >> A.ATTR_DPL_SHIFT) & 3) !== newCpl) {
      c.raise(A.VEC_TS, (newSs & 0xfffc) | e);
    }
    if (!(sAttr & A.ATTR_P)) c.raise(A.VEC_SS, (newSs & 0xfffc) | e);
    const sLo = c.dLo, sHi = c.dHi;
    const ssBase = baseOf(sLo, sHi), ssLimit = limitOf(sLo, sHi);
    const big = (sAttr & A.ATTR_DB) !== 0;
    const wrap = (v: number): number => (big ? v >>> 0 : v & 0xffff);
    // From virtual-8086 mode GS, FS, DS, ES go first: the frame IRET pops to return there (SDM 20.3.1.1).
    const segSlots = fromV86 ? 4 : 0;
    const slots = n + 2 + segSlots;
    // The whole frame must fit in the new stack segment: #SS(new SS) otherwise (SDM 6.12.1).
    const frameLow = wrap(newEsp - w * slots);
    if (!offsetInLimit(sAttr, ssLimit, frameLow, w * slots)) c.raise(A.VEC_SS, (newSs & 0xfffc) | e);
    const at = (k: number): number => (ssBase + wrap(newEsp - w * (k + segSlots))) >>> 0;
    // The pushes are supervisor accesses at the new CPL; nothing is committed until all of them succeeded.
    c.cpl = newCpl; c.updateCplMasks();
    try {
      if (fromV86) {
        put(at(-3), c.segSel[SEG_GS]!);
        put(at(-2), c.segSel[SEG_FS]!);
        put(at(-1), c.segSel[SEG_DS]!);
        put(at(0), c.segSel[SEG_ES]!);
      }
      put(at(1), oldSs);
      put(at(2), oldEsp);
      put(at(3), pushedFlags);
      put(at(4), oldCs);
      put(at(5), pushEip >>> 0);
      if (err >= 0) put(at(6), err);
    } catch (ex) {
      c.cpl = oldCpl; c.updateCplMasks();
      throw ex;
    }
    c.dLo = sLo; c.dHi = sHi;
    markAccessed(c, newSs);
    commitSegment(c, SEG_SS, newSs);
    const top = wrap(newEsp - w * slots);
    if (big) { c.rl[4] = top | 0; c.rh[4] = 0; } else c.rl[4] = (c.rl[4]! & ~0xffff) | top;
    // The handler starts with null data segments: their paragraphs mean nothing in protected mode (SDM 20.3.1.1).
    if (fromV86) for (const s of [SEG_ES, SEG_DS, SEG_FS, SEG_GS]) { c.segSel[s] = 0; c.segAttr[s] = 0; c.segBase[s] = 0; c.segLimit[s] = 0; }
  } else {
    // Same privilege: push on the current stack (ESP or SP per SS.B), with the SS limit check (#SS(0)).
    const wrap = (v: number): number => (c.ss32 ? v >>> 0 : v & 0xffff);
    const at = (k: number): number => c.stackLin(wrap(oldEsp - w * k), w);
    put(at(1), pushedFlags);
    put(at(2), oldCs);
    put(at(3), pushEip >>> 0);
    if (err >= 0) put(at(4), err);
    const top = wrap(oldEsp - w * n);
    if (c.ss32) { c.rl[4] = top | 0; c.rh[4] = 0; } else c.rl[4] = (c.rl[4]! & ~0xffff) | top;
  }
  c.dLo = cLo; c.dHi = cHi;
  markAccessed(c, sel);
  commitSegment(c, SEG_CS, (sel & 0xfffc) | newCpl);
  if (newCpl !== oldCpl) { c.cpl = newCpl; c.updateCplMasks(); }
  let f = c.fl & ~(A.RFLAGS_TF | A.RFLAGS_NT | A.RFLAGS_RF | A.RFLAGS_VM);
  if (type === SYS_INT_GATE32 || type === SYS_INT_GATE16) f &= ~A.RFLAGS_IF;
  c.fl = f;
  updateMode(c);
  c.rip = offset; c.nextRip = offset;
  c.fLin0 = NaN;
}
