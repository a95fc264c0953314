// Instruction semantics that differ outside 64-bit mode: 16/32-bit code segments in protected mode and
// IA-32e compatibility mode (SDM Vol. 1 3.6, Vol. 2 instruction pages, "Protected Mode" / "Compatibility
// Mode" paragraphs). The decoder picks these handlers from its legacy table (decoder.ts table32) only when
// it decodes for a 16/32-bit code segment, so the 64-bit handlers and their hot path are untouched.
//
// Conventions: the stack is ESP or SP per SS.B (Cpu.ss32) with 2- or 4-byte slots (operand size); EIP is
// truncated to 32 bits, or to 16 for near branches with a 16-bit operand size (Cpu.jumpLeg); data
// addresses are segment base + offset modulo 2^32 (Cpu.eaLeg, Cpu.segLinear). Far CALL/JMP/RET, IRET,
// INT n belong to system.ts / far.ts, the segment-load checks to segments.ts (loadSegment).

import type { Cpu } from './cpu.js';
import { SHADOW_MOVSS, SL_SHADOW } from './state.js';
import * as A from './arch.js';
import { Imm, type Insn, OpF, def32, defGroup32, farOps } from './decoder.js';
import { alu, checkLock, incdec, opGrp1, popfApply, rmRead, rmReadRmw, rmWrite, setResultFlags } from './ops.js';
import * as S from './system.js';
import { loadSegment } from './segments.js';
import { checkV86Iopl, refuseDescriptorInsn8086 } from './mode8086.js';
import { repContinues } from './rep-chunk.js';

type H = (c: Cpu, i: Insn) => void;

const SEG_ES = 0, SEG_CS = 1, SEG_SS = 2, SEG_DS = 3, SEG_FS = 4, SEG_GS = 5;
const EAX = 0, ECX = 1, EBX = 3, ESP = 4, EBP = 5, ESI = 6, EDI = 7;

function osMask(sz: number): number { return sz === 2 ? 0xffff : -1; }

// Segment-register loads go through segments.ts loadSegment (protected-mode descriptor checks, the hidden
// part of every segment register, the mode summary; SDM Vol. 3 5.4-5.6).
/** POP SS / MOV SS / LSS start the MOV-SS interrupt shadow (SDM Vol. 3 6.8.3). */
function ssShadow(c: Cpu): void { c.shadowNew = SHADOW_MOVSS; c.slow |= SL_SHADOW; }

// ---------------------------------------------------------------------------------------------
// Stack (SDM Vol. 2 PUSH/POP/PUSHA/POPA/PUSHF/POPF/ENTER/LEAVE)
// ---------------------------------------------------------------------------------------------
const opPushR: H = (c, i) => c.pushLeg(c.getReg(i.rm, i.osz, 0), i.osz);
const opPopR: H = (c, i) => { const v = c.popLeg(i.osz); c.setReg(i.rm, i.osz, 0, v, 0); };
const opPushI: H = (c, i) => c.pushLeg(i.imm & osMask(i.osz), i.osz);
const opPopE: H = (c, i) => {
  if (i.lock) c.raiseUD();
  // The destination address is computed after ESP is incremented (SDM Vol. 2 POP); undo on a fault.
  const sp = c.rl[ESP]!, sph = c.rh[ESP]!;
  const v = c.popLeg(i.osz);
  try {
    if (i.mem) c.wrSized(c.ea(i), i.osz, v, 0); else c.setReg(i.rm, i.osz, 0, v, 0);
  } catch (e) { c.rl[ESP] = sp; c.rh[ESP] = sph; throw e; }
};
// IOPL-sensitive in virtual-8086 mode (mode8086.ts checkV86Iopl).
const opPushf: H = (c, i) => { checkV86Iopl(c); c.pushLeg(c.getFlags() & ~(A.RFLAGS_RF | A.RFLAGS_VM) & osMask(i.osz), i.osz); };
const opPopf: H = (c, i) => { checkV86Iopl(c); popfApply(c, i.osz, c.popLeg(i.osz)); };

