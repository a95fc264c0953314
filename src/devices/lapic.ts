// The local APIC of the one CPU, as QEMU's PC machine presents it (hw/intc/apic.c for register values
// after reset), with the architecture of Intel SDM Vol. 3A chapter 11 ("Advanced Programmable Interrupt
// Controller"; chapter 10 in older editions): xAPIC registers in a 4 KiB MMIO page at 0xFEE00000,
// x2APIC registers as MSRs 0x800-0x8FF, IA32_APIC_BASE (MSR 0x1B), the LVT timer, self-IPIs through
// the ICR and the SELF IPI MSR, and interrupt acceptance by priority (TPR/PPR, IRR/ISR, EOI).
//
// What is modelled and what not (the README lists the same):
// - Interrupts this APIC raises for itself (LVT timer, LVT error, fixed-mode self-IPIs) and the I/O APIC's
//   messages (`deliverIoApicMessage`, fixed and lowest-priority). There is no other CPU;
//   LINT0/LINT1/thermal/performance LVTs are storage only; there is no CMCI LVT.
// - ICR: delivery modes Fixed and NMI to self (shorthand Self, All-including-self, or a physical/flat-logical
//   destination that names this APIC) are delivered (NMI to the CPU's NMI input); every other mode
//   (lowest priority, SMI, INIT, SIPI) and destinations that do not include this APIC are logged once and dropped.
// - LVT timer one-shot, periodic and TSC-deadline (IA32_TSC_DEADLINE, MSR 0x6E0; CPUID.01H:ECX[24] is
//   set only while the APIC is constructed with it, the default); reserved timer mode 11b does not run (logged).
// - TMR: set when a level-triggered I/O APIC message is accepted, cleared when an edge-triggered interrupt
//   of that vector is (SDM 11.8.4); an EOI of a vector whose TMR bit is set is broadcast to the I/O APIC
//   (SDM 11.8.5; QEMU apic_eoi -> ioapic_eoi_broadcast). QEMU leaves the bit set at EOI, and so does this.
// - Relocating the APIC base through IA32_APIC_BASE moves the MMIO page (SDM 11.4.4; KVM kvm_lapic_set_base
//   keeps base_address, apic_mmio_in_range decodes it); the page then wins over RAM at that address, as QEMU's
//   overlapping APIC memory region does (under KVM a RAM memslot there would win instead).
//
// This file holds the register file, the xAPIC MMIO decode, interrupt acceptance and the LINT0/ExtINT input;
// the rest lives beside it: lapic-regs.ts (architectural names), lapic-timer.ts (LVT timer, TSC deadline,
// how time is counted), lapic-x2apic.ts (the MSR interface), lapic-ipi.ts (ICR routing, destinations).

import type { InterruptController, MmioRegion } from '../cpu/index.js';
import { OnceLog, silentDeviceLog, type DeviceLog } from './device-log.js';
import { type ApicDestinationRegs, logicalMatch, routeIcr, x2apicLogicalId } from './lapic-ipi.js';
import {
  APIC_APR, APIC_BASE_BSP, APIC_BASE_EN, APIC_BASE_EXTD, APIC_DEFAULT_BASE, APIC_DFR, APIC_EOI, APIC_ESR, APIC_ICR_HIGH,
  APIC_ICR_LOW, APIC_ID, APIC_IRR0, APIC_ISR0, APIC_LDR, APIC_LVT_ERROR, APIC_LVT_LINT0, APIC_LVT_LINT1, APIC_LVT_PERF,
  APIC_LVT_THERMAL, APIC_LVT_TIMER, APIC_PAGE_SIZE, APIC_PPR, APIC_RRD, APIC_SVR, APIC_TIMER_CURRENT_COUNT,
  APIC_TIMER_DIVIDE_CONFIG, APIC_TIMER_INITIAL_COUNT, APIC_TMR0, APIC_TPR, APIC_VERSION, APIC_VERSION_VALUE,
  DELIVERY_MODE_FIXED, DELIVERY_MODE_LOWEST_PRIORITY, DELIVERY_MODE_NAMES, DELIVERY_MODE_NMI, DFR_RESET,
  ESR_ILLEGAL_REGISTER_ADDRESS, ESR_RECEIVE_ILLEGAL_VECTOR, ESR_SEND_ILLEGAL_VECTOR, FIRST_LEGAL_VECTOR, ICR_LOW_WRITABLE,
  LVT_DELIVERY_EXTINT, LVT_DELIVERY_MODE, LVT_ERROR_WRITABLE, LVT_LINT_WRITABLE, LVT_MASK, LVT_OTHER_WRITABLE,
  LVT_TIMER_WRITABLE, LVT_VECTOR, MSR_IA32_APIC_BASE, MSR_IA32_TSC, MSR_IA32_TSC_DEADLINE, MSR_X2APIC_FIRST,
  MSR_X2APIC_LAST, SVR_APIC_SOFTWARE_ENABLE, SVR_WRITABLE, clearBit, getBit, highestBit, setBit,
} from './lapic-regs.js';
import { ApicTimer } from './lapic-timer.js';
import { type X2apicRegisterFile, readX2apicMsr, writeX2apicMsr } from './lapic-x2apic.js';

