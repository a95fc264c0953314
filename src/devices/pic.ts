// The two cascaded 8259A programmable interrupt controllers of a PC (master at 0x20/0x21, slave at
// 0xA0/0xA1, the slave's INT on the master's IR2). Register semantics from the Intel 8259A datasheet (order
// 231468); where the datasheet leaves room, QEMU's hw/intc/i8259.c (7.2) is followed: edge detection with a
// last-level latch, IRR/ISR/IMR, fully nested priority with rotation (priority_add), specific and
// non-specific EOI, automatic EOI, special mask mode, special fully nested mode on the master, poll mode,
// and the spurious IRQ7 / IRQ15 an INTA yields when the request went away.
// The master's INT output reaches the CPU through the local APIC's LINT0 in ExtINT mode (lapic.ts
// connectExtInt), as QEMU's apic_accept_pic_intr decides.
// Not modelled: level-triggered inputs (the ELCR ports 0x4D0/0x4D1 are not claimed: every input is
// edge-triggered, as after reset), buffered mode, and the 8080/8085 call vectors (ICW4.uPM = 0).

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

/** OCW2 commands (bits 7:5). */
const OCW2_ROTATE_AEOI_CLEAR = 0;
const OCW2_NONSPECIFIC_EOI = 1;
const OCW2_SPECIFIC_EOI = 3;
const OCW2_ROTATE_AEOI_SET = 4;
const OCW2_ROTATE_NONSPECIFIC_EOI = 5;
const OCW2_SET_PRIORITY = 6;
const OCW2_ROTATE_SPECIFIC_EOI = 7;
/** OCW3 bit 6 ESMM (enable special mask mode change), bit 5 SMM. */
const OCW3_ESMM = 1 << 6;
const OCW3_SMM = 1 << 5;
/** ICW4 bit 1 AEOI, bit 4 SFNM. */
const ICW4_AEOI = 1 << 1;
const ICW4_SFNM = 1 << 4;
/** The input the master's cascade (the slave's INT) is wired to, and the spurious-interrupt level. */
export const PIC_CASCADE_IRQ = 2;
const SPURIOUS_IRQ = 7;
/** Poll-mode read: bit 7 = an interrupt was requested, bits 2:0 its level. */
const POLL_INT = 0x80;
const NO_PRIORITY = 8;

/** One 8259A. */
export class Pic8259 {
  /** Interrupt mask register (OCW1); 0 after reset as on QEMU (hw/intc/i8259_common.c). */
  imr = 0;
  /** Interrupt request and in-service registers. */
  irr = 0;
  isr = 0;
  /** Vector base from ICW2 (bits 7:3). */
  vectorBase = 0;
  /** ICW3: the slave-on-IRn bitmap (master) or the slave ID (slave). */
  icw3 = 0;
  icw4 = 0;
  private icw1 = 0;
  private step: InitStep = 'none';
  private readIsr = false;
  private pollNext = false;
  /** Input levels seen last (edge detection). */
  private lastLevel = 0;
  /** Rotation: the level that has priority 0 is priorityAdd. */
  private priorityAdd = 0;
  private specialMask = false;
  private rotateOnAutoEoi = false;

  constructor(
    readonly isMaster: boolean,
    /** Called whenever the INT output may have changed. */
    private readonly changed: () => void,
  ) {}

  reset(): void {
    this.initReset();
    this.icw1 = 0;
    this.icw4 = 0;
    this.icw3 = 0;
    this.step = 'none';
  }

  /** What ICW1 clears (and power-on), as QEMU's pic_init_reset. */
  private initReset(): void {
    this.lastLevel = 0;
    this.irr = 0;
    this.imr = 0;
    this.isr = 0;
    this.priorityAdd = 0;
    this.vectorBase = 0;
    this.readIsr = false;
    this.pollNext = false;
    this.specialMask = false;
    this.rotateOnAutoEoi = false;
    this.changed();
  }

  /** True while an ICW1..ICW4 sequence is in progress. */
  get initializing(): boolean {
    return this.step !== 'none';
  }

  /** An input level change: a rising edge latches the request in IRR. */
  setIrq(irq: number, level: boolean): void {
    const m = 1 << irq;
    if (level) {
      if ((this.lastLevel & m) === 0) this.irr |= m;
      this.lastLevel |= m;
    } else {
      this.lastLevel &= ~m;
    }
    this.changed();
  }

  /** The highest priority among the levels set in `mask` (0 = highest), NO_PRIORITY if none. */
  private priority(mask: number): number {
    if (mask === 0) return NO_PRIORITY;
    let p = 0;
    while ((mask & (1 << ((p + this.priorityAdd) & 7))) === 0) p++;
    return p;
  }

  /** The level INT would be raised for now, or -1 (fully nested: only above what is in service). */
  pendingIrq(): number {
    const p = this.priority(this.irr & ~this.imr);
    if (p === NO_PRIORITY) return -1;
    let inService = this.isr;
    if (this.specialMask) inService &= ~this.imr;
    // Special fully nested mode: the slave's in-service bit on the master does not block more slave requests.
    if ((this.icw4 & ICW4_SFNM) !== 0 && this.isMaster) inService &= ~(1 << PIC_CASCADE_IRQ);
    return p < this.priority(inService) ? (p + this.priorityAdd) & 7 : -1;
  }

  /** INTA for `irq`: into service (unless automatic EOI), request cleared (edge-triggered). */
  intack(irq: number): void {
    if ((this.icw4 & ICW4_AEOI) !== 0) {
      if (this.rotateOnAutoEoi) this.priorityAdd = (irq + 1) & 7;
    } else {
      this.isr |= 1 << irq;
    }
    this.irr &= ~(1 << irq);
    this.changed();
  }

