// What every SSE-family instruction shares: the availability check (CR0.EM/TS, CR4.OSFXSR), the operand
// scratch the handlers read their source into, and the 128/64/32-bit operand loads and stores with the
// alignment rule of legacy SSE memory operands. The handlers live in sse-move.ts (data movement, shuffles,
// logic), sse-int.ts (packed integer arithmetic) and sse-float.ts (floating point); sse-ops.ts registers
// them in the decoder's tables.
//
// XMM registers are Cpu.xmm (four little-endian dwords each) with the views Cpu.xmmB/xmmW/xmmF/xmmD over
// the same bytes; register n's element k of width w bytes is view[n * 16 / w + k].
import type { Cpu } from './cpu.js';
import type { Insn } from './decoder.js';
import * as A from './arch.js';
import { mmHi, mmLo, mmWrite, mmxCheck } from './mmx-state.js';

/**
 * SSE/SSE2/SSE3 availability (SDM Vol. 3 Table 2-2 "Action Taken By x87 FPU Instructions for Different
 * Combinations of EM, MP, and TS" and Vol. 2 3.1.1.13 "SIMD Floating-Point Exceptions" sections of every
 * SSE instruction: #UD when CR0.EM = 1 or CR4.OSFXSR = 0, then #NM when CR0.TS = 1). The one home of the
 * rule: LDMXCSR/STMXCSR (x87.ts) use it too.
 */
export function sseCheck(c: Cpu): void {
  if ((c.cr0 & A.CR0_EM) || !(c.cr4 & A.CR4_OSFXSR)) c.raiseUD();
  if (c.cr0 & A.CR0_TS) c.raise(A.VEC_NM, -1);
}

/** Operand scratch: dwords 0-3 the source operand, 4-7 a copy of the destination for handlers that read
 *  the destination after writing part of it (unpacks, packs, shuffles). Module state: instructions run one
 *  at a time. */
export const OP = new Int32Array(8);
export const OPB = new Uint8Array(OP.buffer);
export const OPW = new Uint16Array(OP.buffer);
export const OPF = new Float32Array(OP.buffer);
export const OPD = new Float64Array(OP.buffer);

/** Alignment of a 128-bit legacy SSE memory operand (SDM Vol. 1 11.6.7 / each instruction's "Protected Mode
 *  Exceptions": #GP(0) if a memory operand is not aligned on a 16-byte boundary). The host's AMD
 *  misaligned-SSE mode (MXCSR.MM) is not offered: MXCSR_MASK lacks bit 17. */
function checkAligned(c: Cpu, la: number): void {
  if (la & 15) c.raiseGP0();
}

/** The xmm/m128 source into OP[0..3]; `aligned`: the instruction requires 16-byte alignment. */
export function src128(c: Cpu, i: Insn, aligned: boolean): void {
  if (!i.mem) {
    const x = c.xmm, s = i.rm * 4;
    OP[0] = x[s]!; OP[1] = x[s + 1]!; OP[2] = x[s + 2]!; OP[3] = x[s + 3]!;
    return;
  }
  const la = c.ea(i, 16);
  if (aligned) checkAligned(c, la);
  OP[0] = c.rd64(la); OP[1] = c.th; OP[2] = c.rd64(la + 8); OP[3] = c.th;
}
/** The xmm/m64 source (the register's low quadword) into OP[0..1]. */
export function src64(c: Cpu, i: Insn): void {
  if (!i.mem) { const x = c.xmm, s = i.rm * 4; OP[0] = x[s]!; OP[1] = x[s + 1]!; return; }
  OP[0] = c.rd64(c.ea(i, 8)); OP[1] = c.th;
}
/** The xmm/m32 source (the register's low dword) into OP[0]. */
export function src32(c: Cpu, i: Insn): void {
  if (!i.mem) { OP[0] = c.xmm[i.rm * 4]!; return; }
  OP[0] = c.rd32(c.ea(i, 4));
}
/** Copy of register r into OP[4..7]. */
export function saveDst(c: Cpu, r: number): void {
  const x = c.xmm, d = r * 4;
  OP[4] = x[d]!; OP[5] = x[d + 1]!; OP[6] = x[d + 2]!; OP[7] = x[d + 3]!;
}
/** Register r = OP[0..3]. */
export function setFromOp(c: Cpu, r: number): void {
  const x = c.xmm, d = r * 4;
  x[d] = OP[0]!; x[d + 1] = OP[1]!; x[d + 2] = OP[2]!; x[d + 3] = OP[3]!;
}
/** Store register r to the ModRM destination (xmm or m128). A write fault on either page is taken before
 *  any byte is written (probeWrite), as one 16-byte store does. */
