// The instructions and registers that change what paging lets an access do, beyond the page tables:
// STAC/CLAC (EFLAGS.AC, the SMAP override), RDPKRU/WRPKRU (PKRU, the user protection keys) and IA32_PKRS
// (the supervisor protection keys). SDM Vol. 3 4.6.1-4.6.2; Vol. 2 STAC, CLAC, RDPKRU, WRPKRU.
//
// The walk folds SMEP, SMAP and the key rights of the moment into each TLB entry (memory-access.ts
// finishWalk), so every write to PKRU or IA32_PKRS that changes it flushes the TLB. EFLAGS.AC is not folded
// in: xl() consults it only when the common rights refuse, so STAC/CLAC flush nothing.
//
// PKRU is XSAVE state component 9 on silicon; dbstub's XSAVE supports components 0 and 1 only (xsave.ts), so
// PKRU is read and written only by RDPKRU/WRPKRU (which need CR4.PKE, not XSAVE), and an OS cannot switch it
// with XSAVE/XRSTOR.

import type { Cpu } from './cpu.js';
import type { Insn } from './decoder.js';
import * as A from './arch.js';

/** 0F 01 CB / 0F 01 CA: set / clear EFLAGS.AC. #UD at CPL > 0 (and in virtual-8086 mode, which has CPL 3). */
export function stacClac(c: Cpu, i: Insn, set: boolean): void {
  if (i.lock || c.cpl !== 0) c.raiseUD();
  if (set) c.fl |= A.RFLAGS_AC; else c.fl &= ~A.RFLAGS_AC;
}

/** 0F 01 EE: EAX = PKRU, EDX = 0 (upper halves cleared). #UD without CR4.PKE, #GP(0) when ECX != 0. */
export function rdpkru(c: Cpu, i: Insn): void {
  if (i.lock || !(c.cr4 & A.CR4_PKE)) c.raiseUD();
  if (c.rl[1] !== 0) c.raiseGP0();
  c.rl[0] = c.pkru | 0; c.rh[0] = 0;
  c.rl[2] = 0; c.rh[2] = 0;
}

/** 0F 01 EF: PKRU = EAX. #UD without CR4.PKE, #GP(0) when ECX or EDX != 0. Allowed at any CPL. */
export function wrpkru(c: Cpu, i: Insn): void {
  if (i.lock || !(c.cr4 & A.CR4_PKE)) c.raiseUD();
  if (c.rl[1] !== 0 || c.rl[2] !== 0) c.raiseGP0();
  const v = c.rl[0]! >>> 0;
  if (v !== c.pkru) { c.pkru = v; c.flushTlb(); }
}

/** IA32_PKRS write: bits 63:32 are reserved (#GP). */
export function writePkrs(c: Cpu, v: bigint): boolean {
  if (v >> 32n) return false;
  const n = Number(v);
  if (n !== c.pkrs) { c.pkrs = n; c.flushTlb(); }
  return true;
}
