import { describe, it, expect } from 'vitest';
import { makeMachine, runToHlt, reg, haltedVector } from '../support/harness.js';

const CF = 1, PF = 4, AF = 0x10, ZF = 0x40, SF = 0x80, OF = 0x800;
const ARITH = CF | PF | AF | ZF | SF | OF;

/** Run a snippet then `pushf; pop %r15; hlt`; returns [rax, flags & arith]. */
function run(src: string): { rax: bigint; rdx: bigint; f: number; vec: number } {
  const m = makeMachine();
  m.load(`${src}\n pushf\n pop %r15\n hlt`);
  const r = runToHlt(m);
  expect(r.kind).toBe('hlt');
  return { rax: reg(m, 0), rdx: reg(m, 2), f: Number(reg(m, 15)) & ARITH, vec: haltedVector(m) };
}

describe('ALU and flags', () => {
  const cases: [string, bigint, number][] = [
    ['mov $0xffffffff, %eax; add $1, %eax', 0n, CF | PF | AF | ZF],
    ['mov $0x7fffffff, %eax; add $1, %eax', 0x80000000n, PF | AF | SF | OF],
    ['movabs $0x7fffffffffffffff, %rax; add $1, %rax', 0x8000000000000000n, PF | AF | SF | OF],
    ['movabs $0xffffffffffffffff, %rax; add $1, %rax', 0n, CF | PF | AF | ZF],
    ['xor %eax, %eax; sub $1, %rax', 0xffffffffffffffffn, CF | PF | AF | SF],
    ['mov $0x80, %eax; sub $1, %al', 0x7fn, AF | OF],
    ['mov $5, %eax; cmp $7, %eax', 5n, CF | SF | AF],
    ['stc; mov $1, %eax; adc $1, %eax', 3n, PF],
    ['xor %eax, %eax; stc; sbb $0, %rax', 0xffffffffffffffffn, CF | PF | AF | SF],
    ['mov $1, %eax; neg %rax', 0xffffffffffffffffn, CF | PF | AF | SF],
    ['stc; mov $0x7f, %eax; inc %al', 0x80n, CF | SF | OF | AF],
    ['mov $3, %eax; and $5, %eax', 1n, 0],
    ['mov $0x81, %eax; shl $1, %al', 2n, CF | OF],
    ['mov $0x80000000, %eax; sar $31, %eax', 0xffffffffn, PF | SF],
    ['movabs $0x8000000000000001, %rax; shr $1, %rax', 0x4000000000000000n, CF | PF | OF],
    ['movabs $0x8000000000000001, %rax; rol $1, %rax', 3n, CF | OF],
    ['mov $1, %eax; bsf %eax, %eax', 0n, 0],
    ['movabs $0x8000000000000000, %rax; bsr %rax, %rax', 63n, 0],
    ['movabs $0xf0f0f0f0f0f0f0f0, %rax; popcnt %rax, %rax', 32n, 0],
    ['movabs $0x0102030405060708, %rax; bswap %rax', 0x0807060504030201n, 0],
    ['mov $0x10, %eax; tzcnt %eax, %eax', 4n, 0],
    ['xor %eax, %eax; lzcnt %eax, %eax', 32n, CF],
  ];
  for (const [src, rax, f] of cases) {
    it(src, () => {
      const r = run(src);
      expect(r.rax).toBe(rax);
      if (!/bsf|bsr|popcnt|bswap|tzcnt|lzcnt|shl|sar|shr|rol/.test(src)) expect(r.f).toBe(f);
      else expect(r.f & (CF | ZF)).toBe(f & (CF | ZF));
    });
  }
  it('multiply and divide (64-bit, signed/unsigned)', () => {
    let r = run('movabs $0xffffffffffffffff, %rax; mov $2, %ecx; mul %rcx');
    expect([r.rax, r.rdx]).toEqual([0xfffffffffffffffen, 1n]);
    expect(r.f & (CF | OF)).toBe(CF | OF);
    r = run('mov $-3, %rax; mov $7, %rcx; imul %rcx');
    expect([r.rax, r.rdx]).toEqual([BigInt.asUintN(64, -21n), 0xffffffffffffffffn]);
    expect(r.f & (CF | OF)).toBe(0);
    r = run('mov $1, %edx; xor %eax, %eax; mov $3, %rcx; div %rcx');
    expect([r.rax, r.rdx]).toEqual([(1n << 64n) / 3n, (1n << 64n) % 3n]);
    r = run('mov $-7, %rax; cqo; mov $2, %rcx; idiv %rcx');
    expect([r.rax, r.rdx]).toEqual([BigInt.asUintN(64, -3n), BigInt.asUintN(64, -1n)]);
    r = run('movabs $0x123456789, %rax; imul $1000, %rax, %rax');
    expect(r.rax).toBe(0x123456789n * 1000n);
    r = run('mov $0x80000000, %eax; cdq; mov $-1, %ecx; idiv %ecx');
    expect(r.vec).toBe(0);
  });
  it('setcc/cmovcc/xchg/cmpxchg/xadd/bt', () => {
    let r = run('mov $5, %ecx; cmp $6, %ecx; setl %al; movzbl %al, %eax');
    expect(r.rax).toBe(1n);
    r = run('movabs $0xffffffffffffffff, %rax; mov $1, %ecx; test %ecx, %ecx; cmovz %ecx, %eax');
    expect(r.rax).toBe(0xffffffffn); // 32-bit CMOV zero-extends even when not taken
    r = run('mov $0x40000, %rdi; movq $5, (%rdi); mov $5, %eax; mov $9, %ecx; lock cmpxchg %rcx, (%rdi); mov (%rdi), %rax');
    expect(r.rax).toBe(9n);
    expect(r.f & ZF).toBe(ZF);
    r = run('mov $0x40000, %rdi; movq $5, (%rdi); mov $3, %eax; lock xadd %rax, (%rdi); add (%rdi), %rax');
    expect(r.rax).toBe(13n);
    r = run('mov $0x40000, %rdi; movq $0, (%rdi); movq $0, 8(%rdi); mov $70, %eax; bts %rax, (%rdi); mov 8(%rdi), %rax');
    expect(r.rax).toBe(64n);
    r = run('mov $-1, %rax; bt $63, %rax; setc %al; movzbl %al, %eax');
    expect(r.rax).toBe(1n);
  });
  it('lahf/sahf, pushf/popf, cld/std, shld/shrd', () => {
    let r = run('xor %eax, %eax; stc; lahf; shr $8, %eax');
    expect(r.rax & 0xffn).toBe(0x47n);
    r = run('mov $0x1234, %eax; mov $0xabcd0000, %edx; shld $4, %edx, %eax');
    expect(r.rax).toBe(0x1234an);
    r = run('mov $0x1234, %eax; mov $0xf, %edx; shrd $4, %edx, %eax');
    expect(r.rax).toBe(0xf0000123n);
  });
});
