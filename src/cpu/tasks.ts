// Hardware task switching with 32-bit TSSs outside IA-32e mode (SDM Vol. 3 chapter 8 "Task Management",
// 8.3 "Task Switching"): JMP/CALL to a TSS descriptor or a task gate, an interrupt/exception through a task
// gate in the IDT, and IRET with EFLAGS.NT=1 back to the previous task. The TSS T (debug trap) flag raises
// a #DB with DR6.BT before the new task's first instruction (taskSwitchTrap, debug.ts). Not modelled:
// 16-bit TSSs, I/O-permission and interrupt-redirection bitmaps beyond what ops.ts reads,
// and task switches in IA-32e mode (which the architecture does not support: #GP).

import type { TaskSwitchSource } from './api.js';
import type { Cpu } from './cpu.js';
import { laToBig } from './canonical.js';
import { updateMode } from './mode.js';
import * as P from './paging32.js';
import { commitSegment } from './segments.js';
import { enterV86Task } from './mode8086.js';
import {
  DESC_CODE, DESC_CONFORMING, DESC_READABLE, DESC_WRITABLE, SEG_CS, SEG_SS, SYS_TSS16_AVAIL, SYS_TSS16_BUSY,
  SYS_TSS32_AVAIL, SYS_TSS32_BUSY, attrsOf, baseOf, limitOf,
} from './descriptor.js';
import * as A from './arch.js';

/** The busy flag is bit 1 of the TSS descriptor type (bit 9 of its high dword). */
const TSS_BUSY_HI = 1 << 9;
/** A 32-bit TSS is at least 104 bytes (limit 67H, SDM 8.2.2). */
const TSS32_MIN_LIMIT = 0x67;
/** 32-bit TSS layout (SDM Vol. 3 Figure 8-2). */
const T_LINK = 0x00, T_CR3 = 0x1c, T_EIP = 0x20, T_EFLAGS = 0x24, T_GPR = 0x28, T_SEG = 0x48, T_LDT = 0x60, T_TRAP = 0x64;
/** Bit 0 of the word at offset 100: the debug trap (T) flag (SDM Vol. 3 8.2.1, 18.3.1.5). */
const TSS_T = 1;

function gdtAddress(c: Cpu, sel: number): number { return c.gdtrBase + (sel & 0xfff8); }

/**
 * Switch to the task whose TSS `sel` names. `savedEip` is the EIP stored in the old task's TSS (the
 * instruction after JMP/CALL/IRET, or the RIP an event pushes); `err` (>= 0) is pushed on the new task's
 * stack for an exception with an error code; `ext` is the EXT bit of error codes.
 */
