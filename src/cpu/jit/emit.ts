// Per-instruction code emission for the block compiler: the instruction forms a block inlines (the ALU,
// MOV, LEA, shift, IMUL, PUSH/POP ... forms fast.ts specialises) and the branch that may end a block, each
// as JavaScript source computing exactly what its interpreter handler computes. block.ts assembles the
// emitted statements into one function; gen.ts holds the registers-in-locals and lazy-flag bookkeeping.

import { TWO32 } from '../canonical.js';
import { VEC_SS } from '../arch.js';
import type { Insn } from '../decoder.js';
import { TLB_SIZE } from '../state.js';
import { CLEAN, DIRTY, type Gen, lit } from './gen.js';


// ALU kinds (ModRM.reg / opcode bits 5:3): 0 ADD 1 OR 4 AND 5 SUB 6 XOR 7 CMP; 8 = TEST (fast.ts RR64/RI64).
const LOGIC_OP: Record<number, string> = { 1: '|', 4: '&', 6: '^', 8: '&' };

/** Inline the TLB-hit RAM path of the data accessors (set false to measure the accessors alone). */
export const TLB_INLINE = true;

/** Cpu.rd8/rd16/rd32/rd64 at linear `la` into mlo_k (and mhi_k for 8 bytes): inline, exactly the accessor's own
 *  fast path of memory-access.ts when no data breakpoint or watchpoint range covers the access, it stays in
 *  its page, the TLB entry for the page grants the access and RAM backs it; anything else calls the accessor
 *  (walk, #PF, MMIO, page crossing, the debug unit). Returns the names of the low and high dwords. */
export function rd(g: Gen, k: number, la: string, size: 1 | 2 | 4 | 8): [string, string] {
  const lo = `mlo_${k}`, hi = size === 8 ? `mhi_${k}` : '0';
  const call = `${g.fp(k)} ${lo} = c.rd${size * 8}(${la});${size === 8 ? ` ${hi} = c.th;` : ''} SQ = 1;`;
  g.emit(`var ${lo} = 0${size === 8 ? `, ${hi} = 0` : ''};`);
  if (!TLB_INLINE) { g.emit(call); return [lo, hi]; }
  const get = size === 1 ? `U8[pp_${k}]` : size === 2 ? `DV.getUint16(pp_${k}, true)` : `DV.getInt32(pp_${k}, true)`;
  g.emit(`${tlbHit(k, la, size, 'NR')} { ${lo} = ${get};${size === 8 ? ` ${hi} = DV.getInt32(pp_${k} + 4, true);` : ''} } else { ${call} }`);
  return [lo, hi];
}

/** Cpu.wr8/wr16/wr32/wr64 of (lo, hi) at linear `la`, the TLB-hit RAM path inline (as rd), with the accessor's
 *  code-page invalidation. */
export function wr(g: Gen, k: number, la: string, size: 1 | 2 | 4 | 8, lo: string, hi: string): void {
  const call = `${g.fp(k)} c.wr${size * 8}(${la}, ${lo}${size === 8 ? `, ${hi}` : ''}); SQ = 1;`;
  if (!TLB_INLINE) { g.emit(call); return; }
  const set = size === 1 ? `U8[pp_${k}] = ${lo};` : size === 2 ? `DV.setUint16(pp_${k}, ${lo}, true);` : size === 4 ?
    `DV.setInt32(pp_${k}, ${lo}, true);` : `DV.setInt32(pp_${k}, ${lo}, true); DV.setInt32(pp_${k} + 4, ${hi}, true);`;
  g.emit(`${tlbHit(k, la, size, 'NW')} { ${set} if (CP[pp_${k} >>> 12] !== 0) { c.invalidateCodePage(pp_${k} >>> 12); SQ = 1; } } else { ${call} }`);
}

/** The condition of the accessors' fast path (memory-access.ts: the data-breakpoint range test, the page-crossing
 *  test, Cpu.xl's TLB hit with the rights, RAM); leaves the RAM offset in pp_k. DBL/DBH/NR/NW: c.dbLo, c.dbHi,
 *  c.needR, c.needW, loaded at the entry and again after anything that may change them (block.ts). */