/** PUSHA/PUSHAD: EAX, ECX, EDX, EBX, original ESP, EBP, ESI, EDI; all eight stores before ESP moves. */
const opPusha: H = (c, i) => {
  const sz = i.osz;
  for (let r = 0; r < 8; r++) c.stackWriteAt(-(r + 1) * sz, sz, c.getReg(r, sz, 0));
  c.setSp(c.spPlus(-8 * sz));
};
/** POPA/POPAD: EDI, ESI, EBP, (ESP skipped), EBX, EDX, ECX, EAX; all reads before any register changes. */
const POPA_VALUES = new Int32Array(8);
const opPopa: H = (c, i) => {
  const sz = i.osz;
  for (let k = 0; k < 8; k++) POPA_VALUES[k] = c.stackReadAt(k * sz, sz);
  for (let k = 0; k < 8; k++) { const r = 7 - k; if (r !== ESP) c.setReg(r, sz, 0, POPA_VALUES[k]!, 0); }
  c.setSp(c.spPlus(8 * sz));
};
const opEnter: H = (c, i) => {
  const sz = i.osz, size = i.imm & 0xffff, level = i.imm2 & 31;
  const rl = c.rl, rh = c.rh;
  const saveSp = rl[ESP]!, saveSpH = rh[ESP]!, saveBp = rl[EBP]!, saveBpH = rh[EBP]!;
  try {
    c.pushLeg(c.getReg(EBP, sz, 0), sz);
    // The frame pointer is the whole ESP after the push, stored and loaded at the operand size: with a
    // 32-bit operand size on a 16-bit stack, EBP receives ESP's upper half too (as the 80386 manual's ENTER
    // pseudo-code copies eSP; measured on the AMD host with SS.B=0).
    const frame = rl[ESP]!;
    let bp = c.ss32 ? rl[EBP]! >>> 0 : rl[EBP]! & 0xffff;
    for (let k = 1; k < level; k++) {
      bp = c.ss32 ? (bp - sz) >>> 0 : (bp - sz) & 0xffff;
      const v = sz === 2 ? c.rd16(c.stackLin(bp, 2)) : c.rd32(c.stackLin(bp, 4));
      c.pushLeg(v, sz);
    }
    if (level > 0) c.pushLeg(frame & osMask(sz), sz);
    c.setReg(EBP, sz, 0, frame, 0);
    c.setSp(c.spPlus(-size));
    c.stackLin(c.spPlus(0), 1);
  } catch (e) { rl[ESP] = saveSp; rh[ESP] = saveSpH; rl[EBP] = saveBp; rh[EBP] = saveBpH; throw e; }
};
const opLeave: H = (c, i) => {
  const rl = c.rl;
  const saveSp = rl[ESP]!, saveSpH = c.rh[ESP]!;
  if (c.ss32) rl[ESP] = rl[EBP]!; else rl[ESP] = (rl[ESP]! & ~0xffff) | (rl[EBP]! & 0xffff);
  try {
    const v = c.popLeg(i.osz);
    c.setReg(EBP, i.osz, 0, v, 0);
  } catch (e) { rl[ESP] = saveSp; c.rh[ESP] = saveSpH; throw e; }
};

// PUSH/POP of segment registers (06 07 0E 16 17 1E 1F, 0F A0 A1 A8 A9). A 32-bit PUSH Sreg moves ESP by 4.
// Recent Intel cores store only the 16-bit selector and leave the slot's upper half as it was (SDM Vol. 2
// PUSH, operation notes); AMD stores the zero-extended selector (measured on an AMD EPYC host in
// compatibility mode: the upper half of the slot reads 0).
function pushSreg(c: Cpu, sz: number, s: number): void {
  const sp = c.spPlus(-sz);
  const la = c.stackLin(sp, sz);
  if (sz === 4 && c.vendor === 'amd') c.wr32(la, c.segSel[s]!); else c.wr16(la, c.segSel[s]!);
  c.setSp(sp);
}
function popSreg(c: Cpu, sz: number, s: number): void {
  const sel = c.stackReadAt(0, sz) & 0xffff;
  loadSegment(c, s, sel);
  c.setSp(c.spPlus(sz));
  if (s === SEG_SS) ssShadow(c);
}
const SREG_OF_PUSHPOP: Record<number, number> = { 0x06: SEG_ES, 0x07: SEG_ES, 0x0e: SEG_CS, 0x16: SEG_SS, 0x17: SEG_SS, 0x1e: SEG_DS, 0x1f: SEG_DS };
const opPushSreg: H = (c, i) => pushSreg(c, i.osz, SREG_OF_PUSHPOP[i.op]!);
const opPopSreg: H = (c, i) => popSreg(c, i.osz, SREG_OF_PUSHPOP[i.op]!);
const opPushFsGs: H = (c, i) => pushSreg(c, i.osz, (i.op & 0xff) === 0xa0 ? SEG_FS : SEG_GS);
const opPopFsGs: H = (c, i) => popSreg(c, i.osz, (i.op & 0xff) === 0xa1 ? SEG_FS : SEG_GS);

