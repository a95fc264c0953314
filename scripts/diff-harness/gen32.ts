// Generator of the 32-bit differential sample: snippets for a 32-bit code segment (run natively in Linux's
// 32-bit user code segment = IA-32e compatibility mode, and in the simulator in the same mode). It reuses
// the 64-bit families whose 32-bit forms differ only by encoding (ALU, shifts/rotates, MUL/DIV, BT*,
// BSF/BSR, SETcc/CMOVcc, XADD/CMPXCHG/XCHG, BSWAP, flag ops) with the operand builders restricted to
// EAX..EDI and 8/16/32-bit sizes (gen.ts setCompat32), and adds the families whose semantics change
// outside 64-bit mode: PUSH/POP/CALL/RET/ENTER/LEAVE/PUSHA/POPA with a 4- or 2-byte stack slot, INC/DEC
// 40-4F, string ops with 32- and 16-bit addressing, LOOP/JECXZ/JCXZ, BCD, LEA with 16-bit addressing,
// XLAT, moffs32.
//
// 16-bit addresses cannot reach the scratch window (it lies above 1 MiB and a Linux process cannot map
// page 0), so 16-bit addressed accesses are checked through their #PF: the faulting address (CR2) is the
// 16-bit wrapped offset, and the registers at the fault show what was done.
import { AF, CF, DF, OF, PF, SCRATCH_ADDR, SCRATCH_MAP_BASE, SF, ZF } from './layout.js';
import { CONDS, type Ctx, FORMS, generateFrom, type Form, type GenCase, type GenOptions, immText, imm, pickSize, setCompat32 } from './gen.js';
import { interesting, signed } from './rng.js';

const R32 = ['eax', 'ecx', 'edx', 'ebx', 'esp', 'ebp', 'esi', 'edi'];
const R16 = ['ax', 'cx', 'dx', 'bx', 'sp', 'bp', 'si', 'di'];
const EAX = 0, ECX = 1, EDX = 2, EBX = 3, ESP = 4, EBP = 5, ESI = 6, EDI = 7;
const M64 = (1n << 64n) - 1n;
/** Low 32 bits of a register input replaced (the upper half is not architectural here). */
function set32(c: Ctx, r: number, v: number | bigint): void { c.gpr[r] = (c.gpr[r]! & ~0xffffffffn & M64) | (BigInt(v) & 0xffffffffn); }

/** A stack pointer value addressing linear `la`: flat, or, with a 16-bit stack segment based at
 *  SCRATCH_MAP_BASE, the 16-bit offset with random upper bits (SP arithmetic must leave them alone). */
function stackPointer(c: Ctx, la: number): number {
  if (!generatingSs16) return la;
  return ((c.rng.chance(0.5) ? c.rng.int(0x10000) << 16 : 0) | ((la - SCRATCH_MAP_BASE) & 0xffff)) >>> 0;
}

/** 64-bit families reused in 32-bit form. */
const REUSED = ['alu', 'unary', 'shift', 'shxd', 'mul', 'div', 'bit', 'bsx', 'setcc', 'cmov', 'xadd', 'cmpxchg', 'xchg', 'bswap', 'flagops', 'bitcount'];

