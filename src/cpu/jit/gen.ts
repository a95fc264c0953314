// The code generator state of one region under translation (block.ts): which registers sit in JS locals and
// whether they are dirty, the pending lazy-flag record of the last flag-setting inlined instruction, the
// fault points and the exits. The per-instruction emitters
// (emit.ts) write through it; Gen decides when state must be stored so that a handler, an exit or a fault
// sees registers and flags exactly as the interpreter would leave them.

import { SL_PER_INSN } from '../state.js';
import { RFLAGS_ARITH, RFLAGS_CF, RFLAGS_OF } from '../arch.js';
import type { Insn } from '../decoder.js';

/** JS literal of a number (negative ones parenthesised). */
export function lit(v: number): string { return v < 0 ? `(${v})` : String(v); }

/** Register local states: not loaded, loaded and unchanged, changed since loaded. */
export const NONE = 0, CLEAN = 1, DIRTY = 2;

/** The pending (not yet stored) lazy-flag record of the last flag-setting inlined instruction. Its values live in
 *  the fixed locals FK (the kind: the value lf[0] gets, EAGER for eager flags, 0 when nothing is pending), FZ
 *  (operand size), FR/FH (result), FA/FAH, FB/FBH (operands), FC (carry-in of INC/DEC), FV (eager flag bits): the
 *  exit tail and the catch clause store the record from those alone, whichever instruction set it. */
interface Flags {
  kind: 'add' | 'sub' | 'logic' | 'incdec' | 'eager' | 'shift' | 'imul' | 'dyn';
  w: boolean;
  /** Expressions of result / operands / carry-in / eager value (the fixed locals, or constants). */
  r: string; h: string; a: string; ah: string; b: string; bh: string; cin: string; v: string;
}

/** FK for eager flags (RFLAGS written, lf[0] = 0: FV the arithmetic flags). */
const EAGER = 100;
/** FK for a shift's flags (fast.ts shiftFlags, assembled when stored): FR/FH the result (FH 0 for 32 bits), FZ
 *  the size, FC = CF | OF << 11. */
const SHIFT = 101;
/** FK for IMUL's flags (fast.ts imul64/imul32: CF = OF = overflow, the others 0), tested when stored: FA/FAH and
 *  FB/FBH the operands, FZ the size. */
const IMUL = 102;
/** A record of unknown kind may be pending (FK says which): at a loop head. */
const DYN: Flags = { kind: 'dyn', w: false, r: '', h: '', a: '', ah: '', b: '', bh: '', cin: '', v: '' };
/** Declarations of the flag locals (block.ts). */
export const FLAG_LOCALS = 'SQ = 0, FK = 0, FZ = 0, FR = 0, FH = 0, FA = 0, FAH = 0, FB = 0, FBH = 0, FC = 0, FV = 0';
const ARITH_KEEP = ~RFLAGS_ARITH;
/** The flag bits of a shift record (fast.ts shiftFlags: CF, PF of the low byte, ZF, SF, OF). */
const SHIFT_BITS = '(FC | (((0x6996 >> ((FR ^ (FR >> 4)) & 15)) & 1) === 0 ? 4 : 0) | ((FZ === 8 ? (FR | FH) === 0 : FR === 0) ? 64 : 0) | (((FZ === 8 ? FH : FR) >>> 31) << 7))';
/** IMUL's CF | OF (fast.ts imul64: the product as doubles decides below 2^62 and from 2^64 on). */
const IMUL_BITS = `((FZ === 8 ? (X.ov64m(FA, FAH, FB, FBH)) : FA * FB !== Math.imul(FA, FB)) ? ${RFLAGS_CF | RFLAGS_OF} : 0)`;
const STORE = {
  addsub: 'lf[0] = FK; lf[1] = FZ; lf[2] = FR; lf[3] = FH; lf[4] = FA; lf[5] = FAH; lf[6] = FB; lf[7] = FBH;',
  logic: 'lf[0] = 5; lf[1] = FZ; lf[2] = FR; lf[3] = FH;',
  incdec: 'lf[0] = FK; lf[1] = FZ; lf[2] = FR; lf[3] = FH; lf[4] = FA; lf[5] = FAH; lf[6] = 1; lf[7] = 0; lf[8] = FC;',
  eager: `lf[0] = 0; c.fl = (c.fl & ${ARITH_KEEP}) | FV;`,
  shift: `lf[0] = 0; c.fl = (c.fl & ${ARITH_KEEP}) | ${SHIFT_BITS};`,
  imul: `lf[0] = 0; c.fl = (c.fl & ${ARITH_KEEP}) | ${IMUL_BITS};`,
};
/** Store whatever record FK says is pending (the interpreter's handlers' lf layout, core.ts). */
export const STORE_PENDING_FLAGS = `switch (FK) { case 0: break; case ${EAGER}: ${STORE.eager} break; case ${SHIFT}: ${STORE.shift} break; ` +
  `case ${IMUL}: ${STORE.imul} break; case 5: ${STORE.logic} break; case 6: case 7: ${STORE.incdec} break; default: ${STORE.addsub} } FK = 0;`;

