// The device part of the Machine: which ports answer, what fw_cfg reports for the configured RAM, that
// reset returns the devices to their power-on state, and that device events reach the machine logger.
import { describe, expect, it } from 'vitest';
import { Machine } from '../../src/machine/machine.js';
import { createLogger } from '../../src/log.js';
import { APIC_LVT_TIMER, APIC_SVR, APIC_TIMER_INITIAL_COUNT } from '../../src/devices/lapic.js';

const GUEST = 'examples/prebuilt/hello.elf';

function machine(config: Record<string, unknown> = {}) {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger({ level: 'debug', destination: { write: (s: string) => void lines.push(JSON.parse(s)) } });
  const m = Machine.fromFile(GUEST, { config, logger });
  return { m, lines };
}

function fwcfg(m: Machine, sel: number, n: number): number[] {
  m.io.out(0x510, 2, sel);
  return Array.from({ length: n }, () => m.io.in(0x511, 1));
}

describe('machine device wiring', () => {
  it('claims the PIC, PIT and fw_cfg ports; fw_cfg reports the configured RAM size', () => {
    const { m } = machine({ memoryMiB: 128 });
    expect(m.io.deviceAt(0x21)?.name).toBe('pic');
    expect(m.io.deviceAt(0xa1)?.name).toBe('pic');
    expect(m.io.deviceAt(0x43)?.name).toBe('pit');
    expect(m.io.deviceAt(0x61)?.name).toBe('port61');
    m.io.out(0x80, 1, 0); // I/O delay: claimed, silent
    expect(m.io.in(0x80, 1)).toBe(0xff);
    expect(m.io.deviceAt(0x80)?.name).toBe('post');
    expect(m.io.deviceAt(0x511)?.name).toBe('fw_cfg');
    expect(String.fromCharCode(...fwcfg(m, 0, 4))).toBe('QEMU');
    const ram = fwcfg(m, 3, 8).reduce((acc, b, i) => acc + b * 2 ** (8 * i), 0);
    expect(ram).toBe(128 * 1024 * 1024);
    m.io.out(0x21, 1, 0xff);
    m.io.out(0xa1, 1, 0xff);
    expect([m.io.in(0x21, 1), m.io.in(0xa1, 1)]).toEqual([0xff, 0xff]);
  });

  it('isa-debug-exit claims 0xF4-0xF7 (iosize=0x04) and takes the whole value of a wider write', () => {
    const { m } = machine();
    expect(m.io.deviceAt(0xf7)?.name).toBe('isa-debug-exit');
    expect(m.io.deviceAt(0xf8)).toBeUndefined();
    m.io.out(0xf6, 2, 0x0102);
    expect([m.exitValue, m.exitCode]).toEqual([0x0102, 0x0205]);
  });

  it('the PIT counts with the CPU clock: 1.193182 MHz of virtual time, one tick = one ns', async () => {
    const { m } = machine();
    m.io.out(0x43, 1, 0x30); // counter 0, LSB/MSB, mode 0
    m.io.out(0x40, 1, 0xff);
    m.io.out(0x40, 1, 0xff);
    const before = m.devices.pit.count(0);
    await m.runToCompletion({ maxInsns: 5000 });
    const ran = m.cpu.clock;
    expect(ran).toBeGreaterThan(1000);
    // QEMU hw/timer/i8254.c pit_get_count: floor(ns * PIT_FREQ / 10^9) input cycles since the load.
    expect(before - m.devices.pit.count(0)).toBe(Math.floor((ran * 1193182) / 1e9));
  });

  it('reset returns the devices to their power-on state', () => {
    const { m } = machine();
    const apic = m.devices.lapic;
    apic.write(APIC_SVR, 4, 0x1ff);
    apic.write(APIC_LVT_TIMER, 4, 0x40);
    apic.write(APIC_TIMER_INITIAL_COUNT, 4, 1000);
    m.io.out(0x21, 1, 0xff);
    m.io.out(0x510, 2, 3);
    m.reset();
    expect(apic.read(APIC_SVR, 4)).toBe(0xff);
    expect(apic.read(APIC_LVT_TIMER, 4)).toBe(0x10000);
    expect(apic.read(APIC_TIMER_INITIAL_COUNT, 4)).toBe(0);
    expect(m.io.in(0x21, 1)).toBe(0);
    expect(m.io.in(0x511, 1)).toBe(0x51); // signature selected again
  });

  it('logs device.unsupported and io.unclaimed once each through the machine logger', () => {
    const { m, lines } = machine();
    const apic = m.devices.lapic;
    apic.write(APIC_SVR, 4, 0x1ff);
    apic.write(0x300, 4, 0x4500); // INIT IPI
    apic.write(0x300, 4, 0x4500);
    m.io.in(0x2f8, 1); // COM2 does not exist
    m.io.in(0x2f8, 1);
    const unsupported = lines.filter((l) => l.event === 'device.unsupported');
    expect(unsupported).toHaveLength(1);
    expect(unsupported[0]).toMatchObject({ device: 'lapic', feature: 'icr-mode-5', level: 40 });
    expect(lines.filter((l) => l.event === 'io.unclaimed')).toHaveLength(1);
  });
});