// ---------------------------------------------------------------------------------------------
// Near control transfers (SDM Vol. 2 CALL/JMP/Jcc/RET/LOOP/JCXZ): targets wrap to the operand size.
// ---------------------------------------------------------------------------------------------
const opCallRel: H = (c, i) => {
  const sz = i.osz;
  const ret = c.nextRip;
  c.jumpLeg(ret + i.imm, sz);
  c.pushLeg(ret & osMask(sz), sz);
};
const opJmpRel: H = (c, i) => c.jumpLeg(c.nextRip + i.imm, i.osz);
const opJcc: H = (c, i) => { if (c.cond(i.op & 15)) c.jumpLeg(c.nextRip + i.imm, i.osz); };
const opRet: H = (c, i) => {
  const sz = i.osz;
  const t = c.stackReadAt(0, sz);
  c.jumpLeg(t, sz);
  c.setSp(c.spPlus(sz + (i.op === 0xc2 ? i.imm & 0xffff : 0)));
};
const opLoop: H = (c, i) => {
  // E0 LOOPNE, E1 LOOPE, E2 LOOP, E3 JCXZ/JECXZ: the address size selects CX or ECX.
  const rl = c.rl;
  const a16 = i.asz === 2;
  if (i.op === 0xe3) {
    if ((a16 ? rl[ECX]! & 0xffff : rl[ECX]!) === 0) c.jumpLeg(c.nextRip + i.imm, i.osz);
    return;
  }
  let nz: boolean;
  if (a16) { const v = (rl[ECX]! - 1) & 0xffff; rl[ECX] = (rl[ECX]! & ~0xffff) | v; nz = v !== 0; }
  else { rl[ECX] = (rl[ECX]! - 1) | 0; c.rh[ECX] = 0; nz = rl[ECX] !== 0; }
  let take = nz;
  if (i.op === 0xe0) take = nz && c.getZF() === 0;
  else if (i.op === 0xe1) take = nz && c.getZF() === 1;
  if (take) c.jumpLeg(c.nextRip + i.imm, i.osz);
};
/** FF: /0 INC, /1 DEC, /2 CALL near Ev, /3 CALL far Mp, /4 JMP near Ev, /5 JMP far Mp, /6 PUSH Ev. */
const grp5: H = (c, i) => {
  const k = i.reg & 7, sz = i.osz;
  switch (k) {
    case 0: case 1: incdec(c, i, k === 1, sz, false); return;
    case 2: {
      if (i.lock) c.raiseUD();
      const t = rmRead(c, i, sz);
      const ret = c.nextRip;
      c.jumpLeg(t, sz);
      c.pushLeg(ret & osMask(sz), sz);
      return;
    }
    case 4: if (i.lock) c.raiseUD(); c.jumpLeg(rmRead(c, i, sz), sz); return;
    case 6: if (i.lock) c.raiseUD(); c.pushLeg(rmRead(c, i, sz), sz); return;
    case 3: case 5: {
      // Far CALL/JMP through memory: semantics in system.ts (decoder.farOps); a register operand is #UD.
      const h = k === 3 ? farOps.callMem : farOps.jmpMem;
      if (h === undefined || !i.mem) { c.raiseUD(); return; }
      h(c, i);
      return;
    }
    default: c.raiseUD();
  }
};

