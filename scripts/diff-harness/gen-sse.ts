// SSE/SSE2/SSE3 forms for the differential harness: one instruction per case with random XMM0-15 inputs
// (integer lanes with boundary values; float lanes drawn from zeros, denormals, normals, the largest and
// smallest finite values, infinities, quiet and signalling NaNs), random MXCSR (rounding control, FTZ,
// DAZ, sometimes unmasked exceptions) for the floating-point forms, register and memory sources (aligned,
// sometimes misaligned to check the #GP rule). The native runner loads and returns XMM0-15 and MXCSR.
//
// A form is a template: X = an XMM register, XM128/XM64/XM32 = XMM register or memory of that size, M128/
// M64/M32 = memory only, R32/R64 = a GPR, RM32/RM64/RM16 = GPR or memory, I8 = an immediate byte.
import { Ctx, type GenCase, type GenOptions, R32, R64 } from './gen.js';
import { MXCSR_DEFAULT, SCRATCH_ADDR } from './layout.js';
import { Rng } from './rng.js';

/** Lane type of the inputs: integer bytes, single or double precision; 'f': integer inputs to a
 *  floating-point instruction (random MXCSR too). */
type Lane = 'i' | 's' | 'd' | 'f';
export interface SseForm { family: string; tpl: string; lane: Lane; weight?: number }

const INT_BIN = ['paddb', 'paddw', 'paddd', 'paddq', 'psubb', 'psubw', 'psubd', 'psubq', 'paddsb', 'paddsw', 'paddusb',
  'paddusw', 'psubsb', 'psubsw', 'psubusb', 'psubusw', 'pcmpeqb', 'pcmpeqw', 'pcmpeqd', 'pcmpgtb', 'pcmpgtw', 'pcmpgtd',
  'pminub', 'pmaxub', 'pminsw', 'pmaxsw', 'pavgb', 'pavgw', 'pmullw', 'pmulhw', 'pmulhuw', 'pmuludq', 'pmaddwd',
  'psadbw', 'packsswb', 'packuswb', 'packssdw', 'pand', 'pandn', 'por', 'pxor', 'punpcklbw', 'punpcklwd',
  'punpckldq', 'punpcklqdq', 'punpckhbw', 'punpckhwd', 'punpckhdq', 'punpckhqdq', 'psllw', 'pslld', 'psllq',
  'psrlw', 'psrld', 'psrlq', 'psraw', 'psrad'];
const INT_IMM_SHIFT = ['psllw', 'pslld', 'psllq', 'psrlw', 'psrld', 'psrlq', 'psraw', 'psrad', 'pslldq', 'psrldq'];

