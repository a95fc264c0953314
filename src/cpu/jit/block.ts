// Block translation: a run of decoded 64-bit-mode instructions in one code page -> one JavaScript function
// (compiled once with `new Function`). This file assembles a block (the per-instruction emitters of emit.ts
// over the bookkeeping of gen.ts, the handler calls, exits and the catch clause) and states its contract.
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
import { mulhu32, muls64, R } from '../alu.js';
import type { Insn } from '../decoder.js';
import { branch, inline } from './emit.js';
import { Gen, lit } from './gen.js';
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