/** 9A CALL ptr16:16/32, EA JMP ptr16:16/32: semantics in system.ts (decoder.farOps). */
const opCallFarPtr: H = (c, i) => { const h = farOps.callPtr; if (h === undefined) { c.raiseUD(); return; } h(c, i); };
const opJmpFarPtr: H = (c, i) => { const h = farOps.jmpPtr; if (h === undefined) { c.raiseUD(); return; } h(c, i); };

// ---------------------------------------------------------------------------------------------
// Memory-offset moves, string instructions, XLAT (SDM Vol. 2 MOV moffs, MOVS/STOS/LODS/CMPS/SCAS, XLAT):
// the source segment is DS or the override; the destination of string stores is always ES:(E)DI.
// ---------------------------------------------------------------------------------------------
/** Reads check the segment's limit and readability, writes also that it is a writable data segment
 *  (Cpu.dataLin; SDM Vol. 3 5.4/5.5). */
function dataLin(c: Cpu, s: number, off: number, size: number): number { return c.dataLin(s, off, size, false); }
function dataLinW(c: Cpu, s: number, off: number, size: number): number { return c.dataLin(s, off, size, true); }
const opMovAO: H = (c, i) => {
  const sz = (i.op & 1) ? i.osz : 1;
  const la = dataLin(c, i.seg >= 0 ? i.seg : SEG_DS, i.asz === 2 ? i.imm & 0xffff : i.imm >>> 0, sz);
  c.setReg(EAX, sz, 0, c.rdSized(la, sz), 0);
};
const opMovOA: H = (c, i) => {
  const sz = (i.op & 1) ? i.osz : 1;
  const la = dataLinW(c, i.seg >= 0 ? i.seg : SEG_DS, i.asz === 2 ? i.imm & 0xffff : i.imm >>> 0, sz);
  c.wrSized(la, sz, c.getReg(EAX, sz, 0), 0);
};
const opXlat: H = (c, i) => {
  const off = c.rl[EBX]! + (c.rl[EAX]! & 0xff);
  const la = dataLin(c, i.seg >= 0 ? i.seg : SEG_DS, i.asz === 2 ? off & 0xffff : off >>> 0, 1);
  c.rl[EAX] = (c.rl[EAX]! & ~0xff) | c.rd8(la);
};

function strOff(c: Cpu, r: number, a16: boolean): number { return a16 ? c.rl[r]! & 0xffff : c.rl[r]! >>> 0; }
function strStep(c: Cpu, r: number, a16: boolean, n: number): void {
  const d = (c.fl & A.RFLAGS_DF) ? -n : n;
  if (a16) c.rl[r] = (c.rl[r]! & ~0xffff) | ((c.rl[r]! + d) & 0xffff);
  else { c.rl[r] = (c.rl[r]! + d) | 0; c.rh[r] = 0; }
}
function countZero(c: Cpu, a16: boolean): boolean { return (a16 ? c.rl[ECX]! & 0xffff : c.rl[ECX]!) === 0; }
function countDec(c: Cpu, a16: boolean): void {
  if (a16) c.rl[ECX] = (c.rl[ECX]! & ~0xffff) | ((c.rl[ECX]! - 1) & 0xffff);
  else { c.rl[ECX] = (c.rl[ECX]! - 1) | 0; c.rh[ECX] = 0; }
}
const stringOp: H = (c, i) => {
  if (i.lock) c.raiseUD();
  const op = i.op;
  const sz = (op & 1) ? i.osz : 1;
  const rep = i.rep !== 0;
  const a16 = i.asz === 2;
  const src = i.seg >= 0 ? i.seg : SEG_DS;
  for (;;) {
    if (rep && countZero(c, a16)) return;
    switch (op & 0xfe) {
      case 0xa4: {
        const v = c.rdSized(dataLin(c, src, strOff(c, ESI, a16), sz), sz);
        c.wrSized(dataLinW(c, SEG_ES, strOff(c, EDI, a16), sz), sz, v, 0);
        strStep(c, ESI, a16, sz); strStep(c, EDI, a16, sz);
        break;
      }
      case 0xaa:
        c.wrSized(dataLinW(c, SEG_ES, strOff(c, EDI, a16), sz), sz, c.getReg(EAX, sz, 0), 0);
        strStep(c, EDI, a16, sz);
        break;
      case 0xac:
        c.setReg(EAX, sz, 0, c.rdSized(dataLin(c, src, strOff(c, ESI, a16), sz), sz), 0);
        strStep(c, ESI, a16, sz);
        break;
      case 0xa6: {
        const a = c.rdSized(dataLin(c, src, strOff(c, ESI, a16), sz), sz);
        const b = c.rdSized(dataLin(c, SEG_ES, strOff(c, EDI, a16), sz), sz);
        alu(c, 7, sz, a, 0, b, 0);
        strStep(c, ESI, a16, sz); strStep(c, EDI, a16, sz);
        break;
      }
      default: { // SCAS
        const b = c.rdSized(dataLin(c, SEG_ES, strOff(c, EDI, a16), sz), sz);
        alu(c, 7, sz, c.getReg(EAX, sz, 0), 0, b, 0);
        strStep(c, EDI, a16, sz);
        break;
      }
    }
    if (!rep) return;
    countDec(c, a16);
    if ((op & 0xf6) === 0xa6) { // CMPS/SCAS: REPE/REPNE termination
      const zf = c.getZF();
      if (i.rep === 0xf3 && zf === 0) return;
      if (i.rep === 0xf2 && zf === 1) return;
    }
    if (!repContinues(c, c.rl[ECX]!, countZero(c, a16))) return;
  }
};

