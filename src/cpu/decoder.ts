// Compact x86 decoder: legacy prefixes (66/67/F2/F3/F0/segment), REX, one- and two-byte opcode maps,
// ModRM/SIB/displacement/immediates, into a reusable Insn record with the handler chosen at decode
// time. Decoding happens once per instruction address (the CPU caches the records per physical page),
// so this code favours clarity over speed. Operand/address size are computed from the decode mode so
// 32-bit protected/compatibility mode can be added by extending `DecodeMode` (SDM Vol. 2 2.2.1, 3.6).
import type { Cpu } from './cpu.js';

// A type-only import: decoder.ts stays free of a runtime dependency on cpu.ts.
export type Handler = (c: Cpu, i: Insn) => void;

/** Immediate kinds. */
export const enum Imm { None = 0, B = 1, W = 2, Z = 3, V = 4, WB = 5, O = 6, BU = 7, P = 8 }
// Imm.P: far pointer ptr16:16 / ptr16:32 of CALL/JMP far (9A/EA, legacy modes only): offset in imm, selector in imm2.

export const enum OpF {
  M = 1,        // has ModRM
  BYTE = 2,     // 8-bit operand
  D64 = 4,      // default operand size 64 in long mode (push/pop/near branches via ModRM)
  F64 = 8,      // operand size forced to 64 in long mode (near rel branches)
  INV64 = 16,   // invalid in 64-bit mode (#UD)
  LOCKOK = 32,  // LOCK legal when the destination is memory
  NOREP = 64,
  MODREG = 128, // ModRM.mod ignored, always a register operand (MOV CR/DR, SDM Vol. 2 MOV CRn)
}

export class Insn {
  fn: Handler = undefined as unknown as Handler;
  len = 0;
  op = 0;        // 0x000-0x0ff one-byte map, 0x100-0x1ff 0F map
  osz = 4;       // operand size in bytes
  asz = 8;       // address size in bytes
  mod = 0;
  reg = 0;       // ModRM.reg with REX.R
  rm = 0;        // ModRM.rm with REX.B (register form) or base (memory)
  mem = false;   // memory operand present
  base = -1;     // base GPR, -1 none
  index = -1;    // index GPR, -1 none
  scale = 0;     // shift count 0..3
  disp = 0;      // int32
  /** The address is not the plain 64-bit base + index*scale + disp sum: RIP-relative in 64-bit mode, or
   *  (with `leg`) any memory operand decoded outside 64-bit mode. One test on Cpu.ea's hot path serves
   *  both; leg tells them apart. */
  ripRel = false;
  seg = -1;      // segment override, -1 none (outside 64-bit mode 26/2E/36/3E count too: 0 ES .. 5 GS)
  /** Decoded outside 64-bit mode (16/32-bit code segment): addresses are segment base + 16/32-bit offset. */
  leg = false;
  /** Outside 64-bit mode: the instruction writes its ModRM memory operand (memOperandWritten), so the segment
   *  type check of a write applies (Cpu.eaLeg). Not set in 64-bit mode, where no type checks exist. */
  memW = false;
  /** Outside 64-bit mode: the segment of the ModRM memory operand, the override or the default (DS, or SS
   *  for (E)SP/(E)BP-based forms; SDM Vol. 1 3.7.4 / Vol. 2 Table 2-1). */
  eseg = 3;
  imm = 0;       // int32 (sign- or zero-extended per kind)
  immHi = 0;     // high dword of a 64-bit immediate / sign extension
  imm2 = 0;      // second immediate (ENTER level)
  rep = 0;       // 0, 0xf2, 0xf3 (last of them wins)
  p66 = false;
  lock = false;
  rex = 0;       // REX byte (0 if none)
  rexW = false;
  flags = 0;     // OpF of the descriptor
  cc = 0;        // condition code for jcc/setcc/cmovcc
  phys = 0;      // physical address of the first byte (for logs), -1 when not cached
  cacheable = true;
  /** Destination / source register of a specialised handler (fast.ts), set at decode time. */
  fd = 0;
  fs = 0;
  /** Raw bytes (for the #UD log). */
  bytes: number[] = [];
}

