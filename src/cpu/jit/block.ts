// Block translation: a run of decoded 64-bit-mode instructions in one code page -> one JavaScript function
// (compiled once with `new Function`).
//
// Exactness contract (issue 14): a block does, instruction by instruction, what the run loop of cpu.ts does
// with the same records, only without returning to the loop in between:
//  - every instruction it inlines computes exactly what its specialised handler in fast.ts computes
//    (same registers, same lazy-flag record slots, memory through Cpu.rd*/wr* so paging, the TLB, MMIO,
//    data breakpoints, external watchpoints and code-page invalidation are the interpreter's own);
//  - every other instruction calls its interpreter handler with the run loop's bookkeeping (rip, insnRip,
//    nextRip) in place, so rare and system instructions need no second implementation;
//  - after an instruction that can access memory the block leaves when the debug unit's slow word asks for
//    the per-instruction path (a data breakpoint matched, the timer was re-armed) or the current code page
//    changed (self-modifying code, paging): the run loop then does exactly what it does after that
//    instruction when interpreting (D.after, refetch);
//  - a fault leaves retired/rip/insnRip/nextRip as the interpreter leaves them when that instruction
//    faults, and the run loop handles the thrown value as its own;
//  - a block is entered only with all instructions of it within the run loop's budget (the timer deadline,
//    --max-insns, the slice), so instruction counts and the virtual clock (one tick per instruction) match.

import type { Cpu } from '../cpu.js';
import { SL_PER_INSN } from '../state.js';
import { TWO32 } from '../canonical.js';
import { RFLAGS_ARITH } from '../arch.js';
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
  readonly fn: BlockFn;
}

/** Receives the value a faulting instruction threw (the engine; see CodeEngine.thrown in cpu.ts). */
export interface FaultSink { thrown: unknown }

/** Longest block (instructions); a longer run is split in several blocks. */
export const MAX_BLOCK = 64;

const CANON_LIMIT = 140737488355328; // 2^47: RIP outside [-2^47, 2^47) is not canonical

/** JS literal of a number (negative ones parenthesised). */
function lit(v: number): string { return v < 0 ? `(${v})` : String(v); }

/** Condition code cc (SDM Vol. 1 Appendix B) as a JS boolean expression over the lazy-flag record. */
function condExpr(cc: number): string {
  if (cc === 4) return 'c.getZF() !== 0';
  if (cc === 5) return 'c.getZF() === 0';
  return `c.cond(${cc})`;
}

class Gen {
  readonly out: string[] = [];
  /** Handlers and records the code calls, by instruction index. */
  readonly insns: Insn[];
  readonly rips: number[];
  inlined = 0;
  constructor(insns: Insn[], rips: number[], readonly lin0: number) { this.insns = insns; this.rips = rips; }

  emit(s: string): void { this.out.push(s); }
  /** Leave the block after `k` instructions, the last at `insnRip`, continuing at `next`. */
  exitCode(k: number, insnRip: number, next: string): string {
    return `c.insnRip = ${lit(insnRip)}; c.nextRip = ${next}; c.rip = ${next}; c.retired += ${k}; return ${k};`;
  }
  /** After instruction k (inlined, may have accessed memory): leave if the slow word or the code page says so. */
  checkAfter(k: number): void {
    const r = this.rips[k]!, nr = r + this.insns[k]!.len;
    this.emit(`if ((c.slow & ${SL_PER_INSN}) !== 0 || c.fLin0 !== ${lit(this.lin0)}) { ${this.exitCode(k + 1, r, lit(nr))} }`);
  }
}

// ALU kinds (ModRM.reg / opcode bits 5:3): 0 ADD 1 OR 4 AND 5 SUB 6 XOR 7 CMP; 8 = TEST (fast.ts RR64/RI64).
const LOGIC_OP: Record<number, string> = { 1: '|', 4: '&', 6: '^', 8: '&' };

