// Outside 64-bit mode: INS/OUTS with 16/32-bit addressing and segments (SDM Vol. 2 INS/OUTS), and the
// segment type checks of data accesses (SDM Vol. 3 5.4/5.5: writes need a writable data segment, reads a
// readable one; an expand-down segment with a 4 GiB limit has no valid offset).
import { describe, expect, it } from 'vitest';
import type { SegmentState } from '../../../src/cpu/api.js';
import { ATTR_DATA32, CODE, CODE16, DATA, DATA16, ECX, EDI, ESI, EAX, make32, type M32 } from '../support/machine32.js';

const ES = 0, CS = 1, DS = 3, FS = 4;
const S_D_P_DB_G = 0x10 | 0x80 | 0x400 | 0x800; // S, P, D/B, G: the type (low 4 bits) varies
const READ_ONLY_DATA = 0x1 | S_D_P_DB_G;
const EXPAND_DOWN_RW = 0x7 | S_D_P_DB_G;
const EXEC_ONLY_CODE = 0x9 | S_D_P_DB_G;
const READABLE_CODE = 0xb | S_D_P_DB_G;

function setSeg(m: M32, s: number, seg: Partial<SegmentState>): void {
  const st = m.cpu.getState();
  st.seg[s] = { ...st.seg[s]!, ...seg };
  m.cpu.setState(st);
}
function fault(m: M32): { vector: number; errorCode: number | undefined; rip: bigint } | undefined {
  const e = m.exc[0];
  return e && { vector: e.vector, errorCode: e.errorCode, rip: e.rip };
}

