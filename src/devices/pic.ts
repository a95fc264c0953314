// The two cascaded 8259A programmable interrupt controllers of a PC (master at 0x20/0x21, slave at
// 0xA0/0xA1), modelled as far as guests program them to mask them: the ICW1-ICW4 initialization
// sequence, the interrupt mask register (OCW1) readable back, OCW2 (EOI commands) and OCW3 (read
// register select, poll) accepted. Register semantics from the Intel 8259A datasheet (order 231468).
//
// Not modelled: nothing is wired to the PIC's IRQ inputs and it never raises an interrupt (the CPU's
// interrupt controller is the local APIC, whose LINT0 would carry ExtINT). IRR and ISR therefore
// always read 0, a poll reads "no interrupt", and the ELCR ports (0x4D0/0x4D1) are not claimed.

import type { PortDevice } from './iobus.js';

export const PIC_MASTER_COMMAND = 0x20;
export const PIC_MASTER_DATA = 0x21;
export const PIC_SLAVE_COMMAND = 0xa0;
export const PIC_SLAVE_DATA = 0xa1;

// ICW1 (command port, bit 4 set).
export const ICW1_IC4 = 1 << 0; // ICW4 needed
export const ICW1_SNGL = 1 << 1; // single PIC: no ICW3
export const ICW1_INIT = 1 << 4;
/** ICW4 bit 0 uPM: 8086/8088 mode. */
export const ICW4_8086 = 1 << 0;
// OCW3 (command port, bits 4:3 = 01).
export const OCW3_SELECT = 1 << 3;
export const OCW3_RR = 1 << 1; // read register command
export const OCW3_RIS = 1 << 0; // 1: read ISR, 0: read IRR
export const OCW3_POLL = 1 << 2;

type InitStep = 'none' | 'icw2' | 'icw3' | 'icw4';

/** One 8259A. */
export class Pic8259 {
  /** Interrupt mask register (OCW1); 0 after reset as on QEMU (hw/intc/i8259_common.c). */
  imr = 0;
  /** Vector base from ICW2 (bits 7:3). */
  vectorBase = 0;
  /** ICW3: the slave-on-IRn bitmap (master) or the slave ID (slave). */
  icw3 = 0;
  icw4 = 0;
  private icw1 = 0;
  private step: InitStep = 'none';
  private readIsr = false;
  private pollNext = false;

  reset(): void {
    this.imr = 0;
    this.vectorBase = 0;
    this.icw1 = 0;
    this.icw3 = 0;
    this.icw4 = 0;
    this.step = 'none';
    this.readIsr = false;
    this.pollNext = false;
  }

  /** True while an ICW1..ICW4 sequence is in progress. */
  get initializing(): boolean {
    return this.step !== 'none';
  }

  writeCommand(v: number): void {
    if ((v & ICW1_INIT) !== 0) {
      // ICW1 starts initialization: IMR cleared, IRR read selected (datasheet "Initialization Command Words").
      this.icw1 = v;
      this.imr = 0;
      this.readIsr = false;
      this.icw4 = 0;
      this.step = 'icw2';
      return;
    }
    if ((v & OCW3_SELECT) !== 0) {
      if ((v & OCW3_RR) !== 0) this.readIsr = (v & OCW3_RIS) !== 0;
      this.pollNext = (v & OCW3_POLL) !== 0;
      return;
    }
    // OCW2: EOI / rotate / set priority. The ISR is always empty: nothing to retire.
  }

  writeData(v: number): void {
    switch (this.step) {
      case 'icw2':
        this.vectorBase = v & 0xf8;
        this.step = (this.icw1 & ICW1_SNGL) === 0 ? 'icw3' : (this.icw1 & ICW1_IC4) !== 0 ? 'icw4' : 'none';
        return;
      case 'icw3':
        this.icw3 = v;
        this.step = (this.icw1 & ICW1_IC4) !== 0 ? 'icw4' : 'none';
        return;
      case 'icw4':
        this.icw4 = v & 0x1f;
        this.step = 'none';
        return;
      case 'none':
        this.imr = v; // OCW1
    }
  }

  readCommand(): number {
    if (this.pollNext) {
      this.pollNext = false;
      return 0; // poll: bit 7 clear = no interrupt requested
    }
    return 0; // IRR or ISR (per OCW3): both always empty
  }

  readData(): number {
    return this.imr;
  }

  /** Which register a command-port read returns (OCW3 RR/RIS). */
  get readsIsr(): boolean {
    return this.readIsr;
  }
}

/** The master/slave pair on the I/O bus. */
export class DualPic implements PortDevice {
  readonly name = 'pic';
  readonly master = new Pic8259();
  readonly slave = new Pic8259();

  reset(): void {
    this.master.reset();
    this.slave.reset();
  }

  private chip(port: number): Pic8259 {
    return (port & 0xf0) === PIC_SLAVE_COMMAND ? this.slave : this.master;
  }

  in(port: number, size: 1 | 2 | 4): number {
    const c = this.chip(port);
    const v = (port & 1) === 0 ? c.readCommand() : c.readData();
    // A wider access reads the next port(s) as well; only byte accesses make sense on an 8259.
    return size === 1 ? v : size === 2 ? v | (0xff << 8) : (v | 0xffffff00) >>> 0;
  }

  out(port: number, _size: 1 | 2 | 4, value: number): void {
    const c = this.chip(port);
    if ((port & 1) === 0) c.writeCommand(value & 0xff);
    else c.writeData(value & 0xff);
  }
}