interface Desc {
  flags: number; imm: Imm; fn: Handler | undefined; grp: (Handler | undefined)[] | undefined;
  /** SSE-family opcodes: the handler chosen by the mandatory prefix, [none, 66, F3, F2] (see pfxIndex). */
  pfx?: (Handler | undefined)[];
}

const table: (Desc | undefined)[] = new Array(512).fill(undefined);
/** Legacy-mode (16/32-bit code segment) entries that differ from the 64-bit table: opcodes invalid in
 *  64-bit mode (PUSH ES, DAA, PUSHA, BOUND, LES, INTO, AAM, far CALL/JMP ptr, ...), opcodes with another
 *  meaning (40-4F INC/DEC, 63 ARPL) and handlers whose 64-bit semantics (stack width, RIP, addressing)
 *  differ. Lookups fall back to `table` when no legacy entry exists. */
const table32: (Desc | undefined)[] = new Array(512).fill(undefined);

export function def(op: number, flags: number, imm: Imm, fn: Handler): void {
  table[op] = { flags, imm, fn, grp: undefined };
}
export function defGroup(op: number, flags: number, imm: Imm, grp: (Handler | undefined)[]): void {
  table[op] = { flags, imm, fn: undefined, grp };
}
/** An opcode whose meaning depends on its mandatory prefix (SDM Vol. 2 2.1.2: 66, F2, F3 select the
 *  instruction of the SSE-family 0F opcodes). `byPfx` is [no prefix, 66, F3, F2]; an absent entry is
 *  undefined (#UD, logged). Shared by both decode modes. */
export function defPfx(op: number, flags: number, imm: Imm, byPfx: (Handler | undefined)[]): void {
  table[op] = { flags, imm, fn: undefined, grp: undefined, pfx: byPfx };
}
/** Which mandatory prefix an instruction carries: F2/F3 win over 66 when both are present (SDM Vol. 2
 *  2.1.2: 66 with F2/F3 is then an operand-size prefix the SSE forms ignore). 0 none, 1 66, 2 F3, 3 F2. */
export function pfxIndex(i: Insn): number {
  return i.rep === 0xf2 ? 3 : i.rep === 0xf3 ? 2 : i.p66 ? 1 : 0;
}
/** Register a legacy-mode entry (see table32). cpu-sys32 registers far CALL/JMP (9A, EA, FF /3 /5) here. */
export function def32(op: number, flags: number, imm: Imm, fn: Handler): void {
  table32[op] = { flags, imm, fn, grp: undefined };
}
export function defGroup32(op: number, flags: number, imm: Imm, grp: (Handler | undefined)[]): void {
  table32[op] = { flags, imm, fn: undefined, grp };
}
/** Far CALL/JMP outside 64-bit mode: the decoder and ops-legacy.ts own the encodings (9A/EA ptr16:16/32 with
 *  imm = offset, imm2 = selector; FF /3, FF /5 m16:16/32 through ModRM); system.ts installs the semantics
 *  here (#UD while unset). Safe to assign at module load: this module imports nothing. */
export const farOps: { callPtr?: Handler; jmpPtr?: Handler; callMem?: Handler; jmpMem?: Handler } = {};
/** Group whose immediate depends on ModRM.reg (F6/F7: TEST has an immediate, the others do not). */
const grpImm: Map<number, (reg: number) => Imm> = new Map();
export function defGroupImm(op: number, f: (reg: number) => Imm): void { grpImm.set(op, f); }

/** Byte source the decoder reads from: the CPU fills `buf` with what is available in the page and
 *  `extend()` fetches more (it may raise #PF for the next page, as the hardware fetch would). */
export interface ByteSource {
  buf: Uint8Array;
  avail: number;
  extend(): void;
}

/** Decode mode: 64-bit mode, or a 16/32-bit code segment (protected, compatibility or real mode) whose
 *  CS.D bit gives the default operand and address size (SDM Vol. 1 3.6, Vol. 2 2.2.1). The CPU keeps one
 *  object per mode and hands the current one to decode(). */
export interface DecodeMode { readonly long64: boolean; readonly def32: boolean }
export const MODE_LONG64: DecodeMode = Object.freeze({ long64: true, def32: true });
export const MODE_DEF32: DecodeMode = Object.freeze({ long64: false, def32: true });
export const MODE_DEF16: DecodeMode = Object.freeze({ long64: false, def32: false });

