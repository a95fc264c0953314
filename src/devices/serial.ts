// A 16550A UART for a guest's polled serial driver (register map from the PC16550D datasheet), with
// the register values QEMU's hw/char/serial.c has after reset (LCR 0, MCR OUT2, divisor 12, MSR
// DCD|DSR|CTS, IIR "no interrupt", LSR THRE|TEMT). The transmitter is infinitely fast: LSR always
// reports THRE|TEMT, so a guest polling "transmit holding register empty" never waits.
//
// Modelled: the divisor latch (LCR.DLAB), LCR/MCR/scratch read back, FCR's FIFO-enable reflected in
// IIR bits 7:6, the THR-empty interrupt identification in IIR when IER enables it (cleared by reading
// IIR, as QEMU does), and MCR loopback (bit 4): a transmitted byte is received back (LSR.DR, RBR) and
// MSR mirrors the MCR outputs, which drivers use to test the UART before using it.
// The interrupt output follows IIR: raised while a source IER enables is pending (QEMU serial_update_irq;
// like QEMU, MCR.OUT2 does not gate it). COM1's is ISA IRQ4 (Machine wires it); Linux's 8250 driver
// transmits from its tty buffer on THR-empty interrupts.
// Not modelled: input from the host (nothing is received outside loopback); the receive "FIFO" holds one
// byte (a second byte in loopback sets LSR.OE as a 16450 would); line-status and modem-status interrupts.

import type { PortDevice } from './iobus.js';

/** COM1's ISA interrupt line. */
export const COM1_IRQ = 4;
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

export const LCR_DLAB = 0x80;
export const IER_ERBFI = 0x01; // received data available
export const IER_ETBEI = 0x02; // transmitter holding register empty
const IER_WRITABLE = 0x0f;
export const IIR_NO_INTERRUPT = 0x01;
export const IIR_THRE = 0x02;
export const IIR_RDA = 0x04;
/** IIR bits 7:6 read 11 when the FIFOs are enabled (FCR bit 0). */
export const IIR_FIFO_ENABLED = 0xc0;
export const FCR_FIFO_ENABLE = 0x01;
export const FCR_CLEAR_RX = 0x02;
export const MCR_DTR = 0x01;
export const MCR_RTS = 0x02;
export const MCR_OUT1 = 0x04;
export const MCR_OUT2 = 0x08;
export const MCR_LOOP = 0x10;
const MCR_WRITABLE = 0x1f;
export const LSR_DR = 0x01;
export const LSR_OE = 0x02;
/** LSR bit 5 THRE (transmit holding register empty) | bit 6 TEMT (transmitter empty). */
export const LSR_THRE = 0x20;
export const LSR_TEMT = 0x40;
export const MSR_CTS = 0x10;
export const MSR_DSR = 0x20;
export const MSR_RI = 0x40;
export const MSR_DCD = 0x80;
/** MSR outside loopback: CTS, DSR, DCD asserted (a terminal is "connected"), as QEMU. */
const MSR_CONNECTED = MSR_CTS | MSR_DSR | MSR_DCD;
/** Divisor after reset: 12 (9600 baud from the 1.8432 MHz clock), as QEMU. */
const DIVISOR_RESET = 0x0c;

export class Serial16550 implements PortDevice {
  readonly name: string;
  private ier = 0;
  private lcr = 0;
  private mcr = MCR_OUT2;
  private scr = 0;
  private dll = DIVISOR_RESET;
  private dlm = 0;
  private fifoEnabled = false;
  private thrInterruptPending = false;
  private rbr = 0;
  private lsrExtra = 0; // DR / OE
  /** The interrupt output (COM1: ISA IRQ4) and its last level. */
  private irq: ((level: boolean) => void) | undefined;
  private irqLevel = false;

  constructor(
    private readonly base: number,
    private readonly onByte: (byte: number) => void,
    name = 'com1',
  ) {
    this.name = name;
  }

  /** Wire the interrupt output: raised while IIR reports a source IER enables (QEMU serial_update_irq). */
  connectIrq(irq: (level: boolean) => void): void {
    this.irq = irq;
    this.updateIrq();
  }

  private updateIrq(): void {
    const level = this.interruptId() !== IIR_NO_INTERRUPT;
    if (level === this.irqLevel) return;
    this.irqLevel = level;
    this.irq?.(level);
  }

