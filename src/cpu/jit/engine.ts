// The block compiler behind `--engine jit` (issue 14): the run loop of cpu.ts asks it, before each
// instruction it would interpret, to run compiled code from there instead (Cpu.jit, CodeEngine).
//
// Blocks are cached per code page next to the interpreter's decoded-instruction records, keyed by the
// page's record array: every invalidation of the decode cache (a write to a code page by the guest, by
// gdb's M/X, by a software breakpoint insertion through PhysicalMemory; a change of paging, CPL or code
// mode, which installs another page array or refetches) drops the page's array and with it its blocks.
//
// The debug unit: a block runs only when nothing needs the per-instruction path (Cpu.slow & SL_PER_INSN
// is 0: no instruction breakpoint armed, TF/BTF single-step, gdb single-step or breakpoints, RF, pending
// debug exceptions, STI/MOV-SS shadow, bus-lock trap in flight, stop request, interrupt window). With any of
// them in force the instruction is interpreted, exactly as before. Data breakpoints and watchpoints do not
// need it: compiled memory accesses go through the interpreter's accessors, which match them, and the block
// leaves right after the matching instruction so the #DB is raised by the run loop as when interpreting.

import type { CodeEngine, Cpu } from '../cpu.js';
import { SL_PER_INSN } from '../state.js';
import { DEC_OK, DEC_TOO_LONG, Insn, MODE_LONG64, decode, type ByteSource } from '../decoder.js';
import { opUndefined } from '../ops.js';
import { specialize } from '../fast.js';
import { translate, type Block, type RecordAt } from './block.js';
import { JIT_THRESHOLD_DEFAULT, JIT_THRESHOLD_MAX } from '../constants.js';

/** Longest instruction (SDM Vol. 2 2.3.11). */
const MAX_INSN = 15;
const PAGE = 4096;

/** Marks an offset whose instruction cannot start a block (it is interpreted). */
const NO_BLOCK: Block = Object.freeze({ rip: NaN, n: Infinity, inlined: 0, size: 0, loops: false, fn: () => 0 });

export interface JitStats {
  /** Regions translated. */
  blocks: number;
  /** Instruction instances translated (an instruction on two paths of a region counts twice). */
  instructions: number;
  inlined: number;
  /** Regions that loop back to their entry inside the function. */
  loops: number;
  /** Blocks thrown away because the same page was entered at another linear address. */
  retranslated: number;
}

interface PageBlocks {
  blocks: (Block | undefined)[];
  /** Times each offset was reached without a block (stops at `hot`, at most 65535). */
  counts: Uint16Array;
}

export class JitEngine implements CodeEngine {
  thrown: unknown = null;
  readonly stats: JitStats = { blocks: 0, instructions: 0, inlined: 0, loops: 0, retranslated: 0 };
  /** Executions of an entry point (interpreted) before it is translated: cold code, code that is modified
   *  again and again and start-up pay no translation (a region's JavaScript costs V8 ~1 ms to compile and runs
   *  unoptimised at first; cpu/constants.ts JIT_THRESHOLD_DEFAULT has the measurements). Tests set 1 to translate at once. */
  hot: number;
  constructor(threshold: number = JIT_THRESHOLD_DEFAULT) {
    this.hot = Math.min(JIT_THRESHOLD_MAX, Math.max(1, Math.floor(threshold)));
  }
  private readonly pages = new WeakMap<object, PageBlocks>();
  private lastArr: object | null = null;
  private lastBlocks: (Block | undefined)[] = [];
  private lastCounts: Uint16Array = new Uint16Array(0);
  private readonly buf = new Uint8Array(MAX_INSN);
  private readonly src: ByteSource = {
    buf: this.buf,
    avail: MAX_INSN,
    // decode() never asks for more: only offsets with 15 bytes left in the page are decoded here.
    extend(): void { throw new Error('jit: decode past the page'); },
  };

  rethrow(): never {
    const e = this.thrown;
    this.thrown = null;
    throw e;
  }

  exec(c: Cpu, budget: number): number {
    if ((c.slow & SL_PER_INSN) !== 0 || !c.long64) return -1;
    let rip = c.insnRip;
    let done = 0;
    // Chain blocks while each ran to its end through an inlined branch or fall-through (nothing but
    // registers, flags and memory changed): the run loop would only fetch the next record and come back.
    for (;;) {
      const off = rip - c.fLin0;
      if (!(off >= 0 && off < PAGE)) break;
      const arr = c.fArr;
      if (arr !== this.lastArr) {
        let pb = this.pages.get(arr);
        if (pb === undefined) { pb = { blocks: new Array<Block | undefined>(PAGE), counts: new Uint16Array(PAGE) }; this.pages.set(arr, pb); }
        this.lastArr = arr; this.lastBlocks = pb.blocks; this.lastCounts = pb.counts;
      }
      let b = this.lastBlocks[off];
      if (b === undefined) {
        const n = this.lastCounts[off]! + 1;
        if (n < this.hot) { this.lastCounts[off] = n; break; }
      }
      if (b === undefined || (b.rip !== rip && b !== NO_BLOCK)) {
        if (b !== undefined) this.stats.retranslated++;
        const nb = this.build(c, arr, off, rip);
        if (nb === null) break; // not decodable here (yet): the interpreter fetches it
        b = nb;
        this.lastBlocks[off] = b;
      }
      if (b.n > budget - done) break;
      const k = b.fn(c, budget - done);
      // Negative: the last instruction ran through its handler (the run loop takes over). A region that left
      // early (a fault, the slow word set, the code page changed) is seen by the tests below and by the
      // page compare at the top (an invalidation sets fLin0 to NaN).
      if (k < 0) { done -= k; break; }
      done += k;
      if (this.thrown !== null || (c.slow & SL_PER_INSN) !== 0) break;
      rip = c.rip;
    }
    return done === 0 && this.thrown === null ? -1 : done;
  }

  /** Decoded record at page offset `off`, decoding it (as Cpu.fetchDecode would) when not cached yet. */
  private record(c: Cpu, arr: (Insn | undefined)[], off: number): Insn | undefined {
    const hit = arr[off];
    if (hit !== undefined) return hit;
    if (off + MAX_INSN > PAGE) return undefined; // may cross into the next page: the interpreter fetches it
    const p = c.fPhys0 + off;
    if (p + MAX_INSN > c.memSize) return undefined;
    this.buf.set(c.u8.subarray(p, p + MAX_INSN));
    this.src.avail = MAX_INSN;
    const ins = new Insn();
    const r = decode(this.src, ins, opUndefined, MODE_LONG64);
    if (r === DEC_TOO_LONG) return undefined;
    ins.phys = p;
    if (r === DEC_OK) specialize(ins);
    arr[off] = ins;
    return ins;
  }

  private build(c: Cpu, arr: (Insn | undefined)[], off: number, rip: number): Block | null {
    const first = this.record(c, arr, off);
    // Crossing into the next page (never cached: always interpreted), or too close to the page end to decode
    // here (the interpreter decodes it; try again then).
    if (first === undefined) return arr[off] === undefined && off + MAX_INSN > PAGE ? null : NO_BLOCK;
    const at: RecordAt = (o) => this.record(c, arr, o);
    const b = translate(at, off, rip, c.fLin0, this);
    if (b === null) return NO_BLOCK;
    this.stats.blocks++;
    this.stats.instructions += b.size;
    this.stats.inlined += b.inlined;
    if (b.loops) this.stats.loops++;
    return b;
  }
}