/** Result codes. */
export const DEC_OK = 0;
export const DEC_UD = 1;
export const DEC_TOO_LONG = 2;

/**
 * Decode one instruction from `src` into `i`. The byte cursor is module state (decoding is not re-entrant:
 * `src.extend()` only fetches bytes), shared by the 64-bit and the 16/32-bit paths and the helpers below.
 */
export function decode(src: ByteSource, i: Insn, undefinedHandler: Handler, mode: DecodeMode = MODE_LONG64): number {
  rsrc = src;
  rk = 0;
  try {
    return mode.long64 ? decode64(i, undefinedHandler) : decodeLegacy(i, undefinedHandler, mode.def32);
  } catch (e) {
    if (e === TOO_LONG) { i.len = 15; return DEC_TOO_LONG; }
    throw e;
  } finally {
    i.bytes = Array.from(src.buf.subarray(0, Math.min(rk, src.avail)));
  }
}

// Byte cursor of the instruction being decoded (see decode()).
let rsrc: ByteSource = { buf: new Uint8Array(0), avail: 0, extend(): void { throw TOO_LONG; } };
let rk = 0;
/** Next instruction byte; past 15 bytes the instruction is too long (SDM Vol. 2 2.3.11: #GP). */
function rd(): number {
  if (rk >= 15) throw TOO_LONG;
  while (rk >= rsrc.avail) rsrc.extend();
  return rsrc.buf[rk++]!;
}
function rd16(): number { return rd() | (rd() << 8); }
function rd32(): number { return rd() | (rd() << 8) | (rd() << 16) | (rd() << 24); }

/** Every field the decode paths set, to its "absent" value; `asz` is the mode's default address size. */
function resetInsn(i: Insn, leg: boolean, asz: number): void {
  i.leg = leg;
  i.osz = 4; i.asz = asz; i.seg = -1; i.rep = 0; i.p66 = false; i.lock = false; i.rex = 0; i.rexW = false;
  i.mem = false; i.base = -1; i.index = -1; i.scale = 0; i.disp = 0; i.ripRel = false; i.imm = 0; i.immHi = 0;
  i.imm2 = 0; i.mod = 3; i.reg = 0; i.rm = 0; i.cc = 0; i.cacheable = true;
}

/** SIB byte of a 32/64-bit address (SDM Vol. 2 Table 2-3): index 100b means none; base 101b with mod=00
 *  means disp32 and no base. `rexX`/`rexB` are REX.X/REX.B already shifted to bit 3 (0 outside 64-bit mode). */
function readSib(i: Insn, mod: number, rexX: number, rexB: number): void {
  const sib = rd();
  const idx = ((sib >> 3) & 7) | rexX, base = sib & 7;
  i.scale = sib >> 6;
  i.index = idx === 4 ? -1 : idx;
  if (base === 5 && mod === 0) {
    i.base = -1;
    i.disp = rd32();
  } else {
    i.base = base | rexB;
  }
}

/** disp8 (sign-extended) for mod=01, disp32 for mod=10 (SDM Vol. 2 Table 2-2). */
function readDisp32(i: Insn, mod: number): void {
  if (mod === 1) i.disp = (rd() << 24) >> 24;
  else if (mod === 2) i.disp = rd32();
}

/**
 * Handler of a decoded opcode (group member by ModRM.reg) and the LOCK check: LOCK is legal only on the
 * lockable RMW forms with a memory destination (SDM Vol. 2 LOCK), #UD otherwise. False when the opcode is
 * undefined (the caller reports DEC_UD).
 */
function pickHandler(i: Insn, d: Desc, undefinedHandler: Handler): boolean {
  let fn = d.fn;
  if (d.grp) fn = d.grp[i.reg & 7];
  else if (d.pfx) fn = d.pfx[pfxIndex(i)];
  if (fn === undefined) { i.len = rk; i.fn = undefinedHandler; return false; }
  i.fn = fn;
  if (i.lock && (!(d.flags & OpF.LOCKOK) || !i.mem)) i.fn = lockUd;
  return true;
}

