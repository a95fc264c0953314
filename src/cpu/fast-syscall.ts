// The fast system calls: SYSCALL / SYSRET (64-bit mode; AMD also from compatibility mode) and SYSENTER /
// SYSEXIT, which load flat CS/SS from MSRs without reading descriptors (SDM Vol. 2 and Vol. 3 5.8.7-5.8.8;
// AMD APM Vol. 2 6.1.1).

import type { Cpu } from './cpu.js';
import { TWO32 } from './canonical.js';
import type { Insn } from './decoder.js';
import * as A from './arch.js';
import { updateMode } from './mode.js';
import { singleStepFromResult } from './debug.js';

// ---------------------------------------------------------------------------------------------
// SYSCALL / SYSRET (SDM Vol. 2; AMD APM Vol. 2 6.1.1)
// ---------------------------------------------------------------------------------------------
export function syscall(c: Cpu): void {
  if (!(c.efer & A.EFER_SCE) || !(c.efer & A.EFER_LMA)) c.raiseUD();
  // Intel: only in 64-bit mode (SDM Vol. 2 SYSCALL); AMD: compatibility mode enters at CSTAR (APM Vol. 2 6.1.1).
  if (!c.long64 && c.vendor === 'intel') c.raiseUD();
  const nr = c.nextRip;
  const target = Number(BigInt.asIntN(64, c.long64 ? c.lstar : c.cstar));
  c.rl[1] = nr % TWO32 | 0; c.rh[1] = Math.floor(nr / TWO32) | 0;
  const f = c.getFlags();
  c.rl[11] = f & ~A.RFLAGS_RF; c.rh[11] = 0;
  const sel = Number((c.star >> 32n) & 0xffffn);
  c.segSel[1] = sel & 0xfffc; c.segBase[1] = 0; c.segLimit[1] = 0xffffffff;
  c.segAttr[1] = A.ATTR_P | A.ATTR_S | 0xb | A.ATTR_L | A.ATTR_G;
  c.segSel[2] = (sel + 8) & 0xfffc; c.segBase[2] = 0; c.segLimit[2] = 0xffffffff;
  c.segAttr[2] = A.ATTR_P | A.ATTR_S | 0x3 | A.ATTR_DB | A.ATTR_G;
  c.setFlagsAll(f & ~(c.sfmask | A.RFLAGS_RF));
  c.cpl = 0; c.updateCplMasks();
  updateMode(c); // from compatibility mode SYSCALL enters 64-bit mode
  c.fLin0 = NaN;
  c.jumpTo(c.canon(target));
  singleStepFromResult(c);
}

export function sysret(c: Cpu, i: Insn): void {
  if (!(c.efer & A.EFER_SCE) || !(c.efer & A.EFER_LMA)) c.raiseUD();
  if (c.cpl !== 0) c.raiseGP0();
  const sel = Number((c.star >> 48n) & 0xffffn);
  let target: number;
  if (i.rexW) {
    target = c.regLa(1); // non-canonical RCX -> #GP(0) at CPL0 (Intel)
    c.segSel[1] = ((sel + 16) & 0xfffc) | 3;
    c.segAttr[1] = A.ATTR_P | A.ATTR_S | 0xb | A.ATTR_L | A.ATTR_G | (3 << A.ATTR_DPL_SHIFT);
  } else {
    // SYSRET to compatibility mode: CS = STAR[63:48] (32-bit flat code), EIP = ECX (SDM Vol. 2 SYSRET).
    target = c.rl[1]! >>> 0;
    c.segSel[1] = (sel & 0xfffc) | 3;
    c.segAttr[1] = A.ATTR_P | A.ATTR_S | 0xb | A.ATTR_DB | A.ATTR_G | (3 << A.ATTR_DPL_SHIFT);
  }
  c.segBase[1] = 0; c.segLimit[1] = 0xffffffff;
  c.segSel[2] = ((sel + 8) & 0xfffc) | 3; c.segBase[2] = 0; c.segLimit[2] = 0xffffffff;
  c.segAttr[2] = A.ATTR_P | A.ATTR_S | 0x3 | A.ATTR_DB | A.ATTR_G | (3 << A.ATTR_DPL_SHIFT);
  const f = (c.rl[11]! & 0x3c7fd7) | 2;
  c.cpl = 3; c.updateCplMasks();
  c.setFlagsAll(f);
  updateMode(c);
  c.fLin0 = NaN;
  c.nextRip = target;
  c.dbBranch = true;
  singleStepFromResult(c);
}

