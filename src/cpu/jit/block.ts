// Block translation: a region of decoded 64-bit-mode instructions in one code page -> one JavaScript function
// (compiled once with `new Function`). This file walks the region (straight-line runs joined by inlined
// branches), assembles it from the per-instruction emitters of emit.ts over the bookkeeping of gen.ts, the
// handler calls, exits and the catch clause, and states its contract.
//
// A region starts at an entry RIP and follows the code as the CPU would: straight instructions, then at a Jcc
// both ways (`if (cond) {taken} fall-through`), through JMP rel and CALL rel (the return address pushed) to their
// targets, ending a path at an instruction left to its handler, a RET (inlined: the return address read from
// the stack is the exit's RIP), the page end, or a size limit. A target is followed only when it lies ahead
// in the same page (so the walk ends; code reached on two paths is emitted once per path); a branch back to
// the region's entry becomes a loop inside the function (registers stay in JS locals from one iteration to the
// next); any other target is an exit, from which the engine continues with that RIP's own region.
//
// Exactness contract (issue 14): a region does, instruction by instruction, what the run loop of cpu.ts does
// with the same records, only without returning to the loop in between:
//  - every instruction it inlines computes exactly what its specialised handler in fast.ts (or ops.ts)
//    computes (same register values, same lazy-flag record as far as any flag getter can observe it), memory
//    through Cpu.rd*/wr* so paging, the TLB, MMIO, data breakpoints, external watchpoints and code-page
//    invalidation are the interpreter's own;
//  - every other instruction calls its interpreter handler with the run loop's bookkeeping (rip, insnRip,
//    nextRip, retired) and the register file and flags written back first, so rare and system instructions
//    need no second implementation;
//  - c.retired (the virtual clock) is exact before every handler call and every memory access (RDTSC, a
//    device register read by MMIO see the interpreter's clock);
//  - after an instruction that can access memory the region leaves when the debug unit's slow word asks for
//    the per-instruction path (a data breakpoint matched, the timer was re-armed) or the current code page
//    changed (self-modifying code, paging): the run loop then does exactly what it does after that
//    instruction when interpreting (D.after, refetch);
//  - a fault leaves retired/rip/insnRip/nextRip, the registers and the flags as the interpreter leaves them
//    when that instruction faults, and the run loop handles the thrown value as its own;
//  - a pass through the region (entry to an exit or back to the entry) is started only with all its
//    instructions within the run loop's budget (the timer deadline, --max-insns, the slice): `Block.n` is the
//    longest pass, checked by the engine before the call and by the loop before every further iteration, so
//    instruction counts and the virtual clock (one tick per instruction) match.
//
// Inside a region registers live in JS locals (loaded on first use, written back at every exit, before every
// handler call and, for a fault, in the catch clause for exactly the registers modified up to the faulting
// instruction), and the lazy-flag record of the last flag-setting instruction is kept in locals too: it is
// stored only when something can observe it (a handler, an exit, a fault, the next iteration), and a
// Jcc/CMOVcc right after a CMP/SUB/TEST/AND/... decides from the operands directly, as Cpu.cond does from the
// stored record.

import type { Cpu } from '../cpu.js';
import { mulhu32, muls64, R } from '../alu.js';
import { VEC_GP, VEC_SS } from '../arch.js';
import { TWO32 } from '../canonical.js';
import type { Insn } from '../decoder.js';
import { inline, rd, wr } from './emit.js';
import { FLAG_LOCALS, Gen, lit, type RegSets, STORE_PENDING_FLAGS } from './gen.js';
import { isStraight, registerOnly } from './straight.js';

/** Runs the region from its entry with at most `budget` instructions; returns the instructions retired, negated
 *  when the last one ran through its handler (anything may follow: the run loop takes over). */
export type BlockFn = (c: Cpu, budget: number) => number;

export interface Block {
  /** Linear RIP the region was translated for (its constants: branch targets, RIP-relative addresses). */
  readonly rip: number;
  /** Instructions of the longest pass (entry to an exit, or back to the entry). */
  readonly n: number;
  /** Instruction instances inlined (the rest call their interpreter handler). */
  readonly inlined: number;
  /** Instruction instances emitted (an instruction on two paths counts twice). */
  readonly size: number;
  /** The region loops back to its entry inside the function. */
  readonly loops: boolean;
  readonly fn: BlockFn;
}

/** Receives the value a faulting instruction threw (the engine; see CodeEngine.thrown in cpu.ts). */
export interface FaultSink { thrown: unknown }

/** Decoded records of the code page, by page offset (undefined: not decodable here, leave the region). */
export type RecordAt = (off: number) => Insn | undefined;

