// LAR, LSL, VERR and VERW: the instructions that inspect a descriptor without faulting on a bad selector
// (SDM Vol. 2). Installed by system.ts (0F 02 / 0F 03) and grp6 (0F 00 /4 /5).

import type { Cpu } from './cpu.js';
import type { Insn } from './decoder.js';
import * as A from './arch.js';
import { attrsOf, limitOf } from './descriptor.js';
import { refuseDescriptorInsn8086 } from './mode8086.js';

// ---------------------------------------------------------------------------------------------
// LAR / LSL / VERR / VERW (SDM Vol. 2): descriptor inspection without faults for a bad selector; the
// answer is ZF (1 = valid and accessible at max(CPL, RPL)).
// ---------------------------------------------------------------------------------------------
/** Read the descriptor of `sel` into c.dLo/c.dHi if it is inside its table; false for a null selector or
 *  one beyond the table limit (these instructions clear ZF instead of faulting). */
function peekDescriptor(c: Cpu, sel: number): boolean {
  if ((sel & 0xfffc) === 0) return false;
  const ti = (sel & 4) !== 0;
  const limit = ti ? c.ldtrLimit : c.gdtrLimit;
  if ((sel & 0xfff8) + 7 > limit) return false;
  c.readDescriptor(sel, 0);
  return true;
}
/** Privilege rule shared by LAR/LSL/VERR/VERW: conforming code is always visible, everything else needs
 *  DPL >= CPL and DPL >= RPL. */
function visible(c: Cpu, sel: number, at: number): boolean {
  if ((at & A.ATTR_S) && (at & 8) && (at & 4)) return true;
  const dpl = (at >> A.ATTR_DPL_SHIFT) & 3;
  return dpl >= c.cpl && dpl >= (sel & 3);
}
/** System descriptor types LAR (gates too) and LSL accept (SDM Vol. 2 LAR/LSL tables); IA-32e mode drops
 *  the 16-bit TSS, the 16-bit call gate and the task gate. */
function systemTypeOk(c: Cpu, type: number, lar: boolean): boolean {
  const ia32e = (c.efer & A.EFER_LMA) !== 0;
  switch (type) {
    case A.SYS_LDT: case A.SYS_TSS64_AVAIL: case A.SYS_TSS64_BUSY: return true;
    case 0x1: case 0x3: return !ia32e;           // 16-bit TSS
    case A.SYS_CALL_GATE64: return lar;          // 32-bit / 64-bit call gate
    case 0x4: case 0x5: return lar && !ia32e;    // 16-bit call gate, task gate
    default: return false;
  }
}
export function larLsl(c: Cpu, i: Insn, lsl: boolean): void {
  refuseDescriptorInsn8086(c);
  if (i.lock) c.raiseUD();
  const sel = i.mem ? c.rd16(c.ea(i)) : c.rl[i.rm]! & 0xffff;
  let ok = peekDescriptor(c, sel);
  let at = 0;
  if (ok) {
    at = attrsOf(c.dHi);
    if (!(at & A.ATTR_S) && !systemTypeOk(c, at & A.ATTR_TYPE_MASK, !lsl)) ok = false;
    else if (!visible(c, sel, at)) ok = false;
  }
  c.setArith(A.RFLAGS_ZF, ok ? A.RFLAGS_ZF : 0);
  if (!ok) return;
  const sz = i.osz;
  // LAR: the descriptor's second dword with bits 7:0 and 31:24 cleared (FLAGS image 15:8 for 16-bit).
  const v = lsl ? limitOf(c.dLo, c.dHi) : c.dHi & (sz === 2 ? 0xff00 : 0x00ffff00);
  c.setReg(i.reg, sz, i.rex, v | 0, 0);
}
export function verify(c: Cpu, sel: number, write: boolean): void {
  let ok = peekDescriptor(c, sel);
  if (ok) {
    const at = attrsOf(c.dHi);
    const code = (at & 8) !== 0;
    if (!(at & A.ATTR_S)) ok = false;
    else if (write) ok = !code && (at & 2) !== 0 && visible(c, sel, at);
    else ok = (!code || (at & 2) !== 0) && visible(c, sel, at);
  }
  c.setArith(A.RFLAGS_ZF, ok ? A.RFLAGS_ZF : 0);
}