function tlbHit(k: number, la: string, size: number, need: string): string {
  return `const pg_${k} = Math.floor(${la} / 4096), ix_${k} = (pg_${k} ^ (pg_${k} >>> 8)) & ${TLB_SIZE - 1}, po_${k} = ${la} & 0xfff; var pp_${k} = 0;\n` +
    `if ((${la} >= DBH || ${la} + ${size} <= DBL) && ${size === 1 ? '' : `po_${k} <= ${4096 - size} && `}TT[ix_${k}] === pg_${k} && ` +
    `(TP[ix_${k}] & ${need}) === ${need} && (pp_${k} = TX[ix_${k}] + po_${k}) + ${size} <= MS)`;
}

/** fast.ts add64/sub64/logic64/add32/sub32/logic32; the source is register `s` or the immediate (imm, immHi). */
function alu(g: Gen, k: number, w: boolean, kind: number, d: number, s: number, imm: number, immHi: number): boolean {
  if (kind !== 0 && kind !== 5 && kind !== 7 && LOGIC_OP[kind] === undefined) return false;
  const b = `b_${k}`, bh = `bh_${k}`;
  if (w) g.emit(`const ${b} = ${s >= 0 ? g.lo(s) : lit(imm)}, ${bh} = ${s >= 0 ? g.hi(s) : lit(immHi)};`);
  else g.emit(`const ${b} = ${s >= 0 ? g.lo(s) : lit(imm)};`);
  aluWith(g, k, w, kind, d, b, bh, kind !== 7 && kind !== 8);
  return true;
}

/** ops.ts alu() for ADD/SUB/CMP/AND/OR/XOR reg, [mem]: destination register d, source value (b, bh) read. */
function aluMem(g: Gen, k: number, w: boolean, kind: number, d: number, b: string, bh: string): void {
  aluWith(g, k, w, kind, d, b, bh, kind !== 7);
}

/** The operation on destination register d and the source (b, bh, already in locals), its result written back
 *  when `write`, and the lazy-flag record. */