/** Longest pass (instructions); a longer straight run is split in several regions. */
export const MAX_BLOCK = 64;
/** Instruction instances per region (paths after a branch are emitted separately): a region that loops back to
 *  its entry may have MAX_EMIT_LOOP, any other MAX_EMIT. V8 compiles each region function on its own and its
 *  optimising compile costs about 0.3 ms per instance here, paid again when code is only run a few thousand
 *  times (a boot), so regions that do not loop stay short. */
const MAX_EMIT_LOOP = 64;
const MAX_EMIT = 24;
const PAGE = 4096;
const CANON_LIMIT = 140737488355328; // 2^47: RIP outside [-2^47, 2^47) is not canonical

/** Helpers the generated code calls (fast.ts imul64's rare exact-overflow case). */
const HELPERS = {
  mulhu32,
  /** fast.ts imul64's overflow: the product of the operands as doubles decides below 2^62 and from 2^64 on. */
  ov64m(a: number, ah: number, b: number, bh: number): boolean {
    const m = Math.abs((ah * TWO32 + (a >>> 0)) * (bh * TWO32 + (b >>> 0)));
    return m < 4611686018427387904 ? false : m >= 18446744073709551616 ? true : HELPERS.ov64(a, ah, b, bh);
  },
  /** Signed 64x64 product overflows 64 bits (fast.ts imul64, for |product| in [2^62, 2^64)). */
  ov64(a: number, ah: number, b: number, bh: number): boolean {
    muls64(a, ah, b, bh);
    const s = R.hi >> 31;
    return R.w2 !== s || R.w3 !== s;
  },
};

/** A branch the region inlines: Jcc rel, JMP rel, CALL rel (operand size 64, canonical target), RET. */
function branchKind(i: Insn): 'jcc' | 'jmp' | 'call' | 'ret' | null {
  if (i.leg || i.osz !== 8 || i.lock) return null;
  const op = i.op;
  if ((op >= 0x70 && op <= 0x7f) || (op >= 0x180 && op <= 0x18f)) return 'jcc';
  if (op === 0xe9 || op === 0xeb) return 'jmp';
  if (op === 0xe8) return 'call';
  if (op === 0xc3) return 'ret';
  return null;
}

type Factory = (I: Insn[], RIPS: number[], INL: Uint8Array, D: Int32Array, S: FaultSink, X: typeof HELPERS) => BlockFn;

/** Compiled region sources, process-wide: the same code at the same address translates to the same source (a
 *  guest run again on a new machine, a test suite, `run` under extended-remote). Reusing the factory reuses
 *  V8's work for it: its feedback and optimised code are shared by every closure it makes (the constants a
 *  closure captures differ per machine, the code does not depend on them). */
const FACTORIES = new Map<string, Factory>();
const MAX_FACTORIES = 2048;

function compile(body: string): Factory {
  let f = FACTORIES.get(body);
  if (f === undefined) {
    if (FACTORIES.size >= MAX_FACTORIES) FACTORIES.clear();
    f = new Function('I', 'RIPS', 'INL', 'D', 'S', 'X', `return function block(c, budget) {\n${body}\n};`) as Factory;
    FACTORIES.set(body, f);
  }
  return f;
}

class Walker {
  readonly g: Gen;
  loops = false;
  /** RIPs of the instructions on the path being emitted (a branch back to one of them ends the path). */
  private readonly onPath = new Set<number>();
  constructor(private readonly at: RecordAt, private readonly rip0: number, lin0: number, pre: RegSets | null, loopHead: boolean,
    private readonly maxEmit: number) {
    this.g = new Gen(lin0, pre, loopHead);
  }

  /** Emit the path from page offset `off` (RIP `rip`) after `d` instructions of this pass, the previous one at
   *  `prev`. Every path ends in a return, an exit (break to the tail) or, back at the entry, a continue. */
  path(off: number, rip: number, d: number, prev: number): void {
    const added: number[] = [];
    try { this.walk(off, rip, d, prev, added); } finally { for (const r of added) this.onPath.delete(r); }
  }