/** What Gen.snapshot saves: the register-local states and the pending flags at one point of the code. */
export interface GenState { regL: Uint8Array; regH: Uint8Array; flags: Flags | null }

/** Registers (low and high halves) a region keeps in locals from its entry on, and those it writes. */
export interface RegSets { useL: Uint8Array; useH: Uint8Array }

export class Gen {
  readonly out: string[] = [];
  readonly regL = new Uint8Array(16);
  readonly regH = new Uint8Array(16);
  /** Halves used (1) and written (2) anywhere in the region (bit mask per register). */
  readonly useL = new Uint8Array(16);
  readonly useH = new Uint8Array(16);
  flags: Flags | null = null;
  inlined = 0;
  /** Per instruction instance (an instruction reached on two paths of a region is emitted twice): the
   *  decoded record, its linear RIP, the instructions retired in the current pass before it, 1 when inlined. */
  readonly insns: Insn[] = [];
  readonly rips: number[] = [];
  readonly depths: number[] = [];
  readonly inl: number[] = [];
  /** Deepest pass (instructions from the entry to an exit or back to the entry). */
  maxDepth = 0;
  /**
   * pre: the registers loaded into locals at the entry (block.ts, from a first emission's useL/useH); they stay
   * valid everywhere (reloaded after every handler call), so every exit and fault stores the written ones
   * unconditionally. null: the first emission (registers loaded on first use; its code is discarded).
   * loopHead: the entry is also a loop head: written registers count as modified and a record of any kind
   * may be pending there.
   */
  constructor(readonly lin0: number, readonly pre: RegSets | null = null, loopHead = false) {
    if (pre !== null) {
      for (let r = 0; r < 16; r++) {
        if (pre.useL[r]) this.regL[r] = loopHead && (pre.useL[r]! & 2) ? DIRTY : CLEAN;
        if (pre.useH[r]) this.regH[r] = loopHead && (pre.useH[r]! & 2) ? DIRTY : CLEAN;
      }
      if (loopHead) this.flags = DYN;
    }
  }

