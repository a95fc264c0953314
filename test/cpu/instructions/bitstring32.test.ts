// BT/BTS/BTR/BTC with a register bit offset outside 64-bit mode: the bit string's element (ModRM offset +
// element displacement, wrapped to the address size) is what the segment limit and type checks see
// (SDM Vol. 2 BT, Vol. 3 5.3).
import { describe, expect, it } from 'vitest';
import { ATTR_DATA32, CF, DATA, EAX, EBX, make32 } from '../support/machine32.js';

const DS = 3;
function limitDs(m: ReturnType<typeof make32>, limit: number, attrs = ATTR_DATA32 & ~0x800): void {
  const st = m.cpu.getState();
  st.seg[DS] = { ...st.seg[DS]!, limit, attrs };
  m.cpu.setState(st);
}

describe('bit strings and the segment limit', () => {
  it('the element dword must lie inside the DS limit: bit 32 at DATA is fine with limit DATA+7, bit 64 is #GP(0)', () => {
    for (const [bitOff, ok] of [[32, true], [63, true], [64, false]] as const) {
      const m = make32();
      limitDs(m, DATA + 7);
      m.dv.setUint32(DATA + 4, 0x80000001, true);
      m.set(EAX, bitOff); m.set(EBX, DATA);
      m.load('bt %eax, (%ebx)\n hlt');
      m.run();
      if (ok) { expect(m.exc, `bit ${bitOff}`).toEqual([]); expect(m.flags() & CF).toBe(CF); }
      else expect(m.exc[0]).toMatchObject({ vector: 13, errorCode: 0 });
    }
  });
  it('a ModRM offset beyond the limit is fine when a negative bit offset brings the element inside', () => {
    const m = make32();
    limitDs(m, DATA + 7);
    m.dv.setUint32(DATA + 4, 1, true);
    m.set(EAX, -32); m.set(EBX, DATA + 8);
    m.load('bt %eax, (%ebx)\n hlt');
    expect(m.run()).toBe('hlt');
    expect(m.exc).toEqual([]);
    expect(m.flags() & CF).toBe(CF);
  });
  it('BTS writes: a read-only DS is #GP(0), memory unchanged', () => {
    const m = make32();
    limitDs(m, 0xffffffff, (ATTR_DATA32 & ~0xf) | 0x1);
    m.set(EAX, 3); m.set(EBX, DATA);
    m.load('bts %eax, (%ebx)\n hlt');
    m.run();
    expect(m.exc[0]).toMatchObject({ vector: 13, errorCode: 0 });
    expect(m.mem.u8[DATA]).toBe(0);
  });
  it('16-bit addressing: the element offset wraps at 64 KiB', () => {
    const m = make32({ code16: true });
    m.mem.u8[0] = 1; // word at DS:0000 has bit 0 set; the word at 10000H has not
    m.mem.u8[0x10000] = 0;
    m.set(EAX, 16); m.set(EBX, 0xfffe);
    m.load('bt %ax, (%bx)\n hlt');
    expect(m.run()).toBe('hlt');
    expect(m.exc).toEqual([]);
    expect(m.flags() & CF).toBe(CF);
  });
});