export function taskSwitch(c: Cpu, sel: number, src: TaskSwitchSource, savedEip: number, err: number, ext: number): void {
  const selErr = (sel & 0xfffc) | ext;
  const faultVec = src === 'iret' ? A.VEC_TS : A.VEC_GP;
  if (c.efer & A.EFER_LMA) c.raise(A.VEC_GP, selErr); // no task switching in IA-32e mode
  if ((sel & 0xfffc) === 0 || (sel & 4)) c.raise(faultVec, selErr); // the TSS lives in the GDT
  c.readDescriptor(sel, ext);
  const nLo = c.dLo, nHi = c.dHi;
  const nAt = attrsOf(nHi);
  const type = nAt & A.ATTR_TYPE_MASK;
  if (nAt & A.ATTR_S) c.raise(faultVec, selErr);
  if (type === SYS_TSS16_AVAIL || type === SYS_TSS16_BUSY) {
    c.log('warn', 'cpu-unsupported', { what: 'task switch to a 16-bit TSS', selector: sel });
    c.raise(faultVec, selErr);
  }
  if (src === 'iret' ? type !== SYS_TSS32_BUSY : type !== SYS_TSS32_AVAIL) c.raise(faultVec, selErr);
  if (!(nAt & A.ATTR_P)) c.raise(A.VEC_NP, selErr);
  const nBase = baseOf(nLo, nHi), nLimit = limitOf(nLo, nHi);
  if (nLimit < TSS32_MIN_LIMIT) c.raise(A.VEC_TS, selErr);
  // The checks above are the ones made before a VM exit can happen (SDM Vol. 3C 26.4.2); from here on a
  // hypervisor has taken the exit and emulates the rest (KVM: kvm_task_switch -> emulator_task_switch).
  c.host.interceptTaskSwitch({ selector: sel, source: src, rip: laToBig(src === 'event' ? savedEip : c.insnRip) });

  // Read the new task's state first: a #PF here happens before anything changed.
  const rd = (off: number): number => c.sysRd32(nBase + off);
  const nCr3 = rd(T_CR3) >>> 0, nEip = rd(T_EIP) >>> 0;
  let nFlags = rd(T_EFLAGS) >>> 0;
  const nGpr: number[] = [];
  for (let k = 0; k < 8; k++) nGpr.push(rd(T_GPR + 4 * k));
  const nSeg: number[] = [];
  for (let k = 0; k < 6; k++) nSeg.push(rd(T_SEG + 4 * k) & 0xffff);
  const nLdt = rd(T_LDT) & 0xffff;
  const nTrap = (rd(T_TRAP) & TSS_T) !== 0;

  // Save the old task (SDM 8.3 step 9): EIP, EFLAGS (NT cleared by IRET), general registers, selectors.
  const oBase = c.trBase, oSel = c.trSel;
  let oFlags = c.getFlags();
  if (src === 'iret') oFlags &= ~A.RFLAGS_NT;
  c.sysWr32(oBase + T_EIP, savedEip);
  c.sysWr32(oBase + T_EFLAGS, oFlags);
  for (let k = 0; k < 8; k++) c.sysWr32(oBase + T_GPR + 4 * k, c.rl[k]!);
  for (let k = 0; k < 6; k++) c.sysWr32(oBase + T_SEG + 4 * k, c.segSel[k]!);
  // Busy flags: JMP and IRET leave the old task (not busy any more); CALL and events nest.
  if (src === 'jmp' || src === 'iret') {
    const a = gdtAddress(c, oSel) + 4;
    c.sysWr32(a, c.sysRd32(a) & ~TSS_BUSY_HI);
  }
  if (src !== 'iret') {
    c.sysWr32(gdtAddress(c, sel) + 4, nHi | TSS_BUSY_HI);
  }
  if (src === 'call' || src === 'event') {
    c.sysWr32(nBase + T_LINK, oSel); // back-link for the IRET that returns
    nFlags |= A.RFLAGS_NT;
  }

  // Commit: TR, CR0.TS, CR3, registers. Faults from here on are taken in the new task (SDM 8.3 step 12).
  c.trSel = sel; c.trBase = nBase; c.trLimit = nLimit; c.trAttr = (nAt & ~A.ATTR_TYPE_MASK) | SYS_TSS32_BUSY;
  c.cr0 |= A.CR0_TS;
  if (c.cr0 & A.CR0_PG) {
    c.cr3 = nCr3;
    if (P.paeLegacyActive(c)) P.reloadPdptesNoFault(c);
    c.flushTlb();
  }
  for (let k = 0; k < 8; k++) { c.rl[k] = nGpr[k]!; c.rh[k] = 0; }
  c.setFlagsAll(nFlags);
  updateMode(c); // EFLAGS.VM of the new task decides how its selectors load
  // RF comes from the new task's EFLAGS image and survives the end of the JMP/CALL/IRET/INT n that switched
  // (SDM Vol. 3 18.3.1.1: "copied into the RF flag ... by IRETD/IRETQ or a task switch that causes the return").
  c.rfKeep = (nFlags & A.RFLAGS_RF) !== 0;
  c.dr7 = A.dr7AfterTaskSwitch(c.dr7);
  c.rip = nEip; c.nextRip = nEip;
  if (nFlags & A.RFLAGS_VM) {
    // The new task runs in virtual-8086 mode: its selectors are paragraphs, no descriptor checks (mode8086.ts).
    try {
      loadLdt(c, nLdt);
      enterV86Task(c, nSeg);
    } catch (e) {
      if (src !== 'event') c.insnRip = nEip;
      updateMode(c);
      throw e;
    }
    c.fLin0 = NaN;
    c.dbBranch = true;
    if (nTrap) c.taskSwitchTrap = true;
    c.recomputeSlow();
    if (err >= 0) c.pushLeg(err, 4);
    return;
  }
  // Selectors are loaded first, then their descriptors are checked; a bad one is #TS(selector). Such a
  // fault belongs to the new task: for a JMP/CALL/IRET it reports the new task's EIP (SDM 8.3 step 12).
  for (let k = 0; k < 6; k++) c.segSel[k] = nSeg[k]!;
  c.cpl = nSeg[SEG_CS]! & 3; c.updateCplMasks();
  try {
    loadLdt(c, nLdt);
    loadTaskSegment(c, SEG_CS, nSeg[SEG_CS]!);
    loadTaskSegment(c, SEG_SS, nSeg[SEG_SS]!);
    for (const s of [0, 3, 4, 5]) loadTaskSegment(c, s, nSeg[s]!);
  } catch (e) {
    if (src !== 'event') c.insnRip = nEip;
    updateMode(c);
    throw e;
  }
  updateMode(c);
  c.fLin0 = NaN;
  c.dbBranch = true;
  if (nTrap) c.taskSwitchTrap = true;
  c.recomputeSlow();
  if (err >= 0) c.pushLeg(err, 4); // an exception's error code goes on the new task's stack
}