export const SSE_FORMS: SseForm[] = [
  ...INT_BIN.map((m) => ({ family: 'sse-int', tpl: `${m} X, XM128`, lane: 'i' as Lane })),
  ...INT_IMM_SHIFT.map((m) => ({ family: 'sse-int', tpl: `${m} X, I8`, lane: 'i' as Lane })),
  ...['pshufd', 'pshufhw', 'pshuflw'].map((m) => ({ family: 'sse-shuf', tpl: `${m} X, XM128, I8`, lane: 'i' as Lane })),
  { family: 'sse-shuf', tpl: 'shufps X, XM128, I8', lane: 'i' },
  { family: 'sse-shuf', tpl: 'shufpd X, XM128, I8', lane: 'i' },
  { family: 'sse-shuf', tpl: 'pinsrw X, R32, I8', lane: 'i' },
  { family: 'sse-shuf', tpl: 'pinsrw X, M16, I8', lane: 'i' },
  { family: 'sse-shuf', tpl: 'pextrw R32, X, I8', lane: 'i' },
  { family: 'sse-shuf', tpl: 'pmovmskb R32, X', lane: 'i' },
  { family: 'sse-shuf', tpl: 'movmskps R32, X', lane: 'i' },
  { family: 'sse-shuf', tpl: 'movmskpd R32, X', lane: 'i' },
  ...['unpcklps', 'unpcklpd', 'unpckhps', 'unpckhpd', 'andps', 'andpd', 'andnps', 'andnpd', 'orps', 'orpd', 'xorps', 'xorpd']
    .map((m) => ({ family: 'sse-shuf', tpl: `${m} X, XM128`, lane: 'i' as Lane })),
  ...['movaps', 'movapd', 'movdqa', 'movups', 'movupd', 'movdqu', 'movsldup', 'movshdup']
    .map((m) => ({ family: 'sse-move', tpl: `${m} X, XM128`, lane: 'i' as Lane })),
  ...['movaps', 'movapd', 'movdqa', 'movups', 'movupd', 'movdqu', 'movntps', 'movntpd', 'movntdq']
    .map((m) => ({ family: 'sse-move', tpl: `${m} M128, X`, lane: 'i' as Lane })),
  { family: 'sse-move', tpl: 'lddqu X, M128', lane: 'i' },
  { family: 'sse-move', tpl: 'movddup X, XM64', lane: 'i' },
  { family: 'sse-move', tpl: 'movss X, XM32', lane: 'i' },
  { family: 'sse-move', tpl: 'movsd X, XM64', lane: 'i' },
  { family: 'sse-move', tpl: 'movss XM32, X', lane: 'i' },
  { family: 'sse-move', tpl: 'movsd XM64, X', lane: 'i' },
  { family: 'sse-move', tpl: 'movlps X, M64', lane: 'i' },
  { family: 'sse-move', tpl: 'movhps X, M64', lane: 'i' },
  { family: 'sse-move', tpl: 'movlpd X, M64', lane: 'i' },
  { family: 'sse-move', tpl: 'movhpd X, M64', lane: 'i' },
  { family: 'sse-move', tpl: 'movlps M64, X', lane: 'i' },
  { family: 'sse-move', tpl: 'movhps M64, X', lane: 'i' },
  { family: 'sse-move', tpl: 'movlpd M64, X', lane: 'i' },
  { family: 'sse-move', tpl: 'movhpd M64, X', lane: 'i' },
  { family: 'sse-move', tpl: 'movhlps X, X', lane: 'i' },
  { family: 'sse-move', tpl: 'movlhps X, X', lane: 'i' },
  { family: 'sse-move', tpl: 'movd X, RM32', lane: 'i' },
  { family: 'sse-move', tpl: 'movq X, RM64', lane: 'i' },
  { family: 'sse-move', tpl: 'movd RM32, X', lane: 'i' },
  { family: 'sse-move', tpl: 'movq RM64, X', lane: 'i' },
  { family: 'sse-move', tpl: 'movq X, XM64', lane: 'i' },
  { family: 'sse-move', tpl: 'movq M64, X', lane: 'i' },
  { family: 'sse-move', tpl: 'movnti M32, R32', lane: 'i' },
  { family: 'sse-move', tpl: 'movnti M64, R64', lane: 'i' },
  { family: 'sse-move', tpl: 'maskmovdqu X, X', lane: 'i' },
  ...['add', 'sub', 'mul', 'div', 'min', 'max', 'sqrt'].flatMap((m) => [
    { family: 'sse-float', tpl: `${m}ps X, XM128`, lane: 's' as Lane },
    { family: 'sse-float', tpl: `${m}pd X, XM128`, lane: 'd' as Lane },
    { family: 'sse-float', tpl: `${m}ss X, XM32`, lane: 's' as Lane },
    { family: 'sse-float', tpl: `${m}sd X, XM64`, lane: 'd' as Lane },
  ]),
  { family: 'sse-float', tpl: 'addsubps X, XM128', lane: 's' },
  { family: 'sse-float', tpl: 'addsubpd X, XM128', lane: 'd' },
  { family: 'sse-float', tpl: 'haddps X, XM128', lane: 's' },
  { family: 'sse-float', tpl: 'haddpd X, XM128', lane: 'd' },
  { family: 'sse-float', tpl: 'hsubps X, XM128', lane: 's' },
  { family: 'sse-float', tpl: 'hsubpd X, XM128', lane: 'd' },
  { family: 'sse-fcmp', tpl: 'cmpps X, XM128, P8', lane: 's' },
  { family: 'sse-fcmp', tpl: 'cmppd X, XM128, P8', lane: 'd' },
  { family: 'sse-fcmp', tpl: 'cmpss X, XM32, P8', lane: 's' },
  { family: 'sse-fcmp', tpl: 'cmpsd X, XM64, P8', lane: 'd' },
  { family: 'sse-fcmp', tpl: 'comiss X, XM32', lane: 's' },
  { family: 'sse-fcmp', tpl: 'ucomiss X, XM32', lane: 's' },
  { family: 'sse-fcmp', tpl: 'comisd X, XM64', lane: 'd' },
  { family: 'sse-fcmp', tpl: 'ucomisd X, XM64', lane: 'd' },
  { family: 'sse-fcmp', tpl: 'rcpps X, XM128', lane: 's' },
  { family: 'sse-fcmp', tpl: 'rsqrtps X, XM128', lane: 's' },
  { family: 'sse-fcmp', tpl: 'rcpss X, XM32', lane: 's' },
  { family: 'sse-fcmp', tpl: 'rsqrtss X, XM32', lane: 's' },
  { family: 'sse-cvt', tpl: 'cvtps2pd X, XM64', lane: 's' },
  { family: 'sse-cvt', tpl: 'cvtpd2ps X, XM128', lane: 'd' },
  { family: 'sse-cvt', tpl: 'cvtss2sd X, XM32', lane: 's' },
  { family: 'sse-cvt', tpl: 'cvtsd2ss X, XM64', lane: 'd' },
  { family: 'sse-cvt', tpl: 'cvtdq2ps X, XM128', lane: 'i' },
  { family: 'sse-cvt', tpl: 'cvtdq2pd X, XM64', lane: 'i' },
  { family: 'sse-cvt', tpl: 'cvtps2dq X, XM128', lane: 's' },
  { family: 'sse-cvt', tpl: 'cvttps2dq X, XM128', lane: 's' },
  { family: 'sse-cvt', tpl: 'cvtpd2dq X, XM128', lane: 'd' },
  { family: 'sse-cvt', tpl: 'cvttpd2dq X, XM128', lane: 'd' },
  ...['cvtsi2ss', 'cvtsi2sd'].flatMap((m) => [
    { family: 'sse-cvt', tpl: `${m} X, RM32`, lane: 'f' as Lane },
    { family: 'sse-cvt', tpl: `${m} X, RM64`, lane: 'f' as Lane },
  ]),
  ...['cvtss2si', 'cvttss2si'].flatMap((m) => [
    { family: 'sse-cvt', tpl: `${m} R32, XM32`, lane: 's' as Lane },
    { family: 'sse-cvt', tpl: `${m} R64, XM32`, lane: 's' as Lane },
  ]),
  ...['cvtsd2si', 'cvttsd2si'].flatMap((m) => [
    { family: 'sse-cvt', tpl: `${m} R32, XM64`, lane: 'd' as Lane },
    { family: 'sse-cvt', tpl: `${m} R64, XM64`, lane: 'd' as Lane },
  ]),
];