// ---------------------------------------------------------------------------------------------
// SYSENTER / SYSEXIT (SDM Vol. 2; flat segments from IA32_SYSENTER_CS, no descriptor reads). AMD does
// not support them in long mode (APM Vol. 3: #UD in IA-32e mode).
// ---------------------------------------------------------------------------------------------
const SYS_FLAT_CODE = A.ATTR_P | A.ATTR_S | 0xb | A.ATTR_G;
const SYS_FLAT_STACK = A.ATTR_P | A.ATTR_S | 0x3 | A.ATTR_DB | A.ATTR_G;

function sysFlat(c: Cpu, s: number, sel: number, attrs: number): void {
  c.segSel[s] = sel; c.segBase[s] = 0; c.segLimit[s] = 0xffffffff; c.segAttr[s] = attrs;
}

export function sysenter(c: Cpu): void {
  if (c.vendor === 'amd' && (c.efer & A.EFER_LMA)) c.raiseUD();
  const cs = Number(c.sysenterCs & 0xffffn);
  // Real-address mode: #GP(0) (SDM Vol. 2B SYSENTER, "IF CR0.PE = 0 THEN #GP(0)").
  if ((cs & 0xfffc) === 0 || !(c.cr0 & A.CR0_PE)) c.raiseGP0();
  const ia32e = (c.efer & A.EFER_LMA) !== 0;
  const eip = Number(BigInt.asIntN(64, c.sysenterEip)), esp = Number(BigInt.asIntN(64, c.sysenterEsp));
  c.fl &= ~(A.RFLAGS_VM | A.RFLAGS_IF | A.RFLAGS_RF);
  sysFlat(c, 1, cs & 0xfffc, SYS_FLAT_CODE | (ia32e ? A.ATTR_L : A.ATTR_DB));
  sysFlat(c, 2, (cs + 8) & 0xfffc, SYS_FLAT_STACK);
  c.cpl = 0; c.updateCplMasks();
  if (ia32e) { c.rl[4] = esp % TWO32 | 0; c.rh[4] = Math.floor(esp / TWO32) | 0; }
  else { c.rl[4] = esp | 0; c.rh[4] = 0; }
  updateMode(c);
  c.recomputeSlow();
  c.fLin0 = NaN;
  c.nextRip = ia32e ? eip : eip >>> 0;
  c.dbBranch = true;
}

export function sysexit(c: Cpu, i: Insn): void {
  if (c.vendor === 'amd' && (c.efer & A.EFER_LMA)) c.raiseUD();
  const cs = Number(c.sysenterCs & 0xffffn);
  if ((cs & 0xfffc) === 0 || c.cpl !== 0 || !(c.cr0 & A.CR0_PE)) c.raiseGP0(); // SDM Vol. 2B SYSEXIT
  const to64 = i.rexW;
  let eip: number, esp: number;
  if (to64) { eip = c.regLa(2); esp = c.regLa(1); }
  else { eip = c.rl[2]! >>> 0; esp = c.rl[1]! >>> 0; }
  const user = 3 << A.ATTR_DPL_SHIFT;
  sysFlat(c, 1, ((cs + (to64 ? 32 : 16)) & 0xfffc) | 3, SYS_FLAT_CODE | user | (to64 ? A.ATTR_L : A.ATTR_DB));
  sysFlat(c, 2, ((cs + (to64 ? 40 : 24)) & 0xfffc) | 3, SYS_FLAT_STACK | user);
  c.cpl = 3; c.updateCplMasks();
  if (to64) { c.rl[4] = esp % TWO32 | 0; c.rh[4] = Math.floor(esp / TWO32) | 0; }
  else { c.rl[4] = esp | 0; c.rh[4] = 0; }
  updateMode(c);
  c.fLin0 = NaN;
  c.nextRip = eip;
  c.dbBranch = true;
}
