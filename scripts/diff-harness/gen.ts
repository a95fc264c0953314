// Random snippet generator for the differential test: one instruction form per case, random
// operands (registers, memory in the shared scratch window, immediates) and random register/flag
// inputs with boundary values over-represented. Each case carries the masks of what the SDM leaves
// undefined for that instruction and those inputs; everything else must match the host CPU bit for bit.
//
// SDM references are to the Intel 64 and IA-32 Architectures Software Developer's Manual, Vol. 2
// (instruction set reference, "Flags Affected" of each instruction); AMD APM Vol. 3 agrees on which
// flags are undefined for every form generated here.
import { AF, ARITH, CF, OF, PF, SCRATCH_ADDR, SF, WINDOW, ZF, DF, fillWindow } from './layout.js';
import { interesting, maskOf, Rng, signed, type Size } from './rng.js';

export const R64 = ['rax', 'rcx', 'rdx', 'rbx', 'rsp', 'rbp', 'rsi', 'rdi', 'r8', 'r9', 'r10', 'r11', 'r12', 'r13', 'r14', 'r15'];
export const R32 = ['eax', 'ecx', 'edx', 'ebx', 'esp', 'ebp', 'esi', 'edi', 'r8d', 'r9d', 'r10d', 'r11d', 'r12d', 'r13d', 'r14d', 'r15d'];
export const R16 = ['ax', 'cx', 'dx', 'bx', 'sp', 'bp', 'si', 'di', 'r8w', 'r9w', 'r10w', 'r11w', 'r12w', 'r13w', 'r14w', 'r15w'];
export const R8 = ['al', 'cl', 'dl', 'bl', 'spl', 'bpl', 'sil', 'dil', 'r8b', 'r9b', 'r10b', 'r11b', 'r12b', 'r13b', 'r14b', 'r15b'];
export const R8H = ['ah', 'ch', 'dh', 'bh'];
const NAMES: Record<Size, string[]> = { 8: R8, 16: R16, 32: R32, 64: R64 };
const PTR: Record<Size, string> = { 8: 'byte ptr', 16: 'word ptr', 32: 'dword ptr', 64: 'qword ptr' };
const RAX = 0, RCX = 1, RDX = 2, RSP = 4, RSI = 6, RDI = 7;
const M64 = (1n << 64n) - 1n;

export interface RegOp { k: 'reg'; idx: number; size: Size; high: boolean; text: string }
export interface MemOp { k: 'mem'; size: Size; off: number; text: string }
export type Op = RegOp | MemOp;

export interface GenCase {
  family: string;
  form: string;
  asm: string;
  gpr: bigint[];
  rflags: number;
  memSeed: bigint;
  patch?: { off: number; bytes: Uint8Array };
  /** Flags the SDM leaves undefined when the snippet completes (a fault changes nothing, so a
   *  faulting case compares every flag). */
  undefFlags: number;
  /** Per GPR, the bits compared on completion. */
  gprMask: bigint[];
  /** Window byte ranges [off, len) whose contents are undefined on completion. */
  memIgnore: [number, number][];
  /** Why something is masked (printed with a mismatch). */
  notes: string[];
  /** Input classes this case belongs to (e.g. 'lea-noncanonical-ea'); GenOptions.avoid drops cases by tag. */
  tags: string[];
  /** Runs in a 32-bit code segment (IA-32e compatibility mode): only EAX..EDI bits 31:0 are compared. */
  compat32?: boolean;
  /** Runs in a 16-bit code segment (CS.D=0, still under IA-32e mode on both sides). */
  code16?: boolean;
  /** Runs with a 16-bit stack segment (SS.B=0) based at SCRATCH_MAP_BASE. */
  ss16?: boolean;
  /** XMM0-15 and MXCSR inputs (gen-sse.ts); absent: zeros and MXCSR_DEFAULT. */
  xmm?: Uint8Array;
  mxcsr?: number;
  /** For register r, a check that replaces the exact comparison (undefined: compare exactly; '' : within
   *  bounds; text: the mismatch). */
  xmmApprox?: (r: number, native: Uint8Array, sim: Uint8Array) => string | undefined;
}

/** IA-32e compatibility mode (gen32.ts): only EAX..EDI, no 64-bit operand size, no REX (so 8-bit
 *  registers 4-7 are AH..BH), 32-bit addressing. Set while generate32() builds its cases. */
let compat32 = false;
export function setCompat32(on: boolean): void { compat32 = on; }

/** Per-case builder state. */
export class Ctx {
  readonly gpr: bigint[] = [];
  rflags: number;
  readonly memSeed: bigint;
  private win: Uint8Array;
  patch: { off: number; bytes: Uint8Array } | undefined;
  /** Registers an address depends on (never chosen as an operand whose value a fixup sets). */
  readonly pinned = new Set<number>();
  /** Registers the instruction uses implicitly (never used for addressing). */
  readonly implicit = new Set<number>();
  /** Only AL..BH/AH..BH and no REX: lets the generator use AH, CH, DH, BH. */
  legacy8 = compat32;
  /** Built for a 32-bit code segment (see setCompat32). */
  readonly compat = compat32;
  undefFlags = 0;
  readonly gprMask: bigint[] = new Array<bigint>(16).fill(M64);
  readonly memIgnore: [number, number][] = [];
  readonly notes: string[] = [];
  readonly tags: string[] = [];

  constructor(readonly rng: Rng) {
    for (let i = 0; i < 16; i++) this.gpr.push(interesting(rng, rng.pick([8, 16, 32, 64] as const)));
    let f = 0;
    for (const b of [CF, PF, AF, ZF, SF, OF]) if (rng.chance(0.5)) f |= b;
    this.rflags = f;
    this.memSeed = rng.u64();
    this.win = fillWindow(this.memSeed);
  }

  private regChoices(size: Size, exclude: readonly number[]): number[] {
    const out: number[] = [];
    const lim = (size === 8 && this.legacy8) || this.compat ? 8 : 16;
    for (let i = 0; i < lim; i++) if (!this.pinned.has(i) && !exclude.includes(i)) out.push(i);
    return out;
  }

  /** A register operand. In legacy8 mode indices 4-7 name AH, CH, DH, BH (register 0-3, bits 8-15). */
  reg(size: Size, exclude: readonly number[] = []): RegOp {
    if (size === 8 && this.legacy8) {
      const code = this.rng.pick(this.regChoices(8, exclude.map((e) => e)).filter((c) => c < 8));
      if (code >= 4) return { k: 'reg', idx: code - 4, size, high: true, text: R8H[code - 4]! };
      return { k: 'reg', idx: code, size, high: false, text: R8[code]! };
    }
    const idx = this.rng.pick(this.regChoices(size, exclude));
    return { k: 'reg', idx, size, high: false, text: NAMES[size][idx]! };
  }

