// The ACPI fixed hardware of QEMU's `pc` machine (the PIIX4 power-management function, hw/acpi/piix4.c, with
// the register logic of hw/acpi/core.c, QEMU 7.2), at the ports SeaBIOS programs and the FADT names
// (src/loader/acpi.ts): PM1a event block 0x600 (PM1_STS, PM1_EN), PM1a control 0x604 (PM1_CNT), the PM timer
// 0x608 and GPE0 0xAFE0 (status, enable). ACPI 1.0b section 4.7.3 describes the registers.
//
// - PM timer: a free-running 24-bit counter at 3.579545 MHz of virtual time, as acpi_pm_tmr_get computes it
//   (muldiv64(virtual ns, PM_TIMER_FREQUENCY, NANOSECONDS_PER_SECOND), masked to 24 bits: the FADT leaves
//   TMR_VAL_EXT clear). TMR_STS is set once the counter passes the next 2^23 boundary after the last
//   acknowledgement (acpi_pm1_evt_get_sts / acpi_pm_tmr_calc_overflow_time; QEMU starts with the boundary at 0,
//   so the bit reads set until the guest first clears it); with TMR_EN it raises the SCI at that moment.
// - PM1_STS bits are write-1-to-clear; the SCI (ISA IRQ 9, level, active high as the MADT's override says) is
//   asserted while a status bit and its enable are both set, for the timer, global lock, power button and RTC
//   events, or a GPE0 status bit and its enable (acpi_update_sci).
// - PM1_CNT: SCI_EN reads set from reset (QEMU's acpi_only mode without SMM, acpi_pm1_cnt_reset: dbstub models
//   no SMM, so its FADT has no SMI_CMD and the guest finds ACPI already enabled); SLP_EN is write-only; writing
//   SLP_EN with SLP_TYP 0 (the \_S5 package the DSDT gives) powers the machine off (acpi_pm1_cnt_write: "soft
//   power off", qemu_system_shutdown_request). Other sleep types are not offered by the DSDT and are logged.

import { OnceLog, type DeviceLog } from './device-log.js';
import type { PortDevice } from './iobus.js';
import type { TimerHost } from './timers.js';

/** PIIX4 PM I/O base as SeaBIOS programs it under QEMU (PMBA = 0x600: QEMU's FADT/DSDT use the same). */
export const ACPI_PM_BASE = 0x600;
export const ACPI_PM1_EVT = ACPI_PM_BASE;
export const ACPI_PM1_EVT_LEN = 4;
export const ACPI_PM1_CNT = ACPI_PM_BASE + 0x04;
export const ACPI_PM1_CNT_LEN = 2;
export const ACPI_PM_TMR = ACPI_PM_BASE + 0x08;
export const ACPI_PM_TMR_LEN = 4;
/** hw/acpi/piix4.c GPE_BASE / GPE_LEN. */
export const ACPI_GPE0_BLK = 0xafe0;
export const ACPI_GPE0_BLK_LEN = 4;
/** The SCI's ISA IRQ (QEMU's PIIX4 "sci_int" property, FADT SCI_INT). */
export const ACPI_SCI_IRQ = 9;

/** PM_TIMER_FREQUENCY (include/hw/acpi/acpi.h): the 14.31818 MHz crystal / 4. */
export const PM_TIMER_FREQUENCY = 3579545;
export const PM_TIMER_MASK = 0xffffff;
const NS_PER_S = 1_000_000_000;
/** TMR_STS is set when bit 23 of the counter changes (ACPI 1.0b 4.7.3.3). */
const PM_TIMER_OVERFLOW = 0x800000;

// PM1 status / enable bits (ACPI 1.0b Table 4-11, 4-12; ACPICA ACPI_BITMASK_*).
export const ACPI_TMR_STS = 0x0001;
export const ACPI_BM_STS = 0x0010;
export const ACPI_GBL_STS = 0x0020;
export const ACPI_PWRBTN_STS = 0x0100;
export const ACPI_SLPBTN_STS = 0x0200;
export const ACPI_RTC_STS = 0x0400;
export const ACPI_WAK_STS = 0x8000;
export const ACPI_TMR_EN = 0x0001;
export const ACPI_GBL_EN = 0x0020;
export const ACPI_PWRBTN_EN = 0x0100;
export const ACPI_RTC_EN = 0x0400;
/** The PM1 events that raise the SCI (acpi_update_sci). */
const SCI_EVENTS = ACPI_RTC_EN | ACPI_PWRBTN_EN | ACPI_GBL_EN | ACPI_TMR_EN;

