// The CPU offers one timer event (GuestCpu.setTimer); a PC has several timers that raise interrupts (the
// local APIC timer, the 8254's counter 0 on IRQ0). TimerMux gives each device its own channel with the
// same interface and keeps the CPU's one event armed for the earliest deadline, so a HLT still skips the
// clock straight to the next interrupt and no device is polled per instruction.
//
// Virtual time: one clock tick (one retired instruction) is one nanosecond, a 1 GHz CPU whose TSC counts
// one per tick. Devices convert nanoseconds to their own input clock as QEMU does from its virtual clock
// (QEMU's local APIC bus cycle is 1 ns, APIC_BUS_CYCLE_NS; the 8254 converts with muldiv64(ns, PIT_FREQ,
// NANOSECONDS_PER_SECOND) in hw/timer/i8254.c).

/** Virtual nanoseconds per CPU clock tick. */
export const NS_PER_TICK = 1;

/** What a device needs of the CPU's clock and timer; also what each channel offers. */
export interface TimerHost {
  readonly clock: number;
  setTimer(tick: number | undefined, fn?: () => void): void;
}

interface Channel {
  tick: number | undefined;
  fn: (() => void) | undefined;
}

export class TimerMux {
  private readonly channels: Channel[] = [];
  private host: TimerHost | undefined;
  private armed: number | undefined;
  private readonly fire = (): void => this.dispatch();

  /** Connect the CPU (once it exists); channels armed before then are armed now. */
  attach(host: TimerHost): void {
    this.host = host;
    this.armed = undefined;
    this.rearm();
  }

  /** A new timer with the CPU timer's interface, for one device. */
  channel(): TimerHost {
    const ch: Channel = { tick: undefined, fn: undefined };
    this.channels.push(ch);
    const mux = this;
    return {
      get clock(): number {
        return mux.host?.clock ?? 0;
      },
      setTimer(tick: number | undefined, fn?: () => void): void {
        ch.tick = tick;
        ch.fn = tick === undefined ? undefined : fn;
        mux.rearm();
      },
    };
  }

  /** Run every channel whose deadline has come (in deadline order), then arm for the next one. A channel's
   *  callback may re-arm any channel; that is picked up by the loop. */
  private dispatch(): void {
    this.armed = undefined;
    const now = this.host?.clock ?? 0;
    for (;;) {
      let due: Channel | undefined;
      for (const ch of this.channels) if (ch.tick !== undefined && ch.tick <= now && (due === undefined || ch.tick < due.tick!)) due = ch;
      if (due === undefined) break;
      const fn = due.fn;
      due.tick = undefined;
      due.fn = undefined;
      fn?.();
    }
    this.rearm();
  }

  private rearm(): void {
    let next: number | undefined;
    for (const ch of this.channels) if (ch.tick !== undefined && (next === undefined || ch.tick < next)) next = ch.tick;
    if (next === this.armed) return;
    this.armed = next;
    this.host?.setTimer(next, next === undefined ? undefined : this.fire);
  }
}