/** MMX forms (no prefix, MMX registers): the integer forms SSE2 has for XMM (without the QDQ unpacks and the
 *  byte shifts), the SSE additions on MMX registers and the moves. MM = an MMX register, MM64 / MM32 = MMX
 *  register or memory of that size (the MMX low unpacks read m32). The snippet wraps the form (see mmxWrap):
 *  MMn is loaded from XMMn (MOVDQ2Q) and returned in XMM(8+n) (MOVQ2DQ), then EMMS. */
const MMX_LOW_UNPACK = ['punpcklbw', 'punpcklwd', 'punpckldq'];
export const MMX_FORMS: SseForm[] = [
  ...INT_BIN.filter((m) => !m.endsWith('qdq')).map((m) => ({ family: 'mmx-int', tpl: `${m} MM, ${MMX_LOW_UNPACK.includes(m) ? 'MM32' : 'MM64'}`, lane: 'i' as Lane })),
  ...INT_IMM_SHIFT.filter((m) => !m.endsWith('dq')).map((m) => ({ family: 'mmx-int', tpl: `${m} MM, I8`, lane: 'i' as Lane })),
  { family: 'mmx-shuf', tpl: 'pshufw MM, MM64, I8', lane: 'i' },
  { family: 'mmx-shuf', tpl: 'pinsrw MM, R32, I8', lane: 'i' },
  { family: 'mmx-shuf', tpl: 'pinsrw MM, M16, I8', lane: 'i' },
  { family: 'mmx-shuf', tpl: 'pextrw R32, MM, I8', lane: 'i' },
  { family: 'mmx-shuf', tpl: 'pmovmskb R32, MM', lane: 'i' },
  { family: 'mmx-move', tpl: 'movd MM, RM32', lane: 'i' },
  { family: 'mmx-move', tpl: 'movq MM, RM64', lane: 'i' },
  { family: 'mmx-move', tpl: 'movd RM32, MM', lane: 'i' },
  { family: 'mmx-move', tpl: 'movq RM64, MM', lane: 'i' },
  { family: 'mmx-move', tpl: 'movq MM, MM64', lane: 'i' },
  { family: 'mmx-move', tpl: 'movq M64, MM', lane: 'i' },
  { family: 'mmx-move', tpl: 'movntq M64, MM', lane: 'i' },
  { family: 'mmx-move', tpl: 'maskmovq MM, MM', lane: 'i' },
  { family: 'mmx-move', tpl: 'movq2dq X, MM', lane: 'i' },
  { family: 'mmx-move', tpl: 'movdq2q MM, X', lane: 'i' },
];

