// A stand-in for the CPU side of the local APIC: a clock the test moves by hand, the one timer event,
// and a count of notifyInterrupt() calls. advance() fires the timer the way the CPU does: at the first
// boundary where clock >= tick.

import type { ApicHost } from '../../src/devices/lapic.js';

export class FakeHost implements ApicHost {
  clock = 0;
  /** IA32_TSC = clock + tscOffset, as the CPU counts it (src/cpu/system.ts tsc()). */
  tscOffset = 0;
  notifications = 0;
  timerTick: number | undefined;
  private timerFn: (() => void) | undefined;
  /** Ticks at which the timer callback ran. */
  readonly fired: number[] = [];

  setTimer(tick: number | undefined, fn?: () => void): void {
    this.timerTick = tick;
    this.timerFn = tick === undefined ? undefined : fn;
  }

  getMsr(index: number): bigint | undefined {
    return index === 0x10 ? BigInt(this.clock + this.tscOffset) : undefined;
  }

  notifyInterrupt(): void {
    this.notifications++;
  }

  /** NMI messages the APIC sent to the CPU's NMI input. */
  nmis = 0;
  nmi(): void {
    this.nmis++;
  }

  /** Move the clock forward one tick at a time, firing the timer when it is due. */
  advance(ticks: number): void {
    for (let i = 0; i < ticks; i++) {
      this.clock++;
      this.fireIfDue();
    }
  }

  /** Jump the clock (as HLT does) to `tick` and fire the timer if due. */
  jumpTo(tick: number): void {
    this.clock = tick;
    this.fireIfDue();
  }

  private fireIfDue(): void {
    while (this.timerTick !== undefined && this.clock >= this.timerTick) {
      const fn = this.timerFn!;
      this.fired.push(this.clock);
      this.timerTick = undefined;
      this.timerFn = undefined;
      fn();
    }
  }
}