// The architectural names callers import from here (machine wiring, the VMM's monitor, tests).
export {
  APIC_DEFAULT_BASE, APIC_PAGE_SIZE, MSR_IA32_APIC_BASE, APIC_BASE_BSP, APIC_BASE_EXTD, APIC_BASE_EN, APIC_ID, APIC_VERSION,
  APIC_TPR, APIC_APR, APIC_PPR, APIC_EOI, APIC_RRD, APIC_LDR, APIC_DFR, APIC_SVR, APIC_ISR0, APIC_TMR0, APIC_IRR0, APIC_ESR,
  APIC_LVT_CMCI, APIC_ICR_LOW, APIC_ICR_HIGH, APIC_LVT_TIMER, APIC_LVT_THERMAL, APIC_LVT_PERF, APIC_LVT_LINT0, APIC_LVT_LINT1,
  APIC_LVT_ERROR, APIC_TIMER_INITIAL_COUNT, APIC_TIMER_CURRENT_COUNT, APIC_TIMER_DIVIDE_CONFIG, MSR_X2APIC_FIRST,
  MSR_X2APIC_LAST, MSR_X2APIC_ICR, MSR_X2APIC_SELF_IPI, MSR_IA32_TSC_DEADLINE, APIC_VERSION_VALUE, SVR_APIC_SOFTWARE_ENABLE,
  SVR_FOCUS_PROCESSOR_CHECKING, LVT_VECTOR, LVT_DELIVERY_MODE, LVT_DELIVERY_NMI, LVT_DELIVERY_EXTINT, LVT_DELIVERY_STATUS,
  LVT_INPUT_PIN_POLARITY, LVT_REMOTE_IRR, LVT_TRIGGER_MODE, LVT_MASK, LVT_TIMER_MODE_SHIFT, LVT_TIMER_MODE,
  TIMER_MODE_ONE_SHOT, TIMER_MODE_PERIODIC, TIMER_MODE_TSC_DEADLINE, TIMER_MODE_RESERVED, ESR_SEND_ILLEGAL_VECTOR,
  ESR_RECEIVE_ILLEGAL_VECTOR, ESR_ILLEGAL_REGISTER_ADDRESS, ICR_VECTOR, ICR_DELIVERY_MODE_SHIFT, ICR_DESTINATION_MODE_LOGICAL,
  ICR_DELIVERY_STATUS, ICR_LEVEL_ASSERT, ICR_TRIGGER_LEVEL, ICR_SHORTHAND_SHIFT, DELIVERY_MODE_FIXED,
  DELIVERY_MODE_LOWEST_PRIORITY, DELIVERY_MODE_NMI, SHORTHAND_NONE, SHORTHAND_SELF, SHORTHAND_ALL_INCLUDING_SELF,
  SHORTHAND_ALL_EXCLUDING_SELF, divisorOf,
} from './lapic-regs.js';

/** What LINT0 sees of the 8259 pair (pic.ts DualPic). */
export interface ExtIntSource {
  readonly interruptRequested: boolean;
  /** The vector an INTA cycle would return now, without side effects. */
  peekVector(): number;
  /** The INTA cycle. */
  acknowledge(): number;
}

/** The CPU side the APIC needs: the virtual clock, the one timer event, the "check INTR" doorbell, and
 *  the TSC (read as IA32_TSC, MSR 0x10) for the TSC-deadline mode. */