/** fast.ts add64/sub64/logic64/add32/sub32/logic32 with the source as JS expressions. */
function aluCode(w: boolean, k: number, d: number, b: string, bh: string): string | undefined {
  if (w) {
    const head = `const a = rl[${d}], ah = rh[${d}], b = ${b}, bh = ${bh};`;
    if (k === 0) {
      return `{ ${head} const s = (a >>> 0) + (b >>> 0); const r = s | 0, h = (ah + bh + (s >= ${TWO32} ? 1 : 0)) | 0; rl[${d}] = r; rh[${d}] = h; `
        + 'lf[0] = 1; lf[1] = 8; lf[2] = r; lf[3] = h; lf[4] = a; lf[5] = ah; lf[6] = b; lf[7] = bh; }';
    }
    if (k === 5 || k === 7) {
      return `{ ${head} const s = (a >>> 0) - (b >>> 0); const r = s | 0, h = (ah - bh - (s < 0 ? 1 : 0)) | 0; `
        + (k === 5 ? `rl[${d}] = r; rh[${d}] = h; ` : '')
        + 'lf[0] = 3; lf[1] = 8; lf[2] = r; lf[3] = h; lf[4] = a; lf[5] = ah; lf[6] = b; lf[7] = bh; }';
    }
    const o = LOGIC_OP[k];
    if (o === undefined) return undefined;
    return `{ ${head} const r = a ${o} b, h = ah ${o} bh; `
      + (k !== 8 ? `rl[${d}] = r; rh[${d}] = h; ` : '')
      + 'lf[0] = 5; lf[1] = 8; lf[2] = r; lf[3] = h; }';
  }
  const head = `const a = rl[${d}], b = ${b};`;
  if (k === 0) return `{ ${head} const r = (a + b) | 0; rl[${d}] = r; rh[${d}] = 0; lf[0] = 1; lf[1] = 4; lf[2] = r; lf[3] = 0; lf[4] = a; lf[5] = 0; lf[6] = b; lf[7] = 0; }`;
  if (k === 5 || k === 7) {
    return `{ ${head} const r = (a - b) | 0; ` + (k === 5 ? `rl[${d}] = r; rh[${d}] = 0; ` : '')
      + 'lf[0] = 3; lf[1] = 4; lf[2] = r; lf[3] = 0; lf[4] = a; lf[5] = 0; lf[6] = b; lf[7] = 0; }';
  }
  const o = LOGIC_OP[k];
  if (o === undefined) return undefined;
  return `{ ${head} const r = a ${o} b; ` + (k !== 8 ? `rl[${d}] = r; rh[${d}] = 0; ` : '') + 'lf[0] = 5; lf[1] = 4; lf[2] = r; lf[3] = 0; }';
}

/** fast.ts shiftFlags: all six status flags eagerly. */
function shiftFlagsCode(r: string, zero: string, sign: string, cf: string, of: string): string {
  return `{ let p = ${r} & 0xff; p ^= p >> 4; p ^= p >> 2; p ^= p >> 1; lf[0] = 0; `
    + `c.fl = (c.fl & ${~RFLAGS_ARITH}) | (${cf} | (((~p) & 1) << 2) | ((${zero} ? 1 : 0) << 6) | (${sign} << 7) | (${of} << 11)); }`;
}

/** The memory operand's linear address into `la` (fast.ts eaLow for the plain 64-bit forms, else Cpu.ea). */
function eaCode(i: Insn, k: number, nextRip: number): string {
  const lowForm = !i.leg && !i.ripRel && i.asz === 8 && i.seg < 4 && (i.base >= 0 || i.index >= 0);
  if (!lowForm) return `${i.ripRel ? `c.nextRip = ${lit(nextRip)}; ` : ''}const la = c.ea(I[${k}]);`;
  let sum = lit(i.disp), hs = '';
  if (i.base >= 0) { sum += ` + (rl[${i.base}] >>> 0)`; hs = `rh[${i.base}]`; }
  if (i.index >= 0) { sum += ` + (rl[${i.index}] >>> 0) * ${1 << i.scale}`; hs = hs === '' ? `rh[${i.index}]` : `(${hs} | rh[${i.index}])`; }
  return `const sum = ${sum}; const la = ${hs} === 0 && sum >= 0 && sum < ${TWO32} ? sum : c.ea(I[${k}]);`;
}

/**
 * Inline code for instruction k, or undefined when it goes through its handler. `mem` tells whether it may
 * access memory (then the caller emits the after-check).
 */
