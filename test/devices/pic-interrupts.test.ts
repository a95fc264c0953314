// The 8259A pair raising interrupts (src/devices/pic.ts) and the PC's interrupt path to the CPU through the
// local APIC's LINT0 (lapic.ts connectExtInt): request latching on rising edges, masking, fully nested priority,
// EOI forms, the cascade, spurious IRQ7, poll mode, automatic EOI; then ExtINT gating as QEMU's
// apic_accept_pic_intr decides. Values from the Intel 8259A datasheet (order 231468).
import { describe, expect, it } from 'vitest';
import { IoPortBus } from '../../src/devices/iobus.js';
import { DualPic } from '../../src/devices/pic.js';
import { PcDevices } from '../../src/devices/pc.js';

/** Both chips initialised as a PC BIOS does (edge, cascade on IR2, 8086 mode), vector bases 0x20/0x28. */
function pcPic(icw4 = 0x01) {
  const intr: boolean[] = [];
  const pic = new DualPic((l) => intr.push(l));
  const io = new IoPortBus();
  io.attach(0x20, 2, pic);
  io.attach(0xa0, 2, pic);
  for (const [cmd, base, icw3] of [[0x20, 0x20, 0x04], [0xa0, 0x28, 0x02]] as const) {
    io.out(cmd, 1, 0x11);
    io.out(cmd + 1, 1, base);
    io.out(cmd + 1, 1, icw3);
    io.out(cmd + 1, 1, icw4);
  }
  const pulse = (irq: number) => {
    pic.setIrq(irq, true);
    pic.setIrq(irq, false);
  };
  return { pic, io, intr, pulse };
}

describe('8259A pair: requests, priority, EOI', () => {
  it('a rising edge latches IRR; INTA moves it to ISR and returns base + level; EOI retires it', () => {
    const { pic, io, intr, pulse } = pcPic();
    expect(pic.interruptRequested).toBe(false);
    pic.setIrq(3, true);
    pic.setIrq(3, true); // no new edge: still one request
    expect(intr).toEqual([true]);
    expect(io.in(0x20, 1)).toBe(0x08); // IRR (OCW3 default: IRR)
    expect(pic.acknowledge()).toBe(0x23);
    expect(intr).toEqual([true, false]);
    io.out(0x20, 1, 0x0b); // OCW3: read ISR
    expect(io.in(0x20, 1)).toBe(0x08);
    expect(pic.interruptRequested).toBe(false);
    pic.setIrq(3, false);
    pulse(3);
    expect(pic.interruptRequested).toBe(false); // IR3 in service blocks an equal level
    io.out(0x20, 1, 0x20); // non-specific EOI
    expect(io.in(0x20, 1)).toBe(0); // ISR empty
    expect(pic.acknowledge()).toBe(0x23); // the second request, latched meanwhile
  });

  it('fully nested: a higher level interrupts a lower one in service, a lower waits; IMR masks the output only', () => {
    const { pic, io, pulse } = pcPic();
    pulse(5);
    expect(pic.acknowledge()).toBe(0x25);
    pulse(6);
    expect(pic.interruptRequested).toBe(false);
    pulse(1);
    expect(pic.acknowledge()).toBe(0x21);
    io.out(0x20, 1, 0x61); // specific EOI for IR1
    io.out(0x20, 1, 0x65); // specific EOI for IR5
    expect(pic.acknowledge()).toBe(0x26);
    io.out(0x20, 1, 0x20);
    io.out(0x21, 1, 0x01); // mask IR0
    pulse(0);
    expect(pic.interruptRequested).toBe(false);
    expect(io.in(0x20, 1) & 1).toBe(1); // still requested in IRR
    io.out(0x21, 1, 0x00);
    expect(pic.acknowledge()).toBe(0x20);
  });

  it('the slave cascades through IR2 with its own vector base; a request gone before INTA is spurious IRQ7', () => {
    const { pic, io, pulse } = pcPic();
    pulse(8 + 4); // IRQ12
    expect(pic.interruptRequested).toBe(true);
    expect(pic.peekVector()).toBe(0x2c);
    expect(pic.acknowledge()).toBe(0x2c);
    io.out(0xa0, 1, 0x0b);
    expect(io.in(0xa0, 1)).toBe(0x10);
    io.out(0x20, 1, 0x0b);
    expect(io.in(0x20, 1)).toBe(0x04); // master IR2 in service
    io.out(0xa0, 1, 0x20);
    io.out(0x20, 1, 0x20);
    expect(pic.acknowledge()).toBe(0x27); // nothing requested: spurious IRQ7, not put in service
    expect(io.in(0x20, 1)).toBe(0);
  });

  it('poll mode acknowledges through a command-port read; automatic EOI leaves ISR empty', () => {
    const { io, pulse } = pcPic();
    pulse(4);
    io.out(0x20, 1, 0x0c); // OCW3 poll
    expect(io.in(0x20, 1)).toBe(0x84);
    io.out(0x20, 1, 0x0c);
    expect(io.in(0x20, 1)).toBe(0x00);
    const a = pcPic(0x03); // ICW4: AEOI
    a.pulse(2 + 3);
    expect(a.pic.acknowledge()).toBe(0x25);
    a.io.out(0x20, 1, 0x0b);
    expect(a.io.in(0x20, 1)).toBe(0);
  });
});

describe('the 8259 behind the local APIC (LINT0 ExtINT)', () => {
  it('the PIC vector reaches the CPU only while LINT0 is unmasked ExtINT; the APIC vector has precedence', () => {
    const io = new IoPortBus();
    const dev = new PcDevices({ io, ramSize: 64 << 20, log: () => {} });
    let notified = 0;
    dev.attachCpu({ clock: 0, getMsr: () => undefined, setTimer: () => {}, notifyInterrupt: () => void notified++ });
    dev.firmwareHandoff(); // SeaBIOS: PICs at 0x08/0x70, LINT0 ExtINT, APIC software-enabled
    io.out(0x21, 1, 0xfe); // only IR0 unmasked
    const before = notified;
    dev.pic.setIrq(0, true);
    expect(notified).toBeGreaterThan(before);
    expect(dev.lapic.pendingVector()).toBe(0x08);
    dev.lapic.write(0x350, 4, 0x10700); // LINT0 masked
    expect(dev.lapic.pendingVector()).toBe(-1);
    dev.lapic.write(0x350, 4, 0x700);
    expect(dev.lapic.pendingVector()).toBe(0x08);
    dev.lapic.acknowledge(0x08);
    expect(dev.pic.master.isr).toBe(1);
    expect(dev.lapic.pendingVector()).toBe(-1);
  });
});
