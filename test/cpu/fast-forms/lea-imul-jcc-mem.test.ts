// Session-2 specialised handlers (src/cpu/fast.ts: LEA, IMUL r,r / r,r,imm, every Jcc, loads/stores with a
// low-address fast EA) must do exactly what the generic ops.ts handlers do: each form runs on pseudo-random
// registers and flags with specialisation on and off; all GPRs, RFLAGS, RIP (an exception ends in its
// vector's stub) and the data qword are compared. The generic handlers are checked against the host CPU
// by test/cpu/differential.
import { afterEach, describe, expect, it } from 'vitest';
import { setSpecialize } from '../../../src/cpu/fast.js';
import { CODE, DATA, makeMachine, runToHlt } from '../support/harness.js';

const FORMS: [string, number[]][] = [];
const REX = [[], [0x48], [0x4d], [0x4c], [0x49]];
// LEA: base+disp8, base+index*scale+disp32, index only (no base), RIP-relative, 32-bit address size.
for (const w of REX) {
  FORMS.push([`lea base+disp8 ${w}`, [...w, 0x8d, 0x43, 0xf0]]);
  FORMS.push([`lea base+disp32 ${w}`, [...w, 0x8d, 0x83, 0x00, 0x00, 0x00, 0x80]]);
  for (const ss of [0, 1, 2, 3]) FORMS.push([`lea b+i*${1 << ss}+d ${w}`, [...w, 0x8d, 0x84, (ss << 6) | (1 << 3) | 3, 0xff, 0xff, 0xff, 0x7f]]);
  FORMS.push([`lea i*8+d32 ${w}`, [...w, 0x8d, 0x04, 0xcd, 0x10, 0x00, 0x00, 0x00]]);
  FORMS.push([`lea rip+d ${w}`, [...w, 0x8d, 0x05, 0xf0, 0xff, 0xff, 0xff]]);
  FORMS.push([`lea a32 ${w}`, [0x67, ...w, 0x8d, 0x44, 0x8b, 0x80]]);
  FORMS.push([`lea a32 rip ${w}`, [0x67, ...w, 0x8d, 0x05, 0x00, 0x00, 0x00, 0x80]]);
  // IMUL r, r/m; IMUL r, r/m, imm8 / imm32.
  FORMS.push([`imul r,r ${w}`, [...w, 0x0f, 0xaf, 0xc3]]);
  FORMS.push([`imul r,r,imm8 ${w}`, [...w, 0x6b, 0xc3, 0x85]]);
  FORMS.push([`imul r,r,imm32 ${w}`, [...w, 0x69, 0xc3, 0x2d, 0x7f, 0x95, 0x4c]]);
  // Loads/stores through [base+index*scale+disp]: RCX is reduced to 0..255 first, so the address is low
  // (fast EA) unless the random high half of RDI/RCX... RDI is DATA, RBX random: [rbx] exercises the fallback.
  FORMS.push([`load [rdi+rcx*4+8] ${w}`, [0x0f, 0xb6, 0xc9, ...w.map((x) => x & ~1), 0x8b, 0x44, 0x8f, 0x08]]);
  FORMS.push([`store [rdi+rcx*2-4] ${w}`, [0x0f, 0xb6, 0xc9, ...w.map((x) => x & ~1), 0x89, 0x54, 0x4f, 0xfc]]);
  FORMS.push([`load [rdi-8] ${w}`, [...w.map((x) => x & ~1), 0x8b, 0x47, 0xf8]]);
  FORMS.push([`load [rbx] ${w}`, [...w.map((x) => x & ~1), 0x8b, 0x03]]);
  FORMS.push([`store [rbx+rsi] ${w}`, [...w.map((x) => x & ~1), 0x89, 0x14, 0x33]]);
}
// Every Jcc (short and near) after CMP/SUB/ADD/TEST/INC of 32 and 64 bits: the taken branch skips the
// instruction that clears ESI.
const SETTERS: [string, number[]][] = [
  ['cmp64', [0x48, 0x39, 0xd8]], ['cmp32', [0x39, 0xd8]], ['sub64', [0x48, 0x29, 0xd8]], ['add64', [0x48, 0x01, 0xd8]],
  ['add32', [0x01, 0xd8]], ['test64', [0x48, 0x85, 0xd8]], ['inc64', [0x48, 0xff, 0xc0]], ['shl', [0x48, 0xc1, 0xe0, 0x03]],
];
for (const [sn, set] of SETTERS) {
  for (let cc = 0; cc < 16; cc++) {
    FORMS.push([`${sn}; j${cc} short`, [...set, 0x70 + cc, 0x02, 0x31, 0xf6]]);
    FORMS.push([`${sn}; j${cc} near`, [...set, 0x0f, 0x80 + cc, 0x02, 0, 0, 0, 0x31, 0xf6]]);
  }
}

