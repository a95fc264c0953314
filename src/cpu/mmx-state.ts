// The MMX registers and what every MMX instruction shares (SDM Vol. 1 chapter 9, Vol. 3 chapter 12 "Intel
// MMX Technology System Programming"): MM0-MM7 are the 64-bit significands of the x87 data registers in
// physical order R0-R7 (not ST(i): Vol. 1 9.5 "MMX register MMn is mapped to physical register Rn"), so
// their storage is X87State.regs and FXSAVE/FNSAVE/KVM_GET_FPU/gdb's st0-7 see them with no extra state.
//
// The x87 transition (Vol. 3 12.2, Table 12-2 "Effects of MMX Instructions on x87 FPU State"): every MMX
// instruction sets TOP to 0; every one but EMMS marks all eight tags valid (00B), EMMS marks them empty
// (11B); an MMX write also sets bits 79:64 (sign and exponent) of the written register to all ones. FCW, the
// rest of FSW and FIP/FDP/FOP are untouched ("does not affect ... instruction pointer, data pointer, or
// opcode registers").
import type { Cpu } from './cpu.js';
import * as A from './arch.js';
import { FSW_TOP, FTW_ALL_EMPTY, pendingCheck } from './x87.js';

/** Tag word with every register valid (00B each). */
const FTW_ALL_VALID = 0;
/** Bits 79:64 of a register an MMX instruction writes (Vol. 3 Table 12-2): sign and exponent all ones. */
const MMX_SIGN_EXPONENT = 0xffff;

/** Availability of an MMX instruction (SDM Vol. 2, every MMX instruction's "Protected Mode Exceptions":
 *  #UD if CR0.EM = 1, #NM if CR0.TS = 1, #MF if there is a pending x87 FPU exception). CR4.OSFXSR plays no
 *  part for the 64-bit forms, also not for the SSE additions on MMX registers (PSHUFW, PAVGB mm, ...). */
export function mmxCheck(c: Cpu): void {
  if (c.cr0 & A.CR0_EM) c.raiseUD();
  if (c.cr0 & A.CR0_TS) c.raise(A.VEC_NM, -1);
  pendingCheck(c);
}

/** TOP = 0 and all tags valid: the transition of every MMX instruction except EMMS. */
export function mmxTransition(c: Cpu): void {
  const f = c.x87;
  f.fsw &= ~FSW_TOP;
  f.ftw = FTW_ALL_VALID;
}

/** EMMS (NP 0F 77): all tags empty, TOP = 0 (Vol. 3 12.2: "Each time an MMX instruction is executed, the TOS
 *  value is set to 000B"). Linux 6.1 restore_fpregs_from_fpstate runs it on AMD parts (X86_BUG_FXSAVE_LEAK)
 *  whatever CPUID says. */
export function emms(c: Cpu): void {
  mmxCheck(c);
  c.x87.fsw &= ~FSW_TOP;
  c.x87.ftw = FTW_ALL_EMPTY;
}

/** Low dword of MMn (n = 0..7). */
export function mmLo(c: Cpu, n: number): number {
  const b = c.x87.regs, o = n * 10;
  return b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24);
}
/** High dword of MMn. */
export function mmHi(c: Cpu, n: number): number {
  const b = c.x87.regs, o = n * 10 + 4;
  return b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24);
}
/** MMn = hi:lo, bits 79:64 all ones, then the transition. */
export function mmWrite(c: Cpu, n: number, lo: number, hi: number): void {
  const b = c.x87.regs, o = n * 10;
  b[o] = lo; b[o + 1] = lo >>> 8; b[o + 2] = lo >>> 16; b[o + 3] = lo >>> 24;
  b[o + 4] = hi; b[o + 5] = hi >>> 8; b[o + 6] = hi >>> 16; b[o + 7] = hi >>> 24;
  b[o + 8] = MMX_SIGN_EXPONENT & 0xff; b[o + 9] = MMX_SIGN_EXPONENT >>> 8;
  mmxTransition(c);
}