  private walk(off: number, rip: number, d: number, prev: number, added: number[]): void {
    const g = this.g;
    for (;;) {
      if (d >= MAX_BLOCK || g.insns.length >= this.maxEmit || off >= PAGE) { this.exit(d, prev, rip); return; }
      const ins = this.at(off);
      if (ins === undefined || off + ins.len > PAGE) { this.exit(d, prev, rip); return; }
      this.onPath.add(rip); added.push(rip);
      const nr = rip + ins.len;
      const k = g.add(ins, rip, d);
      if (isStraight(ins)) {
        if (inline(g, k)) { g.inl[k] = 1; g.inlined++; }
        else {
          this.handlerCall(k, rip, nr);
          g.forget();
          if (!registerOnly(ins)) g.checkAfter(k, undefined, true);
        }
        d++; prev = rip; rip = nr; off += ins.len;
        continue;
      }
      const kind = branchKind(ins);
      const target = kind === 'ret' ? 0 : nr + ins.imm;
      if (kind === null || (kind !== 'ret' && (target >= CANON_LIMIT || target < -CANON_LIMIT))) {
        // Ends the path through its handler (a non-canonical branch target: the handler raises #GP).
        this.handlerCall(k, rip, nr);
        g.emit(`c.rip = c.nextRip; c.retired = R0 + ${Gen.done(d + 1)}; return -(${Gen.done(d + 1)});`);
        if (d + 1 > g.maxDepth) g.maxDepth = d + 1;
        return;
      }
      g.inl[k] = 1; g.inlined++;
      if (kind === 'jcc') {
        const cond = g.cond(ins.op & 15);
        g.emit(`if (${cond}) {`);
        const s = g.snapshot();
        this.goTo(target, d + 1, rip, true);
        g.emit('}');
        g.restore(s);
        this.goTo(nr, d + 1, rip, false);
        return;
      }
      if (kind === 'jmp') { this.goTo(target, d + 1, rip, true); return; }
      if (kind === 'call') {
        // ops.ts opCallRel: the target is canonical (checked above), then Cpu.push64 of the return address.
        g.emit(`var cs_${k} = (${g.lo(4)} >>> 0) - 8; const csh_${k} = (${g.hi(4)} + Math.floor(cs_${k} / ${TWO32})) | 0; cs_${k} = cs_${k} >>> 0;`);
        g.emit(`if (((csh_${k} << 16) >> 16) !== csh_${k}) { ${g.fp(k)} c.raise(${VEC_SS}, 0); }`);
        g.emit(`const ca_${k} = csh_${k} * ${TWO32} + cs_${k};`);
        wr(g, k, `ca_${k}`, 8, lit(nr | 0), lit(Math.floor(nr / TWO32) | 0));
        g.setLo(4, `cs_${k} | 0`); g.setHi(4, `csh_${k}`);
        g.checkAfter(k, lit(target));
        this.goTo(target, d + 1, rip, true);
        return;
      }
      // RET: ops.ts opRet (C3): RSP canonical (#SS), the 8-byte read, the target canonical (#GP), RSP += 8.
      g.emit(`const qh_${k} = ${g.hi(4)}; if (((qh_${k} << 16) >> 16) !== qh_${k}) { ${g.fp(k)} c.raise(${VEC_SS}, 0); }`);
      g.emit(`const qa_${k} = qh_${k} * ${TWO32} + (${g.lo(4)} >>> 0);`);
      const [ql, qv] = rd(g, k, `qa_${k}`, 8);
      g.emit(`if (((${qv} << 16) >> 16) !== ${qv}) { ${g.fp(k)} c.raise(${VEC_GP}, 0); }`);
      g.emit(`const tg_${k} = ${qv} * ${TWO32} + (${ql} >>> 0); const qs_${k} = (${g.lo(4)} >>> 0) + 8;`);
      g.setHi(4, `(${g.hi(4)} + Math.floor(qs_${k} / ${TWO32})) | 0`); g.setLo(4, `qs_${k} | 0`);
      g.emit(`c.dbBranch = true; ${g.exitCode(d + 1, rip, `tg_${k}`)}`);
      return;
    }
  }

  /** Continue at `target` after the branch at `prev` (the d-th instruction of this pass); `taken`: control
   *  was transferred (the interpreter's jumpTo sets dbBranch). */
  private goTo(target: number, d: number, prev: number, taken: boolean): void {
    const g = this.g;
    const off = target - g.lin0;
    if (target === this.rip0) { this.backEdge(d, prev); return; }
    if (taken) g.emit('c.dbBranch = true;');
    if (off >= 0 && off < PAGE && !this.onPath.has(target) && d < MAX_BLOCK && g.insns.length < this.maxEmit) {
      this.path(off, target, d, prev);
      return;
    }
    this.exit(d, prev, target);
  }

  private exit(d: number, prev: number, next: number): void {
    this.g.emit(this.g.exitCode(d, prev, lit(next)));
  }

  private handlerCall(k: number, rip: number, nr: number): void {
    const g = this.g;
    g.flush();
    g.faultPoint(k);
    g.emit(`c.rip = ${lit(rip)}; c.insnRip = ${lit(rip)}; c.nextRip = ${lit(nr)}; I[${k}].fn(c, I[${k}]);`);
  }