  /** A new instruction instance; returns its index k (the suffix of its temporaries). */
  add(i: Insn, rip: number, depth: number): number {
    this.insns.push(i); this.rips.push(rip); this.depths.push(depth); this.inl.push(0);
    return this.insns.length - 1;
  }
  emit(s: string): void { this.out.push(s); }
  lo(r: number): string {
    this.useL[r]! |= 1;
    if (this.regL[r] === NONE) { this.emit(`L${r} = rl[${r}];`); this.regL[r] = CLEAN; }
    return `L${r}`;
  }
  hi(r: number): string {
    this.useH[r]! |= 1;
    if (this.regH[r] === NONE) { this.emit(`H${r} = rh[${r}];`); this.regH[r] = CLEAN; }
    return `H${r}`;
  }
  setLo(r: number, e: string): void { this.emit(`L${r} = ${e};`); this.regL[r] = DIRTY; this.useL[r]! |= 3; }
  setHi(r: number, e: string): void { this.emit(`H${r} = ${e};`); this.regH[r] = DIRTY; this.useH[r]! |= 3; }
  snapshot(): GenState { return { regL: this.regL.slice(), regH: this.regH.slice(), flags: this.flags }; }
  restore(s: GenState): void { this.regL.set(s.regL); this.regH.set(s.regH); this.flags = s.flags; }
  /** Retired-count expression after `d` instructions of the current pass (t: instructions of the passes
   *  before, in a region that loops). */
  static done(d: number): string { return `t + ${d}`; }
  /** Store the dirty registers and the pending flags now (before a handler call); registers stay cached. */
  flush(): void {
    let s = '';
    for (let r = 0; r < 16; r++) {
      if (this.regL[r] === DIRTY) { s += `rl[${r}] = L${r}; `; this.regL[r] = CLEAN; }
      if (this.regH[r] === DIRTY) { s += `rh[${r}] = H${r}; `; this.regH[r] = CLEAN; }
    }
    if (s !== '') this.emit(s);
    this.flushFlags();
  }
  /** Store the pending flags only. */
  flushFlags(): void {
    const f = this.flags;
    if (f === null) return;
    this.flags = null;
    switch (f.kind) {
      case 'add': case 'sub': this.emit(`${STORE.addsub} FK = 0;`); return;
      case 'logic': this.emit(`${STORE.logic} FK = 0;`); return;
      case 'incdec': this.emit(`${STORE.incdec} FK = 0;`); return;
      case 'eager': this.emit(`${STORE.eager} FK = 0;`); return;
      case 'shift': this.emit(`${STORE.shift} FK = 0;`); return;
      case 'imul': this.emit(`${STORE.imul} FK = 0;`); return;
      default: this.emit(STORE_PENDING_FLAGS);
    }
  }
  /** After a handler call: every register may have changed (reloaded at once when they are kept from the entry). */
  forget(): void {
    this.emit(Gen.ACCESS_STATE);
    const pre = this.pre;
    if (pre === null) { this.regL.fill(NONE); this.regH.fill(NONE); return; }
    let s = '';
    for (let r = 0; r < 16; r++) {
      if (pre.useL[r]) { s += `L${r} = rl[${r}]; `; this.regL[r] = CLEAN; }
      if (pre.useH[r]) { s += `H${r} = rh[${r}]; `; this.regH[r] = CLEAN; }
    }
    if (s !== '') this.emit(s);
  }
  /** Statements before a call that may throw for instance k (an accessor's slow path, Cpu.raise, Cpu.ea, a
   *  handler): the catch clause learns which instance faulted (it stores the written registers and the pending
   *  flags as they are before k), and c.retired is made exact for what the call may do: a handler such as
   *  RDTSC, or a memory access a device answers from the virtual clock (the LAPIC timer's current count),
   *  sees the interpreter's count. */
  fp(k: number): string { return `n = ${k}; c.retired = R0 + ${Gen.done(this.depths[k]!)};`; }
  faultPoint(k: number): void { this.emit(this.fp(k)); }
  /** The accessor state the inline TLB paths keep in locals (emit.ts tlbHit), reloaded after calls. */
  static readonly ACCESS_STATE = 'DBL = c.dbLo; DBH = c.dbHi; NR = c.needR; NW = c.needW;';
  /** Leave the region after `d` instructions of this pass, the last at `insnRip`, continuing at `next`: to the
   *  exit tail (block.ts), which stores the written registers and the pending flags. */
  exitCode(d: number, insnRip: number, next: string): string {
    if (d > this.maxDepth) this.maxDepth = d;
    return `XI = ${lit(insnRip)}; XN = ${next}; XD = ${d}; break out;`;
  }
  /** After instance k: leave if the slow word asks for the per-instruction path (a data breakpoint or
   *  watchpoint matched, a device armed the timer) or the code page changed (a write invalidated it),
   *  continuing at `next` (default: the next instruction). `always`: after a handler call; otherwise after
   *  an inlined access, whose TLB-hit path changes neither: tested only when an accessor ran or a code page
   *  was written (SQ set by emit.ts rd/wr). */
  checkAfter(k: number, next?: string, always = false): void {
    const r = this.rips[k]!, nr = r + this.insns[k]!.len;
    const test = `if ((c.slow & ${SL_PER_INSN}) !== 0 || c.fLin0 !== ${lit(this.lin0)}) { ${this.exitCode(this.depths[k]! + 1, r, next ?? lit(nr))} }`;
    this.emit(always ? test : `if (SQ !== 0) { SQ = 0; ${Gen.ACCESS_STATE} ${test} }`);
  }