describe('INS/OUTS outside 64-bit mode', () => {
  it('16-bit code: INSB uses ES:DI and wraps DI at 64 KiB, keeping the upper half of EDI', () => {
    const m = make32({ code16: true });
    m.set(EDI, 0x1234ffff);
    m.load('mov $0x80, %dx\n insb\n hlt');
    expect(m.run()).toBe('hlt');
    expect(m.ins).toEqual([{ port: 0x80, size: 1 }]);
    expect(m.mem.u8[0xffff]).toBe(0xff);
    expect(m.r(EDI)).toBe(0x12340000);
  });
  it('32-bit code with a 16-bit address size (67): REP OUTSB counts CX and steps SI only', () => {
    const m = make32();
    m.mem.u8.set([0xa1, 0xb2], DATA16);
    m.set(ECX, 0xabcd0002);
    m.set(ESI, 0x77770000 | DATA16);
    m.load('mov $0xe9, %edx\n .byte 0x67, 0xf3, 0x6e\n hlt');
    expect(m.run()).toBe('hlt');
    expect(m.io).toEqual([{ port: 0xe9, size: 1, value: 0xa1 }, { port: 0xe9, size: 1, value: 0xb2 }]);
    expect(m.r(ECX)).toBe(0xabcd0000);
    expect(m.r(ESI)).toBe((0x77770000 | DATA16) + 2);
  });
  it('INS always stores through ES (an FS prefix does not apply); OUTS reads DS or the override', () => {
    const m = make32();
    setSeg(m, FS, { base: 0x1000n });
    m.set(EDI, DATA);
    m.load('mov $0x80, %edx\n .byte 0x64, 0x6c\n hlt');
    expect(m.run()).toBe('hlt');
    expect(m.mem.u8[DATA]).toBe(0xff);
    expect(m.mem.u8[DATA + 0x1000]).toBe(0);
    const o = make32({ ds: { base: 0x1000, limit: 0xffffffff } });
    o.mem.u8[DATA] = 0x11; o.mem.u8[DATA + 0x1000] = 0x22;
    o.load(`mov $0xe9, %edx\n mov $${DATA}, %esi\n outsb\n mov $${DATA}, %esi\n es outsb\n hlt`);
    expect(o.run()).toBe('hlt');
    expect(o.io.map((e) => e.value)).toEqual([0x22, 0x11]);
  });
  it('REP INSW with DF=1 in 16-bit code walks DI down by 2', () => {
    const m = make32({ code16: true });
    m.load(`mov $0x80, %dx\n mov $${DATA16 + 4}, %di\n mov $3, %cx\n std\n rep insw\n cld\n hlt`);
    expect(m.run()).toBe('hlt');
    expect(m.ins.length).toBe(3);
    expect(m.r(EDI) & 0xffff).toBe(DATA16 - 2);
    expect([...m.mem.u8.subarray(DATA16, DATA16 + 6)]).toEqual([0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
  });
  it('a REP INSB that leaves the ES limit midway faults with the completed iterations counted', () => {
    const m = make32();
    setSeg(m, ES, { limit: DATA + 2, attrs: ATTR_DATA32 & ~0x800 }); // byte granular: offsets 0..DATA+2
    m.load(`mov $0x80, %edx\n mov $${DATA}, %edi\n mov $5, %ecx\n rep insb\n hlt`);
    m.run();
    expect(fault(m)).toEqual({ vector: 13, errorCode: 0, rip: BigInt(CODE + 15) }); // the REP INSB itself
    expect(m.ins.length).toBe(3);
    expect(m.r(ECX)).toBe(2);
    expect(m.r(EDI)).toBe(DATA + 3);
  });
  it('INS into a read-only ES: #GP(0) before the port is read', () => {
    const m = make32();
    setSeg(m, ES, { attrs: READ_ONLY_DATA });
    m.load(`mov $0x80, %edx\n mov $${DATA}, %edi\n insb\n hlt`);
    m.run();
    expect(fault(m)?.vector).toBe(13);
    expect(m.ins).toEqual([]);
  });
});

describe('segment type checks of data accesses (SDM Vol. 3 5.4/5.5)', () => {
  it('a flat read-only DS: reads work, writes (MOV, RMW ALU, MOV moffs) are #GP(0)', () => {
    for (const [src, ok] of [
      [`mov ${DATA}, %eax`, true],
      [`movl $1, ${DATA}`, false],
      [`mov $${DATA}, %ebx\n addl %eax, (%ebx)`, false],
      [`mov %eax, ${DATA}`, false], // A3 moffs
      [`mov $${DATA}, %ebx\n incl (%ebx)`, false],
      [`mov $${DATA}, %ebx\n cmpl %eax, (%ebx)`, true],
    ] as const) {
      const m = make32();
      m.mem.u8[DATA] = 0x5a;
      setSeg(m, DS, { attrs: READ_ONLY_DATA });
      expect(m.c.flatSegs, src).toBe(false);
      m.load(`${src}\n hlt`);
      m.run();
      expect(fault(m), src).toEqual(ok ? undefined : { vector: 13, errorCode: 0, rip: expect.any(BigInt) });
      expect(m.mem.u8[DATA], src).toBe(0x5a);
    }
  });
  it('STOS to a read-only ES is #GP(0); MOVS reading it is fine', () => {
    const m = make32();
    setSeg(m, ES, { attrs: READ_ONLY_DATA });
    m.load(`mov $${DATA}, %edi\n stosb\n hlt`);
    m.run();
    expect(fault(m)?.vector).toBe(13);
    const r = make32();
    r.mem.u8[DATA] = 7;
    setSeg(r, DS, { attrs: READ_ONLY_DATA });
    r.load(`mov $${DATA}, %esi\n mov $${DATA + 8}, %edi\n movsb\n hlt`);
    expect(r.run()).toBe('hlt');
    expect(r.mem.u8[DATA + 8]).toBe(7);
  });
  it('CS override: reads of a readable code segment work, writes are #GP(0); an execute-only CS refuses reads', () => {
    const m = make32();
    m.mem.u8[DATA] = 0x3c;
    m.load(`mov %cs:${DATA}, %al\n hlt`);
    expect(m.run()).toBe('hlt');
    expect(m.r(EAX) & 0xff).toBe(0x3c);
    const w = make32();
    w.load(`movb $1, %cs:${DATA}\n hlt`);
    w.run();
    expect(fault(w)).toEqual({ vector: 13, errorCode: 0, rip: BigInt(CODE) });
    const x = make32();
    setSeg(x, CS, { attrs: EXEC_ONLY_CODE });
    x.load(`mov %cs:${DATA}, %al\n mov ${DATA}, %al\n hlt`);
    x.run();
    expect(fault(x)).toEqual({ vector: 13, errorCode: 0, rip: BigInt(CODE) });
  });
  it('a readable code segment in DS: reads work, writes are #GP(0)', () => {
    const m = make32();
    setSeg(m, DS, { selector: 0x08, attrs: READABLE_CODE });
    m.load(`mov ${DATA}, %eax\n movl $1, ${DATA}\n hlt`);
    m.run();
    expect(fault(m)).toEqual({ vector: 13, errorCode: 0, rip: BigInt(CODE + 5) });
  });
  it('an expand-down DS with limit FFFFFFFFH is not flat and has no valid offset', () => {
    const m = make32();
    setSeg(m, DS, { attrs: EXPAND_DOWN_RW });
    expect(m.c.flatSegs).toBe(false);
    m.load(`mov ${DATA}, %eax\n hlt`);
    m.run();
    expect(fault(m)?.vector).toBe(13);
  });
  it('flat writable segments keep the fast path (flatSegs) and accept CS-relative code fetch', () => {
    const m = make32();
    expect(m.c.flatSegs).toBe(true);
    m.load(`movl $0x01020304, ${DATA}\n hlt`);
    expect(m.run()).toBe('hlt');
    expect(m.dv.getUint32(DATA, true)).toBe(0x01020304);
  });
  it('16-bit code: a write through a read-only DS is #GP(0) as in 32-bit code', () => {
    const m = make32({ code16: true });
    setSeg(m, DS, { attrs: READ_ONLY_DATA });
    m.load(`movw $1, ${DATA16}\n hlt`);
    m.run();
    expect(fault(m)).toEqual({ vector: 13, errorCode: 0, rip: BigInt(CODE16) });
  });
});
