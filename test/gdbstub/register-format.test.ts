// The fast register formatting of `g` and stop replies (leHex, bulk readRegisters) must give exactly the text
// of the straightforward per-byte / per-register path it replaced.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { bytesToHex, leBytes, leHex } from '../../src/gdbstub/hex.js';
import { readAll } from '../../src/gdbstub/features/registers.js';
import { GdbSession } from '../../src/gdbstub/session.js';
import { FakeTarget } from './fake-target.js';

describe('leHex', () => {
  it('equals bytesToHex(leBytes(v, n)) for widths 1..16 and any value (also wider than n bytes)', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: (1n << 140n) - 1n }), fc.integer({ min: 1, max: 16 }), (v, n) => {
        expect(leHex(v, n)).toBe(bytesToHex(leBytes(v, n)));
      }),
      { numRuns: 2000 },
    );
  });
  it('formats zero, all-ones and a 32-bit boundary value', () => {
    expect(leHex(0n, 10)).toBe('00'.repeat(10));
    expect(leHex((1n << 64n) - 1n, 8)).toBe('ff'.repeat(8));
    expect(leHex(0x1_0000_0000n, 8)).toBe('0000000001000000');
    expect(leHex(0x0102030405060708090an, 10)).toBe('0a090807060504030201');
  });
});

describe('g with a bulk readRegisters', () => {
  function session(t: FakeTarget): GdbSession {
    return new GdbSession({ target: t, send: () => {} });
  }
  it('gives the same reply as one readRegister per register, and reads through the bulk path', () => {
    const t = new FakeTarget();
    t.regs = t.regs.map((_, i) => (BigInt(i + 1) << BigInt(8 * (i % 9))) | 0xa5n);
    const perRegister = readAll(session(t));
    const bulk = Object.assign(t, { readRegisters: () => t.regs.map((v) => v) });
    bulk.calls = [];
    expect(readAll(session(bulk))).toBe(perRegister);
    expect(bulk.calls.filter((c) => c.op === 'readRegister')).toEqual([]);
  });
  it('falls back to per-register reads when the bulk read throws (unreadable ones become xx)', () => {
    const t = new FakeTarget();
    const bulk = Object.assign(t, {
      readRegisters: (): bigint[] => {
        throw new Error('no snapshot');
      },
    });
    t.throwOn.add('readRegister');
    const reply = readAll(session(bulk)) as string;
    expect(reply).toBe(t.registers.map((r) => 'xx'.repeat(Math.ceil(r.bitsize / 8))).join(''));
  });
});