/** The MMX registers a form names get their inputs from XMM0-7 and their results back through XMM8-15 (the
 *  runner loads and returns only XMM0-15); EMMS leaves the x87 state empty for the runner's C code. */
function mmxWrap(asm: string): string {
  const mm = [...new Set([...asm.matchAll(/\bmm(\d)\b/g)].map((m) => Number(m[1])))];
  return [...mm.map((n) => `movdq2q mm${n}, xmm${n}`), asm, ...mm.map((n) => `movq2dq xmm${8 + n}, mm${n}`), 'emms'].join('; ');
}

// ---- input values ----

const F32_SPECIAL = [0x00000000, 0x80000000, 0x3f800000, 0xbf800000, 0x7f800000, 0xff800000, 0x7fc00000, 0xffc00000,
  0x7f800001, 0x7fa00000, 0xffbfffff, 0x00000001, 0x807fffff, 0x00400000, 0x00800000, 0x80800000, 0x7f7fffff,
  0xff7fffff, 0x4b000000, 0x4effffff, 0x4f000000, 0xcf000000, 0xcf000001, 0x3f000000, 0x40490fdb, 0x33800000];
const F64_SPECIAL_HI = [0x00000000, 0x80000000, 0x3ff00000, 0xbff00000, 0x7ff00000, 0xfff00000, 0x7ff80000, 0xfff80000,
  0x7ff00000, 0x7ff40000, 0x000fffff, 0x80000000, 0x00080000, 0x00100000, 0x80100000, 0x7fefffff, 0xffefffff,
  0x41dfffff, 0x41e00000, 0xc1e00000, 0x43e00000, 0xc3e00000, 0x3fe00000, 0x400921fb, 0x3ca00000];