export const FORMS32: Form[] = [
  ...FORMS.filter((f) => REUSED.includes(f.family)).map((f) => ({ ...f, family: `c32-${f.family}` })),
  {
    family: 'c32-stack',
    weight: 8,
    build(c) {
      // ESP inside the window; 4-byte slots, or 2 with an operand-size prefix (SDM Vol. 2 PUSH/POP).
      c.implicit.add(ESP);
      set32(c, ESP, stackPointer(c, SCRATCH_ADDR + 0x100 + c.rng.range(-0x10, 0x10) * (c.rng.chance(0.7) ? 4 : 1)));
      const r32 = (): string => c.reg(32, [ESP]).text;
      const r16 = (): string => c.reg(16, [ESP]).text;
      let asm: string;
      switch (c.rng.int(16)) {
        case 0: asm = `push ${r32()}`; break;
        case 1: asm = `pop ${r32()}`; break;
        case 2: asm = `push ${r16()}`; break;
        case 3: asm = `pop ${r16()}`; break;
        case 4: asm = `push ${immText(c.rng.chance(0.5) ? c.rng.range(-128, 127) : Number(signed(interesting(c.rng, 32), 32)))}`; break;
        case 5: asm = c.rng.pick(['push esp', 'pop esp', 'push sp', 'pop sp']); break;
        case 6: asm = `pop dword ptr [esp+${c.rng.pick([0, 4, 8])}]`; break;
        case 7: asm = `push dword ptr [esp+${c.rng.pick([0, 4, 8])}]`; break;
        case 8: asm = `call 1f; ud2; 1: pop ${r32()}`; break;
        case 9: asm = `call 1f; jmp 2f; 1: add ecx, 5; ret${c.rng.chance(0.5) ? ' 8' : ''}; 2:`; break; // position-independent CALL/RET pair
        case 10: {
          set32(c, EBP, stackPointer(c, SCRATCH_ADDR + 0x100 + c.rng.range(-0x10, 0x10) * 4));
          asm = c.rng.chance(0.5) ? c.rng.pick(['leave', 'leavew']) : `${c.rng.pick(['enter', 'enterw'])} ${c.rng.pick([0, 8, 16, 0x28])}, ${c.rng.pick([0, 1, 2, 3])}`;
          break;
        }
        case 11: asm = c.rng.pick(['pushfd; pop eax', 'pushfw; pop ax']); break;
        case 12: asm = c.rng.pick(['pushad', 'popad', 'pushaw', 'popaw', 'pushad; popad']); break;
        case 13: {
          const v = c.rng.u64() & BigInt(AF | CF | PF | ZF | SF | OF | DF);
          asm = `pushd ${Number(v) | 0x202}; popfd`; // pushd: a 4-byte image in 16-bit code too
          break;
        }
        case 14: asm = `push ${r32()}; pop ${r32()}`; break;
        default: asm = `pushw ${immText(c.rng.range(-0x8000, 0x7fff))}; pop ${r16()}`;
      }
      return { asm, form: asm.replace(/\b(e?[a-d]x|e?[sd]i|e?[sb]p)\b(?![\]+])/g, 'r').replace(/-?\d+/g, 'n') };
    },
  },
  {
    family: 'c32-incdec',
    weight: 3,
    build(c) {
      // 40-47 INC r32/r16, 48-4F DEC (REX prefixes in 64-bit mode).
      const size = c.rng.pick([16, 32] as const);
      const r = c.reg(size);
      const op = c.rng.pick(['inc', 'dec']);
      return { asm: `${op} ${r.text}`, form: `${op} r${size} (4x)` };
    },
  },
  {
    family: 'c32-bcd',
    weight: 4,
    build(c) {
      const op = c.rng.pick(['daa', 'das', 'aaa', 'aas', 'aam', 'aad', 'salc']);
      c.implicit.add(EAX);
      if (c.rng.chance(0.6)) {
        // Operands that came from a BCD add/sub most of the time (digits 0-9), any byte otherwise.
        const d = (): number => c.rng.int(10);
        set32(c, EAX, (c.gpr[EAX]! & 0xffff0000n) | BigInt((d() << 12) | (d() << 8) | (d() << 4) | d()));
      }
      // SDM Vol. 2 "Flags Affected": DAA/DAS: OF undefined. AAA/AAS: OF, SF, ZF, PF undefined.
      // AAM/AAD: OF, AF, CF undefined.
      if (op === 'daa' || op === 'das') c.undef(OF, `${op.toUpperCase()}: OF undefined`);
      if (op === 'aaa' || op === 'aas') c.undef(OF | SF | ZF | PF, `${op.toUpperCase()}: OF, SF, ZF, PF undefined`);
      if (op === 'aam' || op === 'aad') {
        c.undef(OF | AF | CF, `${op.toUpperCase()}: OF, AF, CF undefined`);
        const base = c.rng.pick([10, 10, 10, 16, 0, 1, 7, 255, c.rng.int(256)]);
        return { asm: `.byte ${op === 'aam' ? '0xd4' : '0xd5'}, ${base}`, form: `${op} ${base === 0 ? '0' : base === 10 ? '10' : 'n'}` };
      }
      if (op === 'salc') return { asm: '.byte 0xd6', form: 'salc' };
      const pre = c.rng.pick(['', 'add al, bl; ', 'sub al, bl; ', 'adc al, bl; ']);
      return { asm: `${pre}${op}`, form: `${pre ? 'alu; ' : ''}${op}` };
    },
  },
  {
    family: 'c32-string',
    weight: 5,
    build(c) {
      const op = c.rng.pick(['movs', 'stos', 'lods', 'cmps', 'scas']);
      const sfx = c.rng.pick(['b', 'w', 'd']);
      const rep = op === 'cmps' || op === 'scas' ? c.rng.pick(['', 'repe ', 'repne ']) : c.rng.pick(['', 'rep ']);
      // No 16-bit addressed CMPS: both of its reads fault here and which one faults first is not
      // architectural (this AMD host reads ES:DI before DS:SI; the SDM gives no order).
      const a16 = op !== 'cmps' && c.rng.chance(0.3);
      const n = c.rng.pick([0, 1, 2, 3, c.rng.int(13)]);
      if (c.rng.chance(0.5)) c.rflags |= DF;
      for (const r of [ECX, ESI, EDI, EAX]) c.implicit.add(r);
      if (!a16) {
        const src = c.rng.range(0x70, 0x90);
        const dst = c.rng.chance(0.2) ? src + c.rng.range(-8, 8) : c.rng.range(0x130, 0x150);
        set32(c, ESI, SCRATCH_ADDR + src);
        set32(c, EDI, SCRATCH_ADDR + dst);
        if (rep) set32(c, ECX, n);
      } else {
        // SI/DI/CX only (67H): the upper halves stay as they are; any access faults at the 16-bit offset.
        if (rep) set32(c, ECX, (Number(c.gpr[ECX]! & 0xffff0000n) | c.rng.pick([0, 1, 2, 0xffff])) >>> 0);
        if (c.rng.chance(0.5)) set32(c, ESI, 0x12340000 | c.rng.pick([0, 0xffff, 0xfffe, 0x8000]));
      }
      // In 16-bit code, CMPS keeps 32-bit addressing (addr32) for the same reason.
      const a32In16 = op === 'cmps' && generatingCode16 ? 'addr32 ' : '';
      return { asm: `${rep}${a16 ? 'addr16 ' : a32In16}${op}${sfx}`, form: `${rep}${op}${sfx} a${a16 ? 16 : 32}${c.rflags & DF ? ' DF=1' : ''}` };
    },
  },
  {
    family: 'c32-loop',
    weight: 4,
    build(c) {
      // LOOP/LOOPE/LOOPNE/JECXZ count in ECX; with 67H (16-bit address size) in CX (SDM Vol. 2 LOOPcc, Jcc).
      c.implicit.add(ECX);
      set32(c, ECX, c.rng.pick([0, 1, 2, 0x10000, 0x10001, 0xffff, 0xffffffff, Number(interesting(c.rng, 32) & 0xffffffffn)]));
      const op = c.rng.pick(['loop', 'loope', 'loopne', 'jecxz', 'jcxz', 'back']);
      const a16 = op === 'jcxz' || (op.startsWith('loop') && c.rng.chance(0.4));
      if (op === 'back') {
        const l = c.rng.pick(['loop', 'addr16 loop', 'dec ecx; jnz', 'dec cx; jnz']);
        // Upper CX bits only where the loop counts in CX (they must survive it).
        set32(c, ECX, c.rng.range(1, 6) | (l === 'dec cx; jnz' || l.startsWith('addr16') ? (c.rng.chance(0.5) ? 0x30000 : 0) : 0));
        return { asm: `2: add edx, 3; ${l} 2b`, form: `backward ${l}` };
      }
      return { asm: `${a16 && op !== 'jcxz' ? 'addr16 ' : ''}${op} 1f; add edx, 7; 1: add edx, 1`, form: `${a16 ? 'a16 ' : ''}${op}` };
    },
  },
  {
    family: 'c32-lea16',
    weight: 3,
    build(c) {
      // 16-bit ModRM addressing (SDM Vol. 2 Table 2-1): the offset wraps at 64 KiB. LEA shows it directly;
      // a load faults at the wrapped offset (page 0 is never mapped), which CR2 shows.
      const forms = ['bx+si', 'bx+di', 'bp+si', 'bp+di', 'si', 'di', 'bp', 'bx'];
      const f = c.rng.pick(forms);
      const disp = c.rng.pick([0, c.rng.range(-128, 127), c.rng.range(-0x8000, 0xffff)]);
      const ds = disp === 0 && f !== 'bp' ? '' : `${disp < 0 ? '-' : '+'}${Math.abs(disp)}`;
      const addr = c.rng.chance(0.1) ? `[${c.rng.int(0x10000)}]` : `[${f}${ds}]`;
      const load = c.rng.chance(0.25);
      const size = c.rng.pick([16, 32] as const);
      for (const r of [EBX, EBP, ESI, EDI]) c.pinned.add(r);
      const d = c.reg(size, [EBX, EBP, ESI, EDI]);
      if (load) return { asm: `addr16 mov ${d.text}, ${size === 32 ? 'dword' : 'word'} ptr ${addr}`, form: `mov r${size}, m a16` };
      return { asm: `addr16 lea ${d.text}, ${addr}`, form: `lea r${size}, a16 ${addr.includes('+') || addr.includes('-') ? f + '+d' : f}` };
    },
  },
  {
    family: 'c32-xlat',
    weight: 2,
    build(c) {
      c.implicit.add(EAX).add(EBX);
      const k = c.rng.int(3);
      if (k === 0) { set32(c, EBX, SCRATCH_ADDR + c.rng.range(0, 0x100)); return { asm: 'xlat', form: 'xlat' }; }
      if (k === 1) return { asm: 'addr16 xlat', form: 'xlat a16 (faults at BX+AL)' };
      // MOV with a 32-bit absolute address (A0-A3 moffs32).
      const size = pickSize(c.rng, [8, 16, 32]);
      const acc = c.fixedReg(EAX, size);
      const a = `0x${(SCRATCH_ADDR + c.rng.range(0x40, 0x1c0 - size / 8)).toString(16)}`;
      return c.rng.chance(0.5) ? { asm: `mov ${acc.text}, ds:[${a}]`, form: `mov acc${size}, moffs32` } : { asm: `mov ds:[${a}], ${acc.text}`, form: `mov moffs32, acc${size}` };
    },
  },
  {
    family: 'c32-cwd',
    weight: 1,
    build(c) {
      const op = c.rng.pick(['cbw', 'cwde', 'cwd', 'cdq']);
      return { asm: op, form: op };
    },
  },
  {
    family: 'c32-cond',
    weight: 2,
    build(c) {
      // Jcc rel8/rel32 and the 16-bit operand-size CMOV form.
      const cc = c.rng.pick(CONDS);
      if (c.rng.chance(0.5)) return { asm: `${c.rng.chance(0.4) ? '{disp32} ' : ''}j${cc} 1f; add edx, 7; 1: add edx, 1`, form: `j${cc}` };
      const s = c.rm(16), d = c.reg(16);
      return { asm: `cmov${cc} ${d.text}, ${s.text}`, form: `cmov${cc} r16` };
    },
  },
  {
    family: 'c32-segprefix',
    weight: 2,
    build(c) {
      // ES/CS/SS/DS overrides count outside 64-bit mode (SDM Vol. 1 3.7.4); all four are flat here on
      // both sides, so the result equals the plain access. Stores take no CS override (a code segment is
      // not writable: #GP(0), not modelled by the simulator's flat-segment fast path).
      const size = pickSize(c.rng, [8, 16, 32]);
      const m = c.mem(size);
      const r = c.reg(size);
      const store = c.rng.chance(0.4);
      const seg = c.rng.pick(store ? ['es', 'ss', 'ds'] : ['es', 'cs', 'ss', 'ds']);
      const mt = m.text.replace('[', `${seg}:[`);
      const op = c.rng.pick(['mov', 'add', 'xor', 'cmp']);
      if (op === 'xor') c.undef(AF, 'XOR: AF undefined');
      return { asm: store ? `${op} ${mt}, ${r.text}` : `${op} ${r.text}, ${mt}`, form: `${seg}: ${op} ${store ? 'm, r' : 'r, m'} ${size}` };
    },
  },
  {
    family: 'c32-misc',
    weight: 3,
    build(c) {
      const k = c.rng.int(3);
      if (k === 0) {
        // BOUND r, m: #BR (vector 5) when the signed index is outside [lower, upper] (SDM Vol. 2 BOUND).
        const size = c.rng.pick([16, 32] as const);
        const m = c.mem(size === 32 ? 64 : 32, 0x40, 0x1c0, false);
        const r = c.reg(size);
        if (c.rng.chance(0.7)) {
          const lo = c.rng.range(-1000, 1000), hi = lo + c.rng.range(0, 500);
          const w = BigInt.asUintN(size, BigInt(lo)) | (BigInt.asUintN(size, BigInt(hi)) << BigInt(size));
          c.write({ ...m, size: size === 32 ? 64 : 32 }, w);
          c.write(r, BigInt(c.rng.pick([lo, hi, lo - 1, hi + 1, c.rng.range(lo - 10, hi + 10)])));
        }
        return { asm: `bound ${r.text}, ${m.text}`, form: `bound r${size}, m` };
      }
      if (k === 1) {
        // INTO: #OF (vector 4, a trap) when OF=1 (SDM Vol. 2 INTn/INTO/INT3/INT1).
        if (c.rng.chance(0.5)) c.rflags |= OF; else c.rflags &= ~OF;
        return { asm: 'into', form: `into OF=${c.rflags & OF ? 1 : 0}` };
      }
      // ARPL r/m16, r16: ZF and the RPL field (SDM Vol. 2 ARPL).
      const d = c.rm(16, 0.4), s2 = c.reg(16);
      return { asm: `arpl ${d.text}, ${s2.text}`, form: `arpl ${d.k === 'reg' ? 'r16' : 'm16'}, r16` };
    },
  },
  {
    family: 'c32-alu-imm',
    weight: 2,
    build(c) {
      // 82 /r ib: the 80 group's alias, valid only outside 64-bit mode.
      const k = c.rng.int(8);
      const d = c.rm(8);
      const modrm = d.k === 'reg' ? 0xc0 | (k << 3) | (d.high ? d.idx + 4 : d.idx) : -1;
      if (modrm < 0) return { asm: `${['add', 'or', 'adc', 'sbb', 'and', 'sub', 'xor', 'cmp'][k]} ${d.text}, ${imm(c.rng, 8)}`, form: 'alu m8, imm8 (80)' };
      if (k === 1 || k === 4 || k === 6) c.undef(AF, 'AND/OR/XOR: AF undefined');
      return { asm: `.byte 0x82, 0x${modrm.toString(16)}, ${c.rng.int(256)}`, form: `82 /${k}` };
    },
  },
];
void R32; void R16; void EDX;

/** Like gen.ts generate(), over FORMS32 with the compat-32 operand builders. code16: the same snippets for a
 *  16-bit code segment: `addr16` is dropped (16-bit addressing is the default there; 32-bit register and
 *  memory operands get their 66/67 prefixes from the assembler) and `{disp32}` too (rel16 is the near form). */
let generatingCode16 = false;
let generatingSs16 = false;
export function generate32(opts: GenOptions, code16 = false, ss16 = false): GenCase[] {
  setCompat32(true);
  generatingCode16 = code16;
  generatingSs16 = ss16;
  try {
    const strip16 = (asm: string): string => asm.replace(/addr16 /g, '').replace(/\{disp32\} /g, '');
    return generateFrom(FORMS32, opts, code16 ? strip16 : undefined, { compat32: true, code16, ss16 });
  } finally {
    setCompat32(false);
    generatingCode16 = false;
    generatingSs16 = false;
  }
}
