// The I/O APIC of QEMU's `pc` machine: one 82093AA-style controller with 24 input pins at 0xFEC00000,
// version 0x20 (QEMU's default since 2.7: hw/intc/ioapic.c IOAPIC_VER_DEF, with the explicit EOI register
// at 0x40), register values and behaviour as QEMU 7.2's hw/intc/ioapic.c (ioapic_set_irq, ioapic_service,
// ioapic_eoi_broadcast, ioapic_mem_read/write) and hw/intc/ioapic_common.c (ioapic_reset_common).
// Architecture: Intel 82093AA I/O APIC datasheet (order no. 290566), sections 3.0-3.2.4.
//
// Indirect access: IOREGSEL (offset 0x00) selects a register, IOWIN (0x10) reads/writes it with 32-bit
// accesses; registers 0x00 ID (bits 27:24 writable), 0x01 version (read only: version | (pins-1) << 16),
// 0x02 arbitration (read only; QEMU answers the ID), 0x10 + 2n / 0x11 + 2n the low/high half of
// redirection entry n. Remote IRR (bit 14) and delivery status (bit 12) are read only.
//
// Pins: an edge-triggered pin is delivered on each assertion of an unmasked pin (QEMU does not track the
// previous level: every `setIrq(pin, 1)` is an edge); a level-triggered pin is delivered while asserted and
// Remote IRR clear, Remote IRR is set on delivery and cleared by the local APIC's EOI of that vector
// (or a write to the EOI register), after which a still-asserted pin is delivered again.
// ISA IRQ 0 (the PIT) arrives on pin 2, as QEMU wires it (ioapic_set_irq; the MADT's interrupt source
// override 0 -> 2).
//
// Not modelled: delivery modes other than fixed/lowest priority/NMI (the local APIC logs and drops them;
// ExtINT would need an 8259A that raises interrupts), QEMU's interrupt-storm delay after 10000
// successive level EOIs, polarity (stored: no pin is active-low here), interrupt remapping.

import type { MmioRegion } from '../cpu/index.js';
import { OnceLog, silentDeviceLog, type DeviceLog } from './device-log.js';

export const IOAPIC_DEFAULT_BASE = 0xfec00000;
export const IOAPIC_NUM_PINS = 24;
/** QEMU's default I/O APIC version (hw/intc/ioapic.c IOAPIC_VER_DEF): with the EOI register. */
export const IOAPIC_VERSION = 0x20;

// Memory-mapped registers (offsets in the 4 KiB window; QEMU decodes addr & 0xff).
export const IOAPIC_IOREGSEL = 0x00;
export const IOAPIC_IOWIN = 0x10;
export const IOAPIC_EOI = 0x40;

// Indirect registers.
export const IOAPIC_REG_ID = 0x00;
export const IOAPIC_REG_VER = 0x01;
export const IOAPIC_REG_ARB = 0x02;
export const IOAPIC_REG_REDTBL_BASE = 0x10;
export const IOAPIC_ID_SHIFT = 24;
export const IOAPIC_ID_MASK = 0xf;
export const IOAPIC_VER_ENTRIES_SHIFT = 16;

// Redirection entry, low dword (82093AA 3.2.4).
export const IOREDTBL_VECTOR = 0xff;
export const IOREDTBL_DELIVERY_MODE_SHIFT = 8;
export const IOREDTBL_DELIVERY_MODE = 0x7 << IOREDTBL_DELIVERY_MODE_SHIFT;
export const IOREDTBL_DEST_MODE_LOGICAL = 1 << 11;
export const IOREDTBL_DELIVERY_STATUS = 1 << 12;
export const IOREDTBL_POLARITY_LOW = 1 << 13;
export const IOREDTBL_REMOTE_IRR = 1 << 14;
export const IOREDTBL_TRIGGER_LEVEL = 1 << 15;
export const IOREDTBL_MASK = 1 << 16;
/** High dword: destination in bits 63:56. */
export const IOREDTBL_DEST_SHIFT = 24;
/** Bits software cannot write (QEMU IOAPIC_RO_BITS). */
const IOREDTBL_RO_BITS = IOREDTBL_REMOTE_IRR | IOREDTBL_DELIVERY_STATUS;

/** ISA IRQ 0 (PIT) is wired to pin 2 (QEMU ioapic_set_irq; ACPI MADT interrupt source override). */
export const ISA_IRQ0_PIN = 2;