export interface ApicHost {
  readonly clock: number;
  getMsr(index: number): bigint | undefined;
  setTimer(tick: number | undefined, fn?: () => void): void;
  notifyInterrupt(): void;
  /** An edge on the CPU's NMI input (an NMI message for this APIC). Optional: without it NMIs are dropped. */
  nmi?(): void;
}

export interface LocalApicOptions {
  /** MAXPHYADDR: IA32_APIC_BASE bits above it are reserved (#GP). The CPU reports 40 (CPUID 0x80000008). */
  physAddrBits?: number;
  /** Whether x2APIC mode may be enabled (CPUID.01H:ECX[21]). Default true. */
  x2apic?: boolean;
  /** Whether the LVT timer has the TSC-deadline mode (CPUID.01H:ECX[24], IA32_TSC_DEADLINE). Default true. */
  tscDeadline?: boolean;
  log?: DeviceLog;
}

export class LocalApic implements MmioRegion, InterruptController {
  /** MmioRegion.base: the page IA32_APIC_BASE names (a number, read on every MMIO decode; kept with apicBase). */
  get base(): number { return this.mmioBase; }
  readonly size = APIC_PAGE_SIZE;
  private mmioBase = APIC_DEFAULT_BASE;

  private host: ApicHost | undefined;
  private readonly physAddrBits: number;
  private readonly x2apicSupported: boolean;
  /** InterruptController.x2apic: the CPU reports CPUID.01H:ECX[21] when true. Real parts since Nehalem /
   *  Zen and KVM's in-kernel APIC offer x2APIC; QEMU 7.2's TCG APIC does not (construct with x2apic:false). */
  get x2apic(): boolean { return this.x2apicSupported; }
  private readonly tscDeadlineSupported: boolean;
  /** InterruptController.tscDeadline: the CPU reports CPUID.01H:ECX[24] and routes MSR 0x6E0 here when true.
   *  Real parts since Sandy Bridge / Zen and KVM's in-kernel APIC have it. */
  get tscDeadline(): boolean { return this.tscDeadlineSupported; }
  private readonly once: OnceLog;

  private apicBase = 0n;
  private id = 0;
  private tpr = 0;
  private ldr = 0;
  private dfr = DFR_RESET;
  private svr = 0xff;
  private readonly isr = new Uint32Array(8);
  private readonly tmr = new Uint32Array(8);
  private readonly irr = new Uint32Array(8);
  /** ESR as the guest reads it, and the errors collected since the last ESR write (SDM 11.5.3). */
  private esr = 0;
  private esrPending = 0;
  private icrLow = 0;
  private icrHigh = 0;
  private lvtThermal = LVT_MASK;
  private lvtPerf = LVT_MASK;
  private lvtLint0 = LVT_MASK;
  private extInt: ExtIntSource | undefined;
  /** The last pendingVector() answer came from the 8259 (its acknowledge is the INTA cycle). */
  private extIntPending = false;
  private lvtLint1 = LVT_MASK;
  private lvtError = LVT_MASK;
  private readonly timer: ApicTimer;
  /** The register file as the x2APIC MSRs reach it (lapic-x2apic.ts). */
  private readonly x2regs: X2apicRegisterFile;
  /** Where the EOI of a level-triggered vector goes (the I/O APIC's EOI message). */
  private eoiBroadcast: ((vector: number) => void) | undefined;

  constructor(opts: LocalApicOptions = {}) {
    this.physAddrBits = opts.physAddrBits ?? 40;
    this.x2apicSupported = opts.x2apic ?? true;
    this.tscDeadlineSupported = opts.tscDeadline ?? true;
    this.once = new OnceLog(opts.log ?? silentDeviceLog, 'lapic');
    this.timer = new ApicTimer(
      {
        now: () => this.host?.clock ?? 0,
        tsc: () => this.host?.getMsr(MSR_IA32_TSC) ?? BigInt(this.host?.clock ?? 0),
        setTimer: (tick, fn) => this.host?.setTimer(tick, fn),
        globallyDisabled: () => this.mode === 'disabled',
        expired: (lvt) => this.localInterrupt(lvt),
      },
      this.tscDeadlineSupported,
      this.once,
    );
    this.x2regs = {
      readRegister: (off) => this.readRegister(off),
      writeRegister: (off, v) => this.writeRegister(off, v),
      readIcr: () => (BigInt(this.icrHigh) << 32n) | BigInt(this.icrLow),
      writeIcr: (low, high) => {
        this.icrHigh = high;
        this.icrLow = low;
        this.sendIpi();
      },
      selfIpi: (vector) => this.selfIpi(vector, false),
    };
    this.reset();
  }

