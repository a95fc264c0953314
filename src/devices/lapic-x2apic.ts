// The local APIC's x2APIC interface (Intel SDM Vol. 3A 11.12.1.2, Table 11-6): MSRs 0x800-0x8FF map onto the
// xAPIC register offsets (MSR = 0x800 + offset/16) with the x2APIC mode's own rules: the ICR is one 64-bit
// MSR, SELF IPI exists only here, read-only and write-only registers #GP the wrong way, reserved bits #GP.
// LocalApic (lapic.ts) calls these only while the APIC is in x2APIC mode; a false/undefined answer is #GP.

import {
  APIC_APR, APIC_DFR, APIC_EOI, APIC_ESR, APIC_ICR_HIGH, APIC_ID, APIC_ISR0, APIC_LDR, APIC_PPR, APIC_RRD, APIC_SVR,
  APIC_TIMER_CURRENT_COUNT, APIC_TPR, APIC_VERSION, ICR_LOW_WRITABLE, MSR_X2APIC_FIRST, MSR_X2APIC_ICR, MSR_X2APIC_SELF_IPI,
  SVR_WRITABLE,
} from './lapic-regs.js';

/** The register file both interfaces share, as the x2APIC MSRs reach it. */
export interface X2apicRegisterFile {
  /** Value of the register at xAPIC offset `off`, or undefined if there is none. */
  readRegister(off: number): number | undefined;
  /** Write the register at xAPIC offset `off`; false if there is no such register. */
  writeRegister(off: number, v: number): boolean;
  /** The 64-bit ICR: destination (ICR high) in 63:32, ICR low in 31:0. */
  readIcr(): bigint;
  /** A WRMSR of the 64-bit ICR: store both halves and send the IPI. */
  writeIcr(low: number, high: number): void;
  /** A WRMSR of SELF IPI with a vector. */
  selfIpi(vector: number): void;
}

/** The x2APIC offset of MSR `index` (0x800-0x8FF). */
function offsetOf(index: number): number {
  return (index - MSR_X2APIC_FIRST) << 4;
}

/** RDMSR of an x2APIC register; undefined is #GP. */
export function readX2apicMsr(regs: X2apicRegisterFile, index: number): bigint | undefined {
  // SDM 11.12.1.2: RDMSR of a write-only register (EOI, SELF IPI) or an unimplemented one raises #GP.
  if (index === MSR_X2APIC_ICR) return regs.readIcr();
  const off = offsetOf(index);
  switch (off) {
    case APIC_EOI: case APIC_DFR: case APIC_APR: case APIC_RRD: case APIC_ICR_HIGH:
      return undefined; // write-only or absent in x2APIC mode
  }
  const v = regs.readRegister(off);
  return v === undefined ? undefined : BigInt(v >>> 0);
}

/** WRMSR of an x2APIC register; false is #GP. */
export function writeX2apicMsr(regs: X2apicRegisterFile, index: number, value: bigint): boolean {
  if (index === MSR_X2APIC_ICR) {
    const lo = Number(value & 0xffffffffn);
    if ((lo & ~ICR_LOW_WRITABLE) !== 0) return false; // reserved bits (incl. delivery status) #GP in x2APIC mode
    regs.writeIcr(lo, Number(value >> 32n) >>> 0);
    return true;
  }
  // Every other x2APIC register is 32 bits wide: bits 63:32 are reserved (#GP).
  if (value >> 32n !== 0n) return false;
  const v = Number(value);
  if (index === MSR_X2APIC_SELF_IPI) {
    if (v > 0xff) return false;
    regs.selfIpi(v);
    return true;
  }
  const off = offsetOf(index);
  switch (off) {
    // Read-only registers: WRMSR #GP (SDM Table 11-6).
    case APIC_ID: case APIC_VERSION: case APIC_PPR: case APIC_LDR: case APIC_TIMER_CURRENT_COUNT:
    // Absent in x2APIC mode.
    case APIC_APR: case APIC_RRD: case APIC_DFR: case APIC_ICR_HIGH:
      return false;
    case APIC_TPR:
      if (v > 0xff) return false;
      break;
    case APIC_EOI:
    case APIC_ESR:
      if (v !== 0) return false; // only 0 may be written (SDM 11.12.1.2 / 11.5.3)
      break;
    case APIC_SVR:
      if ((v & ~SVR_WRITABLE) !== 0) return false;
      break;
  }
  if (off >= APIC_ISR0 && off < APIC_ESR) return false; // ISR/TMR/IRR are read-only
  return regs.writeRegister(off, v);
}
