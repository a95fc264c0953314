import { describe, it, expect } from 'vitest';
import { makeMachine, runToHlt, reg, haltedVector, CODE, DATA } from '../support/harness.js';

describe('basic long-mode execution', () => {
  it('runs mov/add/loop/call/ret/push/pop', () => {
    const m = makeMachine();
    m.load(`
      mov $10, %ecx
      xor %eax, %eax
    1: add %rcx, %rax
      dec %ecx
      jnz 1b
      movabs $0x123456789abcdef0, %rbx
      push %rbx
      pop %rdx
      call f
      hlt
    f: lea 5(%rax,%rax,2), %rsi
      ret
    `);
    const r = runToHlt(m);
    expect(r.kind).toBe('hlt');
    expect(reg(m, 0)).toBe(55n);
    expect(reg(m, 2)).toBe(0x123456789abcdef0n);
    expect(reg(m, 6)).toBe(170n);
    expect(m.cpu.getRip()).toBe(BigInt(CODE) + BigInt(m.mem.u8.indexOf(0xf4, CODE) - CODE + 1));
  });
  it('memory through paging and out', () => {
    const m = makeMachine();
    m.load(`
      mov $${DATA}, %rdi
      movq $-2, (%rdi)
      addq $5, (%rdi)
      mov (%rdi), %rax
      mov $0x41, %al
      out %al, $0xe9
      hlt
    `);
    expect(runToHlt(m).kind).toBe('hlt');
    expect(reg(m, 0)).toBe(0x0000000000000041n | (3n & ~0xffn));
    expect(m.r64(DATA)).toBe(3n);
    expect(m.ioLog).toEqual([{ dir: 'out', port: 0xe9, size: 1, value: 0x41 }]);
  });
  it('#UD for an undefined opcode is delivered through the IDT and logged', () => {
    const m = makeMachine();
    m.load(`.byte 0x0f, 0x0b`);
    expect(runToHlt(m).kind).toBe('hlt');
    expect(haltedVector(m)).toBe(6);
  });
});
