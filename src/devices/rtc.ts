// The MC146818 CMOS real-time clock at ports 0x70 (index, bit 7 = NMI disable) and 0x71 (data), as QEMU's
// hw/rtc/mc146818rtc.c (7.2) presents it: time and date registers in BCD (register B after reset: 24-hour,
// BCD), register A with the 32.768 kHz divider and the update-in-progress bit, register D "valid RAM and
// time", the century byte at 0x32, and 114 bytes of CMOS RAM.
//
// Time is virtual and deterministic: the clock starts at RTC_EPOCH when the machine starts and advances
// with the CPU clock (one tick = 1 ns, timers.ts); QEMU starts from the host's time instead (-rtc base=utc),
// which no deterministic run can. UIP reads 1 during the last 244 us of each second, before the update
// (datasheet: tBUC). A guest may set the time (register B SET, write the registers, clear SET).
// Not modelled: the periodic, alarm and update-ended interrupts (IRQ8 is never raised; register C reads 0),
// daylight saving, 12-hour mode on writes, the BIOS's memory-size bytes (SeaBIOS reads fw_cfg instead).

import type { PortDevice } from './iobus.js';
import { NS_PER_TICK } from './timers.js';

export const RTC_INDEX_PORT = 0x70;
export const RTC_DATA_PORT = 0x71;

// Register indices (MC146818 datasheet; QEMU include/hw/rtc/mc146818rtc_regs.h).
export const RTC_SECONDS = 0x00;
export const RTC_MINUTES = 0x02;
export const RTC_HOURS = 0x04;
export const RTC_DAY_OF_WEEK = 0x06;
export const RTC_DAY_OF_MONTH = 0x07;
export const RTC_MONTH = 0x08;
export const RTC_YEAR = 0x09;
export const RTC_REG_A = 0x0a;
export const RTC_REG_B = 0x0b;
export const RTC_REG_C = 0x0c;
export const RTC_REG_D = 0x0d;
/** The century byte (IBM PC/AT convention, where QEMU keeps it). */
export const RTC_CENTURY = 0x32;
export const CMOS_SIZE = 128;

export const REG_A_UIP = 0x80;
/** Divider 010b (32.768 kHz time base), rate 0110b (1.024 kHz): QEMU's reset value of register A. */
export const REG_A_RESET = 0x26;
export const REG_B_SET = 0x80;
export const REG_B_DM_BINARY = 0x04;
export const REG_B_24H = 0x02;
/** QEMU's reset value of register B: 24-hour mode, BCD. */
export const REG_B_RESET = REG_B_24H;
export const REG_D_VRT = 0x80;
/** The index port's bit 7 disables NMI (not modelled: there is no NMI source); bits 6:0 select. */
const INDEX_MASK = 0x7f;

/** Where the virtual RTC starts: 2026-01-01 00:00:00 UTC (a Thursday). */
export const RTC_EPOCH = Date.UTC(2026, 0, 1) / 1000;
/** Update-in-progress window before each second's update (datasheet tBUC = 244 us). */
const UIP_NS = 244_000;
const NS_PER_S = 1_000_000_000;

const toBcd = (v: number): number => ((Math.floor(v / 10) << 4) | (v % 10)) & 0xff;
const fromBcd = (v: number): number => (v >> 4) * 10 + (v & 0xf);

export class CmosRtc implements PortDevice {
  readonly name = 'rtc';
  private index = 0;
  private readonly ram = new Uint8Array(CMOS_SIZE);
  /** Unix seconds the clock shows at tick 0 (moved when the guest sets the time). */
  private base = RTC_EPOCH;
  /** While SET is on, the time the guest is writing (and what reads show). */
  private held: Date | undefined;

  constructor(private readonly clock: () => number) {
    this.reset();
  }

  reset(): void {
    this.ram.fill(0);
    this.ram[RTC_REG_A] = REG_A_RESET;
    this.ram[RTC_REG_B] = REG_B_RESET;
    this.ram[RTC_REG_D] = REG_D_VRT;
    this.base = RTC_EPOCH;
    this.held = undefined;
    this.index = 0;
  }

  private ns(): number {
    return this.clock() * NS_PER_TICK;
  }

  /** The time the clock shows now. */
  now(): Date {
    return this.held ?? new Date((this.base + Math.floor(this.ns() / NS_PER_S)) * 1000);
  }

