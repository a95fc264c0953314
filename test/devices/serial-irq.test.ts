// COM1's interrupt output (src/devices/serial.ts, QEMU hw/char/serial.c serial_update_irq): raised while IIR
// names a source IER enables. Linux's 8250 driver transmits its tty buffer from THR-empty interrupts, so a
// guest's console writes through /dev/console depend on this line (issue 16).
import { describe, expect, it } from 'vitest';
import { Serial16550 } from '../../src/devices/serial.js';

describe('16550 interrupt output', () => {
  it('THR empty: raised when ETBEI is enabled, lowered by reading IIR, raised again by each transmitted byte', () => {
    const out: number[] = [];
    const levels: boolean[] = [];
    const u = new Serial16550(0x3f8, (b) => out.push(b));
    u.connectIrq((l) => levels.push(l));
    expect(levels).toEqual([]);
    u.out(0x3f9, 1, 0x02); // IER: ETBEI
    expect(levels).toEqual([true]);
    expect(u.in(0x3fa, 1)).toBe(0x02); // IIR: THR empty ...
    expect(levels).toEqual([true, false]); // ... which the read clears
    expect(u.in(0x3fa, 1)).toBe(0x01);
    u.out(0x3f8, 1, 0x41); // a byte: THR empties at once
    expect(out).toEqual([0x41]);
    expect(levels).toEqual([true, false, true]);
    u.out(0x3f9, 1, 0x00); // IER off
    expect(levels).toEqual([true, false, true, false]);
  });

  it('received data (loopback) raises it with ERBFI until RBR is read', () => {
    const levels: boolean[] = [];
    const u = new Serial16550(0x3f8, () => {});
    u.connectIrq((l) => levels.push(l));
    u.out(0x3fc, 1, 0x10); // MCR: loopback
    u.out(0x3f9, 1, 0x01); // IER: ERBFI
    u.out(0x3f8, 1, 0x55);
    expect(levels).toEqual([true]);
    expect(u.in(0x3fa, 1)).toBe(0x04); // IIR: received data available
    expect(u.in(0x3f8, 1)).toBe(0x55);
    expect(levels).toEqual([true, false]);
  });
});