  reset(): void {
    this.ier = 0;
    this.lcr = 0;
    this.mcr = MCR_OUT2;
    this.scr = 0;
    this.dll = DIVISOR_RESET;
    this.dlm = 0;
    this.fifoEnabled = false;
    this.thrInterruptPending = false;
    this.rbr = 0;
    this.lsrExtra = 0;
    this.updateIrq();
  }

  in(port: number, size: 1 | 2 | 4): number {
    const v = this.read(port, size);
    this.updateIrq();
    return v;
  }

  out(port: number, size: 1 | 2 | 4, value: number): void {
    this.write(port, size, value);
    this.updateIrq();
  }

  private read(port: number, _size: 1 | 2 | 4): number {
    const dlab = (this.lcr & LCR_DLAB) !== 0;
    switch (port - this.base) {
      case REG_THR_RBR_DLL:
        if (dlab) return this.dll;
        this.lsrExtra &= ~(LSR_DR | LSR_OE);
        return this.rbr;
      case REG_IER_DLM: return dlab ? this.dlm : this.ier;
      case REG_IIR_FCR: {
        const id = this.interruptId();
        // Reading IIR while it reports THR empty clears that interrupt (PC16550D Table II).
        if (id === IIR_THRE) this.thrInterruptPending = false;
        return id | (this.fifoEnabled ? IIR_FIFO_ENABLED : 0);
      }
      case REG_LCR: return this.lcr;
      case REG_MCR: return this.mcr;
      case REG_LSR: return LSR_THRE | LSR_TEMT | this.lsrExtra;
      case REG_MSR: return this.msr();
      case REG_SCR: return this.scr;
      default: return 0xff;
    }
  }

  private write(port: number, _size: 1 | 2 | 4, value: number): void {
    const v = value & 0xff;
    const dlab = (this.lcr & LCR_DLAB) !== 0;
    switch (port - this.base) {
      case REG_THR_RBR_DLL:
        if (dlab) this.dll = v;
        else this.transmit(v);
        return;
      case REG_IER_DLM:
        if (dlab) this.dlm = v;
        else {
          const was = this.ier;
          this.ier = v & IER_WRITABLE;
          // Enabling the THR-empty interrupt with THR empty raises it at once.
          if ((this.ier & IER_ETBEI) !== 0 && (was & IER_ETBEI) === 0) this.thrInterruptPending = true;
        }
        return;
      case REG_IIR_FCR:
        this.fifoEnabled = (v & FCR_FIFO_ENABLE) !== 0;
        if ((v & FCR_CLEAR_RX) !== 0) this.lsrExtra &= ~(LSR_DR | LSR_OE);
        return;
      case REG_LCR: this.lcr = v; return;
      case REG_MCR: this.mcr = v & MCR_WRITABLE; return;
      case REG_SCR: this.scr = v; return;
      default: return; // LSR/MSR are read-only
    }
  }

  private transmit(v: number): void {
    if ((this.mcr & MCR_LOOP) !== 0) {
      // Loopback: the serial output is looped to the receiver inside the chip; nothing leaves it.
      if ((this.lsrExtra & LSR_DR) !== 0) this.lsrExtra |= LSR_OE;
      this.rbr = v;
      this.lsrExtra |= LSR_DR;
    } else {
      this.onByte(v);
    }
    this.thrInterruptPending = true; // the byte left THR at once
  }

  /** IIR bits 3:0: highest-priority pending source among those IER enables. */
  private interruptId(): number {
    if ((this.ier & IER_ERBFI) !== 0 && (this.lsrExtra & LSR_DR) !== 0) return IIR_RDA;
    if ((this.ier & IER_ETBEI) !== 0 && this.thrInterruptPending) return IIR_THRE;
    return IIR_NO_INTERRUPT;
  }

  private msr(): number {
    if ((this.mcr & MCR_LOOP) === 0) return MSR_CONNECTED;
    // Loopback: DTR->DSR, RTS->CTS, OUT1->RI, OUT2->DCD (PC16550D MCR bit 4).
    const m = this.mcr;
    return ((m & MCR_DTR) ? MSR_DSR : 0) | ((m & MCR_RTS) ? MSR_CTS : 0) | ((m & MCR_OUT1) ? MSR_RI : 0) | ((m & MCR_OUT2) ? MSR_DCD : 0);
  }
}