/**
 * Immediate operand, sized by i.osz / i.asz as decoded in either mode (SDM Vol. 2 2.2.1.5 and the opcode
 * map's operand-type letters): Iz is at most 32 bits, sign-extended to 64; Iv is 64 bits only with REX.W
 * (MOV r64, imm64); moffs (Imm.O) is as wide as the address size; a far pointer (Imm.P, never in 64-bit
 * mode) is the offset sized by the operand size, then the 16-bit selector.
 */
function readImm(i: Insn, ik: Imm): void {
  switch (ik) {
    case Imm.None: break;
    case Imm.B: i.imm = (rd() << 24) >> 24; i.immHi = i.imm >> 31; break;
    case Imm.BU: i.imm = rd(); break;
    case Imm.W: i.imm = rd16(); break;
    case Imm.Z:
      if (i.osz === 2) i.imm = (rd16() << 16) >> 16;
      else if (i.osz === 1) i.imm = (rd() << 24) >> 24;
      else i.imm = rd32();
      i.immHi = i.imm >> 31;
      break;
    case Imm.V:
      if (i.osz === 2) i.imm = rd16();
      else if (i.osz === 1) i.imm = rd();
      else {
        i.imm = rd32();
        if (i.osz === 8) i.immHi = rd32();
      }
      break;
    case Imm.WB: i.imm = rd16(); i.imm2 = rd(); break;
    case Imm.O:
      if (i.asz === 2) i.imm = rd16();
      else {
        i.imm = rd32();
        if (i.asz === 8) i.immHi = rd32();
      }
      break;
    case Imm.P:
      i.imm = i.osz === 4 ? rd32() : rd16();
      i.imm2 = rd16();
      break;
  }
}

function decode64(i: Insn, undefinedHandler: Handler): number {
  resetInsn(i, false, 8);
  let b = rd();
  let p67 = false;
  // Legacy prefixes and REX. A REX prefix counts only when it immediately precedes the opcode (or 0FH):
  // one followed by a legacy prefix is ignored, and of several REX prefixes only the last one counts
  // (SDM Vol. 2 2.2.1).
  let rex = 0;
  for (;;) {
    if ((b & 0xf0) === 0x40) { rex = b; b = rd(); continue; }
    if (b === 0x66) i.p66 = true;
    else if (b === 0x67) p67 = true;
    else if (b === 0xf2 || b === 0xf3) i.rep = b;
    else if (b === 0xf0) i.lock = true;
    else if (b === 0x26 || b === 0x2e || b === 0x36 || b === 0x3e) { /* ignored in 64-bit mode */ }
    else if (b === 0x64) i.seg = 4;
    else if (b === 0x65) i.seg = 5;
    else break;
    rex = 0;
    b = rd();
  }
  i.rex = rex;
  i.rexW = (rex & 8) !== 0;
  let op = b;
  if (b === 0x0f) {
    op = 0x100 | rd();
  }
  i.op = op;
  const d = table[op];
  if (d === undefined) { i.len = rk; i.fn = undefinedHandler; return DEC_UD; }
  const flags = d.flags;
  i.flags = flags;
  if (flags & OpF.INV64) { i.len = rk; i.fn = undefinedHandler; return DEC_UD; }
  // Operand size (SDM Vol. 1 3.6.1 / Vol. 2 Table 2-4).
  if (flags & OpF.BYTE) i.osz = 1;
  else if (flags & OpF.F64) i.osz = 8;
  else if (flags & OpF.D64) i.osz = i.p66 ? 2 : 8;
  else i.osz = i.rexW ? 8 : i.p66 ? 2 : 4;
  i.asz = p67 ? 4 : 8;
  const rexR = (i.rex & 4) << 1, rexX = (i.rex & 2) << 2, rexB = (i.rex & 1) << 3;
  if (flags & OpF.M) {
    const m = rd();
    const mod = m >> 6, reg = (m >> 3) & 7, rm = m & 7;
    i.mod = mod;
    i.reg = reg | rexR;
    if (mod === 3 || (flags & OpF.MODREG)) {
      i.mod = 3;
      i.rm = rm | rexB;
    } else {
      i.mem = true;
      if (rm === 4) {
        readSib(i, mod, rexX, rexB);
      } else if (rm === 5 && mod === 0) {
        i.ripRel = true; // RIP-relative in 64-bit mode (SDM Vol. 2 2.2.1.6)
        i.disp = rd32();
      } else {
        i.base = rm | rexB;
      }
      readDisp32(i, mod);
      i.rm = i.base;
    }
  } else {
    i.rm = (op & 7) | rexB;
    i.reg = i.rm;
  }
  if (!pickHandler(i, d, undefinedHandler)) return DEC_UD;
  const gi = grpImm.get(op);
  readImm(i, gi ? gi(i.reg & 7) : d.imm);
  i.len = rk;
  return DEC_OK;
}