  /** Connect to the CPU (done once by the machine after the CPU exists: the CPU takes the APIC in its options). */
  attach(host: ApicHost): void {
    this.host = host;
  }

  /** Power-up / RESET state (SDM 11.4.7.1, QEMU apic_reset_common): enabled xAPIC at the default base, BSP. */
  reset(): void {
    this.apicBase = BigInt((APIC_DEFAULT_BASE | APIC_BASE_BSP | APIC_BASE_EN) >>> 0);
    this.mmioBase = APIC_DEFAULT_BASE;
    this.id = 0;
    this.initReset();
    // QEMU (apic_reset_common) sets LINT0 of the BSP to ExtINT, unmasked, as a BIOS would: the PIC
    // reaches the CPU through it. It is storage here (the PIC never raises interrupts).
    this.lvtLint0 = LVT_DELIVERY_EXTINT;
    this.once.clear();
  }

  // ---------------------------------------------------------------- state queries (tests, monitor)

  /** The APIC ID (xAPIC bits 31:24 of the ID register; the x2APIC ID). */
  get apicId(): number { return this.id; }

  get mode(): 'disabled' | 'xapic' | 'x2apic' {
    const b = Number(this.apicBase & 0xfffn);
    if ((b & APIC_BASE_EN) === 0) return 'disabled';
    return (b & APIC_BASE_EXTD) !== 0 ? 'x2apic' : 'xapic';
  }

  /** Processor priority (SDM 11.8.3.1): TPR when its class is at least the in-service class, else the in-service class. */
  get ppr(): number {
    const isrv = highestBit(this.isr);
    const isrClass = isrv < 0 ? 0 : isrv & 0xf0;
    return (this.tpr & 0xf0) >= isrClass ? this.tpr : isrClass;
  }

  /** MOV from CR8 (64-bit mode): TPR bits 7:4 (SDM 11.8.6.1). For the CPU, once it routes CR8 here. */
  readCr8(): number {
    return this.tpr >>> 4;
  }

  /** MOV to CR8: TPR[7:4] = CR8[3:0], TPR[3:0] = 0 (SDM 11.8.6.1); may unblock a pending interrupt. */
  writeCr8(v: number): void {
    this.tpr = (v & 0xf) << 4;
    this.notify();
  }

  /** The timer's current-count register value now (SDM 11.5.4). */
  currentCount(): number {
    return this.timer.currentCount();
  }

  // ---------------------------------------------------------------- InterruptController

  /** The 8259 pair behind LINT0 (pc.ts): when the APIC has nothing to deliver and accepts ExtINT, the CPU
   *  takes the 8259's interrupt, its vector from the 8259's INTA cycle (SDM Vol. 3 11.5.1; QEMU 7.2
   *  hw/intc/apic.c apic_accept_pic_intr and hw/i386/x86.c cpu_get_pic_interrupt). */
  connectExtInt(source: ExtIntSource): void {
    this.extInt = source;
  }

  /** LINT0 unmasked in ExtINT mode, or the APIC globally disabled (then INTR goes straight to the CPU). */
  private acceptsExtInt(): boolean {
    if (this.mode === 'disabled') return true;
    return (this.lvtLint0 & LVT_MASK) === 0 && (this.lvtLint0 & LVT_DELIVERY_MODE) === LVT_DELIVERY_EXTINT;
  }

  pendingVector(): number {
    const v = this.apicVector();
    const ext = this.extInt;
    this.extIntPending = v < 0 && ext !== undefined && ext.interruptRequested && this.acceptsExtInt();
    return this.extIntPending ? ext!.peekVector() : v;
  }

