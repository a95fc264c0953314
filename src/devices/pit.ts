// The 8254 programmable interval timer at ports 0x40-0x43 (Intel 8254 datasheet, order 231164),
// enough for guests that program it or read its counters: control words (counter select, read/write
// mode LSB/MSB/both, operating mode), the counter-latch command, the read-back command (count and
// status latches), and counters that count down from the CPU clock.
//
// Time: the input runs at 1.193182 MHz of virtual time (one CPU clock tick = one nanosecond, timers.ts);
// the count is derived from the clock as QEMU derives it (hw/timer/i8254.c pit_get_count: elapsed input
// cycles = floor(ns * PIT_FREQ / 10^9)), never stepped, so runs are deterministic.
// Gates: counters 0 and 1 have their gate tied high; counter 2's gate is bit 0 of port 0x61
// (speaker.ts), low after reset as on a PC. A rising gate edge restarts the count in modes 1, 2, 3 and
// 5; as QEMU (hw/timer/i8254.c), a low gate does not pause modes 0 and 4. OUT levels follow the
// datasheet's waveforms (QEMU 7.2 inverts OUT in modes 1, 2, 4 and 5; its later releases fixed mode 1).
// Counter 0's OUT drives IRQ0: each rising edge in modes 0, 2 and 3 (terminal count, each period) is
// delivered as an edge on the IRQ0 line, with a timer channel armed for the next edge (QEMU's
// pit_irq_timer_update). Modes 1, 4 and 5 raise no IRQ0 here (counter 0's gate is tied high: nothing
// triggers modes 1 and 5; mode 4's strobe is not delivered). No sound. BCD counting is accepted but counts
// in binary.

import type { PortDevice } from './iobus.js';
import { NS_PER_TICK, type TimerHost } from './timers.js';

/** The 8254's input clock (QEMU PIT_FREQ). */
export const PIT_FREQ = 1193182;
const NS_PER_S = 1_000_000_000n;

/** Input cycles elapsed in `ticks` clock ticks: floor(ns * PIT_FREQ / 10^9), exactly (BigInt: PIT accesses
 *  are rare next to instructions, and the product outgrows 2^53 after a few virtual seconds). */
export function pitCycles(ticks: number): number {
  return Number((BigInt(ticks * NS_PER_TICK) * BigInt(PIT_FREQ)) / NS_PER_S);
}

/** The first tick offset at which `cycles` input cycles have elapsed (the inverse of pitCycles). */
export function ticksForCycles(cycles: number): number {
  const ns = (BigInt(cycles) * NS_PER_S + BigInt(PIT_FREQ) - 1n) / BigInt(PIT_FREQ);
  return Math.ceil(Number(ns) / NS_PER_TICK);
}

export const PIT_COUNTER0 = 0x40;
export const PIT_CONTROL = 0x43;

// Control word fields.
export const CW_SC_SHIFT = 6; // counter select; 11 = read-back command
export const CW_RW_SHIFT = 4; // 00 latch, 01 LSB, 10 MSB, 11 LSB then MSB
export const CW_MODE_SHIFT = 1;
export const CW_BCD = 1;
const SC_READ_BACK = 3;
const RW_LATCH = 0;
const RW_LSB = 1;
const RW_MSB = 2;
const RW_BOTH = 3;
// Read-back command bits (active low latches).
export const RB_NOT_COUNT = 1 << 5;
export const RB_NOT_STATUS = 1 << 4;
// Status byte.
export const STATUS_OUT = 1 << 7;
export const STATUS_NULL_COUNT = 1 << 6;

class Counter {
  mode = 3;
  rw = RW_BOTH;
  bcd = false;
  gate = true;
  /** Count loaded into the counting element; 0 means 0x10000. */
  count = 0x10000;
  loadTick = 0;
  private writeLow = true; // next byte written in RW_BOTH mode is the LSB
  private readLow = true;
  private pendingLow = 0;
  private latched: number[] = [];
  private status: number | undefined;

  constructor(
    private readonly clock: () => number,
    private readonly gateAfterReset: boolean,
    /** Told after every change of mode, count or gate (counter 0 re-arms its IRQ0 timer). */
    private readonly changed: () => void = () => {},
  ) {}

  reset(): void {
    this.gate = this.gateAfterReset;
    // QEMU (hw/timer/i8254_common.c) resets every counter to mode 3 with a count of 0 (= 65536).
    this.mode = 3;
    this.rw = RW_BOTH;
    this.bcd = false;
    this.load(0);
    this.writeLow = this.readLow = true;
    this.latched = [];
    this.status = undefined;
  }

  control(cw: number): void {
    const rw = (cw >>> CW_RW_SHIFT) & 3;
    if (rw === RW_LATCH) {
      this.latchCount();
      return;
    }
    this.rw = rw;
    let mode = (cw >>> CW_MODE_SHIFT) & 7;
    if (mode > 5) mode -= 4; // 110b and 111b are aliases of modes 2 and 3
    this.mode = mode;
    this.bcd = (cw & CW_BCD) !== 0;
    this.writeLow = this.readLow = true;
    this.latched = [];
    this.changed();
  }

  setGate(level: boolean): void {
    // Datasheet: in modes 1 and 5 the rising edge triggers the count; in modes 2 and 3 it reloads it.
    if (level && !this.gate && (this.mode === 1 || this.mode === 2 || this.mode === 3 || this.mode === 5)) this.loadTick = this.clock();
    this.gate = level;
    this.changed();
  }

  latchCount(): void {
    if (this.latched.length > 0) return; // a second latch before the read is ignored
    const c = this.current();
    this.latched = this.rw === RW_LSB ? [c & 0xff] : this.rw === RW_MSB ? [c >>> 8] : [c & 0xff, c >>> 8];
  }