// ---------------------------------------------------------------------------------------------
// INC/DEC r16/r32 (40-4F: REX in 64-bit mode)
// ---------------------------------------------------------------------------------------------
const opIncR: H = (c, i) => incdec(c, i, false, i.osz, true);
const opDecR: H = (c, i) => incdec(c, i, true, i.osz, true);

// ---------------------------------------------------------------------------------------------
// Decimal arithmetic (SDM Vol. 2 DAA/DAS/AAA/AAS/AAM/AAD). Flags the SDM leaves undefined are written
// as the result-derived value (SF/ZF/PF of AL) or 0 (OF, and AF/CF of AAM/AAD).
// ---------------------------------------------------------------------------------------------
function al(c: Cpu): number { return c.rl[EAX]! & 0xff; }
function setAl(c: Cpu, v: number): void { c.rl[EAX] = (c.rl[EAX]! & ~0xff) | (v & 0xff); }
const opDaa: H = (c) => {
  const old = al(c), oldCf = c.getCF(), af0 = c.getAF();
  let v = old, af = 0, cf = 0;
  if ((old & 0x0f) > 9 || af0) { v += 6; af = 1; }
  if (old > 0x99 || oldCf) { v += 0x60; cf = 1; }
  setAl(c, v);
  setResultFlags(c, 1, v & 0xff, 0, cf, 0, af);
};
const opDas: H = (c) => {
  const old = al(c), oldCf = c.getCF(), af0 = c.getAF();
  let v = old, af = 0, cf = 0;
  if ((old & 0x0f) > 9 || af0) { cf = oldCf | (v < 6 ? 1 : 0); v = (v - 6) & 0xff; af = 1; }
  if (old > 0x99 || oldCf) { v = (v - 0x60) & 0xff; cf = 1; }
  setAl(c, v);
  setResultFlags(c, 1, v, 0, cf, 0, af);
};
const opAaa: H = (c) => {
  let ax = c.rl[EAX]! & 0xffff;
  let adj = 0;
  if ((ax & 0x0f) > 9 || c.getAF()) { ax = (ax + 0x106) & 0xffff; adj = 1; }
  ax &= 0xff0f;
  c.rl[EAX] = (c.rl[EAX]! & ~0xffff) | ax;
  setResultFlags(c, 1, ax & 0xff, 0, adj, 0, adj);
};
const opAas: H = (c) => {
  let ax = c.rl[EAX]! & 0xffff;
  let adj = 0;
  if ((ax & 0x0f) > 9 || c.getAF()) { ax = (ax - 6) & 0xffff; ax = (ax - 0x100) & 0xffff; adj = 1; }
  ax &= 0xff0f;
  c.rl[EAX] = (c.rl[EAX]! & ~0xffff) | ax;
  setResultFlags(c, 1, ax & 0xff, 0, adj, 0, adj);
};
const opAam: H = (c, i) => {
  const base = i.imm & 0xff;
  if (base === 0) c.raise(A.VEC_DE, -1);
  const a = al(c);
  const lo = a % base;
  c.rl[EAX] = (c.rl[EAX]! & ~0xffff) | (Math.floor(a / base) << 8) | lo;
  setResultFlags(c, 1, lo, 0, 0, 0, 0);
};
const opAad: H = (c, i) => {
  const v = (al(c) + ((c.rl[EAX]! >> 8) & 0xff) * (i.imm & 0xff)) & 0xff;
  c.rl[EAX] = (c.rl[EAX]! & ~0xffff) | v;
  setResultFlags(c, 1, v, 0, 0, 0, 0);
};
/** SALC (D6, undocumented by Intel, implemented by QEMU and by Intel/AMD silicon): AL = CF ? FFH : 00H,
 *  flags unchanged. Chosen over #UD so guests written for real hardware run as they do under QEMU. */
