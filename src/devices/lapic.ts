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
// - Relocating the APIC base through IA32_APIC_BASE is stored and read back, but the MMIO window stays
//   at 0xFEE00000 (logged).
//
// Time: the timer counts APIC bus cycles; this model defines 1 CPU clock tick (one retired instruction,
// GuestCpu.clock) = 1 bus cycle before the divide configuration. The counter is derived from the clock
// (never stepped per instruction); GuestCpu.setTimer calls back at each expiry. The TSC advances one per
// clock tick too (IA32_TSC = clock + the offset a WRMSR to it set), so a TSC deadline is a clock tick.

import type { InterruptController, MmioRegion } from '../cpu/index.js';
import { OnceLog, silentDeviceLog, type DeviceLog } from './device-log.js';

/** The CPU side the APIC needs: the virtual clock, the one timer event, the "check INTR" doorbell, and
 *  the TSC (read as IA32_TSC, MSR 0x10) for the TSC-deadline mode. */
/** What LINT0 sees of the 8259 pair (pic.ts DualPic). */
export interface ExtIntSource {
  readonly interruptRequested: boolean;
  /** The vector an INTA cycle would return now, without side effects. */
  peekVector(): number;
  /** The INTA cycle. */
  acknowledge(): number;
}

export interface ApicHost {
  readonly clock: number;
  getMsr(index: number): bigint | undefined;
  setTimer(tick: number | undefined, fn?: () => void): void;
  notifyInterrupt(): void;
  /** An edge on the CPU's NMI input (an NMI message for this APIC). Optional: without it NMIs are dropped. */
  nmi?(): void;
}

/** Default physical base of the APIC page (SDM Vol. 3A 11.4.1). */
export const APIC_DEFAULT_BASE = 0xfee00000;
export const APIC_PAGE_SIZE = 0x1000;

// IA32_APIC_BASE (MSR 0x1B) bits, SDM Vol. 3A 11.4.4 Figure 11-5 and 11.12.1.
export const MSR_IA32_APIC_BASE = 0x1b;
export const APIC_BASE_BSP = 1 << 8;
export const APIC_BASE_EXTD = 1 << 10;
export const APIC_BASE_EN = 1 << 11;

// xAPIC register offsets in the MMIO page (SDM Vol. 3A Table 11-1). x2APIC MSR = 0x800 + (offset >> 4).
export const APIC_ID = 0x20;
export const APIC_VERSION = 0x30;
export const APIC_TPR = 0x80;
export const APIC_APR = 0x90;
export const APIC_PPR = 0xa0;
export const APIC_EOI = 0xb0;
export const APIC_RRD = 0xc0;
export const APIC_LDR = 0xd0;
export const APIC_DFR = 0xe0;
export const APIC_SVR = 0xf0;
export const APIC_ISR0 = 0x100;
export const APIC_TMR0 = 0x180;
export const APIC_IRR0 = 0x200;
export const APIC_ESR = 0x280;
/** LVT CMCI: exists only with Max LVT Entry >= 6 (SDM 11.5.1) and MCG_CAP.MCG_CMCI_P; neither holds
 *  here (6 LVTs, MCG_CAP = 0), so xAPIC accesses are illegal-register errors and x2APIC MSR 0x82F is #GP,
 *  as KVM makes it (kvm-unit-tests x86/msr.c, x2APIC MSR 0x82f). */
export const APIC_LVT_CMCI = 0x2f0;
export const APIC_ICR_LOW = 0x300;
export const APIC_ICR_HIGH = 0x310;
export const APIC_LVT_TIMER = 0x320;
export const APIC_LVT_THERMAL = 0x330;
export const APIC_LVT_PERF = 0x340;
export const APIC_LVT_LINT0 = 0x350;
export const APIC_LVT_LINT1 = 0x360;
export const APIC_LVT_ERROR = 0x370;
export const APIC_TIMER_INITIAL_COUNT = 0x380;
export const APIC_TIMER_CURRENT_COUNT = 0x390;
export const APIC_TIMER_DIVIDE_CONFIG = 0x3e0;

/** x2APIC MSR numbers (SDM Vol. 3A 11.12.1.2 Table 11-6) that have no xAPIC offset of their own. */
export const MSR_X2APIC_FIRST = 0x800;
export const MSR_X2APIC_LAST = 0x8ff;
export const MSR_X2APIC_ICR = 0x830;
export const MSR_X2APIC_SELF_IPI = 0x83f;
/** IA32_TSC_DEADLINE (SDM Vol. 3A 11.5.4.1; Vol. 4 Table 2-2) and IA32_TSC (the time it is compared with). */
export const MSR_IA32_TSC_DEADLINE = 0x6e0;
const MSR_IA32_TSC = 0x10;

