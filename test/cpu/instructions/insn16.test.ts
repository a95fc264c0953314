// 16-bit code segments (CS.D=0, SS.B=0) and non-flat data segments: operand/address size 16 by default,
// SP-based stack with 2-byte slots, IP-wrapping near branches, BP-based operands in SS, segment bases and
// limit checks (SDM Vol. 1 3.6, Vol. 3 3.4.5, 5.3).
import { describe, expect, it } from 'vitest';
import { CF, CODE16, DATA, DATA16, EAX, EBX, ECX, EDI, EDX, ESI, ESP, STACK16, make32 } from '../support/machine32.js';

function run16(src: string, setup?: (m: ReturnType<typeof make32>) => void) {
  const m = make32({ code16: true, stack16: true });
  m.load(src + '\nhlt\n');
  setup?.(m);
  return { m, k: m.run() };
}

describe('16-bit code segment', () => {
  it('mode summary: protected16 decode, SP stack, not flat', () => {
    const m = make32({ code16: true, stack16: true });
    expect(m.cpu.mode).toBe('protected16');
    expect(m.c.ss32).toBe(false);
    expect(m.c.flatSegs).toBe(false);
  });
  it('PUSH/POP move SP by 2; 66-prefixed PUSH moves it by 4; SP wraps inside the upper half of ESP', () => {
    const { m, k } = run16(`
      mov $0x1234, %ax
      push %ax
      pushl $0x11223344
      pop %ebx
      pop %cx
      inc %si          # 46: INC SI
    `, (mm) => mm.set(ESP, 0xabcd0000 | STACK16));
    expect(k).toBe('hlt');
    expect(m.r(EBX)).toBe(0x11223344);
    expect(m.r(ECX) & 0xffff).toBe(0x1234);
    expect(m.r(ESI)).toBe(1);
    expect(m.r(ESP)).toBe((0xabcd0000 | STACK16) >>> 0); // upper half of ESP untouched by SP arithmetic
    expect(m.dv.getUint16(STACK16 - 2, true)).toBe(0x1234);
  });
  it('CALL/RET push and pop a 2-byte IP', () => {
    const { m, k } = run16(`
      call f
      jmp done
    f: mov %sp, %bx
      mov (%bx), %dx
      ret
    done:
    `);
    expect(k).toBe('hlt');
    expect(m.r(EBX) & 0xffff).toBe(STACK16 - 2);
    expect(m.r(EDX) & 0xffff).toBe(CODE16 + 3); // the CALL is 3 bytes (E8 rel16)
    expect(m.r(ESP) & 0xffff).toBe(STACK16);
  });
  it('BP-based 16-bit addressing reads SS, BX+SI reads DS; LEA wraps at 64 KiB', () => {
    const { m } = run16(`
      mov $${DATA16}, %bp
      mov $2, %di
      mov (%bp,%di), %ax
      mov $${DATA16}, %bx
      mov $4, %si
      mov (%bx,%si), %cx
      mov $0xffff, %bx
      lea 2(%bx), %dx
    `, (mm) => mm.mem.writePhys(DATA16, new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8])));
    expect(m.r(EAX) & 0xffff).toBe(0x0403);
    expect(m.r(ECX) & 0xffff).toBe(0x0605);
    expect(m.r(EDX) & 0xffff).toBe(1);
  });
  it('REP MOVSB / LOOP count with CX and step SI/DI', () => {
    const { m, k } = run16(`
      mov $${DATA16}, %si
      mov $${DATA16 + 0x100}, %di
      mov $3, %cx
      rep movsb
      mov $4, %cx
      xor %ax, %ax
    1: inc %ax
      loop 1b
    `, (mm) => mm.mem.writePhys(DATA16, new Uint8Array([7, 8, 9, 10])));
    expect(k).toBe('hlt');
    expect(Array.from(m.mem.u8.subarray(DATA16 + 0x100, DATA16 + 0x104))).toEqual([7, 8, 9, 0]);
    expect(m.r(ESI) & 0xffff).toBe(DATA16 + 3);
    expect(m.r(EDI) & 0xffff).toBe(DATA16 + 0x103);
    expect(m.r(EAX) & 0xffff).toBe(4);
  });
  it('PUSHA/POPA with 16-bit slots', () => {
    const { m } = run16('mov $1, %ax; mov $7, %di; pusha');
    expect(m.r(ESP) & 0xffff).toBe(STACK16 - 16);
    expect(m.dv.getUint16(STACK16 - 2, true)).toBe(1);       // AX first
    expect(m.dv.getUint16(STACK16 - 10, true)).toBe(STACK16); // the SP image
    expect(m.dv.getUint16(STACK16 - 16, true)).toBe(7);      // DI last
    const p = run16('mov $3, %ax; mov $9, %di; pusha; xor %ax, %ax; xor %di, %di; popa');
    expect(p.m.r(EAX) & 0xffff).toBe(3);
    expect(p.m.r(EDI) & 0xffff).toBe(9);
    expect(p.m.r(ESP) & 0xffff).toBe(STACK16);
  });
  it('a near branch beyond the 16-bit CS limit raises #GP(0)', () => {
    const m = make32({ code16: true, stack16: true });
    m.set(EAX, 0x12345);
    m.mem.writePhys(CODE16, new Uint8Array([0x66, 0xff, 0xe0])); // jmp *%eax (32-bit operand size)
    expect(m.run()).toBe('intercept');
    expect(m.exc[0]).toMatchObject({ vector: 13, errorCode: 0 });
    expect(Number(m.exc[0]!.rip)).toBe(CODE16);
  });
});