// PM1 control bits (ACPI 1.0b Table 4-13).
export const ACPI_SCI_EN = 0x0001;
export const ACPI_SLP_TYP_SHIFT = 10;
export const ACPI_SLP_TYP_MASK = 0x7 << ACPI_SLP_TYP_SHIFT;
export const ACPI_SLP_EN = 0x2000;
/** The SLP_TYP value of the DSDT's \_S5 package, which QEMU's acpi_pm1_cnt_write takes as soft-off. */
export const ACPI_SLP_TYP_S5 = 0;

/** The PM timer's count for a virtual time in ns: floor(ns * f / 1e9) exactly, without 64-bit integers. */
export function pmTimerTicks(ns: number): number {
  const s = Math.floor(ns / NS_PER_S);
  return s * PM_TIMER_FREQUENCY + Math.floor(((ns - s * NS_PER_S) * PM_TIMER_FREQUENCY) / NS_PER_S);
}

export interface AcpiPmOptions {
  /** The CPU clock (1 tick = 1 ns) and a timer channel for the TMR_EN overflow interrupt. */
  timer: TimerHost;
  setSci: (level: boolean) => void;
  /** The guest entered S5 (soft off). */
  powerOff: () => void;
  log: DeviceLog;
}

export class AcpiPm implements PortDevice {
  readonly name = 'acpi-pm (PIIX4)';
  private pm1Sts = 0;
  private pm1En = 0;
  private pm1Cnt = ACPI_SCI_EN;
  /** PM timer count (untruncated) at which TMR_STS next sets. */
  private overflowAt = 0;
  private readonly gpeSts = new Uint8Array(ACPI_GPE0_BLK_LEN / 2);
  private readonly gpeEn = new Uint8Array(ACPI_GPE0_BLK_LEN / 2);
  private readonly once: OnceLog;
  private sci = false;

  constructor(private readonly o: AcpiPmOptions) {
    this.once = new OnceLog(o.log, 'acpi-pm');
  }

  /** The PM timer's full count now (bits above 23 included). */
  private ticks(): number {
    return pmTimerTicks(this.o.timer.clock);
  }

  private status(now = this.ticks()): number {
    if (now >= this.overflowAt) this.pm1Sts |= ACPI_TMR_STS;
    return this.pm1Sts;
  }

  in(port: number, size: 1 | 2 | 4): number {
    // Every byte of one access sees the same instant: the clock is converted once per access, not once per
    // byte (a dword read of the timer is what operating systems and kvm-unit-tests' inl_from_pmtimer do).
    const now = this.ticks();
    let v = 0;
    for (let i = size - 1; i >= 0; i--) v = (v << 8) | this.readByte(port + i, now);
    return v >>> 0;
  }

  out(port: number, size: 1 | 2 | 4, value: number): void {
    if (port >= ACPI_PM1_EVT && port < ACPI_PM1_EVT + ACPI_PM1_EVT_LEN) {
      let sts = 0, en = 0, enMask = 0;
      for (let i = 0; i < size && port + i < ACPI_PM1_EVT + ACPI_PM1_EVT_LEN; i++) {
        const off = port + i - ACPI_PM1_EVT;
        const b = (value >>> (8 * i)) & 0xff;
        if (off < 2) sts |= b << (8 * off);
        else {
          en |= b << (8 * (off - 2));
          enMask |= 0xff << (8 * (off - 2));
        }
      }
      if (sts !== 0) this.writeStatus(sts);
      this.pm1En = (this.pm1En & ~enMask) | en;
      this.updateSci();
      return;
    }
    if (port >= ACPI_PM1_CNT && port < ACPI_PM1_CNT + ACPI_PM1_CNT_LEN) {
      const shift = 8 * (port - ACPI_PM1_CNT);
      const mask = (size === 1 ? 0xff : 0xffff) << shift;
      this.writeControl((this.pm1Cnt & ~mask & 0xffff) | ((value << shift) & mask & 0xffff));
      return;
    }
    if (port >= ACPI_GPE0_BLK && port < ACPI_GPE0_BLK + ACPI_GPE0_BLK_LEN) {
      for (let i = 0; i < size && port + i < ACPI_GPE0_BLK + ACPI_GPE0_BLK_LEN; i++) {
        const off = port + i - ACPI_GPE0_BLK;
        const b = (value >>> (8 * i)) & 0xff;
        // acpi_gpe_ioport_writeb: status bytes are write-1-to-clear, enable bytes are stored.
        if (off < this.gpeSts.length) this.gpeSts[off] = this.gpeSts[off]! & ~b;
        else this.gpeEn[off - this.gpeSts.length] = b;
      }
      this.updateSci();
    }
    // The PM timer is read-only.
  }