let seed = 0x2468ace1;
function rnd32(): number { seed = (Math.imul(seed, 1103515245) + 12345) | 0; return (seed >>> 0) ^ (Math.imul(seed >>> 15, 0x2c1b3c6d) >>> 0); }
function rnd64(): bigint {
  const pick = rnd32() & 15;
  if (pick === 0) return 0n;
  if (pick === 1) return (1n << 64n) - 1n;
  if (pick === 2) return 0x8000000000000000n;
  if (pick === 3) return BigInt(rnd32() & 0xff);
  if (pick === 4) return BigInt(rnd32() >>> 0); // upper half zero: the low-address EA path
  if (pick === 5) return BigInt(rnd32() | 0) & ((1n << 64n) - 1n); // sign-extended 32-bit
  if (pick === 6) return BigInt(rnd32() & 0xffff); // small factors: products that fit
  return (BigInt(rnd32() >>> 0) << 32n) | BigInt(rnd32() >>> 0);
}

let m0: ReturnType<typeof makeMachine> | undefined;
let m1: ReturnType<typeof makeMachine> | undefined;

function runOnce(code: number[], regs: bigint[], flags: bigint, special: boolean) {
  setSpecialize(special);
  const m = special ? (m1 ??= makeMachine()) : (m0 ??= makeMachine());
  m.mem.writePhys(CODE, new Uint8Array([...code, 0xf4, ...new Array(16).fill(0)]));
  m.cpu.setRip(BigInt(CODE));
  for (let r = 0; r < 16; r++) if (r !== 4 && r !== 7) m.cpu.setGpr(r as never, regs[r]!);
  m.cpu.setGpr(7 as never, BigInt(DATA));
  m.w64(DATA, regs[4]!);
  m.w64(DATA + 0x400, regs[5]!);
  m.cpu.setRflags((m.cpu.getRflags() & ~0x8d5n) | (flags & 0x8d5n));
  runToHlt(m, 10);
  const gpr: bigint[] = [];
  for (let r = 0; r < 16; r++) gpr.push(m.cpu.getGpr(r as never));
  return { gpr, rflags: m.cpu.getRflags(), rip: m.cpu.getRip(), mem: m.r64(DATA), mem2: m.r64(DATA + 0x400) };
}

describe('session-2 specialised handlers match the generic ones', () => {
  afterEach(() => setSpecialize(true));
  it('LEA, IMUL, Jcc and low-address loads/stores on random operands and flags', () => {
    let taken = 0, notTaken = 0;
    for (const [name, code] of FORMS) {
      for (let t = 0; t < 16; t++) {
        const regs = Array.from({ length: 16 }, () => rnd64());
        const flags = BigInt(rnd32() & 0x8d5);
        const a = runOnce(code, regs, flags, false);
        const b = runOnce(code, regs, flags, true);
        expect(b, `${name}: ${code.map((x) => x.toString(16)).join(' ')}`).toEqual(a);
        if (name.includes('; j')) { if (a.gpr[6] === 0n && regs[6] !== 0n) notTaken++; else taken++; }
      }
    }
    // Both directions of the branches were exercised (the comparison above would be vacuous otherwise).
    expect(taken).toBeGreaterThan(100);
    expect(notTaken).toBeGreaterThan(100);
  });
});

describe('IMUL r64, r64: overflow at the 2^63 boundary', () => {
  afterEach(() => setSpecialize(true));
  // Products around +-2^62..2^64, where the fast path's magnitude estimate defers to the exact product.
  const M = (1n << 64n) - 1n;
  const v = (x: bigint) => x & M;
  const PAIRS: [bigint, bigint][] = [
    [1n << 31n, 1n << 32n], [v(-(1n << 31n)), 1n << 32n], [(1n << 31n) - 1n, 1n << 32n], [v(-(1n << 32n)), 1n << 31n],
    [3037000499n, 3037000499n], [3037000500n, 3037000500n], [v(-3037000500n), 3037000500n], [v(-3037000499n), v(-3037000499n)],
    [1n << 62n, 2n], [1n << 62n, v(-2n)], [v(-(1n << 62n)), 2n], [(1n << 62n) + 1n, 2n], [0x7fffffffffffffffn, 1n],
    [0x8000000000000000n, 1n], [0x8000000000000000n, M], [M, M], [0x5851f42d4c957f2dn, 0x9e3779b97f4a7c15n], [1n << 63n, 0n],
    [6074001000n, 1518500250n], [6074001000n, 1518500249n], [v(-6074001000n), 1518500250n],
  ];
  it('specialised and generic agree on the result, CF and OF', () => {
    let overflows = 0;
    for (const [x, y] of PAIRS) {
      for (const [a, b] of [[x, y], [y, x]] as const) {
        const regs = new Array<bigint>(16).fill(0n); regs[0] = a; regs[3] = b;
        const code = [0x48, 0x0f, 0xaf, 0xc3];
        const g = runOnce(code, regs, 0n, false);
        const s = runOnce(code, regs, 0n, true);
        expect(s, `${a.toString(16)} * ${b.toString(16)}`).toEqual(g);
        // The generic result itself, against BigInt arithmetic (signed 128-bit product).
        const sa = BigInt.asIntN(64, a), sb = BigInt.asIntN(64, b), p = sa * sb;
        expect(g.gpr[0]).toBe(BigInt.asUintN(64, p));
        const ov = p !== BigInt.asIntN(64, p);
        expect((g.rflags & 1n) === 1n, `CF of ${sa} * ${sb}`).toBe(ov);
        if (ov) overflows++;
      }
    }
    expect(overflows).toBeGreaterThan(5);
  });
});