function loadLdt(c: Cpu, sel: number): void {
  c.ldtrSel = sel;
  if ((sel & 0xfffc) === 0) { c.ldtrBase = 0; c.ldtrLimit = 0; c.ldtrAttr = 0; return; }
  if (sel & 4) c.raise(A.VEC_TS, sel & 0xfffc);
  c.readDescriptor(sel, 0);
  const at = attrsOf(c.dHi);
  if ((at & A.ATTR_S) || (at & A.ATTR_TYPE_MASK) !== A.SYS_LDT) c.raise(A.VEC_TS, sel & 0xfffc);
  if (!(at & A.ATTR_P)) c.raise(A.VEC_TS, sel & 0xfffc);
  c.ldtrAttr = at; c.ldtrBase = baseOf(c.dLo, c.dHi); c.ldtrLimit = limitOf(c.dLo, c.dHi);
}

/** Segment loads of a task switch: the checks of SDM 8.3 step 12 / Table 8-1, #TS(selector) on failure
 *  (#NP / #SS for not present). */
function loadTaskSegment(c: Cpu, s: number, sel: number): void {
  const err = sel & 0xfffc;
  if (err === 0) {
    if (s === SEG_CS || s === SEG_SS) c.raise(A.VEC_TS, 0);
    c.segAttr[s] = 0; c.segBase[s] = 0; c.segLimit[s] = 0;
    return;
  }
  const tableLimit = (sel & 4) ? c.ldtrLimit : c.gdtrLimit;
  if ((sel & 0xfff8) + 7 > tableLimit) c.raise(A.VEC_TS, err);
  c.readDescriptor(sel, 0);
  const at = attrsOf(c.dHi);
  const dpl = (at >> A.ATTR_DPL_SHIFT) & 3, rpl = sel & 3;
  const code = (at & DESC_CODE) !== 0;
  if (!(at & A.ATTR_S)) c.raise(A.VEC_TS, err);
  if (s === SEG_CS) {
    if (!code || ((at & DESC_CONFORMING) ? dpl > rpl : dpl !== rpl)) c.raise(A.VEC_TS, err);
    if (!(at & A.ATTR_P)) c.raise(A.VEC_NP, err);
  } else if (s === SEG_SS) {
    if (code || !(at & DESC_WRITABLE) || dpl !== c.cpl || rpl !== c.cpl) c.raise(A.VEC_TS, err);
    if (!(at & A.ATTR_P)) c.raise(A.VEC_SS, err);
  } else {
    if (code && !(at & DESC_READABLE)) c.raise(A.VEC_TS, err);
    const conforming = code && (at & DESC_CONFORMING) !== 0;
    if (!conforming && (dpl < c.cpl || dpl < rpl)) c.raise(A.VEC_TS, err);
    if (!(at & A.ATTR_P)) c.raise(A.VEC_NP, err);
  }
  commitSegment(c, s, sel);
}