  /** Back to the entry: the next iteration if the budget has room for a whole pass, else leave at the entry.
   *  Registers stay in their locals and the pending flags in theirs (the head assumes any). */
  private backEdge(d: number, prev: number): void {
    const g = this.g;
    this.loops = true;
    if (d > g.maxDepth) g.maxDepth = d;
    g.emit(`c.dbBranch = true; t += ${d};`);
    g.emit(`if (t > budget - MAXD) { ${g.exitCode(0, prev, lit(this.rip0))} }`);
    g.emit('continue;');
  }
}

/**
 * Translate the region entered at page offset `off0` (linear RIP `rip0`, in the code page at linear `lin0`);
 * null when its first instruction cannot be translated here.
 */
export function translate(at: RecordAt, off0: number, rip0: number, lin0: number, sink: FaultSink): Block | null {
  const first = at(off0);
  if (first === undefined || off0 + first.len > PAGE) return null;
  // First emission: which registers the region reads and writes, whether it loops (its code is discarded).
  let maxEmit = MAX_EMIT_LOOP;
  let w0 = new Walker(at, rip0, lin0, null, false, maxEmit);
  w0.path(off0, rip0, 0, rip0);
  if (!w0.loops && w0.g.insns.length > MAX_EMIT) {
    maxEmit = MAX_EMIT;
    w0 = new Walker(at, rip0, lin0, null, false, maxEmit);
    w0.path(off0, rip0, 0, rip0);
  }
  const pre: RegSets = { useL: w0.g.useL, useH: w0.g.useH };
  // The emission kept: those registers in locals from the entry on (so every exit and fault stores the same
  // written ones: one exit tail, one catch clause, whatever the path).
  const w = new Walker(at, rip0, lin0, pre, w0.loops, maxEmit);
  w.path(off0, rip0, 0, rip0);
  const g = w.g;
  const maxd = Math.max(1, g.maxDepth);
  let load = '', store = '';
  const decl: string[] = [];
  for (let r = 0; r < 16; r++) {
    if (pre.useL[r]) { load += `L${r} = rl[${r}]; `; decl.push(`L${r} = 0`); if (pre.useL[r]! & 2) store += `rl[${r}] = L${r}; `; }
    if (pre.useH[r]) { load += `H${r} = rh[${r}]; `; decl.push(`H${r} = 0`); if (pre.useH[r]! & 2) store += `rh[${r}] = H${r}; `; }
  }
  // Per-instruction temporaries are function-scoped (var): a path is a chain of nested blocks.
  const code = g.out.map((l) => l.replace(/\b(const|let) /g, 'var ')).join('\n').replace(/\bMAXD\b/g, String(maxd));
  const body = [
    'const rl = c.rl, rh = c.rh, lf = c.lf, R0 = c.retired;',
    // The accessors' state (memory-access.ts), for the inline TLB-hit paths (emit.ts rd/wr): never replaced.
    'const TT = c.tlbTag, TP = c.tlbPerm, TX = c.tlbPhys, DV = c.dv, U8 = c.u8, MS = c.memSize, CP = c.mem.codePages;',
    'let DBL = c.dbLo, DBH = c.dbHi, NR = c.needR, NW = c.needW;',
    `let n = 0, t = 0, XI = 0, XN = 0, XD = 0, ${FLAG_LOCALS}${decl.length ? ', ' + decl.join(', ') : ''};`,
    'try {',
    `${load}`,
    'out: {',
    w.loops ? `for (;;) {\n${code}\n}` : code,
    '}',
    '} catch (e) {',
    // The faulting instance n: the instructions before it retired; an inlined one left the registers and flags
    // as they were before it (its own results are assigned after its last access); a handler's call stored
    // them first and its own partial results stay.
    `if (INL[n] === 1) { ${store}${STORE_PENDING_FLAGS} const r = RIPS[n]; c.rip = r; c.insnRip = r; c.nextRip = r + I[n].len; }`,
    'c.retired = R0 + t + D[n];',
    'S.thrown = e; return t + D[n];',
    '}',
    // The exit tail: XD instructions of this pass retired, the last at XI, continuing at XN.
    `${store}${STORE_PENDING_FLAGS}`,
    'c.insnRip = XI; c.nextRip = XN; c.rip = XN; c.retired = R0 + t + XD; return t + XD;',
  ].join('\n');
  const factory = compile(body);
  const fn = factory(g.insns.slice(), g.rips.slice(), Uint8Array.from(g.inl), Int32Array.from(g.depths), sink, HELPERS);
  return { rip: rip0, n: maxd, inlined: g.inlined, size: g.insns.length, loops: w.loops, fn };
}