  private readByte(port: number, now: number): number {
    if (port >= ACPI_PM1_EVT && port < ACPI_PM1_EVT + 2) return (this.status(now) >> (8 * (port - ACPI_PM1_EVT))) & 0xff;
    if (port >= ACPI_PM1_EVT + 2 && port < ACPI_PM1_EVT + 4) return (this.pm1En >> (8 * (port - ACPI_PM1_EVT - 2))) & 0xff;
    if (port >= ACPI_PM1_CNT && port < ACPI_PM1_CNT + 2) return (this.pm1Cnt >> (8 * (port - ACPI_PM1_CNT))) & 0xff;
    if (port >= ACPI_PM_TMR && port < ACPI_PM_TMR + 4) return ((now & PM_TIMER_MASK) >>> (8 * (port - ACPI_PM_TMR))) & 0xff;
    if (port >= ACPI_GPE0_BLK && port < ACPI_GPE0_BLK + ACPI_GPE0_BLK_LEN) {
      const off = port - ACPI_GPE0_BLK;
      return off < this.gpeSts.length ? this.gpeSts[off]! : this.gpeEn[off - this.gpeSts.length]!;
    }
    return 0xff;
  }

  /** acpi_pm1_evt_write_sts: acknowledging TMR_STS moves the next overflow to the following 2^23 boundary. */
  private writeStatus(v: number): void {
    if (this.status() & v & ACPI_TMR_STS) this.overflowAt = Math.floor((this.ticks() + PM_TIMER_OVERFLOW) / PM_TIMER_OVERFLOW) * PM_TIMER_OVERFLOW;
    this.pm1Sts &= ~v;
  }

  private writeControl(v: number): void {
    this.pm1Cnt = v & ~ACPI_SLP_EN;
    if ((v & ACPI_SLP_EN) === 0) return;
    const type = (v & ACPI_SLP_TYP_MASK) >> ACPI_SLP_TYP_SHIFT;
    if (type === ACPI_SLP_TYP_S5) this.o.powerOff();
    else this.once.unsupported(`sleep-type-${type}`, `PM1_CNT SLP_EN with SLP_TYP ${type}: only S5 (SLP_TYP 0) is offered by the DSDT; ignored`);
  }

  private updateSci(): void {
    let gpe = false;
    for (let i = 0; i < this.gpeSts.length; i++) if ((this.gpeSts[i]! & this.gpeEn[i]!) !== 0) gpe = true;
    const level = (this.status() & this.pm1En & SCI_EVENTS) !== 0 || gpe;
    if (level !== this.sci) {
      this.sci = level;
      this.o.setSci(level);
    }
    // acpi_pm_tmr_update: with TMR_EN and TMR_STS clear, the overflow itself must raise the SCI.
    if ((this.pm1En & ACPI_TMR_EN) !== 0 && (this.pm1Sts & ACPI_TMR_STS) === 0) {
      const ns = Math.ceil(((this.overflowAt - this.ticks()) * NS_PER_S) / PM_TIMER_FREQUENCY);
      this.o.timer.setTimer(this.o.timer.clock + Math.max(1, ns), () => this.updateSci());
    } else this.o.timer.setTimer(undefined);
  }

  reset(): void {
    this.pm1Sts = 0;
    this.pm1En = 0;
    this.pm1Cnt = ACPI_SCI_EN;
    this.overflowAt = 0;
    this.gpeSts.fill(0);
    this.gpeEn.fill(0);
    this.sci = false;
    this.o.timer.setTimer(undefined);
    this.once.clear();
  }
}