function inlineCode(g: Gen, k: number): { code: string; mem: boolean } | undefined {
  const i = g.insns[k]!;
  if (i.lock || i.leg) return undefined;
  const op = i.op, sz = i.osz;
  if (sz !== 8 && sz !== 4) return undefined;
  const w = sz === 8;
  const nextRip = g.rips[k]! + i.len;
  if (op < 0x40) {
    const form = op & 7, kind = (op >> 3) & 7;
    if ((form === 1 || form === 3) && !i.mem) {
      const d = form === 1 ? i.rm : i.reg, s = form === 1 ? i.reg : i.rm;
      const code = aluCode(w, kind, d, `rl[${s}]`, `rh[${s}]`);
      return code === undefined ? undefined : { code, mem: false };
    }
    if (form === 5) {
      const code = aluCode(w, kind, 0, lit(i.imm), lit(i.immHi));
      return code === undefined ? undefined : { code, mem: false };
    }
    return undefined;
  }
  if (op >= 0x140 && op <= 0x14f) {
    if (i.mem) return undefined;
    const d = i.reg, s = i.rm, cond = condExpr(op & 15);
    return w
      ? { code: `if (${cond}) { rl[${d}] = rl[${s}]; rh[${d}] = rh[${s}]; }`, mem: false }
      : { code: `{ const v = rl[${s}]; if (${cond}) rl[${d}] = v; rh[${d}] = 0; }`, mem: false };
  }
  switch (op) {
    case 0x81: case 0x83: {
      if (i.mem) return undefined;
      const code = aluCode(w, i.reg & 7, i.rm, lit(i.imm), lit(i.immHi));
      return code === undefined ? undefined : { code, mem: false };
    }
    case 0x85:
      if (i.mem) return undefined;
      return { code: aluCode(w, 8, i.rm, `rl[${i.reg}]`, `rh[${i.reg}]`)!, mem: false };
    case 0xa9:
      return { code: aluCode(w, 8, 0, lit(i.imm), lit(i.immHi))!, mem: false };
    case 0x89:
      if (i.mem) {
        const s = i.reg;
        return w
          ? { code: `{ const lo = rl[${s}], hi = rh[${s}]; ${eaCode(i, k, nextRip)} c.wr64(la, lo, hi); }`, mem: true }
          : { code: `{ const lo = rl[${s}]; ${eaCode(i, k, nextRip)} c.wr32(la, lo); }`, mem: true };
      }
      return { code: w ? `rl[${i.rm}] = rl[${i.reg}]; rh[${i.rm}] = rh[${i.reg}];` : `rl[${i.rm}] = rl[${i.reg}]; rh[${i.rm}] = 0;`, mem: false };
    case 0x8b:
      if (i.mem) {
        const d = i.reg;
        return w
          ? { code: `{ ${eaCode(i, k, nextRip)} const lo = c.rd64(la); rl[${d}] = lo; rh[${d}] = c.th; }`, mem: true }
          : { code: `{ ${eaCode(i, k, nextRip)} const lo = c.rd32(la); rl[${d}] = lo; rh[${d}] = 0; }`, mem: true };
      }
      return { code: w ? `rl[${i.reg}] = rl[${i.rm}]; rh[${i.reg}] = rh[${i.rm}];` : `rl[${i.reg}] = rl[${i.rm}]; rh[${i.reg}] = 0;`, mem: false };
    case 0xb8: case 0xb9: case 0xba: case 0xbb: case 0xbc: case 0xbd: case 0xbe: case 0xbf:
      return { code: `rl[${i.rm}] = ${lit(i.imm)}; rh[${i.rm}] = ${w ? lit(i.immHi) : '0'};`, mem: false };
    case 0xff: {
      if (i.mem) return undefined;
      const kind = i.reg & 7;
      if (kind > 1) return undefined;
      const d = i.rm, dec = kind === 1;
      if (w) {
        return {
          code: `{ const cf = c.getCF(); const a = rl[${d}], ah = rh[${d}]; const s = (a >>> 0) ${dec ? '-' : '+'} 1; `
            + `const r = s | 0, h = (ah ${dec ? '- (s < 0 ? 1 : 0)' : `+ (s >= ${TWO32} ? 1 : 0)`}) | 0; rl[${d}] = r; rh[${d}] = h; `
            + `lf[0] = ${dec ? 7 : 6}; lf[1] = 8; lf[2] = r; lf[3] = h; lf[4] = a; lf[5] = ah; lf[6] = 1; lf[7] = 0; lf[8] = cf; }`,
          mem: false,
        };
      }
      return {
        code: `{ const cf = c.getCF(); const a = rl[${d}], r = (a ${dec ? '-' : '+'} 1) | 0; rl[${d}] = r; rh[${d}] = 0; `
          + `lf[0] = ${dec ? 7 : 6}; lf[1] = 4; lf[2] = r; lf[3] = 0; lf[4] = a; lf[5] = 0; lf[6] = 1; lf[7] = 0; lf[8] = cf; }`,
        mem: false,
      };
    }
    case 0xc1: case 0xd1: {
      if (i.mem) return undefined;
      const kind = i.reg & 7;
      const n = (op === 0xd1 ? 1 : i.imm) & (w ? 63 : 31);
      if (n === 0 || kind < 4 || (w && n >= 32)) return undefined;
      const d = i.rm;
      if (!w) {
        if (kind === 4 || kind === 6) return { code: `{ const a = rl[${d}]; const r = a << ${n}, cf = (a >>> ${32 - n}) & 1; rl[${d}] = r; rh[${d}] = 0; ${shiftFlagsCode('r', 'r === 0', '(r >>> 31)', 'cf', '((r >>> 31) ^ cf)')} }`, mem: false };
        if (kind === 5) return { code: `{ const a = rl[${d}]; const r = (a >>> ${n}) | 0, cf = (a >>> ${n - 1}) & 1; rl[${d}] = r; rh[${d}] = 0; ${shiftFlagsCode('r', 'r === 0', '(r >>> 31)', 'cf', '(a >>> 31)')} }`, mem: false };
        return { code: `{ const a = rl[${d}]; const r = a >> ${n}, cf = (a >> ${n - 1}) & 1; rl[${d}] = r; rh[${d}] = 0; ${shiftFlagsCode('r', 'r === 0', '(r >>> 31)', 'cf', '0')} }`, mem: false };
      }
      const head = `const a = rl[${d}], ah = rh[${d}];`;
      if (kind === 4 || kind === 6) {
        return { code: `{ ${head} const r = a << ${n}, h = (ah << ${n}) | (a >>> ${32 - n}); const cf = (ah >>> ${32 - n}) & 1; rl[${d}] = r; rh[${d}] = h; ${shiftFlagsCode('r', '(r | h) === 0', '(h >>> 31)', 'cf', '((h >>> 31) ^ cf)')} }`, mem: false };
      }
      if (kind === 5) {
        return { code: `{ ${head} const r = (a >>> ${n}) | (ah << ${32 - n}), h = ah >>> ${n}; const cf = (a >>> ${n - 1}) & 1; rl[${d}] = r; rh[${d}] = h; ${shiftFlagsCode('r', '(r | h) === 0', '0', 'cf', '(ah >>> 31)')} }`, mem: false };
      }
      return { code: `{ ${head} const r = (a >>> ${n}) | (ah << ${32 - n}), h = ah >> ${n}; const cf = (a >>> ${n - 1}) & 1; rl[${d}] = r; rh[${d}] = h; ${shiftFlagsCode('r', '(r | h) === 0', '(h >>> 31)', 'cf', '0')} }`, mem: false };
    }
    case 0x8d: {
      if (!i.mem) return undefined;
      const d = i.reg;
      if (i.ripRel) {
        if (!(w && i.asz === 8)) return undefined;
        const v = nextRip + i.disp;
        const lo = v | 0, hi = ((v - (lo >>> 0)) / TWO32) | 0;
        return { code: `rl[${d}] = ${lit(lo)}; rh[${d}] = ${lit(hi)};`, mem: false };
      }
      const b = i.base, x = i.index;
      if (w && i.asz === 8) {
        let sum = lit(i.disp), hs = '0';
        if (b >= 0) { sum += ` + (rl[${b}] >>> 0)`; hs = `rh[${b}]`; }
        if (x >= 0) { sum += ` + (rl[${x}] >>> 0) * ${1 << i.scale}`; hs += ` + rh[${x}] * ${1 << i.scale}`; }
        return { code: `{ const sum = ${sum}; const lo = sum | 0; rl[${d}] = lo; rh[${d}] = (${hs} + (sum - (lo >>> 0)) / ${TWO32}) | 0; }`, mem: false };
      }
      let sum = lit(i.disp);
      if (b >= 0) sum += ` + rl[${b}]`;
      if (x >= 0) sum += ` + (rl[${x}] << ${i.scale})`;
      return { code: `rl[${d}] = (${sum}) | 0; rh[${d}] = 0;`, mem: false };
    }
  }
  return undefined;
}

