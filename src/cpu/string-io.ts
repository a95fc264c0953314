// String port I/O: INS/INSB/INSW/INSD (6C/6D) and OUTS/OUTSB/OUTSW/OUTSD (6E/6F), with or without REP, in
// every mode (SDM Vol. 2 INS/INSB/INSW/INSD, OUTS/OUTSB/OUTSW/OUTSD, REP/REPE/REPZ/REPNE/REPNZ).
//
// - The port is DX; the data size is 1 (6C/6E) or the operand size, 2 or 4 (REX.W does not make it 8).
// - INS stores to ES:(E/R)DI (no segment override: ES always, and its base is ignored in 64-bit mode);
//   OUTS reads DS:(E/R)SI, where DS may be overridden (FS/GS bases apply in 64-bit mode).
// - The index registers and the count ((E/R)CX with REP) are as wide as the address size (16/32/64); a
//   16-bit address size changes only SI/DI/CX, a 32-bit one zero-extends into the 64-bit register.
// - DF selects the direction. Each iteration completes (memory, port, registers) before the next starts,
//   so a fault in iteration k leaves the registers as after k-1 iterations and RIP at the instruction: the
//   REP restarts where it stopped (SDM Vol. 2 REP: "...registers... reflect the iteration...").
// - Protection: with CPL > IOPL the TSS I/O permission bitmap decides, #GP(0) when denied (SDM Vol. 1 19.5;
//   checked once per execution: the port, CPL and IOPL do not change between iterations). The I/O breakpoint
//   (DR7 R/W=10 with CR4.DE, SDM Vol. 3 18.2.4) and the hypervisor intercept ('in'/'out') see every port access.
// - INS checks that the destination is writable (segment type/limit, paging) before it reads the port, so a
//   faulting store does not consume a device's data; the SDM's exception lists name both checks, and a device
//   read must not be repeated when the instruction restarts.

import type { Cpu } from './cpu.js';
import { TWO32 } from './canonical.js';
import * as A from './arch.js';
import * as D from './debug.js';
import type { Insn } from './decoder.js';
import { ioPermitted } from './io-permission.js';
import { repContinues } from './rep-chunk.js';

const SEG_ES = 0, SEG_DS = 3;
const ECX = 1, EDX = 2, ESI = 6, EDI = 7;

/** Offset held in index register r at address size asz (2, 4 or 8 bytes); a signed number for 8. */
function indexOffset(c: Cpu, r: number, asz: number): number {
  if (asz === 8) return c.rh[r]! * TWO32 + (c.rl[r]! >>> 0);
  return asz === 4 ? c.rl[r]! >>> 0 : c.rl[r]! & 0xffff;
}
/** Linear address of the string operand at `off` in segment s. */
function stringLinear(c: Cpu, s: number, off: number, size: number, write: boolean): number {
  // 64-bit mode: only FS/GS have a base; the address must be canonical, else #GP(0) (SDM Vol. 3 3.3.7.1).
  if (c.long64) return c.canon(s >= 4 ? off + c.segBase[s]! : off);
  return c.dataLin(s, off, size, write);
}
/** Move index register r by the data size in the direction DF gives, wrapped to the address size. */
function step(c: Cpu, r: number, asz: number, n: number): void {
  const d = (c.fl & A.RFLAGS_DF) ? -n : n;
  if (asz === 8) {
    const s = (c.rl[r]! >>> 0) + d;
    c.rh[r] = (c.rh[r]! + Math.floor(s / TWO32)) | 0;
    c.rl[r] = s | 0;
  } else if (asz === 4) { c.rl[r] = (c.rl[r]! + d) | 0; c.rh[r] = 0; }
  else c.rl[r] = (c.rl[r]! & ~0xffff) | ((c.rl[r]! + d) & 0xffff);
}
function countIsZero(c: Cpu, asz: number): boolean {
  if (asz === 8) return (c.rl[ECX]! | c.rh[ECX]!) === 0;
  return (asz === 4 ? c.rl[ECX]! : c.rl[ECX]! & 0xffff) === 0;
}
function countDown(c: Cpu, asz: number): void {
  if (asz === 8) {
    const s = (c.rl[ECX]! >>> 0) - 1;
    c.rl[ECX] = s | 0;
    c.rh[ECX] = (c.rh[ECX]! - (s < 0 ? 1 : 0)) | 0;
  } else if (asz === 4) { c.rl[ECX] = (c.rl[ECX]! - 1) | 0; c.rh[ECX] = 0; }
  else c.rl[ECX] = (c.rl[ECX]! & ~0xffff) | ((c.rl[ECX]! - 1) & 0xffff);
}

/** 6C-6F. */
export function stringIo(c: Cpu, i: Insn): void {
  if (i.lock) c.raiseUD();
  const input = (i.op & 2) === 0; // 6C/6D INS, 6E/6F OUTS
  const sz = (i.op & 1) ? (i.osz === 2 ? 2 : 4) : 1;
  const asz = i.asz;
  const rep = i.rep !== 0; // F2 and F3 both repeat INS/OUTS (no ZF termination)
  const port = c.rl[EDX]! & 0xffff;
  ioPermitted(c, port, sz);
  const srcSeg = i.seg >= 0 ? i.seg : SEG_DS;
  for (;;) {
    if (rep && countIsZero(c, asz)) return;
    if (input) {
      const la = stringLinear(c, SEG_ES, indexOffset(c, EDI, asz), sz, true);
      c.probeWrite(la, sz);
      if (c.intercept('in', i)) return;
      D.ioAccess(c, port, sz);
      const v = c.io.in(port, sz as 1 | 2 | 4);
      c.wrSized(la, sz, v | 0, 0);
      step(c, EDI, asz, sz);
    } else {
      const v = c.rdSized(stringLinear(c, srcSeg, indexOffset(c, ESI, asz), sz, false), sz);
      if (c.intercept('out', i)) return;
      D.ioAccess(c, port, sz);
      c.io.out(port, sz as 1 | 2 | 4, sz === 4 ? v >>> 0 : v);
      step(c, ESI, asz, sz);
    }
    if (!rep) return;
    countDown(c, asz);
    // A pending trap (I/O breakpoint) is slow-path work: it ends the step (rep-chunk.ts).
    if (!repContinues(c, c.rl[ECX]!, countIsZero(c, asz))) return;
  }
}