const opSalc: H = (c) => setAl(c, c.getCF() ? 0xff : 0);

// ---------------------------------------------------------------------------------------------
// BOUND, ARPL, INTO, far-pointer loads
// ---------------------------------------------------------------------------------------------
/** BOUND Gv, Ma: #BR (vector 5, a fault) when the signed index is outside [lower, upper] (SDM Vol. 2 BOUND). */
const opBound: H = (c, i) => {
  if (!i.mem) c.raiseUD();
  const sz = i.osz;
  const la = c.ea(i);
  const sh = 32 - sz * 8;
  const lower = (c.rdSized(la, sz) << sh) >> sh;
  const upper = (c.rdSized(c.eaLegPlus(i, la, sz), sz) << sh) >> sh;
  const idx = (c.getReg(i.reg, sz, 0) << sh) >> sh;
  if (idx < lower || idx > upper) c.raise(A.VEC_BR, -1);
};
/** ARPL Ew, Gw: raise the destination's RPL to the source's, ZF = whether it changed (SDM Vol. 2 ARPL). */
const opArpl: H = (c, i) => {
  refuseDescriptorInsn8086(c);
  checkLock(c, i);
  const d = rmReadRmw(c, i, 2);
  const src = c.getReg(i.reg, 2, 0);
  if ((d & 3) < (src & 3)) {
    rmWrite(c, i, 2, (d & ~3) | (src & 3), 0);
    c.setArith(A.RFLAGS_ZF, A.RFLAGS_ZF);
  } else c.setArith(A.RFLAGS_ZF, 0);
};
/** INTO: #OF (vector 4) as a trap when OF=1, delivered like INT3 (gate DPL checked; SDM Vol. 2 INTn/INTO). */
const opInto: H = (c, i) => { if (c.getOF()) S.softwareInterrupt(c, i, A.VEC_OF, true); };
/** LDS/LES/LSS/LFS/LGS r, m16:16/m16:32: offset then selector; the segment load faults before the register
 *  is written (SDM Vol. 2 LDS/LES/LFS/LGS/LSS). C4/C5 with mod=11 are VEX prefixes: #UD (no AVX modelled). */
function farLoad(c: Cpu, i: Insn, s: number): void {
  if (!i.mem) c.raiseUD();
  const sz = i.osz;
  const la = c.ea(i);
  const off = c.rdSized(la, sz);
  const sel = c.rd16(c.eaLegPlus(i, la, sz));
  loadSegment(c, s, sel);
  c.setReg(i.reg, sz, 0, off, 0);
  if (s === SEG_SS) ssShadow(c);
}
const opLes: H = (c, i) => farLoad(c, i, SEG_ES);
const opLds: H = (c, i) => farLoad(c, i, SEG_DS);
const opLss: H = (c, i) => farLoad(c, i, SEG_SS);
const opLfs: H = (c, i) => farLoad(c, i, SEG_FS);
const opLgs: H = (c, i) => farLoad(c, i, SEG_GS);

