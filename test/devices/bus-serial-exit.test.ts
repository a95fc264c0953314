// Devices are platform code too (src/devices); their unit tests live beside the loader's.
import { describe, expect, it } from 'vitest';
import { COM1_BASE, DebugExit, DEBUG_EXIT_PORT, IoPortBus, Serial16550 } from '../../src/devices/index.js';

describe('I/O bus', () => {
  it('reads all ones from unclaimed ports and reports each port once', () => {
    const seen: string[] = [];
    const bus = new IoPortBus((port, dir) => seen.push(`${dir}:${port.toString(16)}`));
    expect(bus.in(0x80, 1)).toBe(0xff);
    expect(bus.in(0x80, 2)).toBe(0xffff);
    expect(bus.in(0x80, 4)).toBe(0xffffffff);
    bus.out(0x80, 1, 5);
    bus.out(0x61, 1, 5);
    expect(seen).toEqual(['in:80', 'out:61']);
  });

  it('refuses two devices on one port', () => {
    const bus = new IoPortBus();
    bus.attach(COM1_BASE, 8, new Serial16550(COM1_BASE, () => {}));
    expect(() => bus.attach(COM1_BASE + 7, 1, new DebugExit(() => {}))).toThrow(/already claimed by com1/);
  });
});

describe('COM1', () => {
  it('transmits THR writes, reports THR empty and honours DLAB', () => {
    const out: number[] = [];
    const bus = new IoPortBus();
    bus.attach(COM1_BASE, 8, new Serial16550(COM1_BASE, (b) => out.push(b)));
    expect(bus.in(COM1_BASE + 5, 1) & 0x60).toBe(0x60);
    bus.out(COM1_BASE, 1, 0x41);
    bus.out(COM1_BASE + 3, 1, 0x80); // DLAB: port 0 is now the divisor latch
    bus.out(COM1_BASE, 1, 0x0c);
    expect(bus.in(COM1_BASE, 1)).toBe(0x0c);
    bus.out(COM1_BASE + 3, 1, 0x03);
    bus.out(COM1_BASE, 1, 0x142); // only the low byte goes out
    bus.out(COM1_BASE + 7, 1, 0x5a);
    expect(bus.in(COM1_BASE + 7, 1)).toBe(0x5a);
    expect(out).toEqual([0x41, 0x42]);
  });
});

describe('isa-debug-exit', () => {
  it('turns a write of v into exit code (v << 1) | 1', () => {
    const exits: [number, number][] = [];
    const bus = new IoPortBus();
    bus.attach(DEBUG_EXIT_PORT, 1, new DebugExit((v, c) => exits.push([v, c])));
    bus.out(DEBUG_EXIT_PORT, 1, 0);
    bus.out(DEBUG_EXIT_PORT, 1, 0x21);
    bus.out(DEBUG_EXIT_PORT, 1, 0x1ff); // byte write: 0xff
    expect(exits).toEqual([[0, 1], [0x21, 0x43], [0xff, 0x1ff]]);
  });
});