  fixedReg(idx: number, size: Size, high = false): RegOp {
    return { k: 'reg', idx, size, high, text: high ? R8H[idx]! : NAMES[size][idx]! };
  }

  /** A memory operand of `size` bytes somewhere in window[lo, hi). */
  mem(size: Size, lo = 0x40, hi = 0x1c0, ptr = true, align = 1): MemOp {
    const bytes = size / 8;
    let off = this.rng.range(lo, hi - bytes);
    off -= off % align;
    const target = BigInt(SCRATCH_ADDR + off);
    const usable: number[] = [];
    for (let i = 0; i < 16; i++) {
      if (this.implicit.has(i) || this.pinned.has(i)) continue;
      if ((this.legacy8 || this.compat) && i >= 8) continue;
      usable.push(i);
    }
    const addr32 = this.compat || this.rng.chance(0.1);
    const base = this.rng.pick(usable);
    const disp = this.rng.pick([0, this.rng.range(-128, 127), this.rng.range(-0x300, 0x300)]);
    let text: string;
    let baseVal = target - BigInt(disp);
    const indexChoices = usable.filter((i) => i !== base && i !== RSP);
    const names = addr32 ? R32 : R64;
    if (this.rng.chance(0.3) && indexChoices.length) {
      const index = this.rng.pick(indexChoices);
      const scale = this.rng.pick([1, 2, 4, 8]);
      const iv = BigInt(this.rng.range(-16, 16));
      baseVal -= iv * BigInt(scale);
      this.gpr[index] = addr32 ? (this.rng.u64() & 0xffffffff00000000n) | (iv & 0xffffffffn) : iv & M64;
      this.pinned.add(index);
      text = `[${names[base]}+${names[index]}*${scale}${disp < 0 ? '-' : '+'}${Math.abs(disp)}]`;
    } else {
      text = `[${names[base]}${disp < 0 ? '-' : '+'}${Math.abs(disp)}]`;
    }
    // With a 32-bit address size only the low 32 bits of base/index count (SDM Vol. 1 3.3.7):
    // random upper halves check the truncation.
    this.gpr[base] = addr32 ? (this.rng.u64() & 0xffffffff00000000n) | (baseVal & 0xffffffffn) : baseVal & M64;
    this.pinned.add(base);
    return { k: 'mem', size, off, text: ptr ? `${PTR[size]} ${text}` : text };
  }

  /** Register or memory operand (r/m). */
  rm(size: Size, memP = 0.35, exclude: readonly number[] = []): Op {
    return this.rng.chance(memP) ? this.mem(size) : this.reg(size, exclude);
  }

  /** Window bytes as the snippet will see them (seed fill plus patch). */
  memBytes(): Uint8Array {
    return this.win;
  }

  read(op: Op): bigint {
    if (op.k === 'reg') {
      const v = this.gpr[op.idx]!;
      return op.high ? (v >> 8n) & 0xffn : v & maskOf(op.size);
    }
    let v = 0n;
    for (let i = op.size / 8 - 1; i >= 0; i--) v = (v << 8n) | BigInt(this.win[op.off + i]!);
    return v;
  }

  /** Set an operand's input value (registers: only the operand's bits; memory: a patch over the fill). */
  write(op: Op, value: bigint): void {
    const v = value & maskOf(op.size);
    if (op.k === 'reg') {
      const cur = this.gpr[op.idx]!;
      if (op.high) this.gpr[op.idx] = (cur & ~0xff00n & M64) | (v << 8n);
      else this.gpr[op.idx] = (cur & ~maskOf(op.size) & M64) | v;
      return;
    }
    if (this.patch) throw new Error('one memory patch per case');
    const bytes = new Uint8Array(op.size / 8);
    for (let i = 0; i < bytes.length; i++) bytes[i] = Number((v >> BigInt(8 * i)) & 0xffn);
    this.patch = { off: op.off, bytes };
    this.win = new Uint8Array(this.win);
    this.win.set(bytes, op.off);
  }

  /** Mark an operand's bits undefined on completion. */
  undefOp(op: Op, why: string): void {
    if (op.k === 'reg') {
      const bits = op.high ? 0xff00n : op.size === 32 ? M64 : maskOf(op.size); // a 32-bit write zero-extends
      this.gprMask[op.idx] = this.gprMask[op.idx]! & ~bits & M64;
    } else this.memIgnore.push([op.off, op.size / 8]);
    this.notes.push(why);
  }

  undef(flags: number, why: string): void {
    this.undefFlags |= flags;
    this.notes.push(why);
  }
}

export function imm(rng: Rng, size: Size): number | bigint {
  if (size === 8) return rng.int(256);
  if (rng.chance(0.5)) return rng.range(-128, 127);
  if (size === 16) return rng.range(-32768, 32767);
  return Number(signed(interesting(rng, 32), 32));
}
export const immText = (v: number | bigint): string => (v < 0 ? `-${-BigInt(v)}` : `${v}`);
export const pickSize = (rng: Rng, sizes: readonly Size[] = [8, 16, 32, 64]): Size => rng.pick(compat32 ? sizes.filter((x) => x !== 64) : sizes);

/** Count values for shifts: boundaries of every operand size plus random bytes. */
function shiftCount(rng: Rng): number {
  return rng.chance(0.7) ? rng.pick([0, 1, 2, 3, 7, 8, 9, 15, 16, 17, 18, 31, 32, 33, 63, 64, 65, 255]) : rng.int(256);
}

export interface Form {
  family: string;
  weight: number;
  /** Builds the case into ctx; returns the assembly text and a form label. */
  build(c: Ctx): { asm: string; form: string };
}

const kindOf = (o: Op): string => (o.k === 'reg' ? `r${o.size}` : `m${o.size}`);
const LOGIC = new Set(['and', 'or', 'xor', 'test']);
const AF_LOGIC = 'AND/OR/XOR/TEST: "The state of the AF flag is undefined" (SDM Vol. 2 AND, OR, XOR, TEST)';

/** Operands for an 8-bit form may use AH..BH only when nothing needs a REX prefix. */
function maybeLegacy8(c: Ctx, size: Size): void {
  c.legacy8 = c.compat || (size === 8 && c.rng.chance(0.35));
}

export const CONDS = ['o', 'no', 'b', 'ae', 'e', 'ne', 'be', 'a', 's', 'ns', 'p', 'np', 'l', 'ge', 'le', 'g'];