  latchStatus(): void {
    if (this.status !== undefined) return;
    this.status = (this.out() ? STATUS_OUT : 0) | (this.rw << CW_RW_SHIFT) | (this.mode << CW_MODE_SHIFT) | (this.bcd ? CW_BCD : 0);
  }

  read(): number {
    if (this.status !== undefined) {
      const s = this.status;
      this.status = undefined;
      return s;
    }
    if (this.latched.length > 0) return this.latched.shift()!;
    const c = this.current();
    switch (this.rw) {
      case RW_LSB: return c & 0xff;
      case RW_MSB: return c >>> 8;
      default: {
        const low = this.readLow;
        this.readLow = !low;
        return low ? c & 0xff : c >>> 8;
      }
    }
  }

  write(v: number): void {
    switch (this.rw) {
      case RW_LSB: this.load(v); return;
      case RW_MSB: this.load(v << 8); return;
      default:
        if (this.writeLow) this.pendingLow = v;
        else this.load(this.pendingLow | (v << 8));
        this.writeLow = !this.writeLow;
    }
  }

  private load(v: number): void {
    this.count = v === 0 ? 0x10000 : v;
    this.loadTick = this.clock();
    this.changed();
  }

  /** Input cycles since the count was loaded. */
  private elapsed(): number {
    return pitCycles(this.clock() - this.loadTick);
  }

  /** Clock tick of the next rising edge of OUT after the current tick, or undefined when OUT will not rise
   *  again without reprogramming (modes 0, 2 and 3; see the file comment for the others). */
  nextRisingEdge(): number | undefined {
    const d = this.elapsed();
    const n = this.count;
    let at: number;
    if (this.mode === 0) {
      if (d >= n) return undefined; // already high at terminal count
      at = n;
    } else if (this.mode === 2 || this.mode === 3) {
      at = (Math.floor(d / n) + 1) * n; // each reload
    } else {
      return undefined;
    }
    return this.loadTick + ticksForCycles(at);
  }

  /** Counting-element value now (16 bits; 0x10000 reads as 0). */
  current(): number {
    const d = this.elapsed();
    const n = this.count;
    switch (this.mode) {
      case 2: return (n - (d % n)) & 0xffff; // rate generator: n..1, reload
      case 3: return (n - ((2 * d) % n)) & 0xffff; // square wave: decrements by 2
      default: return (n - d) & 0xffff; // modes 0, 1, 4, 5: wrap after terminal count
    }
  }

  /** OUT pin level now, as the status byte reports it. */
  out(): boolean {
    const d = this.elapsed();
    const n = this.count;
    switch (this.mode) {
      case 0: case 1: return d >= n; // high at terminal count
      case 2: return d % n !== n - 1; // low for one cycle when the count is 1
      case 3: return d % n < Math.ceil(n / 2); // high for the first half period
      default: return d !== n; // modes 4, 5: one low pulse at terminal count
    }
  }
}

export class Pit8254 implements PortDevice {
  readonly name = 'pit';
  private readonly counters: Counter[];

  private irq0: ((level: boolean) => void) | undefined;
  private timer: TimerHost | undefined;
  private readonly onEdge = (): void => this.irq0Edge();

  /** `clock` is the CPU's virtual clock (GuestCpu.clock). */
  constructor(clock: () => number) {
    this.counters = [new Counter(clock, true, () => this.armIrq0()), new Counter(clock, true), new Counter(clock, false)];
    this.reset();
  }

  /** Wire counter 0's OUT to IRQ0: `timer` is the PIT's timer channel (timers.ts), `irq0` the line (an edge
   *  is delivered as level true then false). */
  connectIrq0(timer: TimerHost, irq0: (level: boolean) => void): void {
    this.timer = timer;
    this.irq0 = irq0;
    this.armIrq0();
  }

  reset(): void {
    for (const c of this.counters) c.reset();
  }

  private armIrq0(): void {
    if (this.timer === undefined) return;
    this.timer.setTimer(this.counters[0]!.nextRisingEdge(), this.onEdge);
  }

  private irq0Edge(): void {
    this.irq0?.(true);
    this.irq0?.(false);
    this.armIrq0();
  }

  /** Gate input of counter n (only counter 2's is wired: port 0x61 bit 0). */
  setGate(n: number, level: boolean): void {
    this.counters[n]!.setGate(level);
  }

  gate(n: number): boolean {
    return this.counters[n]!.gate;
  }

  /** OUT pin of counter n now. */
  outputLevel(n: number): boolean {
    return this.counters[n]!.out();
  }

  /** Current count of counter n (0-2), for tests and monitors. */
  count(n: number): number {
    return this.counters[n]!.current();
  }

  in(port: number, _size: 1 | 2 | 4): number {
    const n = port - PIT_COUNTER0;
    if (n >= 0 && n < 3) return this.counters[n]!.read();
    return 0xff; // the control register cannot be read (the 8254 leaves the bus floating)
  }

  out(port: number, _size: 1 | 2 | 4, value: number): void {
    const v = value & 0xff;
    const n = port - PIT_COUNTER0;
    if (n >= 0 && n < 3) {
      this.counters[n]!.write(v);
      return;
    }
    const sc = v >>> CW_SC_SHIFT;
    if (sc !== SC_READ_BACK) {
      this.counters[sc]!.control(v);
      return;
    }
    // Read-back: bits 3:1 select counters 0-2; latches are active low.
    for (let i = 0; i < 3; i++) {
      if ((v & (2 << i)) === 0) continue;
      const c = this.counters[i]!;
      if ((v & RB_NOT_STATUS) === 0) c.latchStatus();
      if ((v & RB_NOT_COUNT) === 0) c.latchCount();
    }
  }
}