/** Where the I/O APIC's messages go: the local APIC's acceptance (fixed/lowest priority) and its EOI hook. */
export interface IoApicSink {
  deliverIoApicMessage(vector: number, deliveryMode: number, logical: boolean, dest: number, level: boolean): boolean;
}

export interface IoApicOptions {
  log?: DeviceLog;
}

export class IoApic implements MmioRegion {
  readonly base = IOAPIC_DEFAULT_BASE;
  readonly size = 0x1000;

  private sink: IoApicSink | undefined;
  private readonly once: OnceLog;
  private ioregsel = 0;
  private id = 0;
  /** Pin input state as QEMU keeps it: a level pin's asserted bit, an edge pin's not-yet-serviced edge. */
  private irr = 0;
  private readonly redirLo = new Uint32Array(IOAPIC_NUM_PINS);
  private readonly redirHi = new Uint32Array(IOAPIC_NUM_PINS);

  constructor(opts: IoApicOptions = {}) {
    this.once = new OnceLog(opts.log ?? silentDeviceLog, 'ioapic');
    this.reset();
  }

  /** Connect the local APIC the messages go to (the machine calls this once). */
  attach(sink: IoApicSink): void {
    this.sink = sink;
  }

  /** RESET (QEMU ioapic_reset_common): ID 0, IOREGSEL 0, no pin pending, every entry masked. */
  reset(): void {
    this.ioregsel = 0;
    this.id = 0;
    this.irr = 0;
    this.redirLo.fill(IOREDTBL_MASK);
    this.redirHi.fill(0);
  }

  /** Redirection entry `pin` as the guest reads it (tests, monitor). */
  entry(pin: number): bigint {
    return (BigInt(this.redirHi[pin]!) << 32n) | BigInt(this.redirLo[pin]!);
  }

  // ---------------------------------------------------------------- input pins

  /** Drive input `pin` (0-23) to `level` (QEMU ioapic_set_irq, without its IRQ0 -> 2 remap: see setIsaIrq). */
  setIrq(pin: number, level: boolean): void {
    if (pin < 0 || pin >= IOAPIC_NUM_PINS) return;
    const bit = 1 << pin;
    const lo = this.redirLo[pin]!;
    if ((lo & IOREDTBL_TRIGGER_LEVEL) !== 0) {
      if (level) {
        this.irr |= bit;
        if ((lo & IOREDTBL_REMOTE_IRR) === 0) this.service();
      } else {
        this.irr &= ~bit;
      }
    } else if (level && (lo & IOREDTBL_MASK) === 0) {
      // 82093AA: an edge on a masked pin is ignored (not latched).
      this.irr |= bit;
      this.service();
    }
  }

  /** An ISA interrupt line: IRQ n on pin n, except IRQ 0 on pin 2 (QEMU's pc wiring). */
  setIsaIrq(irq: number, level: boolean): void {
    this.setIrq(irq === 0 ? ISA_IRQ0_PIN : irq, level);
  }

  /** The local APIC's EOI of a level-triggered `vector` (QEMU ioapic_eoi_broadcast). */
  eoi(vector: number): void {
    for (let n = 0; n < IOAPIC_NUM_PINS; n++) {
      const lo = this.redirLo[n]!;
      if ((lo & IOREDTBL_VECTOR) !== vector || (lo & IOREDTBL_TRIGGER_LEVEL) === 0 || (lo & IOREDTBL_REMOTE_IRR) === 0) continue;
      this.redirLo[n] = lo & ~IOREDTBL_REMOTE_IRR;
      if ((lo & IOREDTBL_MASK) === 0 && (this.irr & (1 << n)) !== 0) this.service();
    }
  }