  private apicVector(): number {
    if (!this.accepting()) return -1;
    const v = highestBit(this.irr);
    if (v < 0) return -1;
    // SDM 11.8.3.1: deliverable only if its priority class is above the processor-priority class.
    return (v & 0xf0) > (this.ppr & 0xf0) ? v : -1;
  }

  acknowledge(vector: number): void {
    if (this.extIntPending) {
      this.extIntPending = false;
      this.extInt!.acknowledge();
      return;
    }
    clearBit(this.irr, vector);
    setBit(this.isr, vector);
  }

  /** Connect the I/O APIC's EOI input (SDM 11.8.5: EOI of a level-triggered vector is broadcast). */
  onLevelEoi(fn: (vector: number) => void): void {
    this.eoiBroadcast = fn;
  }

  /**
   * An interrupt message from the I/O APIC (82093AA datasheet 3.2.4, SDM 11.6.2 destinations): fixed and
   * lowest-priority messages whose destination names this APIC are accepted into IRR, with TMR recording
   * the trigger mode (SDM 11.8.4); NMI messages go to the CPU's NMI input. Other delivery modes (SMI, INIT, ExtINT) are not modelled: logged
   * once, dropped. An 8-bit destination 0xFF is a broadcast in either APIC mode (KVM kvm_apic_match_dest).
   * Also the path of KVM_HC_SEND_IPI (the KVM model). Returns whether this APIC accepted it.
   */
  deliverIoApicMessage(vector: number, deliveryMode: number, logical: boolean, dest: number, level: boolean): boolean {
    if (deliveryMode === DELIVERY_MODE_NMI) {
      // The vector is ignored; the message goes to the CPU's NMI input (SDM 11.6.1 delivery mode 100b).
      if (this.mode === 'disabled' || !(dest === 0xff || (logical ? logicalMatch(this.destinationRegs(), dest, false, this.once) : dest === this.id)) || !this.host?.nmi) return false;
      this.host.nmi();
      return true;
    }
    if (deliveryMode !== DELIVERY_MODE_FIXED && deliveryMode !== DELIVERY_MODE_LOWEST_PRIORITY) {
      this.once.unsupported(`ioapic-mode-${deliveryMode}`, `I/O APIC delivery mode ${DELIVERY_MODE_NAMES[deliveryMode]} is not modelled: interrupt dropped`, { vector });
      return false;
    }
    if (!this.accepting()) return false;
    const matches = dest === 0xff || (logical ? logicalMatch(this.destinationRegs(), dest, false, this.once) : dest === this.id);
    if (!matches) return false;
    if (vector < FIRST_LEGAL_VECTOR) {
      this.logError(ESR_RECEIVE_ILLEGAL_VECTOR);
      return false;
    }
    if (level) setBit(this.tmr, vector);
    else clearBit(this.tmr, vector);
    setBit(this.irr, vector);
    this.notify();
    return true;
  }

  readMsr(index: number): bigint | undefined {
    if (index === MSR_IA32_APIC_BASE) return this.apicBase;
    if (index === MSR_IA32_TSC_DEADLINE) return this.timer.readTscDeadline();
    if (index < MSR_X2APIC_FIRST || index > MSR_X2APIC_LAST || this.mode !== 'x2apic') return undefined;
    return readX2apicMsr(this.x2regs, index);
  }

  writeMsr(index: number, value: bigint): boolean {
    if (index === MSR_IA32_APIC_BASE) return this.writeApicBase(value);
    if (index === MSR_IA32_TSC_DEADLINE) return this.timer.writeTscDeadline(value);
    if (index < MSR_X2APIC_FIRST || index > MSR_X2APIC_LAST || this.mode !== 'x2apic') return false;
    return writeX2apicMsr(this.x2regs, index, value);
  }

  // ---------------------------------------------------------------- MmioRegion (xAPIC)

  read(offset: number, size: 1 | 2 | 4): number {
    // SDM 11.12.1.2: in x2APIC mode the MMIO interface behaves like a globally disabled xAPIC; a
    // disabled APIC's page is not decoded (11.4.3), which reads like unbacked space: all ones.
    if (this.mode !== 'xapic') return size === 4 ? 0xffffffff : size === 2 ? 0xffff : 0xff;
    // Registers are 32 bits on 16-byte boundaries accessed with 32-bit loads (SDM 11.4.1). As QEMU's
    // apic_mem_read (checked with test/guest-src/devices/probe): narrower reads return 0, and a 32-bit
    // read anywhere inside a 16-byte slot reads that slot's register.
    if (size !== 4) return 0;
    offset &= ~0xf;
    if (offset === APIC_EOI || offset === APIC_RRD) return 0; // EOI is write-only; remote read not supported
    const v = this.readRegister(offset);
    if (v === undefined) {
      this.logError(ESR_ILLEGAL_REGISTER_ADDRESS);
      return 0;
    }
    return v >>> 0;
  }