function f32Lane(rng: Rng): number {
  switch (rng.int(6)) {
    case 0: return rng.pick(F32_SPECIAL);
    case 1: return (rng.int(2) << 31) | rng.int(1 << 23); // denormal or zero
    case 2: return (rng.int(2) << 31) | ((rng.range(100, 154) << 23) >>> 0) | rng.int(1 << 23); // moderate
    case 3: return ((rng.int(2) << 31) | (rng.range(0, 255) << 23) | rng.int(1 << 23)) >>> 0; // anything
    case 4: return (rng.int(2) << 31) | (rng.pick([1, 2, 3, 252, 253, 254, 125, 126, 127, 128, 150, 157, 158, 190, 191]) << 23) | rng.pick([0, 1, rng.int(1 << 23), (1 << 23) - 1]);
    default: return (rng.int(2) << 31) | ((rng.range(120, 135) << 23) >>> 0) | (rng.int(16) << 19); // short mantissas: exact results
  }
}
function f64Lane(rng: Rng): [number, number] {
  const sign = rng.int(2) << 31;
  switch (rng.int(6)) {
    case 0: { const hi = rng.pick(F64_SPECIAL_HI); return [rng.chance(0.5) ? 0 : rng.pick([1, 0xffffffff, rng.int(2 ** 32)]), hi]; }
    case 1: return [rng.int(2 ** 32), sign | rng.int(1 << 20)]; // denormal or zero
    case 2: return [rng.int(2 ** 32), sign | (rng.range(900, 1150) << 20) | rng.int(1 << 20)];
    case 3: return [rng.int(2 ** 32), sign | (rng.int(2048) << 20) | rng.int(1 << 20)];
    case 4: return [rng.pick([0, 1, rng.int(2 ** 32), 0xffffffff]), sign | (rng.pick([1, 2, 3, 2044, 2045, 2046, 1021, 1022, 1023, 1024, 1052, 1053, 1054, 1085, 1086, 1087]) << 20) | rng.pick([0, 1, rng.int(1 << 20), (1 << 20) - 1])];
    default: return [0, sign | (rng.range(1015, 1030) << 20) | (rng.int(64) << 14)];
  }
}
function intLane(rng: Rng): number {
  switch (rng.int(6)) {
    case 0: return rng.pick([0, -1, 0x7fffffff, 0x80000000, 0x7f7f7f7f, 0x80808080, 0x00ff00ff, 0x7fff8000, 0x00010001]);
    case 1: return rng.int(256) * 0x01010101;
    default: return rng.int(2 ** 32);
  }
}
function fillXmm(rng: Rng, lane: Lane): Uint8Array {
  const b = new Uint8Array(256);
  const dv = new DataView(b.buffer);
  for (let r = 0; r < 16; r++) {
    for (let k = 0; k < 4; k++) {
      if (lane === 'd' && k % 2 === 0) { const [lo, hi] = f64Lane(rng); dv.setUint32(r * 16 + 4 * k, lo >>> 0, true); dv.setUint32(r * 16 + 4 * k + 4, hi >>> 0, true); k++; continue; }
      dv.setUint32(r * 16 + 4 * k, (lane === 's' ? f32Lane(rng) : lane === 'd' ? 0 : intLane(rng)) >>> 0, true);
    }
  }
  // Equal lanes between registers now and then (PCMPEQ, CMPPS EQ, MIN/MAX of equal values).
  if (rng.chance(0.3)) { const a = rng.int(16), c = rng.int(16), k = rng.int(4); b.copyWithin(c * 16 + 4 * k, a * 16 + 4 * k, a * 16 + 4 * k + 4); }
  return b;
}
/** MXCSR: mostly the default; floating-point forms also get random RC/FTZ/DAZ and, rarely, unmasked exceptions. */
function mxcsrFor(rng: Rng, lane: Lane | 'f'): number {
  if (lane === 'i' || rng.chance(0.4)) return MXCSR_DEFAULT | (rng.chance(0.2) ? rng.int(64) : 0);
  let m = MXCSR_DEFAULT | (rng.int(4) << 13);
  if (rng.chance(0.25)) m |= 1 << 15; // FTZ
  if (rng.chance(0.25)) m |= 1 << 6; // DAZ
  if (rng.chance(0.15)) m &= ~(1 << (7 + rng.int(6))); // one exception unmasked
  return m;
}

const IMM_SPECIAL = [0, 1, 2, 3, 4, 7, 8, 15, 16, 17, 31, 32, 33, 63, 64, 0x1b, 0x4e, 0xb1, 0xe4, 0xff, 0x80, 0x7f];

function build(form: SseForm, c: Ctx): { asm: string; xmm: Uint8Array; mxcsr: number } {
  const rng = c.rng;
  const xmm = fillXmm(rng, form.lane);
  const memText = (ptr: string, bytes: number, alignTo: number): string => {
    const misalign = bytes === 16 && rng.chance(0.1);
    const m = c.mem(64, 0x40, 0x1c0 - 16, false, alignTo);
    if (misalign) return `${ptr} ${m.text.replace(/]$/, '+1]')}`;
    return `${ptr} ${m.text}`;
  };
  const gpr = (names: string[]): string => names[c.reg(64, [4]).idx]!;
  let asm = form.tpl;
  // Memory first (it pins its address registers), then the other operands.
  asm = asm.replace(/\bXM128\b/, () => (rng.chance(0.3) ? memText('xmmword ptr', 16, 16) : `xmm${rng.int(16)}`));
  asm = asm.replace(/\bXM64\b/, () => (rng.chance(0.3) ? memText('qword ptr', 8, 1) : `xmm${rng.int(16)}`));
  asm = asm.replace(/\bXM32\b/, () => (rng.chance(0.3) ? memText('dword ptr', 4, 1) : `xmm${rng.int(16)}`));
  asm = asm.replace(/\bMM64\b/, () => (rng.chance(0.3) ? memText('qword ptr', 8, 1) : `mm${rng.int(8)}`));
  asm = asm.replace(/\bMM32\b/, () => (rng.chance(0.3) ? memText('dword ptr', 4, 1) : `mm${rng.int(8)}`));
  asm = asm.replace(/\bM128\b/, () => memText('xmmword ptr', 16, 16));
  asm = asm.replace(/\bM64\b/, () => memText('qword ptr', 8, 1));
  asm = asm.replace(/\bM32\b/, () => memText('dword ptr', 4, 1));
  asm = asm.replace(/\bM16\b/, () => memText('word ptr', 2, 1));
  asm = asm.replace(/\bRM64\b/, () => (rng.chance(0.3) ? memText('qword ptr', 8, 1) : gpr(R64)));
  asm = asm.replace(/\bRM32\b/, () => (rng.chance(0.3) ? memText('dword ptr', 4, 1) : gpr(R32)));
  asm = asm.replace(/\bR64\b/g, () => gpr(R64));
  asm = asm.replace(/\bR32\b/g, () => gpr(R32));
  asm = asm.replace(/\bX\b/g, () => `xmm${rng.int(16)}`);
  asm = asm.replace(/\bMM\b/g, () => `mm${rng.int(8)}`);
  asm = asm.replace(/\bI8\b/, () => String(rng.chance(0.6) ? rng.pick(IMM_SPECIAL) : rng.int(256)));
  asm = asm.replace(/\bP8\b/, () => String(rng.int(8))); // the eight SSE compare predicates
  if (form.tpl.startsWith('maskmov')) {
    // The implicit destination DS:RDI points into the window (16 bytes, any alignment).
    c.gpr[7] = BigInt(SCRATCH_ADDR + rng.range(0x40, 0x1a0));
    c.pinned.add(7);
  }
  return { asm: form.family.startsWith('mmx') ? mmxWrap(asm) : asm, xmm, mxcsr: mxcsrFor(rng, form.lane) };
}

