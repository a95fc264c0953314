// Block translation: a run of decoded 64-bit-mode instructions in one code page -> one JavaScript function
// (compiled once with `new Function`).
//
// Exactness contract (issue 14): a block does, instruction by instruction, what the run loop of cpu.ts does
// with the same records, only without returning to the loop in between:
//  - every instruction it inlines computes exactly what its specialised handler in fast.ts computes (same
//    register values, same lazy-flag record as far as any flag getter can observe it), memory through
//    Cpu.rd*/wr* so paging, the TLB, MMIO, data breakpoints, external watchpoints and code-page invalidation
//    are the interpreter's own;
//  - every other instruction calls its interpreter handler with the run loop's bookkeeping (rip, insnRip,
//    nextRip) and the register file and flags written back first, so rare and system instructions need no
//    second implementation;
//  - after an instruction that can access memory the block leaves when the debug unit's slow word asks for
//    the per-instruction path (a data breakpoint matched, the timer was re-armed) or the current code page
//    changed (self-modifying code, paging): the run loop then does exactly what it does after that
//    instruction when interpreting (D.after, refetch);
//  - a fault leaves retired/rip/insnRip/nextRip, the registers and the flags as the interpreter leaves them
//    when that instruction faults, and the run loop handles the thrown value as its own;
//  - a block is entered only with all instructions of it within the run loop's budget (the timer deadline,
//    --max-insns, the slice), so instruction counts and the virtual clock (one tick per instruction) match.
//
// Inside a block registers live in JS locals (loaded on first use, written back at every exit, before every
// handler call and, for a fault, in the catch clause for exactly the registers modified up to the faulting
// instruction), and the lazy-flag record of the last flag-setting instruction is kept in locals too: it is
// stored only when something can observe it (a handler, an exit, a fault), and a Jcc/CMOVcc right after a
// CMP/SUB/TEST/AND/... decides from the operands directly, as Cpu.cond does from the stored record.

import type { Cpu } from '../cpu.js';
import { SL_PER_INSN } from '../state.js';
import { TWO32 } from '../canonical.js';
import { RFLAGS_ARITH, RFLAGS_CF, RFLAGS_OF, VEC_SS } from '../arch.js';
import { R, mulhu32, muls64 } from '../alu.js';
import type { Insn } from '../decoder.js';
import { isStraight, registerOnly } from './straight.js';

export type BlockFn = (c: Cpu) => number;

export interface Block {
  /** Linear RIP the block was translated for (its constants: branch targets, RIP-relative addresses). */
  readonly rip: number;
  /** Instructions when it runs to its end. */
  readonly n: number;
  /** Instructions inlined (the rest call their interpreter handler). */
  readonly inlined: number;
  /** The last instruction runs through its handler (anything may follow: the run loop takes over). */
  readonly endsInHandler: boolean;
  readonly fn: BlockFn;
}

/** Receives the value a faulting instruction threw (the engine; see CodeEngine.thrown in cpu.ts). */
export interface FaultSink { thrown: unknown }

/** Longest block (instructions); a longer run is split in several blocks. */
export const MAX_BLOCK = 64;

const CANON_LIMIT = 140737488355328; // 2^47: RIP outside [-2^47, 2^47) is not canonical
const TWO62 = 4611686018427387904, TWO64 = 18446744073709551616;

/** Helpers the generated code calls (fast.ts imul64's rare exact-overflow case). */
const HELPERS = {
  mulhu32,
  /** Signed 64x64 product overflows 64 bits (fast.ts imul64, for |product| in [2^62, 2^64)). */
  ov64(a: number, ah: number, b: number, bh: number): boolean {
    muls64(a, ah, b, bh);
    const s = R.hi >> 31;
    return R.w2 !== s || R.w3 !== s;
  },
};

/** JS literal of a number (negative ones parenthesised). */
function lit(v: number): string { return v < 0 ? `(${v})` : String(v); }

const NONE = 0, CLEAN = 1, DIRTY = 2;