  write(offset: number, size: 1 | 2 | 4, value: number): void {
    if (this.mode !== 'xapic' || size !== 4) return;
    if (!this.writeRegister(offset & ~0xf, value >>> 0)) this.logError(ESR_ILLEGAL_REGISTER_ADDRESS);
  }

  // ---------------------------------------------------------------- registers (shared by both interfaces)

  /** Value of the register at xAPIC offset `off`, or undefined if there is none. */
  private readRegister(off: number): number | undefined {
    const x2 = this.mode === 'x2apic';
    switch (off) {
      // xAPIC: ID in bits 31:24 (SDM Figure 11-6); x2APIC: the 32-bit x2APIC ID (11.12.5.1).
      case APIC_ID: return x2 ? this.id : this.id << 24;
      case APIC_VERSION: return APIC_VERSION_VALUE;
      case APIC_TPR: return this.tpr;
      case APIC_APR: return this.apr();
      case APIC_PPR: return this.ppr;
      case APIC_EOI: return 0;
      // x2APIC: logical ID derived from the x2APIC ID: cluster in 31:16, one-hot position in 15:0 (11.12.10.2).
      case APIC_LDR: return x2 ? x2apicLogicalId(this.id) : this.ldr;
      case APIC_DFR: return this.dfr;
      case APIC_SVR: return this.svr;
      case APIC_ESR: return this.esr;
      case APIC_ICR_LOW: return this.icrLow; // delivery status (bit 12) is always idle: delivery is instant
      case APIC_ICR_HIGH: return this.icrHigh;
      case APIC_LVT_TIMER: return this.timer.lvtRegister;
      case APIC_LVT_THERMAL: return this.lvtThermal;
      case APIC_LVT_PERF: return this.lvtPerf;
      case APIC_LVT_LINT0: return this.lvtLint0;
      case APIC_LVT_LINT1: return this.lvtLint1;
      case APIC_LVT_ERROR: return this.lvtError;
      case APIC_TIMER_INITIAL_COUNT: return this.timer.initialCountRegister;
      case APIC_TIMER_CURRENT_COUNT: return this.currentCount();
      case APIC_TIMER_DIVIDE_CONFIG: return this.timer.divideConfigRegister;
    }
    if (off >= APIC_ISR0 && off < APIC_ISR0 + 0x80) return this.isr[(off - APIC_ISR0) >> 4]!;
    if (off >= APIC_TMR0 && off < APIC_TMR0 + 0x80) return this.tmr[(off - APIC_TMR0) >> 4]!;
    if (off >= APIC_IRR0 && off < APIC_IRR0 + 0x80) return this.irr[(off - APIC_IRR0) >> 4]!;
    return undefined;
  }