/** QEMU's APIC version (hw/intc/apic_common.c property "version" = 0x14) with Max LVT Entry = 5
 *  (6 LVTs: timer, thermal, performance, LINT0, LINT1, error) in bits 16-23 (SDM Figure 11-7). */
export const APIC_VERSION_VALUE = 0x14 | ((6 - 1) << 16);

// Spurious-interrupt vector register (SDM 11.9 Figure 11-23).
export const SVR_APIC_SOFTWARE_ENABLE = 1 << 8;
export const SVR_FOCUS_PROCESSOR_CHECKING = 1 << 9;
const SVR_WRITABLE = 0xff | SVR_APIC_SOFTWARE_ENABLE | SVR_FOCUS_PROCESSOR_CHECKING;

// LVT fields (SDM 11.5.1 Figure 11-8).
export const LVT_VECTOR = 0xff;
export const LVT_DELIVERY_MODE = 0x7 << 8;
/** Delivery modes of LINT0/LINT1 (bits 10:8): NMI 100b, ExtINT 111b. */
export const LVT_DELIVERY_NMI = 0x4 << 8;
export const LVT_DELIVERY_EXTINT = 0x7 << 8;
export const LVT_DELIVERY_STATUS = 1 << 12;
export const LVT_INPUT_PIN_POLARITY = 1 << 13;
export const LVT_REMOTE_IRR = 1 << 14;
export const LVT_TRIGGER_MODE = 1 << 15;
export const LVT_MASK = 1 << 16;
/** Timer mode, bits 17-18: 00 one-shot, 01 periodic, 10 TSC-deadline. */
export const LVT_TIMER_MODE_SHIFT = 17;
export const LVT_TIMER_MODE = 0x3 << LVT_TIMER_MODE_SHIFT;
export const TIMER_MODE_ONE_SHOT = 0;
export const TIMER_MODE_PERIODIC = 1;
export const TIMER_MODE_TSC_DEADLINE = 2;
/** Timer mode 11b is reserved (SDM Figure 11-8). */
export const TIMER_MODE_RESERVED = 3;

const LVT_TIMER_WRITABLE = LVT_VECTOR | LVT_MASK | LVT_TIMER_MODE;
const LVT_LINT_WRITABLE = LVT_VECTOR | LVT_DELIVERY_MODE | LVT_INPUT_PIN_POLARITY | LVT_TRIGGER_MODE | LVT_MASK;
const LVT_ERROR_WRITABLE = LVT_VECTOR | LVT_MASK;
const LVT_OTHER_WRITABLE = LVT_VECTOR | LVT_DELIVERY_MODE | LVT_MASK; // thermal, performance, CMCI

// Error status register bits (SDM 11.5.3 Figure 11-9).
export const ESR_SEND_ILLEGAL_VECTOR = 1 << 5;
export const ESR_RECEIVE_ILLEGAL_VECTOR = 1 << 6;
export const ESR_ILLEGAL_REGISTER_ADDRESS = 1 << 7;

// ICR low fields (SDM 11.6.1 Figure 11-12).
export const ICR_VECTOR = 0xff;
export const ICR_DELIVERY_MODE_SHIFT = 8;
export const ICR_DESTINATION_MODE_LOGICAL = 1 << 11;
export const ICR_DELIVERY_STATUS = 1 << 12;
export const ICR_LEVEL_ASSERT = 1 << 14;
export const ICR_TRIGGER_LEVEL = 1 << 15;
export const ICR_SHORTHAND_SHIFT = 18;
export const DELIVERY_MODE_FIXED = 0;
export const DELIVERY_MODE_LOWEST_PRIORITY = 1;
export const DELIVERY_MODE_NMI = 4;
export const SHORTHAND_NONE = 0;
export const SHORTHAND_SELF = 1;
export const SHORTHAND_ALL_INCLUDING_SELF = 2;
export const SHORTHAND_ALL_EXCLUDING_SELF = 3;
const ICR_LOW_WRITABLE = 0xff | (0x7 << 8) | ICR_DESTINATION_MODE_LOGICAL | ICR_LEVEL_ASSERT | ICR_TRIGGER_LEVEL | (0x3 << ICR_SHORTHAND_SHIFT);
const DELIVERY_MODE_NAMES = ['fixed', 'lowest-priority', 'smi', 'reserved-3', 'nmi', 'init', 'start-up', 'reserved-7'];