export function store128(c: Cpu, i: Insn, r: number, aligned: boolean): void {
  const x = c.xmm, s = r * 4;
  if (!i.mem) { const d = i.rm * 4; x[d] = x[s]!; x[d + 1] = x[s + 1]!; x[d + 2] = x[s + 2]!; x[d + 3] = x[s + 3]!; return; }
  const la = c.ea(i, 16);
  if (aligned) checkAligned(c, la);
  c.probeWrite(la, 16);
  c.wr64(la, x[s]!, x[s + 1]!); c.wr64(la + 8, x[s + 2]!, x[s + 3]!);
}

// ---- the integer frame: one element loop for the XMM (66) and the MMX (no prefix) form ----
//
// The packed-integer handlers (sse-int.ts, and the unpacks/logic/word forms of sse-move.ts) compute on a
// destination frame: XMM register n itself (16 bytes), or for the MMX form a scratch copy of MMn (8 bytes)
// that intLeave writes back with the x87 transition (mmx-state.ts). The source is in OP either way.

/** Scratch copy of an MMX destination (dwords 0-1 used). */
const MMD = new Int32Array(4);
const MMDB = new Uint8Array(MMD.buffer);
const MMDW = new Uint16Array(MMD.buffer);
/** Frame views and the destination's byte offset in them (a multiple of 16 or 0). */
export let DB: Uint8Array = MMDB;
export let DW: Uint16Array = MMDW;
export let DD: Int32Array = MMD;
export let dOff = 0;

/** What an integer form reads besides its destination: nothing, the full source (xmm/m128 aligned or mm/m64),
 *  or the MMX low unpacks' mm/m32 (PUNPCKLBW mm, mm/m32: only 4 bytes are read from memory). */
export const SRC_NONE = 0, SRC_FULL = 1, SRC_LOW_HALF = 2;

/** The MMX source (mm/m64, or m32 zero-extended with `bytes` 4) into OP[0..1]; MMX register numbers ignore
 *  REX (SDM Vol. 2 2.2.1.2, "REX.R/REX.B ... ignored" for MMX operands). */
export function srcMm(c: Cpu, i: Insn, bytes: number): void {
  if (!i.mem) { const r = i.rm & 7; OP[0] = mmLo(c, r); OP[1] = mmHi(c, r); return; }
  const la = c.ea(i, bytes);
  if (bytes === 4) { OP[0] = c.rd32(la); OP[1] = 0; return; }
  OP[0] = c.rd64(la); OP[1] = c.th;
}

/** Availability check, source into OP, destination register `dst` (ModRM.reg, or ModRM.rm for the shifts by
 *  immediate) as the frame. Returns the operand width in bytes (16 or 8). */
export function intEnter(c: Cpu, i: Insn, mm: boolean, dst: number, src: number): number {
  if (!mm) {
    sseCheck(c);
    if (src !== SRC_NONE) src128(c, i, true);
    DB = c.xmmB; DW = c.xmmW; DD = c.xmm; dOff = dst * 16;
    return 16;
  }
  mmxCheck(c);
  if (src !== SRC_NONE) srcMm(c, i, src === SRC_LOW_HALF && i.mem ? 4 : 8);
  const r = dst & 7;
  MMD[0] = mmLo(c, r); MMD[1] = mmHi(c, r);
  DB = MMDB; DW = MMDW; DD = MMD; dOff = 0;
  return 8;
}
/** Commit the frame: the MMX destination goes back to MMn (bits 79:64 all ones, TOP 0, tags valid). */
export function intLeave(c: Cpu, mm: boolean, dst: number): void {
  if (mm) mmWrite(c, dst & 7, MMD[0]!, MMD[1]!);
}
/** Copy of the frame's destination into OP[4..7] (packs and unpacks read it after writing part of it). */
export function saveFrame(): void {
  const d = dOff >> 2;
  OP[4] = DD[d]!; OP[5] = DD[d + 1]!; OP[6] = DD[d + 2]!; OP[7] = DD[d + 3]!;
}