// Segment register numbers (SDM Vol. 3 3.4.2 order, as in Cpu.segSel).
const SEG_ES = 0, SEG_CS = 1, SEG_SS = 2, SEG_DS = 3, SEG_FS = 4, SEG_GS = 5;
// 16-bit ModRM addressing (SDM Vol. 2 Table 2-1): base and index register of each r/m value
// (BX+SI, BX+DI, BP+SI, BP+DI, SI, DI, BP (disp16 alone when mod=00), BX).
const RM16_BASE = [3, 3, 5, 5, 6, 7, 5, 3];
const RM16_INDEX = [6, 7, 6, 7, -1, -1, -1, -1];
const REG_ESP = 4, REG_EBP = 5;

/** Two-byte (0F xx) opcodes that write their ModRM memory operand whatever ModRM.reg is: SETcc, BTS/BTR/BTC,
 *  SHLD/SHRD, CMPXCHG (it always writes, SDM Vol. 2 CMPXCHG), XADD, MOVNTI, and the SSE stores MOVUPS/MOVUPD/
 *  MOVSS/MOVSD m,x (11), MOVLPS (13), MOVHPS (17), MOVAPS (29), MOVNTPS (2B), MOVDQA/MOVDQU m,x (7F),
 *  MOVQ m64,x (D6), MOVNTDQ (E7). */
const WRITES_RM_0F = new Set([0x111, 0x113, 0x117, 0x129, 0x12b, 0x17f, 0x1ab, 0x1b3, 0x1bb, 0x1a4, 0x1a5, 0x1ac,
  0x1ad, 0x1b0, 0x1b1, 0x1c0, 0x1c1, 0x1c3, 0x1d6, 0x1e7]);

/**
 * Whether an instruction decoded outside 64-bit mode writes its ModRM memory operand (SDM Vol. 2 opcode map,
 * Appendix A: the E operand is the destination). Read-only forms (CMP, TEST, BT, loads) and instructions that
 * only compute an address (LEA, INVLPG, CLFLUSH, LGDT/LIDT/LMSW, BOUND, far pointers) are false.
 */
export function memOperandWritten(op: number, reg: number, rep: number, p66: boolean): boolean {
  if (op < 0x40) return (op & 7) < 2 && (op & 0x38) !== 0x38; // ALU Eb,Gb / Ev,Gv except CMP (38/39)
  switch (op) {
    case 0x80: case 0x81: case 0x82: case 0x83: return reg !== 7; // group 1 except CMP
    case 0x86: case 0x87: case 0x88: case 0x89: case 0x8c: case 0x8f: return true; // XCHG, MOV, MOV Ew,Sreg, POP Ev
    case 0xc0: case 0xc1: case 0xd0: case 0xd1: case 0xd2: case 0xd3: return true; // shifts and rotates
    case 0xc6: case 0xc7: return reg === 0;
    case 0xf6: case 0xf7: return reg === 2 || reg === 3; // NOT, NEG
    case 0xfe: case 0xff: return reg < 2; // INC, DEC
    case 0x100: return reg < 2; // SLDT, STR
    case 0x101: return reg < 2 || reg === 4; // SGDT, SIDT, SMSW
    case 0x17e: return rep !== 0xf3; // MOVD r/m32, mm/xmm (F3 0F 7E is the MOVQ load)
    case 0x1ba: return reg >= 5; // BTS/BTR/BTC Ev, Ib
    case 0x1c7: return reg === 1; // CMPXCHG8B
    default:
      if (op >= 0x190 && op <= 0x19f) return true; // SETcc
      return WRITES_RM_0F.has(op) && (op !== 0x1d6 || p66);
  }
}