/** Divide configuration register bits 0, 1 and 3 (bit 2 reserved), SDM 11.5.4 Figure 11-10. */
const DIVIDE_CONFIG_BITS = 0xb;

/** Vectors 0-15 are reserved for exceptions; an APIC never accepts them (SDM 11.5.2, 11.5.3). */
const FIRST_LEGAL_VECTOR = 16;

/** DFR after reset: flat model (all ones, SDM 11.6.2.2). */
const DFR_RESET = 0xffffffff;

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
  readonly base = APIC_DEFAULT_BASE;
  readonly size = APIC_PAGE_SIZE;

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
  private lvtTimer = LVT_MASK;
  private lvtThermal = LVT_MASK;
  private lvtPerf = LVT_MASK;
  private lvtLint0 = LVT_MASK;
  private extInt: ExtIntSource | undefined;
  /** The last pendingVector() answer came from the 8259 (its acknowledge is the INTA cycle). */
  private extIntPending = false;
  private lvtLint1 = LVT_MASK;
  private lvtError = LVT_MASK;
  private divideConfig = 0;

  // Timer: the count is derived from the clock. From anchorTick the counter decrements once per
  // `divisor` ticks starting at anchorCount; when it reaches 0 a periodic timer reloads initialCount.
  private initialCount = 0;
  /** IA32_TSC_DEADLINE as armed (0: disarmed). The expiry is derived from the TSC when asked, so a deadline that
   *  passes with the timer masked disarms without an interrupt, as KVM's apic_timer_expired clears it. */
  private deadline = 0n;
  private divisor = 2;
  private anchorTick = 0;
  private anchorCount = 0;
  /** Tick of the expiry the host timer is armed for (undefined: not armed). The host timer is armed
   *  only while an expiry would raise an interrupt (timer unmasked): a masked timer keeps counting
   *  (derived from the clock) but costs nothing, and HLT never waits on it. */
  private nextExpiry: number | undefined;
  /** Tick of the last expiry delivered, so re-arming never delivers one twice. */
  private lastFiredTick = -1;
  private readonly onTimer = (): void => this.timerExpired();
  /** Where the EOI of a level-triggered vector goes (the I/O APIC's EOI message). */
  private eoiBroadcast: ((vector: number) => void) | undefined;

  constructor(opts: LocalApicOptions = {}) {
    this.physAddrBits = opts.physAddrBits ?? 40;
    this.x2apicSupported = opts.x2apic ?? true;
    this.tscDeadlineSupported = opts.tscDeadline ?? true;
    this.once = new OnceLog(opts.log ?? silentDeviceLog, 'lapic');
    this.reset();
  }

  /** Connect to the CPU (done once by the machine after the CPU exists: the CPU takes the APIC in its options). */
  attach(host: ApicHost): void {
    this.host = host;
  }

  /** Power-up / RESET state (SDM 11.4.7.1, QEMU apic_reset_common): enabled xAPIC at the default base, BSP. */
  reset(): void {
    this.apicBase = BigInt((APIC_DEFAULT_BASE | APIC_BASE_BSP | APIC_BASE_EN) >>> 0);
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
    const mode = this.timerMode();
    if (this.initialCount === 0 || (mode !== TIMER_MODE_ONE_SHOT && mode !== TIMER_MODE_PERIODIC)) return 0; // TSC-deadline: not counting
    return this.countAt(this.now());
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
      if (this.mode === 'disabled' || !(dest === 0xff || (logical ? this.logicalMatch(dest, false) : dest === this.id)) || !this.host?.nmi) return false;
      this.host.nmi();
      return true;
    }
    if (deliveryMode !== DELIVERY_MODE_FIXED && deliveryMode !== DELIVERY_MODE_LOWEST_PRIORITY) {
      this.once.unsupported(`ioapic-mode-${deliveryMode}`, `I/O APIC delivery mode ${DELIVERY_MODE_NAMES[deliveryMode]} is not modelled: interrupt dropped`, { vector });
      return false;
    }
    if (!this.accepting()) return false;
    const matches = dest === 0xff || (logical ? this.logicalMatch(dest, false) : dest === this.id);
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
    if (index === MSR_IA32_TSC_DEADLINE) return this.readTscDeadline();
    if (index < MSR_X2APIC_FIRST || index > MSR_X2APIC_LAST || this.mode !== 'x2apic') return undefined;
    // SDM 11.12.1.2: RDMSR of a write-only register (EOI, SELF IPI) or an unimplemented one raises #GP.
    if (index === MSR_X2APIC_ICR) return (BigInt(this.icrHigh) << 32n) | BigInt(this.icrLow);
    const off = (index - MSR_X2APIC_FIRST) << 4;
    switch (off) {
      case APIC_EOI: case APIC_DFR: case APIC_APR: case APIC_RRD: case APIC_ICR_HIGH:
        return undefined; // write-only or absent in x2APIC mode
    }
    const v = this.readRegister(off);
    return v === undefined ? undefined : BigInt(v >>> 0);
  }

  writeMsr(index: number, value: bigint): boolean {
    if (index === MSR_IA32_APIC_BASE) return this.writeApicBase(value);
    if (index === MSR_IA32_TSC_DEADLINE) return this.writeTscDeadline(value);
    if (index < MSR_X2APIC_FIRST || index > MSR_X2APIC_LAST || this.mode !== 'x2apic') return false;
    if (index === MSR_X2APIC_ICR) {
      const lo = Number(value & 0xffffffffn);
      if ((lo & ~ICR_LOW_WRITABLE) !== 0) return false; // reserved bits (incl. delivery status) #GP in x2APIC mode
      this.icrHigh = Number(value >> 32n) >>> 0;
      this.icrLow = lo;
      this.sendIpi();
      return true;
    }
    // Every other x2APIC register is 32 bits wide: bits 63:32 are reserved (#GP).
    if (value >> 32n !== 0n) return false;
    const v = Number(value);
    switch (index) {
      case MSR_X2APIC_SELF_IPI:
        if (v > 0xff) return false;
        this.selfIpi(v, false);
        return true;
    }
    const off = (index - MSR_X2APIC_FIRST) << 4;
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
    return this.writeRegister(off, v);
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
      case APIC_LDR: return x2 ? (((this.id >>> 4) << 16) | (1 << (this.id & 0xf))) >>> 0 : this.ldr;
      case APIC_DFR: return this.dfr;
      case APIC_SVR: return this.svr;
      case APIC_ESR: return this.esr;
      case APIC_ICR_LOW: return this.icrLow; // delivery status (bit 12) is always idle: delivery is instant
      case APIC_ICR_HIGH: return this.icrHigh;
      case APIC_LVT_TIMER: return this.lvtTimer;
      case APIC_LVT_THERMAL: return this.lvtThermal;
      case APIC_LVT_PERF: return this.lvtPerf;
      case APIC_LVT_LINT0: return this.lvtLint0;
      case APIC_LVT_LINT1: return this.lvtLint1;
      case APIC_LVT_ERROR: return this.lvtError;
      case APIC_TIMER_INITIAL_COUNT: return this.initialCount;
      case APIC_TIMER_CURRENT_COUNT: return this.currentCount();
      case APIC_TIMER_DIVIDE_CONFIG: return this.divideConfig;
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
        if (wasEnabled && !this.softwareEnabled()) {
          this.maskAllLvts();
          this.rescheduleTimer();
        }
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
      case APIC_LVT_TIMER: {
        const oldMode = this.timerMode();
        const cur = this.currentCount(); // under the old mode
        this.settleDeadline(); // a deadline that passed under the old mask has disarmed (no interrupt)
        this.lvtTimer = this.lvtValue(v, LVT_TIMER_WRITABLE);
        const mode = this.timerMode();
        if (mode === TIMER_MODE_RESERVED || (mode === TIMER_MODE_TSC_DEADLINE && !this.tscDeadlineSupported))
          this.once.unsupported('timer-mode', 'LVT timer mode reserved (or TSC-deadline without the feature): the timer does not run', { lvt: hex(v) });
        if (mode !== oldMode && (mode === TIMER_MODE_TSC_DEADLINE || oldMode === TIMER_MODE_TSC_DEADLINE)) {
          // SDM 11.5.4.1: moving into or out of TSC-deadline mode disarms the timer. KVM (lapic.c apic_update_lvtt)
          // also zeroes the initial count and the deadline, so neither counter survives the switch.
          this.deadline = 0n;
          this.initialCount = 0;
          this.anchorCount = 0;
          this.disarm();
        } else if (mode !== oldMode) this.timerModeChanged(cur);
        else this.rescheduleTimer(); // the mask may have changed
        return true;
      }
      case APIC_LVT_THERMAL: this.lvtThermal = this.lvtValue(v, LVT_OTHER_WRITABLE); return true;
      case APIC_LVT_PERF: this.lvtPerf = this.lvtValue(v, LVT_OTHER_WRITABLE); return true;
      case APIC_LVT_LINT0: this.lvtLint0 = this.lvtValue(v, LVT_LINT_WRITABLE); return true;
      case APIC_LVT_LINT1: this.lvtLint1 = this.lvtValue(v, LVT_LINT_WRITABLE); return true;
      case APIC_LVT_ERROR: this.lvtError = this.lvtValue(v, LVT_ERROR_WRITABLE); return true;
      case APIC_TIMER_INITIAL_COUNT:
        // SDM 11.5.4.1: ignored in TSC-deadline mode (KVM kvm_lapic_reg_write APIC_TMICT does the same).
        if (this.deadlineMode()) return true;
        // SDM 11.5.4: writing the initial count starts the count-down; writing 0 stops the timer.
        this.initialCount = v >>> 0;
        this.startCount(this.now(), this.initialCount);
        return true;
      case APIC_TIMER_DIVIDE_CONFIG: {
        const t = this.now();
        const cur = this.initialCount === 0 ? 0 : this.countAt(t); // at the old rate
        this.divideConfig = v & DIVIDE_CONFIG_BITS;
        this.divisor = divisorOf(this.divideConfig);
        // Keep counting from the current value at the new rate (the SDM leaves a mid-count change undefined).
        if (this.initialCount !== 0) this.startCount(t, cur);
        return true;
      }
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
    if ((newBase & ~0xfffn) !== BigInt(APIC_DEFAULT_BASE))
      this.once.unsupported('relocate', 'IA32_APIC_BASE moved the APIC base: stored, but the MMIO page stays at 0xFEE00000', { base: hex(newBase & ~0xfffn) });
    this.apicBase = newBase;
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

  /** An ICR write (SDM 11.6.1): only fixed-mode interrupts that reach this APIC are delivered. */
  private sendIpi(): void {
    const lo = this.icrLow;
    const mode = (lo >>> ICR_DELIVERY_MODE_SHIFT) & 7;
    const shorthand = (lo >>> ICR_SHORTHAND_SHIFT) & 3;
    const toSelf = shorthand === SHORTHAND_SELF || shorthand === SHORTHAND_ALL_INCLUDING_SELF || (shorthand === SHORTHAND_NONE && this.destinationIsSelf());
    if (mode === DELIVERY_MODE_NMI && toSelf) {
      // SDM 11.6.1: NMI delivery mode, vector ignored; a software-disabled APIC still sends and accepts NMIs
      // (11.4.7.2 lists only fixed interrupts as refused), a globally disabled one does neither.
      if (this.mode !== 'disabled') this.host?.nmi?.();
      return;
    }
    if (mode !== DELIVERY_MODE_FIXED) {
      this.once.unsupported(`icr-mode-${mode}`, `ICR delivery mode ${DELIVERY_MODE_NAMES[mode]} is not modelled: IPI dropped`, { icr: hex(lo), icrHigh: hex(this.icrHigh) });
      return;
    }
    if (!toSelf) {
      this.once.unsupported('icr-other-cpu', 'IPI to a destination that is not this CPU: there is no other CPU, IPI dropped', { icr: hex(lo), icrHigh: hex(this.icrHigh) });
      return;
    }
    this.selfIpi(lo & ICR_VECTOR, true);
  }

  private destinationIsSelf(): boolean {
    const x2 = this.mode === 'x2apic';
    const dest = x2 ? this.icrHigh : this.icrHigh >>> 24;
    if ((this.icrLow & ICR_DESTINATION_MODE_LOGICAL) === 0) return dest === this.id || (!x2 && dest === 0xff) || (x2 && dest === 0xffffffff);
    return this.logicalMatch(dest, x2);
  }

  /** Logical destination `dest` names this APIC (SDM 11.6.2.2; x2APIC 11.12.10.2 when `x2` and the APIC is in x2APIC mode). */
  private logicalMatch(dest: number, x2: boolean): boolean {
    if (x2) {
      // x2APIC logical: cluster in 31:16 must match, then the one-hot bits intersect (SDM 11.12.10.2).
      const ldr = this.readRegister(APIC_LDR)!;
      return (dest >>> 16) === (ldr >>> 16) && (dest & ldr & 0xffff) !== 0;
    }
    if ((this.dfr >>> 28) === 0xf) return ((this.ldr >>> 24) & dest) !== 0; // flat model
    this.once.unsupported('cluster-logical', 'xAPIC cluster-model logical destination is not modelled: IPI dropped', { dfr: hex(this.dfr) });
    return false;
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
    this.lvtTimer |= LVT_MASK;
    this.lvtThermal |= LVT_MASK;
    this.lvtPerf |= LVT_MASK;
    this.lvtLint0 |= LVT_MASK;
    this.lvtLint1 |= LVT_MASK;
    this.lvtError |= LVT_MASK;
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
    this.lvtTimer = this.lvtThermal = this.lvtPerf = this.lvtLint0 = this.lvtLint1 = this.lvtError = LVT_MASK;
    this.divideConfig = 0;
    this.divisor = divisorOf(0);
    this.initialCount = 0;
    this.deadline = 0n;
    this.anchorTick = 0;
    this.anchorCount = 0;
    this.lastFiredTick = -1;
    this.disarm();
  }

  private notify(): void {
    this.host?.notifyInterrupt();
  }

  // ---------------------------------------------------------------- timer

  private now(): number {
    return this.host?.clock ?? 0;
  }

  private timerMode(): number {
    return (this.lvtTimer & LVT_TIMER_MODE) >>> LVT_TIMER_MODE_SHIFT;
  }

  /** Counter value at tick t (t >= anchorTick). */
  private countAt(t: number): number {
    const units = Math.floor((t - this.anchorTick) / this.divisor);
    if (units < this.anchorCount) return this.anchorCount - units;
    if (this.timerMode() !== TIMER_MODE_PERIODIC) return 0;
    // Periodic: at 0 the counter reloads the initial count in the same bus cycle (SDM 11.5.4), so it reads initialCount..1.
    return this.initialCount - ((units - this.anchorCount) % this.initialCount);
  }

  /** Begin counting down from `count` at tick t and schedule the next expiry. */
  private startCount(t: number, count: number): void {
    this.anchorTick = t;
    this.anchorCount = count;
    this.schedule(t);
  }

  /** Arm the host timer for the first expiry strictly after tick `after`, if the timer is counting. */
  private schedule(after: number): void {
    const mode = this.timerMode();
    if (this.deadlineMode()) {
      this.scheduleDeadline();
      return;
    }
    if (
      this.initialCount === 0 || this.anchorCount === 0 || this.mode === 'disabled' || (this.lvtTimer & LVT_MASK) !== 0 ||
      (mode !== TIMER_MODE_ONE_SHOT && mode !== TIMER_MODE_PERIODIC)
    ) {
      this.disarm();
      return;
    }
    let expiry = this.anchorTick + this.anchorCount * this.divisor;
    if (expiry <= after) {
      if (mode !== TIMER_MODE_PERIODIC) {
        this.disarm(); // a one-shot that already reached 0 stays at 0
        return;
      }
      const period = this.initialCount * this.divisor;
      expiry += (Math.floor((after - expiry) / period) + 1) * period;
    }
    this.nextExpiry = expiry;
    this.host?.setTimer(expiry, this.onTimer);
  }

  /** After a mask or enable change: arm for the next expiry not yet delivered (one at the current tick
   *  included), or disarm. A one-shot that expired while masked stays expired (SDM 11.5.4). */
  private rescheduleTimer(): void {
    this.settleDeadline();
    this.schedule(Math.max(this.now() - 1, this.lastFiredTick));
  }

  private disarm(): void {
    if (this.nextExpiry !== undefined) this.host?.setTimer(undefined);
    this.nextExpiry = undefined;
  }

  /** One-shot <-> periodic (or into an unsupported mode): continue from the count `cur` the old mode reached. */
  private timerModeChanged(cur: number): void {
    if (this.initialCount === 0) return;
    // A periodic timer never rests at 0: it reloads.
    this.startCount(this.now(), cur === 0 && this.timerMode() === TIMER_MODE_PERIODIC ? this.initialCount : cur);
  }

  // ---------------------------------------------------------------- TSC-deadline mode (SDM 11.5.4.1)

  /** The LVT timer is in TSC-deadline mode and the feature exists. */
  private deadlineMode(): boolean {
    return this.tscDeadlineSupported && this.timerMode() === TIMER_MODE_TSC_DEADLINE;
  }

  private tscNow(): bigint {
    return this.host?.getMsr(MSR_IA32_TSC) ?? BigInt(this.now());
  }

  /** RDMSR IA32_TSC_DEADLINE: the armed deadline in TSC-deadline mode, 0 in the other modes (SDM 11.5.4.1;
   *  KVM kvm_get_lapic_tscdeadline_msr also reads 0 with the APIC disabled). */
  private readTscDeadline(): bigint | undefined {
    if (!this.tscDeadlineSupported) return undefined; // no such MSR: #GP
    this.settleDeadline();
    return this.mode !== 'disabled' && this.deadlineMode() ? this.deadline : 0n;
  }

  /** WRMSR IA32_TSC_DEADLINE: a non-zero value arms the timer (one already reached fires at once), zero
   *  disarms it; outside TSC-deadline mode the write is ignored (SDM 11.5.4.1; KVM kvm_set_lapic_tscdeadline_msr). */
  private writeTscDeadline(value: bigint): boolean {
    if (!this.tscDeadlineSupported) return false;
    if (this.mode === 'disabled' || !this.deadlineMode()) return true;
    this.deadline = BigInt.asUintN(64, value);
    this.scheduleDeadline();
    return true;
  }

  /** Arm the host timer for the tick at which the TSC reaches the deadline (now, if it already has), while an
   *  expiry would interrupt; otherwise leave it unarmed (settleDeadline notices the passing later). */
  private scheduleDeadline(): void {
    if (this.deadline === 0n || this.mode === 'disabled' || (this.lvtTimer & LVT_MASK) !== 0) {
      this.disarm();
      return;
    }
    const now = this.now();
    const tsc = this.tscNow();
    const ahead = this.deadline > tsc ? this.deadline - tsc : 0n;
    const room = BigInt(Number.MAX_SAFE_INTEGER - now);
    const expiry = now + Number(ahead < room ? ahead : room);
    this.nextExpiry = expiry;
    this.host?.setTimer(expiry, this.onTimer);
  }

  /** A deadline the TSC passed while no host timer was armed for it (timer masked, APIC software disabled)
   *  expired without an interrupt: it is disarmed and reads 0 (KVM apic_timer_expired clears tscdeadline
   *  whether or not kvm_apic_local_deliver delivers). */
  private settleDeadline(): void {
    if (this.deadline !== 0n && this.nextExpiry === undefined && this.deadlineMode() && this.tscNow() >= this.deadline) this.deadline = 0n;
  }

  /** Host timer callback: the counter reached 0 at nextExpiry (or the TSC reached the deadline). */
  private timerExpired(): void {
    const fired = this.nextExpiry;
    this.nextExpiry = undefined;
    if (fired === undefined) return;
    this.lastFiredTick = fired;
    // SDM 11.5.4.1: at the deadline the timer interrupts, then disarms itself and clears IA32_TSC_DEADLINE.
    if (this.deadlineMode()) this.deadline = 0n;
    this.localInterrupt(this.lvtTimer);
    if (this.timerMode() === TIMER_MODE_PERIODIC) this.schedule(Math.max(fired, this.now()));
  }
}

/** Divide configuration (bits 3,1,0) -> divisor: 111b = 1, otherwise 2^(value+1) (SDM Figure 11-10). */
export function divisorOf(divideConfig: number): number {
  const v = ((divideConfig >>> 1) & 4) | (divideConfig & 3);
  return v === 7 ? 1 : 2 << v;
}

function highestBit(words: Uint32Array): number {
  for (let i = 7; i >= 0; i--) {
    const w = words[i]!;
    if (w !== 0) return i * 32 + 31 - Math.clz32(w);
  }
  return -1;
}

function setBit(words: Uint32Array, v: number): void {
  words[v >>> 5] = (words[v >>> 5]! | (1 << (v & 31))) >>> 0;
}

function getBit(words: Uint32Array, v: number): boolean {
  return ((words[v >>> 5]! >>> (v & 31)) & 1) !== 0;
}

function clearBit(words: Uint32Array, v: number): void {
  words[v >>> 5] = (words[v >>> 5]! & ~(1 << (v & 31))) >>> 0;
}

function hex(v: number | bigint): string {
  return '0x' + v.toString(16);
}