/** RCPPS/RSQRTPS and the SS forms: the SDM bounds the relative error (|e| <= 1.5 * 2^-12) and vendors
 *  differ, so the destination's computed lanes are checked against the bound around silicon's value
 *  (both within the bound of the exact result means within twice of each other); the other lanes exactly. */
function approxCheck(asm: string): GenCase['xmmApprox'] {
  const m = /^(rcp|rsqrt)(ps|ss) xmm(\d+)/.exec(asm);
  if (!m) return undefined;
  const dst = Number(m[3]), lanes = m[2] === 'ps' ? 4 : 1;
  return (r, nat, sim) => {
    if (r !== dst) return undefined;
    const a = new DataView(nat.buffer, nat.byteOffset, 16), b = new DataView(sim.buffer, sim.byteOffset, 16);
    for (let k = 0; k < 4; k++) {
      const x = a.getFloat32(4 * k, true), y = b.getFloat32(4 * k, true);
      const same = a.getUint32(4 * k, true) === b.getUint32(4 * k, true);
      if (same) continue;
      // At the bottom of the normal range the approximation may land on either side of 2^-126, where the
      // result is flushed to zero.
      const tiny = Math.abs(x) < 2 ** -125 && Math.abs(y) < 2 ** -125 && Math.sign(1 / x) === Math.sign(1 / y);
      const close = k < lanes && (tiny || (Number.isFinite(x) && x !== 0 && Math.abs(y - x) <= Math.abs(x) * 3 * 2 ** -12));
      if (!close) return `lane ${k}: native ${x} (0x${a.getUint32(4 * k, true).toString(16)}), simulator ${y} (0x${b.getUint32(4 * k, true).toString(16)})`;
    }
    return '';
  };
}

/** opts.count SSE cases (one forked RNG per case, as gen.ts does). */
export function generateSse(opts: GenOptions, forms: readonly SseForm[] = SSE_FORMS): GenCase[] {
  const usable = forms.filter((f) => !(opts.exclude ?? []).includes(f.family) && (!opts.only || opts.only.includes(f.family)));
  const root = new Rng(opts.seed);
  const out: GenCase[] = [];
  for (let i = 0; i < opts.count; i++) {
    const rng = root.fork();
    const form = usable[rng.int(usable.length)]!;
    const c = new Ctx(rng);
    const b = build(form, c);
    out.push({
      family: form.family, form: form.tpl, asm: b.asm,
      gpr: c.gpr.slice(), rflags: c.rflags, memSeed: c.memSeed, patch: c.patch,
      undefFlags: 0, gprMask: c.gprMask.slice(), memIgnore: c.memIgnore.slice(), notes: c.notes.slice(), tags: c.tags.slice(),
      xmm: b.xmm, mxcsr: b.mxcsr, xmmApprox: approxCheck(b.asm),
    });
  }
  return out;
}