/**
 * Decode in a 16/32-bit code segment (protected mode or IA-32e compatibility mode; SDM Vol. 2 2.2.1 and
 * Vol. 1 3.6): no REX (40-4F are INC/DEC), CS.D gives the default operand and address size and 66/67
 * toggle them, D64/F64 do not apply, ES/CS/SS/DS overrides count, 16-bit ModRM forms, no RIP-relative
 * addressing, moffs and far pointers sized by the address / operand size.
 */
function decodeLegacy(i: Insn, undefinedHandler: Handler, def32: boolean): number {
  resetInsn(i, true, 4);
  i.eseg = SEG_DS; i.memW = false;
  let b = rd();
  let p67 = false;
  for (;;) {
    if (b === 0x66) i.p66 = true;
    else if (b === 0x67) p67 = true;
    else if (b === 0xf2 || b === 0xf3) i.rep = b;
    else if (b === 0xf0) i.lock = true;
    else if (b === 0x26) i.seg = SEG_ES;
    else if (b === 0x2e) i.seg = SEG_CS;
    else if (b === 0x36) i.seg = SEG_SS;
    else if (b === 0x3e) i.seg = SEG_DS;
    else if (b === 0x64) i.seg = SEG_FS;
    else if (b === 0x65) i.seg = SEG_GS;
    else break;
    b = rd();
  }
  let op = b;
  if (b === 0x0f) op = 0x100 | rd();
  i.op = op;
  const d = table32[op] ?? table[op];
  if (d === undefined) { i.len = rk; i.fn = undefinedHandler; return DEC_UD; }
  const flags = d.flags;
  i.flags = flags;
  // Operand / address size: CS.D default, toggled by 66 / 67 (SDM Vol. 1 3.6, Vol. 2 Table 2-4 does not
  // apply: no REX.W, no 64-bit defaults). MOV CR/DR always move 32 bits outside 64-bit mode.
  const o32 = def32 !== i.p66, a32 = def32 !== p67;
  if (flags & OpF.BYTE) i.osz = 1;
  else if (flags & OpF.MODREG) i.osz = 4;
  else i.osz = o32 ? 4 : 2;
  i.asz = a32 ? 4 : 2;
  if (flags & OpF.M) {
    const m = rd();
    const mod = m >> 6, reg = (m >> 3) & 7, rm = m & 7;
    i.mod = mod;
    i.reg = reg;
    if (mod === 3 || (flags & OpF.MODREG)) {
      i.mod = 3;
      i.rm = rm;
    } else {
      i.mem = true;
      let ss = false;
      if (!a32) {
        // 16-bit forms (SDM Vol. 2 Table 2-1); BP-based forms use SS.
        if (mod === 0 && rm === 6) {
          i.disp = rd16();
        } else {
          i.base = RM16_BASE[rm]!;
          i.index = RM16_INDEX[rm]!;
          ss = i.base === REG_EBP;
        }
        if (mod === 1) i.disp = (rd() << 24) >> 24;
        else if (mod === 2) i.disp = (rd16() << 16) >> 16;
      } else {
        if (rm === 4) {
          readSib(i, mod, 0, 0);
        } else if (rm === 5 && mod === 0) {
          i.disp = rd32(); // disp32 (mod=00 r/m=101 is not RIP-relative here)
        } else {
          i.base = rm;
        }
        readDisp32(i, mod);
        ss = i.base === REG_ESP || i.base === REG_EBP; // SDM Vol. 1 3.7.4: ESP/EBP base -> SS
      }
      i.rm = i.base;
      i.eseg = i.seg >= 0 ? i.seg : ss ? SEG_SS : SEG_DS;
      i.ripRel = true; // routes Cpu.ea to eaLeg (see Insn.ripRel); never RIP-relative here
      i.memW = memOperandWritten(op, reg, i.rep, i.p66);
    }
  } else {
    i.rm = op & 7;
    i.reg = i.rm;
  }
  if (!pickHandler(i, d, undefinedHandler)) return DEC_UD;
  const gi = grpImm.get(op);
  readImm(i, gi ? gi(i.reg) : d.imm);
  i.len = rk;
  return DEC_OK;
}

const TOO_LONG = { tooLong: true };
let lockUdHandler: Handler | undefined;
export function setLockUdHandler(h: Handler): void { lockUdHandler = h; }
const lockUd: Handler = (c, i) => { lockUdHandler!(c, i); };
