// Privilege checks of port I/O shared by IN/OUT (ops.ts) and INS/OUTS (string-io.ts).

import type { Cpu } from './cpu.js';
import * as A from './arch.js';

/** RFLAGS.IOPL (SDM Vol. 1 3.4.3.3). */
export function iopl(c: Cpu): number { return (c.fl >> A.RFLAGS_IOPL_SHIFT) & 3; }

/** #GP(0) unless CPL <= IOPL or the TSS I/O permission bitmap clears every bit of the `size` ports from
 *  `port` (SDM Vol. 1 19.5.2). The bitmap base is the word at offset 102 of the TSS. In virtual-8086 mode IOPL
 *  grants nothing: the bitmap alone decides (SDM Vol. 3 20.2.8.1); real-address mode is CPL 0, always allowed. */
export function ioPermitted(c: Cpu, port: number, size: number): void {
  if (c.cpl <= iopl(c) && !c.v86Mode) return;
  if (c.trLimit < 103) c.raiseGP0();
  const base = c.sysRd32(c.trBase + 100) >>> 16;
  const byte = base + (port >>> 3);
  if (byte + 1 > c.trLimit) c.raiseGP0();
  const w = c.sysRd32(c.trBase + byte) & 0xffff;
  const m = ((1 << size) - 1) << (port & 7);
  if (w & m) c.raiseGP0();
}