  // ---- lazy flags ----
  /** Instruction k set the flags: the record into the fixed locals (free in optimised code). */
  setFlags(f: Omit<Flags, 'store'>, k: number): void {
    void k;
    const sz = f.w ? 8 : 4;
    let s: string;
    let g: Flags;
    switch (f.kind) {
      case 'add': case 'sub':
        s = `FK = ${f.kind === 'add' ? 1 : 3}; FZ = ${sz}; FR = ${f.r}; FH = ${f.h}; FA = ${f.a}; FAH = ${f.ah}; FB = ${f.b}; FBH = ${f.bh};`;
        g = { kind: f.kind, w: f.w, r: 'FR', h: 'FH', a: 'FA', ah: 'FAH', b: 'FB', bh: 'FBH', cin: '0', v: '' };
        break;
      case 'logic':
        s = `FK = 5; FZ = ${sz}; FR = ${f.r}; FH = ${f.h};`;
        g = { kind: 'logic', w: f.w, r: 'FR', h: 'FH', a: '', ah: '', b: '', bh: '', cin: '0', v: '' };
        break;
      case 'incdec':
        s = `FK = ${f.v}; FZ = ${sz}; FR = ${f.r}; FH = ${f.h}; FA = ${f.a}; FAH = ${f.ah}; FC = ${f.cin};`;
        g = { kind: 'incdec', w: f.w, r: 'FR', h: 'FH', a: 'FA', ah: 'FAH', b: '1', bh: '0', cin: 'FC', v: '' };
        break;
      case 'shift':
        s = `FK = ${SHIFT}; FZ = ${sz}; FR = ${f.r}; FH = ${f.h}; FC = ${f.v};`;
        g = { kind: 'shift', w: f.w, r: 'FR', h: 'FH', a: '', ah: '', b: '', bh: '', cin: '', v: 'FC' };
        break;
      case 'imul':
        s = `FK = ${IMUL}; FZ = ${sz}; FA = ${f.a}; FAH = ${f.ah}; FB = ${f.b}; FBH = ${f.bh};`;
        g = { kind: 'imul', w: f.w, r: '', h: '', a: 'FA', ah: 'FAH', b: 'FB', bh: 'FBH', cin: '', v: '' };
        break;
      default:
        s = `FK = ${EAGER}; FV = ${f.v};`;
        g = { kind: 'eager', w: f.w, r: '', h: '', a: '', ah: '', b: '', bh: '', cin: '', v: 'FV' };
    }
    this.emit(s);
    this.flags = g;
  }
  /** CF as a 0/1 expression (Cpu.getCF). */
  cf(): string {
    const f = this.flags;
    if (f !== null && (f.kind === 'dyn' || f.kind === 'imul')) this.flushFlags();
    else if (f !== null && f.kind === 'shift') return '(FC & 1)';
    else if (f !== null) {
      if (f.kind === 'logic') return '0';
      if (f.kind === 'eager') return `(${f.v} & 1)`;
      if (f.kind === 'incdec') return f.cin;
      if (f.kind === 'sub') return `(${this.below(f, false)} ? 1 : 0)`;
      // ADD: carry out = result below the first operand.
      if (f.w) return `((${f.h} !== ${f.ah} ? (${f.h} >>> 0) < (${f.ah} >>> 0) : (${f.r} >>> 0) < (${f.a} >>> 0)) ? 1 : 0)`;
      return `((${f.r} >>> 0) < (${f.a} >>> 0) ? 1 : 0)`;
    }
    return 'c.getCF()';
  }
  private below(f: Flags, orEqual: boolean): string {
    const lt = orEqual ? '<=' : '<';
    if (f.w) return `(${f.ah} !== ${f.bh} ? (${f.ah} >>> 0) < (${f.bh} >>> 0) : (${f.a} >>> 0) ${lt} (${f.b} >>> 0))`;
    return `((${f.a} >>> 0) ${lt} (${f.b} >>> 0))`;
  }
  private less(f: Flags, orEqual: boolean): string {
    const lt = orEqual ? '<=' : '<';
    if (f.w) return `(${f.ah} !== ${f.bh} ? ${f.ah} < ${f.bh} : (${f.a} >>> 0) ${lt} (${f.b} >>> 0))`;
    return `(${f.a} ${lt} ${f.b})`;
  }
  /** Condition code cc (SDM Vol. 1 Appendix B) as a JS boolean expression. */
  cond(cc: number): string {
    const f = this.flags;
    const neg = (cc & 1) !== 0, c2 = cc >> 1;
    let e: string | undefined;
    if (f !== null && f.kind === 'sub') {
      const zero = f.w ? `(${f.a} === ${f.b} && ${f.ah} === ${f.bh})` : `(${f.a} === ${f.b})`;
      switch (c2) {
        case 1: e = this.below(f, false); break;
        case 2: e = zero; break;
        case 3: e = this.below(f, true); break;
        case 4: e = f.w ? `(${f.h} < 0)` : `(${f.r} < 0)`; break;
        case 6: e = this.less(f, false); break;
        case 7: e = this.less(f, true); break;
      }
    } else if (f !== null && f.kind === 'logic') {
      const zero = f.w ? `((${f.r} | ${f.h}) === 0)` : `(${f.r} === 0)`;
      const sign = f.w ? `(${f.h} < 0)` : `(${f.r} < 0)`;
      switch (c2) {
        case 0: case 1: e = 'false'; break; // OF = CF = 0
        case 2: case 3: e = zero; break;
        case 4: case 6: e = sign; break; // SF ^ OF = SF
        case 7: e = `(${zero} || ${sign})`; break;
      }
    } else if (f !== null && f.kind === 'shift' && c2 !== 3 && c2 !== 5) {
      const zero = f.w ? '((FR | FH) === 0)' : '(FR === 0)';
      const sign = f.w ? '(FH < 0)' : '(FR < 0)';
      switch (c2) {
        case 0: e = '((FC & 2048) !== 0)'; break;
        case 1: e = '((FC & 1) !== 0)'; break;
        case 2: e = zero; break;
        case 4: e = sign; break;
        case 6: e = `(${sign} !== ((FC & 2048) !== 0))`; break;
        case 7: e = `(${zero} || ${sign} !== ((FC & 2048) !== 0))`; break;
      }
    } else if (f !== null && (f.kind === 'add' || f.kind === 'incdec') && (c2 === 2 || c2 === 4)) {
      e = c2 === 2 ? (f.w ? `((${f.r} | ${f.h}) === 0)` : `(${f.r} === 0)`) : (f.w ? `(${f.h} < 0)` : `(${f.r} < 0)`);
    }
    if (e === undefined) {
      this.flushFlags();
      if (c2 === 2) return neg ? 'c.getZF() === 0' : 'c.getZF() !== 0';
      return `c.cond(${cc})`;
    }
    return neg ? `!${e}` : e;
  }
}