export const FORMS: Form[] = [
  {
    family: 'alu',
    weight: 10,
    build(c) {
      const op = c.rng.pick(['add', 'or', 'adc', 'sbb', 'and', 'sub', 'xor', 'cmp', 'test']);
      const size = pickSize(c.rng);
      maybeLegacy8(c, size);
      const variant = c.rng.pick(op === 'test' ? ['rr', 'mr', 'ri', 'mi'] : ['rr', 'rm', 'mr', 'ri', 'mi']);
      let asm: string;
      let lock = '';
      if (variant === 'rr') {
        const a = c.reg(size), b = c.reg(size);
        const dir = op === 'test' ? '' : c.rng.pick(['{load} ', '{store} ', '']);
        asm = `${dir}${op} ${a.text}, ${b.text}`;
      } else if (variant === 'rm') {
        const m = c.mem(size);
        const a = c.reg(size);
        asm = `${op} ${a.text}, ${m.text}`;
      } else if (variant === 'mr') {
        const m = c.mem(size);
        const a = c.reg(size);
        if (op !== 'cmp' && op !== 'test' && c.rng.chance(0.3)) lock = 'lock ';
        asm = `${lock}${op} ${m.text}, ${a.text}`;
      } else {
        const d = variant === 'ri' ? c.reg(size) : c.mem(size);
        if (d.k === 'mem' && op !== 'cmp' && op !== 'test' && c.rng.chance(0.3)) lock = 'lock ';
        asm = `${lock}${op} ${d.text}, ${immText(imm(c.rng, size))}`;
      }
      if (LOGIC.has(op)) c.undef(AF, AF_LOGIC);
      return { asm, form: `${lock}${op} ${variant} ${size}` };
    },
  },
  {
    family: 'unary',
    weight: 4,
    build(c) {
      const op = c.rng.pick(['inc', 'dec', 'neg', 'not']);
      const size = pickSize(c.rng);
      maybeLegacy8(c, size);
      const d = c.rm(size);
      const lock = d.k === 'mem' && c.rng.chance(0.3) ? 'lock ' : '';
      return { asm: `${lock}${op} ${d.text}`, form: `${lock}${op} ${kindOf(d)}` };
    },
  },
  {
    family: 'shift',
    weight: 10,
    build(c) {
      const op = c.rng.pick(['rol', 'ror', 'rcl', 'rcr', 'shl', 'shr', 'sar']);
      const size = pickSize(c.rng);
      maybeLegacy8(c, size);
      const how = c.rng.pick(['1', 'imm', 'cl']);
      if (how === 'cl') c.implicit.add(RCX);
      const d = c.rm(size);
      let count: number;
      let src: string;
      if (how === '1') { count = 1; src = '1'; }
      else if (how === 'imm') { count = shiftCount(c.rng); src = String(count); }
      else {
        count = shiftCount(c.rng);
        // CL is the count; when the destination is RCX itself the count is whatever CL holds.
        if (d.k === 'reg' && d.idx === RCX && !d.high) count = Number(c.gpr[RCX]! & 0xffn);
        else c.gpr[RCX] = (c.gpr[RCX]! & ~0xffn) | BigInt(count);
        src = 'cl';
      }
      const masked = count & (size === 64 ? 0x3f : 0x1f);
      if (masked === 0 && size === 32 && d.k === 'reg') c.tags.push('count0-r32');
      const rotate = op[0] === 'r' && op !== 'rcl' && op !== 'rcr' ? 'rot' : op === 'rcl' || op === 'rcr' ? 'rc' : 'shift';
      if (masked !== 0) {
        // SDM Vol. 2 SAL/SAR/SHL/SHR, RCL/RCR/ROL/ROR "Flags Affected": OF is defined only for 1-bit
        // shifts/rotates; for a masked count of 0 no flag changes, so nothing is masked then.
        if (masked !== 1) c.undef(OF, 'OF undefined for a masked count other than 1');
        if (rotate === 'shift') {
          c.undef(AF, 'shifts: "For a non-zero count, the AF flag is undefined"');
          // "CF ... is undefined for SHL and SHR instructions where the count is greater than or equal
          //  to the size (in bits) of the destination operand" (only reachable for 8/16-bit operands).
          if (op !== 'sar' && masked >= size) c.undef(CF, 'SHL/SHR: CF undefined for count >= operand size');
        }
      }
      return { asm: `${op} ${d.text}, ${src}`, form: `${op} ${kindOf(d)}, ${how}` };
    },
  },
  {
    family: 'shxd',
    weight: 4,
    build(c) {
      const op = c.rng.pick(['shld', 'shrd']);
      const size = pickSize(c.rng, [16, 32, 64]);
      const how = c.rng.pick(['imm', 'cl']);
      if (how === 'cl') c.implicit.add(RCX);
      const d = c.rm(size);
      const s = c.reg(size);
      let count = shiftCount(c.rng);
      if (how === 'cl') {
        if ((d.k === 'reg' && d.idx === RCX) || s.idx === RCX) count = Number(c.gpr[RCX]! & 0xffn);
        else c.gpr[RCX] = (c.gpr[RCX]! & ~0xffn) | BigInt(count);
      }
      const masked = count & (size === 64 ? 0x3f : 0x1f);
      if (masked === 0 && size === 32 && d.k === 'reg') c.tags.push('count0-r32');
      // SDM Vol. 2 SHLD/SHRD: count masked to 5 (6 with REX.W) bits; 0 changes nothing. "If the count
      // is greater than the operand size, the result is undefined" and so are the flags (16-bit only).
      // Otherwise: OF defined for 1-bit shifts only, AF undefined whenever a shift occurs.
      if (masked > size) {
        c.undef(ARITH, 'SHLD/SHRD: flags undefined for count > operand size');
        c.undefOp(d, 'SHLD/SHRD: result undefined for count > operand size');
      } else if (masked !== 0) {
        c.undef(AF, 'SHLD/SHRD: AF undefined when a shift occurs');
        if (masked !== 1) c.undef(OF, 'SHLD/SHRD: OF undefined for shifts of more than 1 bit');
      }
      return { asm: `${op} ${d.text}, ${s.text}, ${how === 'cl' ? 'cl' : count}`, form: `${op} ${kindOf(d)}, r${size}, ${how}` };
    },
  },
  {
    family: 'mul',
    weight: 6,
    build(c) {
      const v = c.rng.pick(['mul', 'imul1', 'imul2', 'imul3']);
      // SDM Vol. 2 MUL and IMUL: "The SF, ZF, AF, and PF flags are undefined"; CF/OF defined.
      c.undef(SF | ZF | AF | PF, 'MUL/IMUL: SF, ZF, AF, PF undefined');
      if (v === 'mul' || v === 'imul1') {
        c.implicit.add(RAX).add(RDX);
        const size = pickSize(c.rng);
        maybeLegacy8(c, size);
        const s = c.rm(size);
        return { asm: `${v === 'mul' ? 'mul' : 'imul'} ${s.text}`, form: `${v} ${kindOf(s)}` };
      }
      const size = pickSize(c.rng, [16, 32, 64]);
      const s = c.rm(size);
      const d = c.reg(size);
      if (v === 'imul2') return { asm: `imul ${d.text}, ${s.text}`, form: `imul r${size}, ${kindOf(s)}` };
      return { asm: `imul ${d.text}, ${s.text}, ${immText(imm(c.rng, size))}`, form: `imul r${size}, ${kindOf(s)}, imm` };
    },
  },
  {
    family: 'div',
    weight: 6,
    build(c) {
      const op = c.rng.pick(['div', 'idiv']);
      const size = pickSize(c.rng);
      maybeLegacy8(c, size);
      c.implicit.add(RAX).add(RDX);
      const s = c.rm(size);
      // Dividend: AX for 8-bit, else rDX:rAX (SDM Vol. 2 DIV, Table 3-15).
      const lo = size === 8 ? c.fixedReg(RAX, 8) : c.fixedReg(RAX, size);
      const hi = size === 8 ? c.fixedReg(RAX, 8, true) : c.fixedReg(RDX, size);
      const aliased = s.k === 'reg' && (s.idx === RAX || (size !== 8 && s.idx === RDX));
      const scenario = c.rng.chance(0.8) ? 'ok' : c.rng.chance(0.5) ? 'zero' : 'random';
      if (!aliased) {
        if (scenario === 'zero') c.write(s, 0n);
        else if (scenario === 'ok') {
          let d = c.read(s);
          if (d === 0n) { d = 3n; c.write(s, d); }
          if (op === 'div') c.write(hi, (c.rng.u64() & maskOf(size)) % d);
          else {
            // Sign-extended dividend: the quotient fits unless dividend = MIN and divisor = -1.
            c.write(hi, signed(c.read(lo), size) < 0n ? maskOf(size) : 0n);
          }
        }
      }
      // SDM Vol. 2 DIV/IDIV: "The CF, OF, SF, ZF, AF, and PF flags are undefined." (#DE leaves them intact.)
      c.undef(ARITH, 'DIV/IDIV: all status flags undefined');
      return { asm: `${op} ${s.text}`, form: `${op} ${kindOf(s)} ${scenario}` };
    },
  },
  {
    family: 'bit',
    weight: 6,
    build(c) {
      const op = c.rng.pick(['bt', 'bts', 'btr', 'btc']);
      const size = pickSize(c.rng, [16, 32, 64]);
      const viaReg = c.rng.chance(0.5);
      let d: Op;
      let src: string;
      if (viaReg) {
        // Register bit offset: for a memory operand it is a signed offset of any size (SDM Vol. 2 BT,
        // "bit string"); keep it within +-0x400 bits so the access stays inside the window.
        const r = c.reg(size);
        c.pinned.add(r.idx);
        d = c.rng.chance(0.5) ? c.mem(size, 0x90, 0x170) : c.reg(size);
        if (d.k === 'mem') c.write(r, BigInt(c.rng.range(-0x400, 0x3ff)));
        src = r.text;
      } else {
        d = c.rm(size, 0.5);
        src = String(c.rng.pick([0, 1, size - 1, size, size + 1, c.rng.int(256)]));
      }
      const lock = d.k === 'mem' && op !== 'bt' && c.rng.chance(0.3) ? 'lock ' : '';
      // SDM Vol. 2 BT/BTS/BTR/BTC: "The ZF flag is unaffected. The OF, SF, AF, and PF flags are undefined."
      c.undef(OF | SF | AF | PF, 'BT*: OF, SF, AF, PF undefined');
      return { asm: `${lock}${op} ${d.text}, ${src}`, form: `${lock}${op} ${kindOf(d)}, ${viaReg ? 'r' : 'imm'}` };
    },
  },
  {
    family: 'bsx',
    weight: 4,
    build(c) {
      const op = c.rng.pick(['bsf', 'bsr']);
      const size = pickSize(c.rng, [16, 32, 64]);
      const s = c.rm(size);
      const d = c.reg(size);
      const r = c.rng.int(10);
      if (r < 2) c.write(s, 0n);
      else if (r < 4) c.write(s, 1n << BigInt(c.rng.int(size)));
      // SDM Vol. 2 BSF/BSR: "The ZF flag is set to 1 if the source operand is 0; otherwise cleared.
      // The CF, OF, SF, AF, and PF flags are undefined." and for a zero source "the content of the
      // destination operand is undefined".
      c.undef(CF | OF | SF | AF | PF, 'BSF/BSR: only ZF defined');
      if (c.read(s) === 0n) c.undefOp(d, 'BSF/BSR: destination undefined for a zero source');
      return { asm: `${op} ${d.text}, ${s.text}`, form: `${op} r${size}, ${kindOf(s)}` };
    },
  },
  {
    family: 'setcc',
    weight: 3,
    build(c) {
      maybeLegacy8(c, 8);
      const cc = c.rng.pick(CONDS);
      const d = c.rm(8);
      return { asm: `set${cc} ${d.text}`, form: `set${cc} ${kindOf(d)}` };
    },
  },
  {
    family: 'cmov',
    weight: 4,
    build(c) {
      const cc = c.rng.pick(CONDS);
      const size = pickSize(c.rng, [16, 32, 64]);
      const s = c.rm(size);
      const d = c.reg(size);
      return { asm: `cmov${cc} ${d.text}, ${s.text}`, form: `cmov${cc} r${size}, ${kindOf(s)}` };
    },
  },
  {
    family: 'xadd',
    weight: 3,
    build(c) {
      const size = pickSize(c.rng);
      maybeLegacy8(c, size);
      const d = c.rm(size, 0.5);
      const s = c.reg(size);
      const lock = d.k === 'mem' && c.rng.chance(0.5) ? 'lock ' : '';
      return { asm: `${lock}xadd ${d.text}, ${s.text}`, form: `${lock}xadd ${kindOf(d)}, r${size}` };
    },
  },
  {
    family: 'cmpxchg',
    weight: 4,
    build(c) {
      const size = pickSize(c.rng);
      maybeLegacy8(c, size);
      c.implicit.add(RAX);
      const d = c.rm(size, 0.5);
      const s = c.reg(size);
      const acc = c.fixedReg(RAX, size);
      // Half the cases take the equal (store) path.
      if (c.rng.chance(0.5) && !(d.k === 'reg' && d.high)) c.write(acc, c.read(d));
      const lock = d.k === 'mem' && c.rng.chance(0.5) ? 'lock ' : '';
      return { asm: `${lock}cmpxchg ${d.text}, ${s.text}`, form: `${lock}cmpxchg ${kindOf(d)}, r${size}` };
    },
  },
  {
    family: 'bswap',
    weight: 1,
    build(c) {
      // 16-bit BSWAP is excluded: "When the BSWAP instruction references a 16-bit register, the
      // result is undefined" (SDM Vol. 2 BSWAP).
      const d = c.reg(pickSize(c.rng, [32, 64]));
      return { asm: `bswap ${d.text}`, form: `bswap r${d.size}` };
    },
  },
  {
    family: 'movx',
    weight: 4,
    build(c) {
      const which = c.rng.pick(['movzx', 'movsx', 'movsxd']);
      if (which === 'movsxd') {
        const s = c.rm(32);
        const d = c.reg(64);
        return { asm: `movsxd ${d.text}, ${s.text}`, form: `movsxd r64, ${kindOf(s)}` };
      }
      const ss = c.rng.pick([8, 16] as const);
      const ds = c.rng.pick(ss === 8 ? ([16, 32, 64] as const) : ([32, 64] as const));
      // AH..BH sources need an instruction without REX: destination among the first eight, not 64-bit.
      if (ss === 8 && ds !== 64 && c.rng.chance(0.4)) {
        c.legacy8 = true;
        const s = c.rm(8);
        const d = c.fixedReg(c.rng.int(8), ds);
        return { asm: `${which} ${d.text}, ${s.text}`, form: `${which} r${ds}, ${kindOf(s)} legacy` };
      }
      const s = c.rm(ss);
      const d = c.reg(ds);
      return { asm: `${which} ${d.text}, ${s.text}`, form: `${which} r${ds}, ${kindOf(s)}` };
    },
  },
  {
    family: 'lea',
    weight: 4,
    build(c) {
      const size = pickSize(c.rng, [16, 32, 64]);
      const d = c.reg(size);
      const a32 = c.rng.chance(0.3);
      const names = a32 ? R32 : R64;
      const disp = c.rng.pick([0, c.rng.range(-128, 127), Number(signed(interesting(c.rng, 32), 32))]);
      const ds = `${disp < 0 ? '-' : '+'}${Math.abs(disp)}`;
      const base = c.rng.int(16);
      const index = c.rng.pick([0, 1, 2, 3, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]);
      const scale = c.rng.pick([1, 2, 4, 8]);
      let addr: string;
      const g = (r: number): bigint => c.gpr[r]!;
      let ea: bigint | undefined; // undefined: RIP-relative (always canonical here)
      switch (c.rng.int(5)) {
        case 0: addr = `[${names[base]}]`; ea = g(base); break;
        case 1: addr = `[${names[base]}${ds}]`; ea = g(base) + BigInt(disp); break;
        case 2: addr = `[${names[base]}+${names[index]}*${scale}${ds}]`; ea = g(base) + g(index) * BigInt(scale) + BigInt(disp); break;
        case 3: addr = `[${names[index]}*${scale}${ds}]`; ea = g(index) * BigInt(scale) + BigInt(disp); break;
        default: addr = a32 ? `[eip${ds}]` : `[rip${ds}]`;
      }
      // LEA never accesses memory, so a non-canonical effective address is just a number (SDM Vol. 2 LEA).
      if (ea !== undefined && !a32) {
        const top = BigInt.asUintN(64, ea) >> 47n;
        if (top !== 0n && top !== 0x1ffffn) c.tags.push('lea-noncanonical-ea');
      }
      return { asm: `lea ${d.text}, ${addr}`, form: `lea r${size}, a${a32 ? 32 : 64}` };
    },
  },
  {
    family: 'xchg',
    weight: 2,
    build(c) {
      const size = pickSize(c.rng);
      maybeLegacy8(c, size);
      const d = c.rm(size, 0.4);
      const s = c.reg(size);
      return { asm: `xchg ${d.text}, ${s.text}`, form: `xchg ${kindOf(d)}, r${size}` };
    },
  },
  {
    family: 'cwd',
    weight: 1,
    build(c) {
      const op = c.rng.pick(['cbw', 'cwde', 'cdqe', 'cwd', 'cdq', 'cqo']);
      return { asm: op, form: op };
    },
  },
  {
    family: 'string',
    weight: 4,
    build(c) {
      const op = c.rng.pick(['movs', 'stos', 'lods', 'cmps', 'scas']);
      const sfx = c.rng.pick(['b', 'w', 'd', 'q']);
      const width = { b: 1, w: 2, d: 4, q: 8 }[sfx]!;
      const rep = op === 'cmps' || op === 'scas' ? c.rng.pick(['', 'repe ', 'repne ']) : c.rng.pick(['', 'rep ']);
      const n = c.rng.pick([0, 1, 2, 3, c.rng.int(13)]);
      if (c.rng.chance(0.5)) c.rflags |= DF;
      // RSI/RDI far enough from the window's edges for n elements in either direction.
      const src = c.rng.range(0x70, 0x90);
      const dst = c.rng.chance(0.2) ? src + c.rng.range(-8, 8) : c.rng.range(0x130, 0x150);
      c.gpr[RSI] = BigInt(SCRATCH_ADDR + src);
      c.gpr[RDI] = BigInt(SCRATCH_ADDR + dst);
      if (rep) c.gpr[RCX] = BigInt(n);
      else if (c.rng.chance(0.5)) c.gpr[RCX] = c.rng.u64();
      if ((op === 'cmps' || op === 'scas') && c.rng.chance(0.5)) {
        // Make the first 8 bytes the destination string walks over equal to the source (CMPS) or
        // to the accumulator pattern (SCAS) so REPE runs for more than one element.
        const down = (c.rflags & DF) !== 0;
        const at = (p: number): number => (down ? p - 8 + width : p);
        const m = c.memBytes();
        let v = 0n;
        for (let i = 7; i >= 0; i--) {
          const b = op === 'cmps' ? m[at(src) + i]! : Number((c.gpr[RAX]! >> BigInt(8 * (i % width))) & 0xffn);
          v = (v << 8n) | BigInt(b);
        }
        c.write({ k: 'mem', size: 64, off: at(dst), text: '' }, v);
      }
      return { asm: `${rep}${op}${sfx}`, form: `${rep}${op}${sfx}${c.rflags & DF ? ' DF=1' : ''}` };
    },
  },
  {
    family: 'prefixes',
    weight: 3,
    build(c) {
      // Prefixes that must not change an ALU instruction in 64-bit mode: CS/DS/ES/SS overrides are
      // ignored (SDM Vol. 1 3.3.7.1); 66H is ignored when REX.W is set (SDM Vol. 2 2.2.1.2); a REX
      // that does not immediately precede the opcode is ignored (SDM Vol. 2 2.2.1); repeated 66H is
      // one override. Too many prefixes make the instruction longer than 15 bytes: #GP(0) (SDM Vol. 2 2.3.11).
      const op = c.rng.pick(['add', 'or', 'adc', 'sbb', 'and', 'sub', 'xor', 'cmp']);
      const size = pickSize(c.rng, [16, 32, 64]);
      const variant = c.rng.pick(['rr', 'ri', 'mr', 'rm']);
      let inner: string;
      if (variant === 'rr') inner = `${op} ${c.reg(size).text}, ${c.reg(size).text}`;
      else if (variant === 'ri') inner = `${op} ${c.reg(size).text}, ${immText(imm(c.rng, size))}`;
      else {
        const m = c.mem(size);
        const r = c.reg(size);
        inner = variant === 'mr' ? `${op} ${m.text}, ${r.text}` : `${op} ${r.text}, ${m.text}`;
      }
      const pre: number[] = [];
      const seg = (): number => c.rng.pick([0x2e, 0x26, 0x36, 0x3e]);
      for (let n = c.rng.int(3); n > 0; n--) pre.push(seg());
      if (size !== 32 && c.rng.chance(0.5)) pre.push(0x66);
      if (c.rng.chance(0.4)) {
        pre.push(0x40 | c.rng.int(16), seg()); // stray REX, then a legacy prefix
        c.tags.push('stray-rex');
      }
      if (c.rng.chance(0.05)) for (let n = 0; n < 10; n++) pre.push(seg()); // > 15 bytes
      if (LOGIC.has(op)) c.undef(AF, AF_LOGIC);
      const bytes = pre.length ? `.byte ${pre.map((b) => `0x${b.toString(16)}`).join(', ')}; ` : '';
      return { asm: `${bytes}${inner}`, form: `${pre.map((b) => b.toString(16)).join(' ')} ${op} ${variant} ${size}` };
    },
  },
  {
    family: 'invalid64',
    weight: 1,
    build(c) {
      // Opcodes that are invalid in 64-bit mode ("i64" in SDM Vol. 2 Table A-2) and UD2: #UD.
      const enc = c.rng.pick([
        [0x06], [0x07], [0x0e], [0x16], [0x17], [0x1e], [0x1f], [0x27], [0x2f], [0x37], [0x3f], [0x60], [0x61],
        [0x82, 0xc0, 0x01], [0x9a, 1, 2, 3, 4, 5, 6], [0xce], [0xd4, 0x0a], [0xd5, 0x0a], [0xea, 1, 2, 3, 4, 5, 6], [0x0f, 0x0b],
      ]);
      return { asm: `.byte ${enc.map((b) => `0x${b.toString(16)}`).join(', ')}`, form: `#UD ${enc[0]!.toString(16)}` };
    },
  },
  {
    family: 'bitcount',
    weight: 2,
    build(c) {
      // POPCNT (CPUID.01H:ECX[23]) and LZCNT (CPUID.80000001H:ECX[5]); both advertised by the
      // simulator. TZCNT needs BMI1, which the simulator does not advertise (F3 0F BC is BSF there).
      const op = c.rng.pick(['popcnt', 'lzcnt']);
      const size = pickSize(c.rng, [16, 32, 64]);
      const s = c.rm(size);
      const d = c.reg(size);
      if (c.rng.chance(0.2)) c.write(s, 0n);
      // SDM Vol. 2 POPCNT: OF, SF, ZF, AF, CF, PF cleared, ZF set for a zero source (all defined).
      // LZCNT: "ZF flag is set to 1 in case of zero output ... CF flag is set to 1 if input was zero
      // and cleared otherwise. OF, SF, PF and AF flags are undefined."
      if (op === 'lzcnt') c.undef(OF | SF | PF | AF, 'LZCNT: OF, SF, PF, AF undefined');
      return { asm: `${op} ${d.text}, ${s.text}`, form: `${op} r${size}, ${kindOf(s)}` };
    },
  },
  {
    family: 'flagops',
    weight: 1,
    build(c) {
      // LAHF/SAHF (valid in 64-bit mode with CPUID.80000001H:ECX[0]), CMC/CLC/STC/CLD/STD: all defined.
      const op = c.rng.pick(['lahf', 'sahf', 'cmc', 'clc', 'stc', 'cld', 'std', 'lahf; sahf', 'sahf; lahf']);
      if (c.rng.chance(0.3)) c.rflags |= DF;
      return { asm: op, form: op };
    },
  },
  {
    family: 'cmpxchg8b',
    weight: 2,
    build(c) {
      // CMPXCHG8B/16B m64/m128 (SDM Vol. 2): compares rDX:rAX with the operand; equal stores rCX:rBX
      // (ZF=1), else loads the operand into rDX:rAX (ZF=0); other flags unaffected. A misaligned
      // m128 is #GP(0).
      const wide = c.rng.chance(0.5);
      for (const r of [RAX, RCX, RDX, 3]) c.implicit.add(r);
      const m = c.mem(64, 0x40, 0x1c0 - 8, false, wide && c.rng.chance(0.85) ? 16 : 1);
      const win = c.memBytes();
      const q = (o: number): bigint => {
        let v = 0n;
        for (let i = 7; i >= 0; i--) v = (v << 8n) | BigInt(win[o + i]!);
        return v;
      };
      if (c.rng.chance(0.5)) {
        if (wide) { c.gpr[RAX] = q(m.off); c.gpr[RDX] = q(m.off + 8); }
        else { c.gpr[RAX] = (c.gpr[RAX]! & ~0xffffffffn & M64) | (q(m.off) & 0xffffffffn); c.gpr[RDX] = (c.gpr[RDX]! & ~0xffffffffn & M64) | (q(m.off) >> 32n); }
      }
      const lock = c.rng.chance(0.5) ? 'lock ' : '';
      return { asm: `${lock}cmpxchg${wide ? '16b xmmword' : '8b qword'} ptr ${m.text}`, form: `${lock}cmpxchg${wide ? '16b' : '8b'}` };
    },
  },
  {
    family: 'branch',
    weight: 3,
    build(c) {
      // Jcc (rel8 and, with {disp32}, rel32), LOOP/LOOPE/LOOPNE, JRCXZ/JECXZ, with 32-bit address size
      // (67H: ECX is the counter). Taken or not shows in RDX.
      const kind = c.rng.pick(['jcc', 'loop', 'jrcxz', 'back']);
      c.gpr[RCX] = c.rng.pick([0n, 1n, 2n, 0x100000000n, 0xffffffff00000001n, interesting(c.rng, 64)]);
      if (kind === 'jcc') {
        const cc = c.rng.pick(CONDS);
        const near = c.rng.chance(0.4) ? '{disp32} ' : '';
        return { asm: `${near}j${cc} 1f; add edx, 7; 1: add edx, 1`, form: `j${cc}${near ? ' rel32' : ''}` };
      }
      if (kind === 'loop') {
        const op = c.rng.pick(['loop', 'loope', 'loopne']);
        const a32 = c.rng.chance(0.3) ? 'addr32 ' : '';
        return { asm: `${a32}${op} 1f; add edx, 7; 1: add edx, 1`, form: `${a32}${op}` };
      }
      if (kind === 'jrcxz') {
        const op = c.rng.pick(['jrcxz', 'jecxz']);
        return { asm: `${op} 1f; add edx, 7; 1: add edx, 1`, form: op };
      }
      const op = c.rng.pick(['loop', 'dec ecx; jnz', 'sub rcx, 1; jnz']);
      // Small counts; upper RCX bits only where the loop counts in ECX.
      c.gpr[RCX] = BigInt(c.rng.range(1, 6)) | (op.startsWith('dec') && c.rng.chance(0.5) ? 0xabcd00000000n : 0n);
      return { asm: `2: add edx, 3; ${op} 2b`, form: `backward ${op}` };
    },
  },
  {
    family: 'stack',
    weight: 4,
    build(c) {
      // PUSH/POP/CALL/RET/ENTER/LEAVE/PUSHF/POPF with RSP inside the shared window.
      c.implicit.add(RSP);
      const sp = SCRATCH_ADDR + 0x100 + c.rng.range(-0x10, 0x10) * (c.rng.chance(0.7) ? 8 : 1);
      c.gpr[RSP] = BigInt(sp);
      const r64 = (): string => c.reg(64, [RSP]).text;
      const r16 = (): string => c.reg(16, [RSP]).text;
      const op = c.rng.int(14);
      let asm: string;
      switch (op) {
        case 0: asm = `push ${r64()}`; break;
        case 1: asm = `pop ${r64()}`; break;
        case 2: asm = `push ${r16()}`; break;
        case 3: asm = `pop ${r16()}`; break;
        case 4: asm = `push ${immText(c.rng.chance(0.5) ? c.rng.range(-128, 127) : Number(signed(interesting(c.rng, 32), 32)))}`; break;
        case 5: asm = c.rng.chance(0.5) ? 'push rsp' : 'pop rsp'; break;
        // POP with an RSP-based destination uses RSP after the increment (SDM Vol. 2 POP).
        case 6: asm = `pop qword ptr [rsp+${c.rng.pick([0, 8, 16, -8])}]`.replace('+-', '-'); break;
        case 7: asm = `push qword ptr [rsp+${c.rng.pick([0, 8, 16])}]`; break;
        case 8: asm = `call 1f; ud2; 1: pop ${r64()}`; break;
        case 9: {
          const r = r64();
          asm = `lea ${r}, [rip+1f]; push ${r}; lea ${r}, [rip+2f]; push ${r}; ret${c.rng.chance(0.5) ? ' 8' : ''}; ud2; 2: add ecx, 5; 1:`;
          break;
        }
        case 10: {
          c.gpr[5] = BigInt(SCRATCH_ADDR + 0x100 + c.rng.range(-0x10, 0x10) * 8); // RBP inside the window
          asm = c.rng.chance(0.5) ? 'leave' : `enter ${c.rng.pick([0, 8, 16, 0x28])}, ${c.rng.pick([0, 1, 2, 3])}`;
          break;
        }
        case 11: asm = 'pushfq; pop rax'; break;
        case 12: {
          // Only status flags and DF through POPF: TF/AC/IF would differ between a CPL3 host process and
          // the CPL0 simulator (SDM Vol. 2 POPF, Table 4-16).
          const v = c.rng.u64() & BigInt(ARITH | DF);
          asm = `push ${Number(v) | 0x202}; popfq`;
          break;
        }
        default: asm = `push ${r64()}; pop ${r64()}`;
      }
      return { asm, form: asm.replace(/[re]?[a-z0-9]+[wdb]?(?=[;,\]]|$)/g, (x) => (R64.includes(x) || R16.includes(x) ? 'r' : x)).replace(/-?\d+/g, 'n') };
    },
  },
  {
    family: 'mov',
    weight: 3,
    build(c) {
      const k = c.rng.int(5);
      const size = pickSize(c.rng);
      maybeLegacy8(c, size);
      if (k === 0) {
        const d = c.rm(size);
        return { asm: `mov ${d.text}, ${immText(imm(c.rng, size))}`, form: `mov ${kindOf(d)}, imm` };
      }
      if (k === 1) {
        const d = c.reg(64);
        return { asm: `movabs ${d.text}, ${c.rng.u64()}`, form: 'movabs r64, imm64' };
      }
      if (k === 2) {
        // MOV with a 64-bit absolute address (A0-A3 moffs64), accumulator only.
        const acc = c.fixedReg(RAX, size);
        const off = c.rng.range(0x40, 0x1c0 - size / 8);
        const a = `0x${(SCRATCH_ADDR + off).toString(16)}`;
        return c.rng.chance(0.5) ? { asm: `movabs ${acc.text}, [${a}]`, form: `movabs acc${size}, moffs` } : { asm: `movabs [${a}], ${acc.text}`, form: `movabs moffs, acc${size}` };
      }
      if (k === 3) {
        // XLAT: AL = [RBX + AL] (zero-extended AL, SDM Vol. 2 XLAT).
        c.gpr[3] = BigInt(SCRATCH_ADDR + c.rng.range(0, 0x100));
        return { asm: 'xlat', form: 'xlat' };
      }
      const a = c.reg(size), b = c.rm(size);
      return { asm: c.rng.chance(0.5) || b.k === 'mem' ? `mov ${a.text}, ${b.text}` : `{load} mov ${a.text}, ${b.text}`, form: `mov r${size}, ${kindOf(b)}` };
    },
  },
  {
    family: 'riprel',
    weight: 2,
    build(c) {
      // RIP-relative ALU operands (SDM Vol. 2 2.2.1.6): hand-encoded so the displacement lands in the
      // window: EA = address of the next instruction + disp32.
      const ops = [0x00, 0x08, 0x10, 0x18, 0x20, 0x28, 0x30, 0x38]; // add or adc sbb and sub xor cmp
      const base = c.rng.pick(ops);
      const dirLoad = c.rng.chance(0.5);
      const w = c.rng.chance(0.5);
      const reg = c.rng.int(16);
      const rex = 0x40 | (w ? 8 : 0) | (reg >= 8 ? 4 : 0);
      const code = [...(rex !== 0x40 ? [rex] : []), base | (dirLoad ? 3 : 1), ((reg & 7) << 3) | 5];
      const len = code.length + 4;
      const target = SCRATCH_ADDR + c.rng.range(0x40, 0x1b8);
      const disp = target - (0x200000 + len);
      for (let i = 0; i < 4; i++) code.push((disp >> (8 * i)) & 0xff);
      if (base === 0x20 || base === 0x08 || base === 0x30) c.undef(AF, AF_LOGIC);
      return { asm: `.byte ${code.map((b) => `0x${b.toString(16)}`).join(', ')}`, form: `riprel ${base.toString(16)}${dirLoad ? ' load' : ' store'} ${w ? 64 : 32}` };
    },
  },
  {
    family: 'pagecross',
    weight: 2,
    build(c) {
      // Accesses running from the window's last bytes into the unmapped page after it: #PF with
      // CR2 = first byte of that page, W/R from the access, and no partial store (a faulting
      // instruction changes no architectural state, SDM Vol. 3 7.5 "Faults"). REP string
      // instructions fault in the middle with RCX/RSI/RDI describing the completed iterations
      // (SDM Vol. 2 REP: "...the registers are updated as if the instruction ... stopped").
      const k = c.rng.int(4);
      const size = pickSize(c.rng, [16, 32, 64]);
      const bytes = size / 8;
      if (k === 3) {
        const op = c.rng.pick(['stos', 'movs', 'lods']);
        const sfx = c.rng.pick(['b', 'w', 'd', 'q']);
        const width = { b: 1, w: 2, d: 4, q: 8 }[sfx]!;
        const fit = c.rng.range(1, 6); // elements before the end of the window
        const start = WINDOW - width * fit + (c.rng.chance(0.3) ? 1 : 0);
        c.gpr[RCX] = BigInt(fit + c.rng.range(1, 6));
        c.gpr[RDI] = BigInt(SCRATCH_ADDR + (op === 'lods' ? 0x40 : start));
        c.gpr[RSI] = BigInt(SCRATCH_ADDR + (op === 'lods' ? start : 0x40));
        return { asm: `rep ${op}${sfx}`, form: `rep ${op}${sfx} crossing` };
      }
      const m = c.mem(size, WINDOW - bytes + 1, WINDOW + bytes - 1);
      const r = c.reg(size);
      if (k === 0) return { asm: `mov ${m.text}, ${r.text}`, form: `store m${size} crossing` };
      if (k === 1) return { asm: `mov ${r.text}, ${m.text}`, form: `load m${size} crossing` };
      const op = c.rng.pick(['add', 'lock add', 'xchg', 'inc', 'lock xadd', 'cmpxchg', 'bts', 'cmp']);
      const src = op === 'bts' ? String(c.rng.int(size)) : r.text; // an immediate bit offset stays in the operand
      if (op !== 'cmp') c.tags.push('rmw-pagecross');
      return { asm: op === 'inc' ? `inc ${m.text}` : `${op} ${m.text}, ${src}`, form: `${op} m${size} crossing` };
    },
  },
  {
    family: 'lock-ud',
    weight: 1,
    build(c) {
      // A LOCK prefix on a form without a memory destination (or on a non-lockable instruction) is
      // #UD (SDM Vol. 2 LOCK: "...otherwise an invalid-opcode exception (#UD) may be generated").
      const size = pickSize(c.rng, [16, 32, 64]);
      const a = c.reg(size), b = c.reg(size);
      // GNU as encodes XCHG with AX/EAX/RAX as 90+r (except XCHG EAX, EAX, which needs 87 C0).
      const shortXchg = (a.idx === 0 || b.idx === 0) && !(size === 32 && a.idx === 0 && b.idx === 0);
      const insn = c.rng.pick([`add ${a.text}, ${b.text}`, `xadd ${a.text}, ${b.text}`, `cmpxchg ${a.text}, ${b.text}`,
        `bts ${a.text}, ${b.text}`, `inc ${a.text}`, `not ${a.text}`, `xchg ${a.text}, ${b.text}`, `mov ${a.text}, ${b.text}`,
        `lea ${a.text}, [rax+8]`, `cmp ${a.text}, ${b.text}`]);
      if (insn.startsWith('xchg') && shortXchg) c.tags.push('lock-90');
      return { asm: `.byte 0xf0; ${insn}`, form: `lock ${insn.split(' ')[0]} reg` };
    },
  },
];

