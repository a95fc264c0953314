// A transmit-only 16550A UART, enough for a guest's polled serial driver (register map from the
// PC16550D datasheet). The transmitter is infinitely fast: LSR always reports THRE|TEMT, so a guest
// polling "transmit holding register empty" before each byte never waits. Nothing is ever received.

import type { PortDevice } from './iobus.js';

export const COM1_BASE = 0x3f8;

// Register offsets from the base port.
const REG_THR_RBR_DLL = 0; // THR (write) / RBR (read) / DLL when LCR.DLAB
const REG_IER_DLM = 1;
const REG_IIR_FCR = 2;
const REG_LCR = 3;
const REG_MCR = 4;
const REG_LSR = 5;
const REG_MSR = 6;
const REG_SCR = 7;

const LCR_DLAB = 0x80;
/** LSR bit 5 THRE (transmit holding register empty) | bit 6 TEMT (transmitter empty). */
export const LSR_THRE = 0x20;
export const LSR_TEMT = 0x40;
const IIR_NO_INTERRUPT = 0x01;
/** MSR: CTS, DSR, DCD asserted (a terminal is "connected"). */
const MSR_CONNECTED = 0x10 | 0x20 | 0x80;

export class Serial16550 implements PortDevice {
  readonly name: string;
  private ier = 0;
  private lcr = 0x03;
  private mcr = 0;
  private scr = 0;
  private dll = 1;
  private dlm = 0;

  constructor(
    private readonly base: number,
    private readonly onByte: (byte: number) => void,
    name = 'com1',
  ) {
    this.name = name;
  }

  reset(): void {
    this.ier = 0;
    this.lcr = 0x03;
    this.mcr = 0;
    this.scr = 0;
    this.dll = 1;
    this.dlm = 0;
  }

  in(port: number, _size: 1 | 2 | 4): number {
    const dlab = (this.lcr & LCR_DLAB) !== 0;
    switch (port - this.base) {
      case REG_THR_RBR_DLL: return dlab ? this.dll : 0;
      case REG_IER_DLM: return dlab ? this.dlm : this.ier;
      case REG_IIR_FCR: return IIR_NO_INTERRUPT;
      case REG_LCR: return this.lcr;
      case REG_MCR: return this.mcr;
      case REG_LSR: return LSR_THRE | LSR_TEMT;
      case REG_MSR: return MSR_CONNECTED;
      case REG_SCR: return this.scr;
      default: return 0xff;
    }
  }

  out(port: number, _size: 1 | 2 | 4, value: number): void {
    const v = value & 0xff;
    const dlab = (this.lcr & LCR_DLAB) !== 0;
    switch (port - this.base) {
      case REG_THR_RBR_DLL:
        if (dlab) this.dll = v;
        else this.onByte(v);
        return;
      case REG_IER_DLM:
        if (dlab) this.dlm = v;
        else this.ier = v & 0x0f;
        return;
      case REG_IIR_FCR: return; // FIFO control: accepted, nothing to model
      case REG_LCR: this.lcr = v; return;
      case REG_MCR: this.mcr = v & 0x1f; return;
      case REG_SCR: this.scr = v; return;
      default: return; // LSR/MSR are read-only
    }
  }
}