/** The pending (not yet stored) lazy-flag record of the last flag-setting inlined instruction. */
interface Flags {
  /** Statements that store it (as the interpreter's handler would have). */
  store: string;
  kind: 'add' | 'sub' | 'logic' | 'incdec' | 'eager';
  w: boolean;
  /** Names of the locals holding result / operands / carry-in / eager value (suffix per instruction). */
  r: string; h: string; a: string; ah: string; b: string; bh: string; cin: string; v: string;
}

class Gen {
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

// ALU kinds (ModRM.reg / opcode bits 5:3): 0 ADD 1 OR 4 AND 5 SUB 6 XOR 7 CMP; 8 = TEST (fast.ts RR64/RI64).
const LOGIC_OP: Record<number, string> = { 1: '|', 4: '&', 6: '^', 8: '&' };

/** fast.ts add64/sub64/logic64/add32/sub32/logic32; the source is register `s` or the immediate (imm, immHi). */
function alu(g: Gen, k: number, w: boolean, kind: number, d: number, s: number, imm: number, immHi: number): boolean {
  const o = LOGIC_OP[kind];
  if (kind !== 0 && kind !== 5 && kind !== 7 && o === undefined) return false;
  const write = kind !== 7 && kind !== 8;
  const a = `a_${k}`, ah = `ah_${k}`, b = `b_${k}`, bh = `bh_${k}`, r = `r_${k}`, h = `h_${k}`;
  if (w) {
    g.emit(`const ${b} = ${s >= 0 ? g.lo(s) : lit(imm)}, ${bh} = ${s >= 0 ? g.hi(s) : lit(immHi)};`);
    g.emit(`const ${a} = ${g.lo(d)}, ${ah} = ${g.hi(d)};`);
    if (kind === 0) g.emit(`const s_${k} = (${a} >>> 0) + (${b} >>> 0); const ${r} = s_${k} | 0, ${h} = (${ah} + ${bh} + (s_${k} >= ${TWO32} ? 1 : 0)) | 0;`);
    else if (kind === 5 || kind === 7) g.emit(`const s_${k} = (${a} >>> 0) - (${b} >>> 0); const ${r} = s_${k} | 0, ${h} = (${ah} - ${bh} - (s_${k} < 0 ? 1 : 0)) | 0;`);
    else g.emit(`const ${r} = ${a} ${o} ${b}, ${h} = ${ah} ${o} ${bh};`);
    if (write) { g.setLo(d, r); g.setHi(d, h); }
  } else {
    g.emit(`const ${b} = ${s >= 0 ? g.lo(s) : lit(imm)};`);
    g.emit(`const ${a} = ${g.lo(d)};`);
    if (kind === 0) g.emit(`const ${r} = (${a} + ${b}) | 0;`);
    else if (kind === 5 || kind === 7) g.emit(`const ${r} = (${a} - ${b}) | 0;`);
    else g.emit(`const ${r} = ${a} ${o} ${b};`);
    if (write) { g.setLo(d, r); g.setHi(d, '0'); }
  }
  const kindName = kind === 0 ? 'add' : kind === 5 || kind === 7 ? 'sub' : 'logic';
  g.setFlags({ kind: kindName, w, r, h: w ? h : '0', a, ah: w ? ah : '0', b, bh: w ? bh : '0', cin: '0', v: '' }, k);
  return true;
}

/** ops.ts alu() for ADD/SUB/CMP/AND/OR/XOR reg, [mem]: destination register d, source value (b, bh) read. */
function aluMem(g: Gen, k: number, w: boolean, kind: number, d: number, b: string, bh: string): void {
  const o = LOGIC_OP[kind];
  const write = kind !== 7;
  const a = `a_${k}`, ah = `ah_${k}`, r = `r_${k}`, h = `h_${k}`;
  if (w) {
    g.emit(`const ${a} = ${g.lo(d)}, ${ah} = ${g.hi(d)};`);
    if (kind === 0) g.emit(`const s_${k} = (${a} >>> 0) + (${b} >>> 0); const ${r} = s_${k} | 0, ${h} = (${ah} + ${bh} + (s_${k} >= ${TWO32} ? 1 : 0)) | 0;`);
    else if (kind === 5 || kind === 7) g.emit(`const s_${k} = (${a} >>> 0) - (${b} >>> 0); const ${r} = s_${k} | 0, ${h} = (${ah} - ${bh} - (s_${k} < 0 ? 1 : 0)) | 0;`);
    else g.emit(`const ${r} = ${a} ${o} ${b}, ${h} = ${ah} ${o} ${bh};`);
    if (write) { g.setLo(d, r); g.setHi(d, h); }
  } else {
    g.emit(`const ${a} = ${g.lo(d)};`);
    if (kind === 0) g.emit(`const ${r} = (${a} + ${b}) | 0;`);
    else if (kind === 5 || kind === 7) g.emit(`const ${r} = (${a} - ${b}) | 0;`);
    else g.emit(`const ${r} = ${a} ${o} ${b};`);
    if (write) { g.setLo(d, r); g.setHi(d, '0'); }
  }
  const kindName = kind === 0 ? 'add' : kind === 5 || kind === 7 ? 'sub' : 'logic';
  g.setFlags({ kind: kindName, w, r, h: w ? h : '0', a, ah: w ? ah : '0', b, bh: w ? bh : '0', cin: '0', v: '' }, k);
}

/** fast.ts shiftFlags: all six status flags eagerly, kept pending as the value v_k. */
function shiftFlags(g: Gen, k: number, w: boolean, r: string, zero: string, sign: string, cf: string, of: string): void {
  g.emit(`let p_${k} = ${r} & 0xff; p_${k} ^= p_${k} >> 4; p_${k} ^= p_${k} >> 2; p_${k} ^= p_${k} >> 1;`);
  g.emit(`const v_${k} = ${cf} | (((~p_${k}) & 1) << 2) | ((${zero} ? 1 : 0) << 6) | (${sign} << 7) | (${of} << 11);`);
  g.setFlags({ kind: 'eager', w, r: '', h: '', a: '', ah: '', b: '', bh: '', cin: '', v: `v_${k}` }, k);
}

/** The memory operand's linear address into la_k (fast.ts eaLow for the plain 64-bit forms, else Cpu.ea). */
function ea(g: Gen, i: Insn, k: number, nextRip: number): string {
  const la = `la_${k}`;
  const lowForm = !i.leg && !i.ripRel && i.asz === 8 && i.seg < 4 && (i.base >= 0 || i.index >= 0);
  if (!lowForm) {
    // Cpu.ea reads the base/index registers from the register file and RIP-relative forms read nextRip.
    for (const r of [i.base, i.index]) if (r >= 0) { if (g.regL[r] === DIRTY) { g.emit(`rl[${r}] = L${r};`); g.regL[r] = CLEAN; } if (g.regH[r] === DIRTY) { g.emit(`rh[${r}] = H${r};`); g.regH[r] = CLEAN; } }
    g.emit(`${i.ripRel ? `c.nextRip = ${lit(nextRip)}; ` : ''}const ${la} = c.ea(I[${k}]);`);
    return la;
  }
  let sum = lit(i.disp), hs = '';
  if (i.base >= 0) { sum += ` + (${g.lo(i.base)} >>> 0)`; hs = g.hi(i.base); }
  if (i.index >= 0) { sum += ` + (${g.lo(i.index)} >>> 0) * ${1 << i.scale}`; hs = hs === '' ? g.hi(i.index) : `(${hs} | ${g.hi(i.index)})`; }
  // The fallback (upper halves not zero, or a carry) recomputes through Cpu.ea from the register file.
  const regs = [i.base, i.index].filter((r) => r >= 0);
  const store = regs.map((r) => `rl[${r}] = L${r}; rh[${r}] = H${r};`).join(' ');
  g.emit(`const s_${k} = ${sum}; let ${la} = s_${k};`);
  g.emit(`if (${hs} !== 0 || s_${k} < 0 || s_${k} >= ${TWO32}) { ${store} ${la} = c.ea(I[${k}]); }`);
  return la;
}

/** Inline instruction k; false when it goes through its handler. */
function inline(g: Gen, k: number): boolean {
  const i = g.insns[k]!;
  if (i.lock || i.leg) return false;
  const op = i.op, sz = i.osz;
  if (sz !== 8 && sz !== 4) return false;
  const w = sz === 8;
  const nextRip = g.rips[k]! + i.len;
  if (op < 0x40) {
    const form = op & 7, kind = (op >> 3) & 7;
    if ((form === 1 || form === 3) && !i.mem) {
      const d = form === 1 ? i.rm : i.reg, s = form === 1 ? i.reg : i.rm;
      return alu(g, k, w, kind, d, s, 0, 0);
    }
    if (form === 5) return alu(g, k, w, kind, 0, -1, i.imm, i.immHi);
    if (form === 3 && i.mem && LOGIC_OP[kind] !== undefined || form === 3 && i.mem && (kind === 0 || kind === 5 || kind === 7)) {
      // ops.ts opAluGE with a memory source: the operand is read first (rmRead), then the ALU op as above.
      g.faultPoint(k);
      const la = ea(g, i, k, nextRip);
      g.emit(`const m_${k} = ${w ? 'c.rd64' : 'c.rd32'}(${la}); const mh_${k} = ${w ? 'c.th' : '0'};`);
      aluMem(g, k, w, kind, i.reg, `m_${k}`, `mh_${k}`);
      g.checkAfter(k);
      return true;
    }
    return false;
  }
  if (op >= 0x140 && op <= 0x14f) {
    if (i.mem) return false;
    const d = i.reg, s = i.rm, cond = g.cond(op & 15);
    if (w) {
      const sl = g.lo(s), sh = g.hi(s);
      g.emit(`const c_${k} = ${cond};`);
      g.setLo(d, `c_${k} ? ${sl} : ${g.lo(d)}`);
      g.setHi(d, `c_${k} ? ${sh} : ${g.hi(d)}`);
    } else {
      const sl = g.lo(s);
      g.emit(`const c_${k} = ${cond};`);
      g.setLo(d, `c_${k} ? ${sl} : ${g.lo(d)}`);
      g.setHi(d, '0');
    }
    return true;
  }
  switch (op) {
    case 0x1b6: case 0x1b7: case 0x1be: case 0x1bf: {
      // ops.ts opMovzx/opMovsx at operand size 32/64: a byte (AH-BH without REX for 4-7) or word source.
      const ssz = (op & 1) ? 2 : 1, d = i.reg;
      let v: string;
      if (i.mem) {
        g.faultPoint(k);
        const la = ea(g, i, k, nextRip);
        g.emit(`const v_${k} = ${ssz === 1 ? 'c.rd8' : 'c.rd16'}(${la});`);
        v = `v_${k}`;
      } else if (ssz === 1) {
        v = i.rex === 0 && i.rm >= 4 && i.rm < 8 ? `((${g.lo(i.rm - 4)} >> 8) & 0xff)` : `(${g.lo(i.rm)} & 0xff)`;
      } else v = `(${g.lo(i.rm)} & 0xffff)`;
      if (op < 0x1be) { g.setLo(d, v); g.setHi(d, '0'); }
      else {
        g.emit(`const x_${k} = ${ssz === 1 ? `(${v} << 24) >> 24` : `(${v} << 16) >> 16`};`);
        g.setLo(d, `x_${k}`); g.setHi(d, w ? `x_${k} >> 31` : '0');
      }
      if (i.mem) g.checkAfter(k);
      return true;
    }
    case 0x50: case 0x51: case 0x52: case 0x53: case 0x54: case 0x55: case 0x56: case 0x57: {
      // Cpu.push64 (operand size 64; a 66h PUSH keeps its handler): RSP - 8 must be canonical (#SS(0)), the
      // store happens before RSP changes.
      if (!w) return false;
      const vl = g.lo(i.rm), vh = g.hi(i.rm);
      g.emit(`const pl_${k} = ${vl}, ph_${k} = ${vh};`);
      g.faultPoint(k);
      g.emit(`var ps_${k} = (${g.lo(4)} >>> 0) - 8; const psh_${k} = (${g.hi(4)} + Math.floor(ps_${k} / ${TWO32})) | 0; ps_${k} = ps_${k} >>> 0;`);
      g.emit(`if (((psh_${k} << 16) >> 16) !== psh_${k}) c.raise(${VEC_SS}, 0);`);
      g.emit(`c.wr64(psh_${k} * ${TWO32} + ps_${k}, pl_${k}, ph_${k});`);
      g.setLo(4, `ps_${k} | 0`); g.setHi(4, `psh_${k}`);
      g.checkAfter(k);
      return true;
    }
    case 0x58: case 0x59: case 0x5a: case 0x5b: case 0x5c: case 0x5d: case 0x5e: case 0x5f: {
      // Cpu.pop64 then the register write (POP RSP ends with the popped value).
      if (!w) return false;
      g.faultPoint(k);
      g.emit(`const qh_${k} = ${g.hi(4)}; if (((qh_${k} << 16) >> 16) !== qh_${k}) c.raise(${VEC_SS}, 0);`);
      g.emit(`const ql_${k} = c.rd64(qh_${k} * ${TWO32} + (${g.lo(4)} >>> 0)); const qv_${k} = c.th;`);
      g.emit(`const qs_${k} = (${g.lo(4)} >>> 0) + 8;`);
      g.setHi(4, `(${g.hi(4)} + Math.floor(qs_${k} / ${TWO32})) | 0`); g.setLo(4, `qs_${k} | 0`);
      g.setLo(i.rm, `ql_${k}`); g.setHi(i.rm, `qv_${k}`);
      g.checkAfter(k);
      return true;
    }
    case 0x81: case 0x83:
      if (i.mem) return false;
      return alu(g, k, w, i.reg & 7, i.rm, -1, i.imm, i.immHi);
    case 0x85:
      if (i.mem) return false;
      return alu(g, k, w, 8, i.rm, i.reg, 0, 0);
    case 0xa9:
      return alu(g, k, w, 8, 0, -1, i.imm, i.immHi);
    case 0x89: {
      const s = i.reg;
      if (!i.mem) {
        g.setLo(i.rm, g.lo(s)); g.setHi(i.rm, w ? g.hi(s) : '0');
        return true;
      }
      const vl = g.lo(s), vh = w ? g.hi(s) : '';
      g.faultPoint(k);
      const la = ea(g, i, k, nextRip);
      g.emit(w ? `c.wr64(${la}, ${vl}, ${vh});` : `c.wr32(${la}, ${vl});`);
      g.checkAfter(k);
      return true;
    }
    case 0x8b: {
      const d = i.reg;
      if (!i.mem) {
        g.setLo(d, g.lo(i.rm)); g.setHi(d, w ? g.hi(i.rm) : '0');
        return true;
      }
      g.faultPoint(k);
      const la = ea(g, i, k, nextRip);
      g.emit(`const v_${k} = ${w ? 'c.rd64' : 'c.rd32'}(${la});`);
      g.setLo(d, `v_${k}`); g.setHi(d, w ? 'c.th' : '0');
      g.checkAfter(k);
      return true;
    }
    case 0xb8: case 0xb9: case 0xba: case 0xbb: case 0xbc: case 0xbd: case 0xbe: case 0xbf:
      g.setLo(i.rm, lit(i.imm)); g.setHi(i.rm, w ? lit(i.immHi) : '0');
      return true;
    case 0xff: {
      if (i.mem) return false;
      const kind = i.reg & 7;
      if (kind > 1) return false;
      const d = i.rm, dec = kind === 1;
      const cf = g.cf();
      const a = `a_${k}`, ah = `ah_${k}`, r = `r_${k}`, h = `h_${k}`;
      g.emit(`const cf_${k} = ${cf};`);
      if (w) {
        g.emit(`const ${a} = ${g.lo(d)}, ${ah} = ${g.hi(d)}; const s_${k} = (${a} >>> 0) ${dec ? '-' : '+'} 1;`);
        g.emit(`const ${r} = s_${k} | 0, ${h} = (${ah} ${dec ? `- (s_${k} < 0 ? 1 : 0)` : `+ (s_${k} >= ${TWO32} ? 1 : 0)`}) | 0;`);
        g.setLo(d, r); g.setHi(d, h);
      } else {
        g.emit(`const ${a} = ${g.lo(d)}, ${r} = (${a} ${dec ? '-' : '+'} 1) | 0;`);
        g.setLo(d, r); g.setHi(d, '0');
      }
      g.setFlags({ kind: 'incdec', w, r, h: w ? h : '0', a, ah: w ? ah : '0', b: '1', bh: '0', cin: `cf_${k}`, v: dec ? '7' : '6' }, k);
      return true;
    }
    case 0xc1: case 0xd1: {
      if (i.mem) return false;
      const kind = i.reg & 7;
      const n = (op === 0xd1 ? 1 : i.imm) & (w ? 63 : 31);
      if (n === 0 || kind < 4 || (w && n >= 32)) return false;
      const d = i.rm, a = `a_${k}`, ah = `ah_${k}`, r = `r_${k}`, h = `h_${k}`;
      if (!w) {
        g.emit(`const ${a} = ${g.lo(d)};`);
        if (kind === 4 || kind === 6) {
          g.emit(`const ${r} = ${a} << ${n}, cf_${k} = (${a} >>> ${32 - n}) & 1;`);
          shiftFlags(g, k, w, r, `${r} === 0`, `(${r} >>> 31)`, `cf_${k}`, `((${r} >>> 31) ^ cf_${k})`);
        } else if (kind === 5) {
          g.emit(`const ${r} = (${a} >>> ${n}) | 0, cf_${k} = (${a} >>> ${n - 1}) & 1;`);
          shiftFlags(g, k, w, r, `${r} === 0`, `(${r} >>> 31)`, `cf_${k}`, `(${a} >>> 31)`);
        } else {
          g.emit(`const ${r} = ${a} >> ${n}, cf_${k} = (${a} >> ${n - 1}) & 1;`);
          shiftFlags(g, k, w, r, `${r} === 0`, `(${r} >>> 31)`, `cf_${k}`, '0');
        }
        g.setLo(d, r); g.setHi(d, '0');
        return true;
      }
      g.emit(`const ${a} = ${g.lo(d)}, ${ah} = ${g.hi(d)};`);
      if (kind === 4 || kind === 6) {
        g.emit(`const ${r} = ${a} << ${n}, ${h} = (${ah} << ${n}) | (${a} >>> ${32 - n}), cf_${k} = (${ah} >>> ${32 - n}) & 1;`);
        shiftFlags(g, k, w, r, `(${r} | ${h}) === 0`, `(${h} >>> 31)`, `cf_${k}`, `((${h} >>> 31) ^ cf_${k})`);
      } else if (kind === 5) {
        g.emit(`const ${r} = (${a} >>> ${n}) | (${ah} << ${32 - n}), ${h} = ${ah} >>> ${n}, cf_${k} = (${a} >>> ${n - 1}) & 1;`);
        shiftFlags(g, k, w, r, `(${r} | ${h}) === 0`, '0', `cf_${k}`, `(${ah} >>> 31)`);
      } else {
        g.emit(`const ${r} = (${a} >>> ${n}) | (${ah} << ${32 - n}), ${h} = ${ah} >> ${n}, cf_${k} = (${a} >>> ${n - 1}) & 1;`);
        shiftFlags(g, k, w, r, `(${r} | ${h}) === 0`, `(${h} >>> 31)`, `cf_${k}`, '0');
      }
      g.setLo(d, r); g.setHi(d, h);
      return true;
    }
    case 0x8d: {
      if (!i.mem) return false;
      const d = i.reg;
      if (i.ripRel) {
        if (!(w && i.asz === 8)) return false;
        const v = nextRip + i.disp;
        const lo = v | 0, hi = ((v - (lo >>> 0)) / TWO32) | 0;
        g.setLo(d, lit(lo)); g.setHi(d, lit(hi));
        return true;
      }
      const b = i.base, x = i.index;
      if (w && i.asz === 8) {
        let sum = lit(i.disp), hs = '0';
        if (b >= 0) { sum += ` + (${g.lo(b)} >>> 0)`; hs = g.hi(b); }
        if (x >= 0) { sum += ` + (${g.lo(x)} >>> 0) * ${1 << i.scale}`; hs += ` + ${g.hi(x)} * ${1 << i.scale}`; }
        g.emit(`const s_${k} = ${sum}; const lo_${k} = s_${k} | 0; const hi_${k} = (${hs} + (s_${k} - (lo_${k} >>> 0)) / ${TWO32}) | 0;`);
        g.setLo(d, `lo_${k}`); g.setHi(d, `hi_${k}`);
        return true;
      }
      let sum = lit(i.disp);
      if (b >= 0) sum += ` + ${g.lo(b)}`;
      if (x >= 0) sum += ` + (${g.lo(x)} << ${i.scale})`;
      g.emit(`const lo_${k} = (${sum}) | 0;`);
      g.setLo(d, `lo_${k}`); g.setHi(d, '0');
      return true;
    }
    case 0x1af: case 0x69: case 0x6b: {
      if (i.mem) return false;
      const d = i.reg, s = i.rm, rr = op === 0x1af;
      const a = `a_${k}`, b = `b_${k}`;
      if (w) {
        const ah = `ah_${k}`, bh = `bh_${k}`;
        if (rr) g.emit(`const ${a} = ${g.lo(d)}, ${ah} = ${g.hi(d)}, ${b} = ${g.lo(s)}, ${bh} = ${g.hi(s)};`);
        else g.emit(`const ${a} = ${g.lo(s)}, ${ah} = ${g.hi(s)}, ${b} = ${lit(i.imm)}, ${bh} = ${lit(i.immHi)};`);
        g.emit(`const lo_${k} = Math.imul(${a}, ${b}), hi_${k} = (X.mulhu32(${a}, ${b}) + Math.imul(${a}, ${bh}) + Math.imul(${ah}, ${b})) | 0;`);
        g.emit(`const m_${k} = Math.abs((${ah} * ${TWO32} + (${a} >>> 0)) * (${bh} * ${TWO32} + (${b} >>> 0)));`);
        g.emit(`const v_${k} = (m_${k} < ${TWO62} ? false : m_${k} >= ${TWO64} ? true : X.ov64(${a}, ${ah}, ${b}, ${bh})) ? ${RFLAGS_CF | RFLAGS_OF} : 0;`);
        g.setLo(d, `lo_${k}`); g.setHi(d, `hi_${k}`);
      } else {
        if (rr) g.emit(`const ${a} = ${g.lo(d)}, ${b} = ${g.lo(s)};`);
        else g.emit(`const ${a} = ${g.lo(s)}, ${b} = ${lit(i.imm)};`);
        g.emit(`const lo_${k} = Math.imul(${a}, ${b}); const v_${k} = ${a} * ${b} !== lo_${k} ? ${RFLAGS_CF | RFLAGS_OF} : 0;`);
        g.setLo(d, `lo_${k}`); g.setHi(d, '0');
      }
      g.setFlags({ kind: 'eager', w, r: '', h: '', a: '', ah: '', b: '', bh: '', cin: '', v: `v_${k}` }, k);
      return true;
    }
  }
  return false;
}

/** Branch at the end of a block, inlined: Jcc rel and JMP rel in 64-bit mode (operand size 64). */
function branch(g: Gen, k: number): boolean {
  const i = g.insns[k]!;
  if (i.leg || i.osz !== 8) return false;
  const op = i.op;
  const r = g.rips[k]!, nr = r + i.len, t = nr + i.imm;
  if (t >= CANON_LIMIT || t < -CANON_LIMIT) return false; // #GP(0): the handler raises it
  const isJcc = (op >= 0x70 && op <= 0x7f) || (op >= 0x180 && op <= 0x18f);
  if (!isJcc && op !== 0xe9 && op !== 0xeb) return false;
  if (isJcc) {
    const cond = g.cond(op & 15);
    g.emit(`if (${cond}) { c.dbBranch = true; ${g.exitCode(k + 1, r, lit(t))} }`);
    g.emit(g.exitCode(k + 1, r, lit(nr)));
  } else {
    g.emit(`c.dbBranch = true; ${g.exitCode(k + 1, r, lit(t))}`);
  }
  return true;
}

/**
 * Translate the instructions `insns` (at linear `rips`, in the code page at linear `lin0`) into a block.
 * The last one may be any instruction; all the others must be straight (straight.ts).
 */
export function translate(insns: Insn[], rips: number[], lin0: number, sink: FaultSink): Block {
  const g = new Gen(insns, rips, lin0);
  const n = insns.length;
  // Per instruction: 1 when inlined (the catch restores rip/insnRip/nextRip for those; a handler call set
  // them itself before it ran, and a handler that delivered an event moved them on: left as they are).
  const inl: number[] = [];
  let endsInHandler = false;
  for (let k = 0; k < n; k++) {
    const i = insns[k]!;
    const r = rips[k]!, nr = r + i.len;
    const last = k === n - 1;
    if (last && !isStraight(i)) {
      if (branch(g, k)) { inl.push(1); g.inlined++; continue; }
      g.flush();
      g.faultPoint(k);
      g.emit(`c.rip = ${lit(r)}; c.insnRip = ${lit(r)}; c.nextRip = ${lit(nr)}; I[${k}].fn(c, I[${k}]);`);
      g.emit(`c.rip = c.nextRip; c.retired += ${k + 1}; return ${k + 1};`);
      inl.push(0);
      endsInHandler = true;
      continue;
    }
    if (inline(g, k)) {
      inl.push(1);
      g.inlined++;
    } else {
      g.flush();
      g.faultPoint(k);
      g.emit(`c.rip = ${lit(r)}; c.insnRip = ${lit(r)}; c.nextRip = ${lit(nr)}; I[${k}].fn(c, I[${k}]);`);
      g.forget();
      if (!registerOnly(i)) g.checkAfter(k);
      inl.push(0);
    }
    if (last) g.emit(g.exitCode(n, r, lit(nr)));
  }
  const decl: string[] = [];
  for (let r = 0; r < 16; r++) decl.push(`L${r} = 0, H${r} = 0`);
  const body = [
    'const rl = c.rl, rh = c.rh, lf = c.lf;',
    `let n = 0, ${decl.join(', ')};`,
    'try {',
    // Per-instruction temporaries are function-scoped (var) so the catch clause can store pending flags.
    ...g.out.map((l) => l.replace(/\b(const|let) /g, 'var ')),
    '} catch (e) {',
    // The faulting instruction n: the ones before it retired; registers and flags as they were before it.
    `switch (n) { ${g.faultCases.join(' ')} }`,
    'c.retired += n;',
    'if (INL[n] === 1) { const r = RIPS[n]; c.rip = r; c.insnRip = r; c.nextRip = r + I[n].len; }',
    'S.thrown = e; return n;',
    '}',
  ].join('\n');
  const factory = new Function('I', 'RIPS', 'INL', 'S', 'X', `return function block(c) {\n${body}\n};`) as
    (I: Insn[], RIPS: number[], INL: Uint8Array, S: FaultSink, X: typeof HELPERS) => BlockFn;
  const fn = factory(insns.slice(), rips.slice(), Uint8Array.from(inl), sink, HELPERS);
  return { rip: rips[0]!, n, inlined: g.inlined, endsInHandler, fn };
}