export interface GenOptions {
  seed: bigint;
  count: number;
  /** Families to leave out (see KNOWN_SIM_BUGS in the test). */
  exclude?: readonly string[];
  only?: readonly string[];
  /** Cases carrying any of these tags are drawn again (see KNOWN_SIM_BUGS in the test). */
  avoidTags?: readonly string[];
  /** Filled with how many cases each avoided tag removed. */
  avoided?: Map<string, number>;
}

export function generate(opts: GenOptions): GenCase[] {
  return generateFrom(FORMS, opts);
}

/**
 * Draw opts.count cases from `forms` (weighted, one forked RNG per case so a case depends only on the seed
 * and its index). `rewriteAsm` adapts a form's text (16-bit code drops its size overrides); `extra` is
 * merged into every case (the 32-bit generator marks its cases compat32/code16/ss16).
 */
export function generateFrom(forms: readonly Form[], opts: GenOptions, rewriteAsm?: (asm: string) => string, extra?: Partial<GenCase>): GenCase[] {
  const usable = forms.filter((f) => !(opts.exclude ?? []).includes(f.family) && (!opts.only || opts.only.includes(f.family)));
  const total = usable.reduce((a, f) => a + f.weight, 0);
  const root = new Rng(opts.seed);
  const out: GenCase[] = [];
  for (let i = 0; i < opts.count; i++) {
    const rng = root.fork();
    let w = rng.int(total);
    let form = usable[0]!;
    for (const f of usable) {
      if (w < f.weight) { form = f; break; }
      w -= f.weight;
    }
    const c = new Ctx(rng);
    const built = form.build(c);
    const asm = rewriteAsm ? rewriteAsm(built.asm) : built.asm;
    const hit = c.tags.find((t) => opts.avoidTags?.includes(t));
    if (hit) {
      opts.avoided?.set(hit, (opts.avoided.get(hit) ?? 0) + 1);
      i--; // draw another case in its place
      continue;
    }
    out.push({
      family: form.family, form: built.form, asm,
      gpr: c.gpr.slice(), rflags: c.rflags, memSeed: c.memSeed, patch: c.patch,
      undefFlags: c.undefFlags, gprMask: c.gprMask.slice(), memIgnore: c.memIgnore.slice(), notes: c.notes.slice(), tags: c.tags.slice(),
      ...extra,
    });
  }
  return out;
}

export { WINDOW };
