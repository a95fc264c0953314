// Debug-register constants and the pure bit math KVM applies to them (SEMANTICS.md §1, §2.5).
// All DR6/DR7 values here are unsigned 32-bit JS numbers: bits 63:32 of DR6/DR7 are reserved-0 and KVM
// rejects them (kvm_dr6_valid / kvm_dr7_valid), so they never need to be carried.

// ---- DR6 (SDM Vol. 3B 19.2.3; AMD APM Vol. 2 13.1.1.3). Bits 11 and 16 are active-low in DR6. ----
export const DR6_B0 = 1 << 0;
export const DR6_B1 = 1 << 1;
export const DR6_B2 = 1 << 2;
export const DR6_B3 = 1 << 3;
/** B0-B3 (uapi DR_TRAP_BITS). */
export const DR_TRAP_BITS = 0xf;
/** Bus-lock detected: active-low in DR6, active-high in payload format. */
export const DR6_BUS_LOCK = 1 << 11;
/** "Enabled breakpoint": exists only in the pending-debug-exceptions (payload) format, never in DR6. */
export const PENDING_DBG_ENABLED_BP = 1 << 12;
export const DR6_BD = 1 << 13;
export const DR6_BS = 1 << 14;
export const DR6_BT = 1 << 15;
/** RTM: active-low in DR6. */
export const DR6_RTM = 1 << 16;
/** Architectural reset value and the set of bits that read as 1 when no cause is reported. */
export const DR6_ACTIVE_LOW = 0xffff0ff0;
/** KVM: bits the guest may change at all (B0-3, BLD, BD, BS, BT, RTM). */
export const DR6_VOLATILE = 0x0001e80f;
/** KVM: bits fixed to 1 for every guest (ACTIVE_LOW & ~VOLATILE). */
export const DR6_FIXED_1 = 0xfffe07f0;

// ---- DR7 (SDM Vol. 3B 19.2.4) ----
export const DR7_BP_EN_MASK = 0xff;
export const DR7_LE = 1 << 8;
export const DR7_GE = 1 << 9;
export const DR7_FIXED_1 = 0x400;
export const DR7_RTM = 1 << 11;
export const DR7_GD = 1 << 13;
export const DR7_VOLATILE = 0xffff2bff;
export const DR7_RW_SHIFT = 16;
export const DR7_LEN_SHIFT = 18;

// ---- IA32_DEBUGCTL (MSR 0x1D9; arch/x86/include/asm/msr-index.h) ----
export const MSR_IA32_DEBUGCTL = 0x1d9;
export const DEBUGCTL_LBR = 1 << 0;
export const DEBUGCTL_BTF = 1 << 1;
/** Intel BUS_LOCK_DETECT / AMD BLCKDB. */
export const DEBUGCTL_BUS_LOCK_DETECT = 1 << 2;

// ---- exception vectors ----
export const DB_VECTOR = 1;
export const BP_VECTOR = 3;

// ---- RFLAGS ----
export const RFLAGS_TF = 1n << 8n;
export const RFLAGS_RF = 1n << 16n;

/** payload <-> DR6 for the defined bits (SEMANTICS.md §0). */
export function dr6ToPayload(dr6: number): number {
  return (dr6 ^ DR6_ACTIVE_LOW) >>> 0;
}

/**
 * KVM's kvm_deliver_exception_payload for #DB (x86.c): merge a payload (pending-debug format) into the
 * guest's DR6. B0-B3 are replaced, BD/BS/BT accumulate, BLD/RTM are re-armed (1) unless the payload
 * asserts them, bit 12 never survives. A DR6-format value passed as payload flips the fixed-1 bits to 0
 * (the §4 "format bug").
 */
export function deliverDbPayload(dr6: number, payload: number): number {
  let v = dr6 & ~DR_TRAP_BITS;
  v |= DR6_ACTIVE_LOW;
  v |= payload;
  v ^= payload & DR6_ACTIVE_LOW;
  v &= ~PENDING_DBG_ENABLED_BP;
  return v >>> 0;
}

/**
 * What the DR6 register holds after the CPU reports #DB causes (payload polarity) on top of `dr6`:
 * B0-B3 replaced, BD/BS/BT set, BLD cleared on a bus lock and otherwise left alone (AMD APM quote in
 * seed 001: "All other #DB exceptions leave DR6[BLD] unmodified"), RTM cleared for an RTM #DB and set
 * by any other. Used for the SVM VMCB DR6 at a #DB intercept.
 */
export function hardwareDr6(dr6: number, payload: number): number {
  let v = (dr6 & ~DR_TRAP_BITS) | (payload & DR_TRAP_BITS);
  v |= payload & (DR6_BD | DR6_BS | DR6_BT);
  if (payload & DR6_BUS_LOCK) v &= ~DR6_BUS_LOCK;
  if (payload & DR6_RTM) v &= ~DR6_RTM;
  else v |= DR6_RTM;
  return v >>> 0;
}

export interface GuestDr6Features {
  rtm: boolean;
  busLockDetect: boolean;
}

/**
 * kvm_dr6_fixed (seed 004): DR6_FIXED_1 plus RTM / BUS_LOCK when the guest's CPUID lacks the feature.
 * fromCpuid=false models a KVM that ignores the guest's CPUID: only the constant DR6_FIXED_1, so BLD
 * and RTM would be writable for every guest (documented in docs/FINDINGS.md).
 */
export function kvmDr6Fixed(f: GuestDr6Features, fromCpuid = true): number {
  let fixed = DR6_FIXED_1;
  if (!fromCpuid) return fixed >>> 0;
  if (!f.rtm) fixed |= DR6_RTM;
  if (!f.busLockDetect) fixed |= DR6_BUS_LOCK;
  return fixed >>> 0;
}

/** kvm_set_dr(6) store for a guest MOV to DR6 (after the 63:32 check). */
export function guestDr6Store(val: number, fixed: number): number {
  return ((val & DR6_VOLATILE) | fixed) >>> 0;
}

/** kvm_set_dr(7) store: volatile bits plus the fixed-1 bit 10. */
export function dr7Store(val: number): number {
  return ((val & DR7_VOLATILE) | DR7_FIXED_1) >>> 0;
}

/** kvm_dr6_valid / kvm_dr7_valid: bits 63:32 must be 0. */
export function drValue64Valid(v: bigint): boolean {
  return v >= 0n && v >> 32n === 0n;
}

/** Address-compare helper for one DR slot: R/W and LEN fields of DR7 for slot n. */
export function dr7SlotRw(dr7: number, n: number): number {
  return (dr7 >>> (DR7_RW_SHIFT + 4 * n)) & 3;
}
export function dr7SlotLen(dr7: number, n: number): number {
  return (dr7 >>> (DR7_LEN_SHIFT + 4 * n)) & 3;
}
export function dr7SlotEnabled(dr7: number, n: number): boolean {
  return ((dr7 >>> (2 * n)) & 3) !== 0;
}

/**
 * kvm_vcpu_check_hw_bp: which enabled execute breakpoints (R/W=00) match `addr` exactly (LEN ignored).
 * Returns the B0-B3 hit mask.
 */
export function codeBreakpointHits(addr: bigint, dr7: number, db: readonly bigint[]): number {
  let hits = 0;
  for (let n = 0; n < 4; n++) {
    if (dr7SlotEnabled(dr7, n) && dr7SlotRw(dr7, n) === 0 && db[n] === addr) hits |= 1 << n;
  }
  return hits;
}

export function hex32(v: number): string {
  return '0x' + (v >>> 0).toString(16).padStart(8, '0');
}
