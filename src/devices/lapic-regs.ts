// The local APIC's architectural names: register offsets in the xAPIC page, MSR numbers, the fields of
// IA32_APIC_BASE, SVR, LVT entries, ESR and ICR (Intel SDM Vol. 3A chapter 11, chapter 10 in older editions),
// the reset values QEMU's PC machine gives them (hw/intc/apic.c, apic_common.c), and the 256-bit
// IRR/ISR/TMR vector helpers. Every lapic*.ts module and the machine wiring name bits through this one file.

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
export const MSR_IA32_TSC = 0x10;

/** QEMU's APIC version (hw/intc/apic_common.c property "version" = 0x14) with Max LVT Entry = 5
 *  (6 LVTs: timer, thermal, performance, LINT0, LINT1, error) in bits 16-23 (SDM Figure 11-7). */
export const APIC_VERSION_VALUE = 0x14 | ((6 - 1) << 16);

// Spurious-interrupt vector register (SDM 11.9 Figure 11-23).
export const SVR_APIC_SOFTWARE_ENABLE = 1 << 8;
export const SVR_FOCUS_PROCESSOR_CHECKING = 1 << 9;
export const SVR_WRITABLE = 0xff | SVR_APIC_SOFTWARE_ENABLE | SVR_FOCUS_PROCESSOR_CHECKING;

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

export const LVT_TIMER_WRITABLE = LVT_VECTOR | LVT_MASK | LVT_TIMER_MODE;
export const LVT_LINT_WRITABLE = LVT_VECTOR | LVT_DELIVERY_MODE | LVT_INPUT_PIN_POLARITY | LVT_TRIGGER_MODE | LVT_MASK;
export const LVT_ERROR_WRITABLE = LVT_VECTOR | LVT_MASK;
export const LVT_OTHER_WRITABLE = LVT_VECTOR | LVT_DELIVERY_MODE | LVT_MASK; // thermal, performance, CMCI

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
export const ICR_LOW_WRITABLE = 0xff | (0x7 << 8) | ICR_DESTINATION_MODE_LOGICAL | ICR_LEVEL_ASSERT | ICR_TRIGGER_LEVEL | (0x3 << ICR_SHORTHAND_SHIFT);
export const DELIVERY_MODE_NAMES = ['fixed', 'lowest-priority', 'smi', 'reserved-3', 'nmi', 'init', 'start-up', 'reserved-7'];

/** Divide configuration register bits 0, 1 and 3 (bit 2 reserved), SDM 11.5.4 Figure 11-10. */
export const DIVIDE_CONFIG_BITS = 0xb;

/** Vectors 0-15 are reserved for exceptions; an APIC never accepts them (SDM 11.5.2, 11.5.3). */
export const FIRST_LEGAL_VECTOR = 16;

/** DFR after reset: flat model (all ones, SDM 11.6.2.2). */
export const DFR_RESET = 0xffffffff;


/** Divide configuration (bits 3,1,0) -> divisor: 111b = 1, otherwise 2^(value+1) (SDM Figure 11-10). */
export function divisorOf(divideConfig: number): number {
  const v = ((divideConfig >>> 1) & 4) | (divideConfig & 3);
  return v === 7 ? 1 : 2 << v;
}

export function highestBit(words: Uint32Array): number {
  for (let i = 7; i >= 0; i--) {
    const w = words[i]!;
    if (w !== 0) return i * 32 + 31 - Math.clz32(w);
  }
  return -1;
}

export function setBit(words: Uint32Array, v: number): void {
  words[v >>> 5] = (words[v >>> 5]! | (1 << (v & 31))) >>> 0;
}

export function getBit(words: Uint32Array, v: number): boolean {
  return ((words[v >>> 5]! >>> (v & 31)) & 1) !== 0;
}

export function clearBit(words: Uint32Array, v: number): void {
  words[v >>> 5] = (words[v >>> 5]! & ~(1 << (v & 31))) >>> 0;
}

export function hex(v: number | bigint): string {
  return '0x' + v.toString(16);
}