  writeCommand(v: number): void {
    if ((v & ICW1_INIT) !== 0) {
      // ICW1 starts initialization: IMR, IRR, ISR and the modes cleared (datasheet "Initialization Command Words").
      this.initReset();
      this.icw1 = v;
      this.icw4 = 0;
      this.step = 'icw2';
      return;
    }
    if ((v & OCW3_SELECT) !== 0) {
      if ((v & OCW3_RR) !== 0) this.readIsr = (v & OCW3_RIS) !== 0;
      this.pollNext = (v & OCW3_POLL) !== 0;
      if ((v & OCW3_ESMM) !== 0) this.specialMask = (v & OCW3_SMM) !== 0;
      this.changed();
      return;
    }
    this.ocw2(v);
  }

  private ocw2(v: number): void {
    const cmd = v >>> 5;
    switch (cmd) {
      case OCW2_ROTATE_AEOI_CLEAR:
      case OCW2_ROTATE_AEOI_SET:
        this.rotateOnAutoEoi = cmd === OCW2_ROTATE_AEOI_SET;
        return;
      case OCW2_NONSPECIFIC_EOI:
      case OCW2_ROTATE_NONSPECIFIC_EOI: {
        const p = this.priority(this.isr);
        if (p === NO_PRIORITY) return;
        const irq = (p + this.priorityAdd) & 7;
        this.isr &= ~(1 << irq);
        if (cmd === OCW2_ROTATE_NONSPECIFIC_EOI) this.priorityAdd = (irq + 1) & 7;
        break;
      }
      case OCW2_SPECIFIC_EOI:
        this.isr &= ~(1 << (v & 7));
        break;
      case OCW2_SET_PRIORITY:
        this.priorityAdd = ((v & 7) + 1) & 7;
        break;
      case OCW2_ROTATE_SPECIFIC_EOI:
        this.isr &= ~(1 << (v & 7));
        this.priorityAdd = ((v & 7) + 1) & 7;
        break;
      default:
        return; // 2: no operation
    }
    this.changed();
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
        this.changed();
    }
  }

  /** Poll (OCW3 P=1): the next read acknowledges the highest request as an INTA would. */
  private pollRead(): number {
    const irq = this.pendingIrq();
    if (irq < 0) return 0;
    this.intack(irq);
    return POLL_INT | irq;
  }

  readCommand(): number {
    if (this.pollNext) {
      this.pollNext = false;
      return this.pollRead();
    }
    return this.readIsr ? this.isr : this.irr;
  }

  readData(): number {
    return this.imr;
  }

  /** Which register a command-port read returns (OCW3 RR/RIS). */
  get readsIsr(): boolean {
    return this.readIsr;
  }
}

/** The master/slave pair on the I/O bus; the slave's INT drives the master's IR2. */
export class DualPic implements PortDevice {
  readonly name = 'pic';
  readonly master: Pic8259;
  readonly slave: Pic8259;
  private slaveInt = false;
  private intr = false;

  /** `intrChanged` is told when the master's INT output rises or falls (the CPU's INTR line). */
  constructor(private readonly intrChanged: (level: boolean) => void = () => {}) {
    this.master = new Pic8259(true, () => this.update());
    this.slave = new Pic8259(false, () => this.update());
  }

  reset(): void {
    this.master.reset();
    this.slave.reset();
  }

  /** ISA IRQ 0-15 input level (8-15 on the slave). */
  setIrq(irq: number, level: boolean): void {
    if (irq < 8) this.master.setIrq(irq, level);
    else this.slave.setIrq(irq - 8, level);
  }

  /** The master's INT output now. */
  get interruptRequested(): boolean {
    return this.master.pendingIrq() >= 0;
  }

  /** The vector an INTA cycle would return now (for the CPU's pending check; no side effect). */
  peekVector(): number {
    const irq = this.master.pendingIrq();
    if (irq < 0) return this.master.vectorBase + SPURIOUS_IRQ;
    if (irq === PIC_CASCADE_IRQ) {
      const s = this.slave.pendingIrq();
      return this.slave.vectorBase + (s < 0 ? SPURIOUS_IRQ : s);
    }
    return this.master.vectorBase + irq;
  }

  /** The INTA cycle (QEMU pic_read_irq): the vector, with the request moved into service. A request that
   *  went away yields the spurious IRQ 7 (master) or IRQ 15 (slave) vector, nothing in service. */
  acknowledge(): number {
    const irq = this.master.pendingIrq();
    if (irq < 0) return this.master.vectorBase + SPURIOUS_IRQ;
    this.master.intack(irq);
    if (irq !== PIC_CASCADE_IRQ) return this.master.vectorBase + irq;
    const s = this.slave.pendingIrq();
    if (s < 0) return this.slave.vectorBase + SPURIOUS_IRQ;
    this.slave.intack(s);
    return this.slave.vectorBase + s;
  }

  private update(): void {
    // Constructed master first: the slave may not exist yet during the master's own reset.
    if (this.slave === undefined || this.master === undefined) return;
    const slaveInt = this.slave.pendingIrq() >= 0;
    if (slaveInt !== this.slaveInt) {
      this.slaveInt = slaveInt;
      this.master.setIrq(PIC_CASCADE_IRQ, slaveInt); // re-enters update() for the master
      return;
    }
    const intr = this.master.pendingIrq() >= 0;
    if (intr !== this.intr) {
      this.intr = intr;
      this.intrChanged(intr);
    }
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