  /** Write the register at xAPIC offset `off`; false if there is no such register. */
  private writeRegister(off: number, v: number): boolean {
    switch (off) {
      case APIC_ID:
        // Writable in xAPIC mode as on QEMU (the SDM calls it model specific); read-only in x2APIC mode.
        this.id = v >>> 24;
        return true;
      case APIC_VERSION: case APIC_APR: case APIC_PPR: case APIC_RRD: case APIC_TIMER_CURRENT_COUNT:
        return true; // read-only: writes ignored
      case APIC_TPR:
        this.tpr = v & 0xff;
        this.notify();
        return true;
      case APIC_EOI:
        this.eoi();
        return true;
      case APIC_LDR:
        this.ldr = (v & 0xff000000) >>> 0;
        return true;
      case APIC_DFR:
        this.dfr = (v | 0x0fffffff) >>> 0; // bits 27:0 are reserved and read as ones (SDM Figure 11-14)
        return true;
      case APIC_SVR: {
        const wasEnabled = this.softwareEnabled();
        this.svr = v & SVR_WRITABLE;
        // SDM 11.4.7.2: software disabling sets the mask bit of every LVT entry.
        if (wasEnabled && !this.softwareEnabled()) this.maskAllLvts();
        this.notify();
        return true;
      }
      case APIC_ESR:
        // SDM 11.5.3: a write latches the errors detected since the previous write, whatever the value.
        this.esr = this.esrPending;
        this.esrPending = 0;
        return true;
      case APIC_ICR_LOW:
        this.icrLow = v & ICR_LOW_WRITABLE;
        this.sendIpi();
        return true;
      case APIC_ICR_HIGH:
        this.icrHigh = (v & 0xff000000) >>> 0;
        return true;
      case APIC_LVT_TIMER:
        this.timer.writeLvt(this.lvtValue(v, LVT_TIMER_WRITABLE), v);
        return true;
      case APIC_LVT_THERMAL: this.lvtThermal = this.lvtValue(v, LVT_OTHER_WRITABLE); return true;
      case APIC_LVT_PERF: this.lvtPerf = this.lvtValue(v, LVT_OTHER_WRITABLE); return true;
      case APIC_LVT_LINT0: this.lvtLint0 = this.lvtValue(v, LVT_LINT_WRITABLE); return true;
      case APIC_LVT_LINT1: this.lvtLint1 = this.lvtValue(v, LVT_LINT_WRITABLE); return true;
      case APIC_LVT_ERROR: this.lvtError = this.lvtValue(v, LVT_ERROR_WRITABLE); return true;
      case APIC_TIMER_INITIAL_COUNT:
        this.timer.writeInitialCount(v);
        return true;
      case APIC_TIMER_DIVIDE_CONFIG:
        this.timer.writeDivideConfig(v);
        return true;
    }
    if (off >= APIC_ISR0 && off < APIC_ESR) return true; // ISR/TMR/IRR: read-only, writes ignored
    return false;
  }

  // ---------------------------------------------------------------- IA32_APIC_BASE

  /** SDM 11.12.5 Figure 11-27 state transitions; invalid ones and reserved bits raise #GP. */
  private writeApicBase(value: bigint): boolean {
    const reserved = ~((((1n << BigInt(this.physAddrBits)) - 1n) & ~0xfffn) | BigInt(APIC_BASE_BSP | APIC_BASE_EXTD | APIC_BASE_EN));
    if ((value & reserved & 0xffffffffffffffffn) !== 0n) return false;
    const lo = Number(value & 0xfffn);
    const en = (lo & APIC_BASE_EN) !== 0;
    const extd = (lo & APIC_BASE_EXTD) !== 0;
    if (extd && !this.x2apicSupported) return false;
    if (extd && !en) return false; // EN=0, EXTD=1 is the invalid state
    const old = this.mode;
    const next = !en ? 'disabled' : extd ? 'x2apic' : 'xapic';
    if (old === 'x2apic' && next === 'xapic') return false; // x2APIC -> xAPIC must go through disabled
    if (old === 'disabled' && next === 'x2apic') return false; // disabled -> x2APIC must go through xAPIC
    // BSP is a read-only status bit: keep ours.
    const newBase = (value & ~BigInt(APIC_BASE_BSP)) | (this.apicBase & BigInt(APIC_BASE_BSP));
    this.apicBase = newBase;
    this.mmioBase = Number(newBase & ~0xfffn);
    if (next === 'disabled' && old !== 'disabled') {
      // SDM 11.4.3: a globally disabled APIC loses its state; re-enabling starts from the power-up state.
      this.initReset();
    }
    this.notify();
    return true;
  }

  // ---------------------------------------------------------------- interrupts

  /** Whether the APIC hands interrupts to the CPU: globally enabled and software enabled (SVR bit 8). */
  private accepting(): boolean {
    return this.mode !== 'disabled' && this.softwareEnabled();
  }

  private softwareEnabled(): boolean {
    return (this.svr & SVR_APIC_SOFTWARE_ENABLE) !== 0;
  }

  /** Accept a fixed, edge-triggered interrupt into IRR (SDM 11.8.3). Vectors 0-15 are illegal. */
  private accept(vector: number, errorBitIfIllegal: number): void {
    if (vector < FIRST_LEGAL_VECTOR) {
      this.logError(errorBitIfIllegal);
      return;
    }
    clearBit(this.tmr, vector); // edge-triggered (SDM 11.8.4)
    setBit(this.irr, vector);
    this.notify();
  }