/** Register the legacy-mode table (decoder.ts table32). Called once from handlers.ts installHandlers(). */
export function installLegacyOps(): void {
  const M = OpF.M, B = OpF.BYTE, L = OpF.LOCKOK;
  for (let r = 0; r < 8; r++) {
    def32(0x40 + r, 0, Imm.None, opIncR);
    def32(0x48 + r, 0, Imm.None, opDecR);
    def32(0x50 + r, 0, Imm.None, opPushR);
    def32(0x58 + r, 0, Imm.None, opPopR);
  }
  for (const o of [0x06, 0x0e, 0x16, 0x1e]) def32(o, 0, Imm.None, opPushSreg);
  for (const o of [0x07, 0x17, 0x1f]) def32(o, 0, Imm.None, opPopSreg); // 0F is the two-byte escape: no POP CS
  def32(0x1a0, 0, Imm.None, opPushFsGs);
  def32(0x1a8, 0, Imm.None, opPushFsGs);
  def32(0x1a1, 0, Imm.None, opPopFsGs);
  def32(0x1a9, 0, Imm.None, opPopFsGs);
  def32(0x27, 0, Imm.None, opDaa);
  def32(0x2f, 0, Imm.None, opDas);
  def32(0x37, 0, Imm.None, opAaa);
  def32(0x3f, 0, Imm.None, opAas);
  def32(0x60, 0, Imm.None, opPusha);
  def32(0x61, 0, Imm.None, opPopa);
  def32(0x62, M, Imm.None, opBound);
  def32(0x63, M, Imm.None, opArpl); // not lockable: LOCK ARPL is #UD
  def32(0x68, 0, Imm.Z, opPushI);
  def32(0x6a, 0, Imm.B, opPushI);
  for (let cc = 0; cc < 16; cc++) { def32(0x70 + cc, 0, Imm.B, opJcc); def32(0x180 + cc, 0, Imm.Z, opJcc); }
  // 82: an alias of 80 (ALU Eb, Ib) outside 64-bit mode (SDM Vol. 2 Table A-2, #UD in 64-bit mode).
  defGroup32(0x82, M | B | L, Imm.B, [opGrp1, opGrp1, opGrp1, opGrp1, opGrp1, opGrp1, opGrp1, opGrp1]);
  defGroup32(0x8f, M, Imm.None, [opPopE]);
  def32(0x9c, 0, Imm.None, opPushf);
  def32(0x9d, 0, Imm.None, opPopf);
  def32(0xa0, B, Imm.O, opMovAO);
  def32(0xa1, 0, Imm.O, opMovAO);
  def32(0xa2, B, Imm.O, opMovOA);
  def32(0xa3, 0, Imm.O, opMovOA);
  for (const o of [0xa4, 0xa6, 0xaa, 0xac, 0xae]) { def32(o, B, Imm.None, stringOp); def32(o + 1, 0, Imm.None, stringOp); }
  def32(0xc2, 0, Imm.W, opRet);
  def32(0xc3, 0, Imm.None, opRet);
  def32(0xc4, M, Imm.None, opLes);
  def32(0xc5, M, Imm.None, opLds);
  def32(0xc8, 0, Imm.WB, opEnter);
  def32(0xc9, 0, Imm.None, opLeave);
  def32(0xce, 0, Imm.None, opInto);
  def32(0xd4, 0, Imm.BU, opAam);
  def32(0xd5, 0, Imm.BU, opAad);
  def32(0xd6, 0, Imm.None, opSalc);
  def32(0xd7, B, Imm.None, opXlat);
  for (let o = 0xe0; o <= 0xe3; o++) def32(o, 0, Imm.B, opLoop);
  def32(0xe8, 0, Imm.Z, opCallRel);
  def32(0xe9, 0, Imm.Z, opJmpRel);
  def32(0xeb, 0, Imm.B, opJmpRel);
  def32(0x9a, 0, Imm.P, opCallFarPtr);
  def32(0xea, 0, Imm.P, opJmpFarPtr);
  defGroup32(0xff, M | L, Imm.None, [grp5, grp5, grp5, grp5, grp5, grp5, grp5]);
  def32(0x1b2, M, Imm.None, opLss);
  def32(0x1b4, M, Imm.None, opLfs);
  def32(0x1b5, M, Imm.None, opLgs);
}
