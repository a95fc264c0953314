// The CMOS RTC (src/devices/rtc.ts): BCD time from the virtual clock (RTC_EPOCH at tick 0, one tick = 1 ns),
// QEMU's reset values of registers A, B and D, the update-in-progress window, binary mode, setting the time
// with register B's SET bit, and CMOS RAM.
import { describe, expect, it } from 'vitest';
import { IoPortBus } from '../../src/devices/iobus.js';
import { CmosRtc } from '../../src/devices/rtc.js';

function rtc() {
  let clock = 0;
  const io = new IoPortBus();
  io.attach(0x70, 2, new CmosRtc(() => clock));
  const rd = (i: number) => {
    io.out(0x70, 1, i);
    return io.in(0x71, 1);
  };
  const wr = (i: number, v: number) => {
    io.out(0x70, 1, i);
    io.out(0x71, 1, v);
  };
  return { rd, wr, io, at: (ns: number) => (clock = ns) };
}

describe('CMOS RTC', () => {
  it('starts at 2026-01-01 00:00:00 (Thursday) in BCD, 24-hour; registers A/B/D as QEMU resets them', () => {
    const { rd } = rtc();
    expect([rd(0), rd(2), rd(4), rd(6), rd(7), rd(8), rd(9), rd(0x32)]).toEqual([0, 0, 0, 5, 1, 1, 0x26, 0x20]);
    expect([rd(0x0a), rd(0x0b), rd(0x0c), rd(0x0d)]).toEqual([0x26, 0x02, 0x00, 0x80]);
  });

  it('advances with virtual time; UIP in the last 244 us of a second; binary mode on request', () => {
    const { rd, wr, at } = rtc();
    at(3_725_000_000_000); // 1 h 2 min 5 s
    expect([rd(4), rd(2), rd(0)]).toEqual([0x01, 0x02, 0x05]);
    at(3_725_999_756_000);
    expect(rd(0x0a) & 0x80).toBe(0x80);
    at(3_725_999_755_999);
    expect(rd(0x0a) & 0x80).toBe(0);
    wr(0x0b, 0x06); // binary, 24-hour
    expect(rd(2)).toBe(2);
    at(86_400_000_000_000 * 31); // February 1st
    expect([rd(7), rd(8)]).toEqual([1, 2]);
  });

  it('SET holds the clock while the guest writes it; clearing SET runs it from the written time', () => {
    const { rd, wr, at } = rtc();
    at(10_000_000_000);
    wr(0x0b, 0x82); // SET
    wr(0x09, 0x99);
    wr(0x32, 0x19);
    wr(0x04, 0x23);
    wr(0x02, 0x59);
    wr(0x00, 0x58);
    at(20_000_000_000);
    expect([rd(0x09), rd(0x04), rd(0x00)]).toEqual([0x99, 0x23, 0x58]); // held
    wr(0x0b, 0x02);
    at(23_000_000_000);
    expect([rd(0x32), rd(0x09), rd(0x08), rd(0x07), rd(0x04), rd(0x02), rd(0x00)]).toEqual([0x19, 0x99, 0x01, 0x02, 0x00, 0x00, 0x01]); // 1999-01-01 23:59:58 + 3 s
    wr(0x40, 0xab);
    expect(rd(0x40)).toBe(0xab);
    expect(rd(0x0d)).toBe(0x80);
  });
});