  /** Deliver a local source (timer, error) through its LVT entry. */
  private localInterrupt(lvt: number): void {
    if ((lvt & LVT_MASK) !== 0 || !this.accepting()) return;
    this.accept(lvt & LVT_VECTOR, ESR_RECEIVE_ILLEGAL_VECTOR);
  }

  private selfIpi(vector: number, viaIcr: boolean): void {
    if (!this.accepting()) return;
    // A self-IPI with an illegal vector is both sent and received by this APIC; the SDM names the
    // send error for the ICR and the receive error for SELF IPI.
    this.accept(vector, viaIcr ? ESR_SEND_ILLEGAL_VECTOR : ESR_RECEIVE_ILLEGAL_VECTOR);
  }

  /** An ICR write (SDM 11.6.1): NMI and fixed interrupts that reach this APIC are delivered (lapic-ipi.ts). */
  private sendIpi(): void {
    const route = routeIcr(this.destinationRegs(), this.icrLow, this.icrHigh, this.once);
    if (route === undefined) return;
    if (route.kind === 'fixed') this.selfIpi(route.vector, true);
    // SDM 11.6.1: NMI delivery mode, vector ignored; a software-disabled APIC still sends and accepts NMIs
    // (11.4.7.2 lists only fixed interrupts as refused), a globally disabled one does neither.
    else if (this.mode !== 'disabled') this.host?.nmi?.();
  }

  private destinationRegs(): ApicDestinationRegs {
    return { id: this.id, ldr: this.ldr, dfr: this.dfr, x2apic: this.mode === 'x2apic' };
  }

  private eoi(): void {
    // SDM 11.8.5: EOI retires the highest-priority in-service interrupt.
    const v = highestBit(this.isr);
    if (v >= 0) clearBit(this.isr, v);
    this.notify();
    if (v >= 0 && getBit(this.tmr, v)) this.eoiBroadcast?.(v);
  }

  private logError(bit: number): void {
    const before = this.esrPending;
    this.esrPending |= bit;
    // SDM 11.5.3: a new error is signalled through the LVT error entry.
    if (before !== this.esrPending) this.localInterrupt(this.lvtError);
  }

  /** Arbitration priority, SDM 11.8.3 / Figure 11-15 rule as QEMU computes it. */
  private apr(): number {
    const isrv = highestBit(this.isr);
    const irrv = highestBit(this.irr);
    const tprClass = this.tpr & 0xf0;
    const isrClass = isrv < 0 ? 0 : isrv & 0xf0;
    const irrClass = irrv < 0 ? 0 : irrv & 0xf0;
    if (tprClass >= irrClass && tprClass > isrClass) return this.tpr;
    return Math.max(tprClass, isrClass, irrClass);
  }

  private lvtValue(v: number, writable: number): number {
    let r = v & writable;
    // SDM 11.4.7.2: while software disabled, LVT mask bits cannot be cleared.
    if (!this.softwareEnabled()) r |= LVT_MASK;
    return r;
  }

  private maskAllLvts(): void {
    this.lvtThermal |= LVT_MASK;
    this.lvtPerf |= LVT_MASK;
    this.lvtLint0 |= LVT_MASK;
    this.lvtLint1 |= LVT_MASK;
    this.lvtError |= LVT_MASK;
    this.timer.mask();
  }

  /** INIT-reset register state (SDM 11.4.7.3; QEMU apic_init_reset): ID and base survive. */
  private initReset(): void {
    this.tpr = 0;
    this.ldr = 0;
    this.dfr = DFR_RESET;
    this.svr = 0xff;
    this.isr.fill(0);
    this.tmr.fill(0);
    this.irr.fill(0);
    this.esr = 0;
    this.esrPending = 0;
    this.icrLow = 0;
    this.icrHigh = 0;
    this.lvtThermal = this.lvtPerf = this.lvtLint0 = this.lvtLint1 = this.lvtError = LVT_MASK;
    this.timer.reset();
  }

  private notify(): void {
    this.host?.notifyInterrupt();
  }
}