  /** Send a message for every pending, unmasked pin (QEMU ioapic_service). */
  private service(): void {
    for (let n = 0; n < IOAPIC_NUM_PINS; n++) {
      const bit = 1 << n;
      if ((this.irr & bit) === 0) continue;
      const lo = this.redirLo[n]!;
      if ((lo & IOREDTBL_MASK) !== 0) continue;
      const level = (lo & IOREDTBL_TRIGGER_LEVEL) !== 0;
      if (level) {
        if ((lo & IOREDTBL_REMOTE_IRR) !== 0) continue; // the previous one is still being handled: coalesced
        this.redirLo[n] = lo | IOREDTBL_REMOTE_IRR;
      } else {
        this.irr &= ~bit;
      }
      const mode = (lo & IOREDTBL_DELIVERY_MODE) >>> IOREDTBL_DELIVERY_MODE_SHIFT;
      if (this.sink === undefined) {
        this.once.unsupported('no-sink', 'I/O APIC interrupt with no local APIC attached: dropped', { pin: n });
        continue;
      }
      this.sink.deliverIoApicMessage(lo & IOREDTBL_VECTOR, mode, (lo & IOREDTBL_DEST_MODE_LOGICAL) !== 0, this.redirHi[n]! >>> IOREDTBL_DEST_SHIFT, level);
    }
  }

  // ---------------------------------------------------------------- MmioRegion

  read(offset: number, size: 1 | 2 | 4): number {
    switch (offset & 0xff) {
      case IOAPIC_IOREGSEL:
        return this.ioregsel & (size === 4 ? 0xffffffff : size === 2 ? 0xffff : 0xff);
      case IOAPIC_IOWIN:
        if (size !== 4) return 0; // QEMU: only 32-bit window accesses
        return this.readRegister(this.ioregsel) >>> 0;
      default:
        return 0;
    }
  }

  write(offset: number, size: 1 | 2 | 4, value: number): void {
    switch (offset & 0xff) {
      case IOAPIC_IOREGSEL:
        this.ioregsel = value & 0xff; // an 8-bit register (82093AA 3.1.1)
        return;
      case IOAPIC_IOWIN:
        if (size === 4) this.writeRegister(this.ioregsel, value >>> 0);
        return;
      case IOAPIC_EOI:
        // Version 0x20's EOI register: the vector's level entries end their Remote IRR (QEMU ioapic_mem_write).
        if (size === 4) this.eoi(value & 0xff);
        return;
    }
  }

  private readRegister(reg: number): number {
    switch (reg) {
      case IOAPIC_REG_ID:
      case IOAPIC_REG_ARB:
        return this.id << IOAPIC_ID_SHIFT;
      case IOAPIC_REG_VER:
        return IOAPIC_VERSION | ((IOAPIC_NUM_PINS - 1) << IOAPIC_VER_ENTRIES_SHIFT);
    }
    const n = (reg - IOAPIC_REG_REDTBL_BASE) >> 1;
    if (n < 0 || n >= IOAPIC_NUM_PINS) return 0;
    return (reg & 1) !== 0 ? this.redirHi[n]! : this.redirLo[n]!;
  }

  private writeRegister(reg: number, v: number): void {
    switch (reg) {
      case IOAPIC_REG_ID:
        this.id = (v >>> IOAPIC_ID_SHIFT) & IOAPIC_ID_MASK;
        return;
      case IOAPIC_REG_VER:
      case IOAPIC_REG_ARB:
        return; // read only
    }
    const n = (reg - IOAPIC_REG_REDTBL_BASE) >> 1;
    if (n < 0 || n >= IOAPIC_NUM_PINS) return;
    if ((reg & 1) !== 0) {
      this.redirHi[n] = v;
    } else {
      let lo = (v & ~IOREDTBL_RO_BITS) | (this.redirLo[n]! & IOREDTBL_RO_BITS);
      // An edge-triggered entry has no Remote IRR: Linux's __eoi_ioapic_pin clears a stuck one by switching
      // the entry to edge and back (QEMU ioapic_fix_edge_remote_irr).
      if ((lo & IOREDTBL_TRIGGER_LEVEL) === 0) lo &= ~IOREDTBL_REMOTE_IRR;
      this.redirLo[n] = lo >>> 0;
      const mode = (lo & IOREDTBL_DELIVERY_MODE) >>> IOREDTBL_DELIVERY_MODE_SHIFT;
      if ((lo & IOREDTBL_MASK) === 0 && mode !== 0 && mode !== 1 && mode !== 4)
        this.once.unsupported(`mode-${mode}`, 'I/O APIC entry with a delivery mode other than fixed/lowest priority/NMI: its interrupts are dropped', { pin: n, entry: '0x' + lo.toString(16) });
    }
    // QEMU services after every entry write: unmasking a level entry whose pin is asserted delivers it.
    this.service();
  }
}
