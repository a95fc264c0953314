// Straight-line execution at the end of a code segment: IP wraps at FFFFH in a 16-bit code segment, and the
// instruction fetch is limited by the CS limit in 16- and 32-bit code (SDM Vol. 3 3.4.2, 5.3: #GP(0) when
// any byte of the instruction is beyond the limit).
import { describe, expect, it } from 'vitest';
import { asm32 } from '../support/asm32.js';
import { ATTR_CODE16, ATTR_CODE32, CODE, EAX, make32, type M32 } from '../support/machine32.js';

function setCs(m: M32, limit: number, attrs: number): void {
  const st = m.cpu.getState();
  st.seg[1] = { ...st.seg[1]!, limit, attrs };
  m.cpu.setState(st);
}

describe('16-bit code: IP wraps at FFFFH', () => {
  it('an instruction ending at FFFFH continues at IP 0000H (CS limit FFFFH)', () => {
    const m = make32({ code16: true });
    m.mem.writePhys(0xfffe, asm32('mov $1, %al', 0xfffe, 16)); // B0 01
    m.mem.u8[0] = 0xf4; // hlt at CS:0000
    m.mem.u8[0x10000] = 0xcc; // what a fetch at IP 10000H would find
    m.cpu.setRip(0xfffen);
    expect(m.run()).toBe('hlt');
    expect(m.exc).toEqual([]);
    expect(m.r(EAX) & 0xff).toBe(1);
    expect(m.cpu.getRip()).toBe(1n);
  });
  it('an instruction that would run past FFFFH with CS limit FFFFH is #GP(0) at its own IP, nothing executed', () => {
    const m = make32({ code16: true });
    m.mem.writePhys(0xfffe, asm32('mov $0x1234, %ax', 0xfffe, 16)); // B8 34 12
    m.cpu.setRip(0xfffen);
    m.run();
    expect(m.exc[0]).toMatchObject({ vector: 13, errorCode: 0, rip: 0xfffen });
    expect(m.r(EAX) & 0xffff).toBe(0);
  });
  it('with a CS limit above FFFFH the instruction at FFFEH completes and the next IP wraps to 0001H', () => {
    const m = make32({ code16: true });
    setCs(m, 0xfffff, ATTR_CODE16);
    m.mem.writePhys(0xfffe, asm32('mov $0x1234, %ax', 0xfffe, 16));
    m.mem.u8[1] = 0xf4;
    m.cpu.setRip(0xfffen);
    expect(m.run()).toBe('hlt');
    expect(m.exc).toEqual([]);
    expect(m.r(EAX) & 0xffff).toBe(0x1234);
    expect(m.cpu.getRip()).toBe(2n);
  });
  it('a loop through the wrap point runs repeatedly (the boundary instruction is re-decoded, not cached wrongly)', () => {
    const m = make32({ code16: true });
    m.mem.writePhys(0xfffe, asm32('inc %bx', 0xfffe, 16)); // 43: ends at FFFEH, no wrap
    m.mem.u8[0xffff] = 0x41; // inc %cx: ends at FFFFH, wraps
    m.mem.writePhys(0, asm32('dec %dx\n jz 1f\n jmp 0xfffe\n 1: hlt', 0, 16));
    m.set(2, 3);
    m.cpu.setRip(0xfffen);
    expect(m.run()).toBe('hlt');
    expect(m.exc).toEqual([]);
    expect(m.r(3) & 0xffff).toBe(3);
    expect(m.r(1) & 0xffff).toBe(3);
  });
});

describe('CS limit on instruction fetch', () => {
  it('32-bit code: straight-line execution past the CS limit is #GP(0) at the first instruction outside', () => {
    const m = make32();
    setCs(m, CODE + 5, ATTR_CODE32 & ~0x800); // byte-granular limit: offsets up to CODE+5
    m.load('nop\n nop\n nop\n nop\n nop\n nop\n nop\n hlt');
    m.run();
    expect(m.exc[0]).toMatchObject({ vector: 13, errorCode: 0, rip: BigInt(CODE + 6) });
  });
  it('32-bit code: an instruction straddling the limit is #GP(0) at its start', () => {
    const m = make32();
    setCs(m, CODE + 6, ATTR_CODE32 & ~0x800);
    m.load('nop\n nop\n nop\n nop\n nop\n mov $1, %eax\n hlt'); // B8 at CODE+5, imm up to CODE+9
    m.run();
    expect(m.exc[0]).toMatchObject({ vector: 13, errorCode: 0, rip: BigInt(CODE + 5) });
    expect(m.r(EAX)).toBe(0);
  });
});
