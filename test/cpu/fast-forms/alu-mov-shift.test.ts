// The specialised handlers (src/cpu/fast.ts) must do exactly what the generic ones (ops.ts) do: run each
// specialised form on pseudo-random registers and flags with specialisation on and off, compare all GPRs
// and RFLAGS (the generic handlers are themselves checked against the host CPU by test/cpu/differential).
import { afterEach, describe, expect, it } from 'vitest';
import { setSpecialize } from '../../../src/cpu/fast.js';
import { CODE, DATA, makeMachine, runToHlt } from '../support/harness.js';

const FORMS: [string, number[]][] = [];
// ALU Ev,Gv / Gv,Ev register forms (ADD OR AND SUB XOR CMP; ADC/SBB stay generic but run as controls), 32 and 64 bit.
for (let k = 0; k < 8; k++) {
  for (const w of [[], [0x48], [0x4d]]) {
    FORMS.push([`alu${k} Ev,Gv ${w}`, [...w, (k << 3) | 1, 0xd8]]);
    FORMS.push([`alu${k} Gv,Ev ${w}`, [...w, (k << 3) | 3, 0xca]]);
    FORMS.push([`alu${k} eAX,imm ${w}`, [...w, (k << 3) | 5, 0x81, 0x00, 0x00, 0x80]]);
    FORMS.push([`grp1/83 ${k} ${w}`, [...w, 0x83, 0xc3 | (k << 3), 0xf0]]);
    FORMS.push([`grp1/81 ${k} ${w}`, [...w, 0x81, 0xc1 | (k << 3), 0x01, 0x00, 0x00, 0x80]]);
  }
}
for (const w of [[], [0x48], [0x4c]]) {
  FORMS.push([`test ${w}`, [...w, 0x85, 0xd9]], [`test eAX ${w}`, [...w, 0xa9, 0xff, 0x00, 0x00, 0x80]]);
  FORMS.push([`mov Ev,Gv ${w}`, [...w, 0x89, 0xd9]], [`mov Gv,Ev ${w}`, [...w, 0x8b, 0xd9]]);
  FORMS.push([`mov store ${w}`, [...w, 0x89, 0x1f]], [`mov load ${w}`, [...w, 0x8b, 0x1f]]);
  FORMS.push([`inc ${w}`, [...w, 0xff, 0xc1]], [`dec ${w}`, [...w, 0xff, 0xc9]]);
  FORMS.push([`cmovne ${w}`, [...w, 0x0f, 0x45, 0xc1]], [`cmovb ${w}`, [...w, 0x0f, 0x42, 0xc1]]);
  for (const k of [4, 5, 6, 7]) {
    FORMS.push([`shift${k} by 1 ${w}`, [...w, 0xd1, 0xc0 | (k << 3) | 2]]);
    for (const n of [1, 5, 31, 32, 33, 63]) FORMS.push([`shift${k} by ${n} ${w}`, [...w, 0xc1, 0xc0 | (k << 3) | 2, n]]);
  }
}
FORMS.push(['mov r64, imm64', [0x48, 0xbb, 1, 2, 3, 4, 5, 6, 7, 0x88]], ['mov r32, imm32', [0xbb, 0xff, 0xff, 0xff, 0xff]]);
// JZ / JNZ after a flag-setting op: the taken branch skips the MOV that marks RSI.
FORMS.push(['sub; jz', [0x48, 0x29, 0xd8, 0x74, 0x02, 0x31, 0xf6]], ['sub; jnz', [0x48, 0x29, 0xd8, 0x75, 0x02, 0x31, 0xf6]]);
FORMS.push(['cmp; jz rel32', [0x39, 0xd8, 0x0f, 0x84, 0x02, 0, 0, 0, 0x31, 0xf6]]);

let seed = 0x12345678;
function rnd32(): number { seed = (Math.imul(seed, 1103515245) + 12345) | 0; return (seed >>> 0) ^ (Math.imul(seed >>> 15, 0x2c1b3c6d) >>> 0); }
function rnd64(): bigint {
  const pick = rnd32() & 7;
  if (pick === 0) return 0n;
  if (pick === 1) return (1n << 64n) - 1n;
  if (pick === 2) return 0x8000000000000000n;
  if (pick === 3) return BigInt(rnd32() & 0xff);
  return (BigInt(rnd32() >>> 0) << 32n) | BigInt(rnd32() >>> 0);
}

let m0: ReturnType<typeof makeMachine> | undefined;
let m1: ReturnType<typeof makeMachine> | undefined;

function runOnce(code: number[], regs: bigint[], flags: bigint, special: boolean): { gpr: bigint[]; rflags: bigint; mem: bigint } {
  setSpecialize(special);
  // One machine per mode, reused: writePhys drops the decoded page, so each run decodes afresh.
  const m = special ? (m1 ??= makeMachine()) : (m0 ??= makeMachine());
  m.mem.writePhys(CODE, new Uint8Array([...code, 0xf4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]));
  m.cpu.setRip(BigInt(CODE));
  for (let r = 0; r < 16; r++) if (r !== 4 && r !== 7) m.cpu.setGpr(r as never, regs[r]!);
  m.cpu.setGpr(7 as never, BigInt(DATA));
  m.w64(DATA, regs[4]!);
  m.cpu.setRflags((m.cpu.getRflags() & ~0x8d5n) | (flags & 0x8d5n));
  runToHlt(m, 10);
  const gpr: bigint[] = [];
  for (let r = 0; r < 16; r++) gpr.push(m.cpu.getGpr(r as never));
  return { gpr, rflags: m.cpu.getRflags(), mem: m.r64(DATA) };
}

describe('specialised handlers match the generic ones', () => {
  afterEach(() => setSpecialize(true));
  it('on random operands and flags', () => {
    for (const [name, code] of FORMS) {
      for (let t = 0; t < 12; t++) {
        const regs = Array.from({ length: 16 }, () => rnd64());
        const flags = BigInt(rnd32() & 0x8d5);
        const a = runOnce(code, regs, flags, false);
        const b = runOnce(code, regs, flags, true);
        expect(b, `${name}: ${code.map((x) => x.toString(16)).join(' ')}`).toEqual(a);
      }
    }
  });
});