/** Branch at the end of a block, inlined: Jcc rel and JMP rel in 64-bit mode (operand size 64). */
function branchCode(g: Gen, k: number): string | undefined {
  const i = g.insns[k]!;
  if (i.leg || i.osz !== 8) return undefined;
  const op = i.op;
  const r = g.rips[k]!, nr = r + i.len, t = nr + i.imm;
  if (t >= CANON_LIMIT || t < -CANON_LIMIT) return undefined; // #GP(0): the handler raises it
  const taken = `c.dbBranch = true; ${g.exitCode(k + 1, r, lit(t))}`;
  if ((op >= 0x70 && op <= 0x7f) || (op >= 0x180 && op <= 0x18f)) {
    return `if (${condExpr(op & 15)}) { ${taken} } ${g.exitCode(k + 1, r, lit(nr))}`;
  }
  if (op === 0xe9 || op === 0xeb) return taken;
  return undefined;
}

/**
 * Translate the instructions `insns` (at linear `rips`, in the code page at linear `lin0`) into a block.
 * The last one may be any instruction; all the others must be straight (straight.ts).
 */
export function translate(insns: Insn[], rips: number[], lin0: number, sink: FaultSink): Block {
  const g = new Gen(insns, rips, lin0);
  const n = insns.length;
  // Per instruction: 1 when inlined (the catch restores nextRip for those; a handler call set it itself).
  const inl: number[] = [];
  g.emit('const rl = c.rl, rh = c.rh, lf = c.lf;');
  g.emit('let n = 0;');
  g.emit('try {');
  for (let k = 0; k < n; k++) {
    const i = insns[k]!;
    const r = rips[k]!, nr = r + i.len;
    const last = k === n - 1;
    if (last && !isStraight(i)) {
      const b = branchCode(g, k);
      if (b !== undefined) { g.emit(b); inl.push(1); g.inlined++; continue; }
      g.emit(`n = ${k}; c.rip = ${lit(r)}; c.insnRip = ${lit(r)}; c.nextRip = ${lit(nr)}; I[${k}].fn(c, I[${k}]);`);
      g.emit(`c.rip = c.nextRip; c.retired += ${k + 1}; return ${k + 1};`);
      inl.push(0);
      continue;
    }
    const il = inlineCode(g, k);
    if (il !== undefined) {
      if (il.mem) g.emit(`n = ${k};`);
      g.emit(il.code);
      if (il.mem) g.checkAfter(k);
      inl.push(1);
      g.inlined++;
    } else {
      g.emit(`n = ${k}; c.rip = ${lit(r)}; c.insnRip = ${lit(r)}; c.nextRip = ${lit(nr)}; I[${k}].fn(c, I[${k}]);`);
      if (!registerOnly(i)) g.checkAfter(k);
      inl.push(0);
    }
    if (last) g.emit(g.exitCode(n, r, lit(nr)));
  }
  g.emit('} catch (e) {');
  // The faulting instruction k = n: the ones before it retired. A handler call set rip/insnRip/nextRip
  // before it ran (and a handler that delivered an event itself moved them on: left as they are).
  g.emit('c.retired += n;');
  g.emit('if (INL[n] === 1) { const r = RIPS[n]; c.rip = r; c.insnRip = r; c.nextRip = r + I[n].len; }');
  g.emit('S.thrown = e; return n;');
  g.emit('}');
  const body = g.out.join('\n');
  const factory = new Function('I', 'RIPS', 'INL', 'S', `return function block(c) {\n${body}\n};`) as
    (I: Insn[], RIPS: number[], INL: Uint8Array, S: FaultSink) => BlockFn;
  const fn = factory(insns.slice(), rips.slice(), Uint8Array.from(inl), sink);
  return { rip: rips[0]!, n, inlined: g.inlined, fn };
}

export { isStraight };
