// The CPU's one timer event shared by several device timers (src/devices/timers.ts), and the 8254's counter 0
// driving IRQ0 through it (QEMU hw/timer/i8254.c pit_irq_timer_update: one edge per OUT rising transition).
// A fake CPU host stands in for GuestCpu: it records the one deadline armed and fires it when the test moves
// the clock, as the CPU run loop does.
import { describe, expect, it } from 'vitest';
import { TimerMux } from '../../src/devices/timers.js';
import { Pit8254, ticksForCycles } from '../../src/devices/pit.js';

function fakeCpu() {
  const cpu = {
    clock: 0,
    armed: undefined as number | undefined,
    fn: undefined as (() => void) | undefined,
    setTimer(tick: number | undefined, fn?: () => void) {
      cpu.armed = tick;
      cpu.fn = fn;
    },
    /** Advance to `tick`, firing the armed deadline each time it is reached (as the run loop does). */
    runTo(tick: number) {
      while (cpu.armed !== undefined && cpu.armed <= tick) {
        cpu.clock = Math.max(cpu.clock, cpu.armed);
        const f = cpu.fn;
        cpu.armed = undefined;
        f?.();
      }
      cpu.clock = tick;
    },
  };
  return cpu;
}

describe('TimerMux', () => {
  it('keeps the CPU timer armed for the earliest channel and runs each channel at its own deadline', () => {
    const cpu = fakeCpu();
    const mux = new TimerMux();
    const a = mux.channel();
    const b = mux.channel();
    const fired: string[] = [];
    a.setTimer(500, () => fired.push(`a@${cpu.clock}`));
    expect(cpu.armed).toBeUndefined(); // no CPU yet
    mux.attach(cpu);
    expect(cpu.armed).toBe(500);
    b.setTimer(200, () => fired.push(`b@${cpu.clock}`));
    expect(cpu.armed).toBe(200);
    cpu.runTo(300);
    expect(fired).toEqual(['b@200']);
    expect(cpu.armed).toBe(500);
    a.setTimer(undefined);
    expect(cpu.armed).toBeUndefined();
    // A callback that re-arms its own channel, and two channels due at the same time.
    a.setTimer(1000, () => {
      fired.push(`a@${cpu.clock}`);
      if (cpu.clock < 3000) a.setTimer(cpu.clock + 1000, () => fired.push(`a2@${cpu.clock}`));
    });
    b.setTimer(1000, () => fired.push(`b@${cpu.clock}`));
    cpu.runTo(5000);
    expect(fired).toEqual(['b@200', 'a@1000', 'b@1000', 'a2@2000']);
    expect(a.clock).toBe(5000);
  });
});

describe('8254 counter 0 on IRQ0', () => {
  function setup() {
    const cpu = fakeCpu();
    const mux = new TimerMux();
    mux.attach(cpu);
    const pit = new Pit8254(() => cpu.clock);
    const edges: number[] = [];
    let level = false;
    pit.connectIrq0(mux.channel(), (l) => {
      if (l && !level) edges.push(cpu.clock);
      level = l;
    });
    return { cpu, pit, edges };
  }

  it('mode 2 (Linux periodic clockevent, count 1000): one edge per period at ceil(k * 1000 cycles)', () => {
    const { cpu, pit, edges } = setup();
    pit.out(0x43, 1, 0x34);
    pit.out(0x40, 1, 0xe8);
    pit.out(0x40, 1, 0x03);
    cpu.runTo(ticksForCycles(3500));
    expect(edges).toEqual([ticksForCycles(1000), ticksForCycles(2000), ticksForCycles(3000)]);
  });

  it('mode 0 (one-shot): one edge at terminal count, none after; reprogramming re-arms', () => {
    const { cpu, pit, edges } = setup();
    pit.out(0x43, 1, 0x30);
    pit.out(0x40, 1, 100);
    pit.out(0x40, 1, 0);
    cpu.runTo(ticksForCycles(1000));
    expect(edges).toEqual([ticksForCycles(100)]);
    const t0 = cpu.clock;
    pit.out(0x40, 1, 50);
    pit.out(0x40, 1, 0);
    cpu.runTo(t0 + ticksForCycles(1000));
    expect(edges).toEqual([ticksForCycles(100), t0 + ticksForCycles(50)]);
  });

  it('after reset (mode 3, count 65536) IRQ0 ticks at ~18.2 Hz of virtual time', () => {
    const { cpu, edges } = setup();
    cpu.runTo(1_000_000_000); // one virtual second
    expect(edges.length).toBe(18); // 1193182 / 65536 = 18.2
    expect(edges[0]).toBe(ticksForCycles(65536));
  });
});