function aluWith(g: Gen, k: number, w: boolean, kind: number, d: number, b: string, bh: string, write: boolean): void {
  const o = LOGIC_OP[kind];
  const a = `a_${k}`, ah = `ah_${k}`, r = `r_${k}`, h = `h_${k}`;
  if (w) {
    g.emit(`const ${a} = ${g.lo(d)}, ${ah} = ${g.hi(d)};`);
    // 32-bit integer operations only (no doubles): the carry out of the low dword is "sum below an operand",
    // the borrow "minuend below subtrahend", both unsigned.
    if (kind === 0) g.emit(`const ${r} = (${a} + ${b}) | 0, ${h} = (${ah} + ${bh} + ((${r} >>> 0) < (${a} >>> 0) ? 1 : 0)) | 0;`);
    else if (kind === 5 || kind === 7) g.emit(`const ${r} = (${a} - ${b}) | 0, ${h} = (${ah} - ${bh} - ((${a} >>> 0) < (${b} >>> 0) ? 1 : 0)) | 0;`);
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

/** fast.ts shiftFlags, kept lazy: the result (r, h: 0 for 32 bits), CF and OF go into the flag locals and the six
 *  status flags are assembled only where they are stored (gen.ts SHIFT; zero and sign from the result). */
function shiftFlags(g: Gen, k: number, w: boolean, r: string, h: string, cf: string, of: string): void {
  g.setFlags({ kind: 'shift', w, r, h, a: '', ah: '', b: '', bh: '', cin: '', v: `${cf} | (${of} << 11)` }, k);
}

/** The memory operand's linear address into la_k (fast.ts eaLow for the plain 64-bit forms, else Cpu.ea). */
function ea(g: Gen, i: Insn, k: number, nextRip: number): string {
  const la = `la_${k}`;
  const lowForm = !i.leg && !i.ripRel && i.asz === 8 && i.seg < 4 && (i.base >= 0 || i.index >= 0);
  if (!lowForm) {
    // Cpu.ea reads the base/index registers from the register file and RIP-relative forms read nextRip.
    for (const r of [i.base, i.index]) if (r >= 0) { if (g.regL[r] === DIRTY) { g.emit(`rl[${r}] = L${r};`); g.regL[r] = CLEAN; } if (g.regH[r] === DIRTY) { g.emit(`rh[${r}] = H${r};`); g.regH[r] = CLEAN; } }
    g.emit(`${g.fp(k)} ${i.ripRel ? `c.nextRip = ${lit(nextRip)}; ` : ''}const ${la} = c.ea(I[${k}]);`);
    return la;
  }
  let sum = lit(i.disp), hs = '';
  if (i.base >= 0) { sum += ` + (${g.lo(i.base)} >>> 0)`; hs = g.hi(i.base); }
  if (i.index >= 0) { sum += ` + (${g.lo(i.index)} >>> 0) * ${1 << i.scale}`; hs = hs === '' ? g.hi(i.index) : `(${hs} | ${g.hi(i.index)})`; }
  // The fallback (upper halves not zero, or a carry) recomputes through Cpu.ea from the register file.
  const regs = [i.base, i.index].filter((r) => r >= 0);
  const store = regs.map((r) => `rl[${r}] = L${r}; rh[${r}] = H${r};`).join(' ');
  g.emit(`const s_${k} = ${sum}; let ${la} = s_${k};`);
  g.emit(`if (${hs} !== 0 || s_${k} < 0 || s_${k} >= ${TWO32}) { ${store} ${g.fp(k)} ${la} = c.ea(I[${k}]); }`);
  return la;
}

/** Inline instruction k; false when it goes through its handler. */
export function inline(g: Gen, k: number): boolean {
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
      const la = ea(g, i, k, nextRip);
      const [ml, mh] = rd(g, k, la, w ? 8 : 4);
      aluMem(g, k, w, kind, i.reg, ml, mh);
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
          const la = ea(g, i, k, nextRip);
        v = rd(g, k, la, ssz === 1 ? 1 : 2)[0];
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
      g.emit(`var ps_${k} = (${g.lo(4)} >>> 0) - 8; const psh_${k} = (${g.hi(4)} + Math.floor(ps_${k} / ${TWO32})) | 0; ps_${k} = ps_${k} >>> 0;`);
      g.emit(`if (((psh_${k} << 16) >> 16) !== psh_${k}) { ${g.fp(k)} c.raise(${VEC_SS}, 0); }`);
      g.emit(`const pa_${k} = psh_${k} * ${TWO32} + ps_${k};`);
      wr(g, k, `pa_${k}`, 8, `pl_${k}`, `ph_${k}`);
      g.setLo(4, `ps_${k} | 0`); g.setHi(4, `psh_${k}`);
      g.checkAfter(k);
      return true;
    }
    case 0x58: case 0x59: case 0x5a: case 0x5b: case 0x5c: case 0x5d: case 0x5e: case 0x5f: {
      // Cpu.pop64 then the register write (POP RSP ends with the popped value).
      if (!w) return false;
      g.emit(`const qh_${k} = ${g.hi(4)}; if (((qh_${k} << 16) >> 16) !== qh_${k}) { ${g.fp(k)} c.raise(${VEC_SS}, 0); }`);
      g.emit(`const qa_${k} = qh_${k} * ${TWO32} + (${g.lo(4)} >>> 0);`);
      const [ql, qv] = rd(g, k, `qa_${k}`, 8);
      g.emit(`const qs_${k} = (${g.lo(4)} >>> 0) + 8;`);
      g.setHi(4, `(${g.hi(4)} + Math.floor(qs_${k} / ${TWO32})) | 0`); g.setLo(4, `qs_${k} | 0`);
      g.setLo(i.rm, ql); g.setHi(i.rm, qv);
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
      const la = ea(g, i, k, nextRip);
      wr(g, k, la, w ? 8 : 4, vl, vh);
      g.checkAfter(k);
      return true;
    }
    case 0x8b: {
      const d = i.reg;
      if (!i.mem) {
        g.setLo(d, g.lo(i.rm)); g.setHi(d, w ? g.hi(i.rm) : '0');
        return true;
      }
      const la = ea(g, i, k, nextRip);
      const [vl, vh] = rd(g, k, la, w ? 8 : 4);
      g.setLo(d, vl); g.setHi(d, vh);
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
        g.emit(`const ${a} = ${g.lo(d)}, ${ah} = ${g.hi(d)};`);
        g.emit(`const ${r} = (${a} ${dec ? '-' : '+'} 1) | 0, ${h} = (${ah} ${dec ? `- (${a} === 0 ? 1 : 0)` : `+ (${r} === 0 ? 1 : 0)`}) | 0;`);
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
          shiftFlags(g, k, w, r, '0', `cf_${k}`, `((${r} >>> 31) ^ cf_${k})`);
        } else if (kind === 5) {
          g.emit(`const ${r} = (${a} >>> ${n}) | 0, cf_${k} = (${a} >>> ${n - 1}) & 1;`);
          shiftFlags(g, k, w, r, '0', `cf_${k}`, `(${a} >>> 31)`);
        } else {
          g.emit(`const ${r} = ${a} >> ${n}, cf_${k} = (${a} >> ${n - 1}) & 1;`);
          shiftFlags(g, k, w, r, '0', `cf_${k}`, '0');
        }
        g.setLo(d, r); g.setHi(d, '0');
        return true;
      }
      g.emit(`const ${a} = ${g.lo(d)}, ${ah} = ${g.hi(d)};`);
      if (kind === 4 || kind === 6) {
        g.emit(`const ${r} = ${a} << ${n}, ${h} = (${ah} << ${n}) | (${a} >>> ${32 - n}), cf_${k} = (${ah} >>> ${32 - n}) & 1;`);
        shiftFlags(g, k, w, r, h, `cf_${k}`, `((${h} >>> 31) ^ cf_${k})`);
      } else if (kind === 5) {
        g.emit(`const ${r} = (${a} >>> ${n}) | (${ah} << ${32 - n}), ${h} = ${ah} >>> ${n}, cf_${k} = (${a} >>> ${n - 1}) & 1;`);
        shiftFlags(g, k, w, r, h, `cf_${k}`, `(${ah} >>> 31)`);
      } else {
        g.emit(`const ${r} = (${a} >>> ${n}) | (${ah} << ${32 - n}), ${h} = ${ah} >> ${n}, cf_${k} = (${a} >>> ${n - 1}) & 1;`);
        shiftFlags(g, k, w, r, h, `cf_${k}`, '0');
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
      // fast.ts imul64/imul32; CF = OF = the product overflows, SF/ZF/AF/PF cleared: kept lazy (gen.ts IMUL64 /
      // IMUL32: the operands go into the flag locals, the overflow test runs only where the flags are stored).
      if (w) {
        const ah = `ah_${k}`, bh = `bh_${k}`;
        if (rr) g.emit(`const ${a} = ${g.lo(d)}, ${ah} = ${g.hi(d)}, ${b} = ${g.lo(s)}, ${bh} = ${g.hi(s)};`);
        else g.emit(`const ${a} = ${g.lo(s)}, ${ah} = ${g.hi(s)}, ${b} = ${lit(i.imm)}, ${bh} = ${lit(i.immHi)};`);
        g.emit(`const lo_${k} = Math.imul(${a}, ${b}), hi_${k} = (X.mulhu32(${a}, ${b}) + Math.imul(${a}, ${bh}) + Math.imul(${ah}, ${b})) | 0;`);
        g.setLo(d, `lo_${k}`); g.setHi(d, `hi_${k}`);
        g.setFlags({ kind: 'imul', w, r: '', h: '', a, ah, b, bh, cin: '', v: '' }, k);
      } else {
        if (rr) g.emit(`const ${a} = ${g.lo(d)}, ${b} = ${g.lo(s)};`);
        else g.emit(`const ${a} = ${g.lo(s)}, ${b} = ${lit(i.imm)};`);
        g.emit(`const lo_${k} = Math.imul(${a}, ${b});`);
        g.setLo(d, `lo_${k}`); g.setHi(d, '0');
        g.setFlags({ kind: 'imul', w, r: '', h: '', a, ah: '0', b, bh: '0', cin: '', v: '' }, k);
      }
      return true;
    }
  }
  return false;
}