describe('non-flat data segment (DS base 0x20000, limit 0xfff)', () => {
  it('the DS base is added; ESP-based operands use SS (flat)', () => {
    const m = make32({ ds: { base: 0x20000, limit: 0xfff } });
    expect(m.c.flatSegs).toBe(false);
    m.mem.writePhys(0x20010, new Uint8Array([0x78, 0x56, 0x34, 0x12]));
    m.load('mov 0x10, %eax\nmov $0x10, %ebx\nmovl $0x99, (%ebx)\npush $5\nmov (%esp), %ecx\nhlt');
    expect(m.run()).toBe('hlt');
    expect(m.r(EAX)).toBe(0x12345678);
    expect(m.dv.getUint32(0x20010, true)).toBe(0x99);
    expect(m.r(ECX)).toBe(5);
  });
  it('an access whose last byte is beyond the DS limit raises #GP(0); through DS string source too', () => {
    const m = make32({ ds: { base: 0x20000, limit: 0xfff } });
    m.load('mov 0xffd, %eax\nhlt');
    expect(m.run()).toBe('intercept');
    expect(m.exc[0]).toMatchObject({ vector: 13, errorCode: 0 });
    const s = make32({ ds: { base: 0x20000, limit: 0xfff } });
    s.load('mov $0x1000, %esi\nlodsb\nhlt');
    expect(s.run()).toBe('intercept');
    expect(s.exc[0]).toMatchObject({ vector: 13, errorCode: 0 });
  });
  it('the limit check uses the access width: MOVZX of the last byte passes, a dword there faults', () => {
    const m = make32({ ds: { base: 0x20000, limit: 0xfff } });
    m.mem.writePhys(0x20fff, new Uint8Array([0xab]));
    m.load('movzbl 0xfff, %eax\nmovsbw 0xfff, %bx\nhlt');
    expect(m.run()).toBe('hlt');
    expect(m.r(EAX)).toBe(0xab);
    expect(m.r(EBX) & 0xffff).toBe(0xffab);
  });
  it('ES:EDI of a string store is not subject to DS (ES is flat here)', () => {
    const m = make32({ ds: { base: 0x20000, limit: 0xfff } });
    m.load(`mov $${DATA}, %edi\nmov $0x41, %al\nstosb\nhlt`);
    expect(m.run()).toBe('hlt');
    expect(m.mem.u8[DATA]).toBe(0x41);
    void CF; void EDX;
  });
});

describe('expand-down stack segment (SS type 0x7: data, expand-down, writable; B=1, limit 0xfff)', () => {
  const ss = { selector: 0x10, base: 0n, limit: 0xfff, attrs: 0x7 | 0x10 | 0x80 | 0x400 };
  it('pushes above the limit work; the base is added and the upper bound is 4 GiB', () => {
    const m = make32({ ss });
    expect(m.c.flatSegs).toBe(false);
    m.set(ESP, 0x2004);
    m.load('push $0x55\npush $0x66\npop %eax\nhlt');
    expect(m.run()).toBe('hlt');
    expect(m.r(EAX)).toBe(0x66);
    expect(m.dv.getUint32(0x2000, true)).toBe(0x55);
  });
  it('a push whose slot reaches down to the limit raises #SS(0) and leaves ESP unchanged', () => {
    const m = make32({ ss });
    m.set(ESP, 0x1003); // the slot is 0xfff..0x1002: its first byte is at the limit
    m.load('push $0x55\nhlt');
    expect(m.run()).toBe('intercept');
    expect(m.exc[0]).toMatchObject({ vector: 12, errorCode: 0 });
    expect(m.r(ESP)).toBe(0x1003);
  });
});