  private encode(v: number): number {
    return (this.ram[RTC_REG_B]! & REG_B_DM_BINARY) !== 0 ? v : toBcd(v);
  }

  private decode(v: number): number {
    return (this.ram[RTC_REG_B]! & REG_B_DM_BINARY) !== 0 ? v : fromBcd(v);
  }

  private hours(h: number): number {
    if ((this.ram[RTC_REG_B]! & REG_B_24H) !== 0) return this.encode(h);
    const h12 = h % 12 === 0 ? 12 : h % 12;
    return this.encode(h12) | (h >= 12 ? 0x80 : 0); // PM flag in bit 7
  }

  private readRegister(i: number): number {
    const t = this.now();
    switch (i) {
      case RTC_SECONDS: return this.encode(t.getUTCSeconds());
      case RTC_MINUTES: return this.encode(t.getUTCMinutes());
      case RTC_HOURS: return this.hours(t.getUTCHours());
      case RTC_DAY_OF_WEEK: return this.encode(t.getUTCDay() + 1);
      case RTC_DAY_OF_MONTH: return this.encode(t.getUTCDate());
      case RTC_MONTH: return this.encode(t.getUTCMonth() + 1);
      case RTC_YEAR: return this.encode(t.getUTCFullYear() % 100);
      case RTC_CENTURY: return this.encode(Math.floor(t.getUTCFullYear() / 100));
      case RTC_REG_A: {
        const uip = this.held === undefined && this.ns() % NS_PER_S >= NS_PER_S - UIP_NS;
        return (this.ram[RTC_REG_A]! & ~REG_A_UIP) | (uip ? REG_A_UIP : 0);
      }
      case RTC_REG_C: return 0; // no interrupt flags: none is modelled
      default: return this.ram[i]!;
    }
  }

  private writeRegister(i: number, v: number): void {
    switch (i) {
      case RTC_SECONDS: case RTC_MINUTES: case RTC_HOURS: case RTC_DAY_OF_MONTH: case RTC_MONTH: case RTC_YEAR: case RTC_CENTURY:
        this.setField(i, v);
        return;
      case RTC_REG_A:
        this.ram[RTC_REG_A] = v & ~REG_A_UIP; // UIP is read-only
        return;
      case RTC_REG_B:
        if ((v & REG_B_SET) !== 0 && this.held === undefined) this.held = this.now();
        if ((v & REG_B_SET) === 0 && this.held !== undefined) {
          this.base = Math.floor(this.held.getTime() / 1000) - Math.floor(this.ns() / NS_PER_S);
          this.held = undefined;
        }
        this.ram[RTC_REG_B] = v;
        return;
      case RTC_REG_C: case RTC_REG_D:
        return; // read-only
      default:
        this.ram[i] = v;
    }
  }

  /** A time register written: applied to the held time (SET on) or to the running clock. */
  private setField(i: number, raw: number): void {
    const t = new Date(this.now().getTime());
    const v = i === RTC_HOURS && (this.ram[RTC_REG_B]! & REG_B_24H) === 0 ? (this.decode(raw & 0x7f) % 12) + ((raw & 0x80) !== 0 ? 12 : 0) : this.decode(raw);
    switch (i) {
      case RTC_SECONDS: t.setUTCSeconds(v); break;
      case RTC_MINUTES: t.setUTCMinutes(v); break;
      case RTC_HOURS: t.setUTCHours(v); break;
      case RTC_DAY_OF_MONTH: t.setUTCDate(v); break;
      case RTC_MONTH: t.setUTCMonth(v - 1); break;
      case RTC_YEAR: t.setUTCFullYear(Math.floor(t.getUTCFullYear() / 100) * 100 + v); break;
      case RTC_CENTURY: t.setUTCFullYear(v * 100 + (t.getUTCFullYear() % 100)); break;
    }
    if (this.held !== undefined) this.held = t;
    else this.base = Math.floor(t.getTime() / 1000) - Math.floor(this.ns() / NS_PER_S);
  }

  in(port: number, _size: 1 | 2 | 4): number {
    return port === RTC_DATA_PORT ? this.readRegister(this.index) : 0xff;
  }

  out(port: number, _size: 1 | 2 | 4, value: number): void {
    if (port === RTC_INDEX_PORT) this.index = value & INDEX_MASK;
    else this.writeRegister(this.index, value & 0xff);
  }
}
