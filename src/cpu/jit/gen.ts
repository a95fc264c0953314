// The code generator state of one block under translation (block.ts): which registers sit in JS locals and
// whether they are dirty, the pending lazy-flag record of the last flag-setting inlined instruction, the
// catch-clause cases of the instructions that can fault, and the exits. The per-instruction emitters
// (emit.ts) write through it; Gen decides when state must be stored so that a handler, an exit or a fault
// sees registers and flags exactly as the interpreter would leave them.

import { SL_PER_INSN } from '../state.js';
import { RFLAGS_ARITH } from '../arch.js';
import type { Insn } from '../decoder.js';

/** JS literal of a number (negative ones parenthesised). */
export function lit(v: number): string { return v < 0 ? `(${v})` : String(v); }

/** Register local states: not loaded, loaded and unchanged, changed since loaded. */
export const NONE = 0, CLEAN = 1, DIRTY = 2;

/** The pending (not yet stored) lazy-flag record of the last flag-setting inlined instruction. */
interface Flags {
  /** Statements that store it (as the interpreter's handler would have). */
  store: string;
  kind: 'add' | 'sub' | 'logic' | 'incdec' | 'eager';
  w: boolean;
  /** Names of the locals holding result / operands / carry-in / eager value (suffix per instruction). */
  r: string; h: string; a: string; ah: string; b: string; bh: string; cin: string; v: string;
}

export class Gen {
  readonly out: string[] = [];
  readonly regL = new Uint8Array(16);
  readonly regH = new Uint8Array(16);
  flags: Flags | null = null;
  /** Catch-clause cases: for each instruction index that can fault, what must be stored. */
  readonly faultCases: string[] = [];
  inlined = 0;
  constructor(readonly insns: Insn[], readonly rips: number[], readonly lin0: number) {}

  emit(s: string): void { this.out.push(s); }
  lo(r: number): string {
    if (this.regL[r] === NONE) { this.emit(`L${r} = rl[${r}];`); this.regL[r] = CLEAN; }
    return `L${r}`;
  }
  hi(r: number): string {
    if (this.regH[r] === NONE) { this.emit(`H${r} = rh[${r}];`); this.regH[r] = CLEAN; }
    return `H${r}`;
  }
  setLo(r: number, e: string): void { this.emit(`L${r} = ${e};`); this.regL[r] = DIRTY; }
  setHi(r: number, e: string): void { this.emit(`H${r} = ${e};`); this.regH[r] = DIRTY; }
  /** Statements that store the dirty registers and the pending flags (state unchanged). */
  writeBack(): string {
    let s = '';
    for (let r = 0; r < 16; r++) {
      if (this.regL[r] === DIRTY) s += `rl[${r}] = L${r}; `;
      if (this.regH[r] === DIRTY) s += `rh[${r}] = H${r}; `;
    }
    if (this.flags !== null) s += this.flags.store + ' ';
    return s;
  }
  /** Store registers and flags now; registers stay cached (clean). */
  flush(): void {
    const s = this.writeBack();
    if (s !== '') this.emit(s);
    for (let r = 0; r < 16; r++) {
      if (this.regL[r] === DIRTY) this.regL[r] = CLEAN;
      if (this.regH[r] === DIRTY) this.regH[r] = CLEAN;
    }
    this.flags = null;
  }
  /** Store the pending flags only. */
  flushFlags(): void {
    if (this.flags !== null) { this.emit(this.flags.store); this.flags = null; }
  }
  /** After a handler call: every register may have changed. */
  forget(): void { this.regL.fill(NONE); this.regH.fill(NONE); }
  /** Instruction k may fault from here on: the catch stores what is modified so far. */
  faultPoint(k: number): void {
    this.emit(`n = ${k};`);
    this.faultCases.push(`case ${k}: ${this.writeBack()}break;`);
  }
  /** Leave the block after `k` instructions, the last at `insnRip`, continuing at `next`. */
  exitCode(k: number, insnRip: number, next: string): string {
    return `${this.writeBack()}c.insnRip = ${lit(insnRip)}; c.nextRip = ${next}; c.rip = ${next}; c.retired += ${k}; return ${k};`;
  }
  /** After instruction k (inlined, may have accessed memory): leave if the slow word or the code page says so. */
  checkAfter(k: number): void {
    const r = this.rips[k]!, nr = r + this.insns[k]!.len;
    this.emit(`if ((c.slow & ${SL_PER_INSN}) !== 0 || c.fLin0 !== ${lit(this.lin0)}) { ${this.exitCode(k + 1, r, lit(nr))} }`);
  }

  // ---- lazy flags ----
  setFlags(f: Omit<Flags, 'store'>, k: number): void {
    let store: string;
    const sz = f.w ? 8 : 4;
    switch (f.kind) {
      case 'add': case 'sub':
        store = `lf[0] = ${f.kind === 'add' ? 1 : 3}; lf[1] = ${sz}; lf[2] = ${f.r}; lf[3] = ${f.h}; lf[4] = ${f.a}; lf[5] = ${f.ah}; lf[6] = ${f.b}; lf[7] = ${f.bh};`;
        break;
      case 'logic':
        store = `lf[0] = 5; lf[1] = ${sz}; lf[2] = ${f.r}; lf[3] = ${f.h};`;
        break;
      case 'incdec':
        store = `lf[0] = ${f.v}; lf[1] = ${sz}; lf[2] = ${f.r}; lf[3] = ${f.h}; lf[4] = ${f.a}; lf[5] = ${f.ah}; lf[6] = 1; lf[7] = 0; lf[8] = ${f.cin};`;
        break;
      default:
        store = `lf[0] = 0; c.fl = (c.fl & ${~RFLAGS_ARITH}) | v_${k};`;
    }
    this.flags = { ...f, store };
  }
  /** CF as a 0/1 expression (Cpu.getCF). */
  cf(): string {
    const f = this.flags;
    if (f !== null) {
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
