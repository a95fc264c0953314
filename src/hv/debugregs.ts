// Debug-register constants and the pure bit math KVM applies to them (SEMANTICS.md §1, §2.5).
// All DR6/DR7 values here are unsigned 32-bit JS numbers: bits 63:32 of DR6/DR7 are reserved-0 and KVM
// rejects them (kvm_dr6_valid / kvm_dr7_valid), so they never need to be carried.

// ---- DR6 / DR7 / IA32_DEBUGCTL: the architectural constants live in src/cpu/arch.ts (SDM Vol. 3B 19.2);
// the KVM model re-exports them under the names KVM itself uses (arch/x86/include/asm/kvm_host.h). ----
export {
  DR6_B0, DR6_B1, DR6_B2, DR6_B3, DR6_BD, DR6_BS, DR6_BT, DR6_RTM, DR6_ACTIVE_LOW, DR6_VOLATILE,
  DR7_LE, DR7_GE, DR7_RTM, DR7_GD, DR7_VOLATILE, DR7_RW_SHIFT, DR7_LEN_SHIFT,
  MSR_IA32_DEBUGCTL, DEBUGCTL_LBR, DEBUGCTL_BTF, DEBUGCTL_BUS_LOCK_DETECT,
} from '../cpu/arch.js';
import {
  DR6_BMASK, DR6_BLD, DR6_ENABLED_BP, DR6_ACTIVE_LOW, DR6_VOLATILE, DR6_BD, DR6_BS, DR6_BT, DR6_RTM,
  DR7_ENABLE_MASK, DR7_FIXED1, DR7_VOLATILE, DR7_RW_SHIFT, DR7_LEN_SHIFT, DR7_LE as DR7_LE_BIT,
} from '../cpu/arch.js';
/** B0-B3 (uapi DR_TRAP_BITS). */
export const DR_TRAP_BITS = DR6_BMASK;
/** Bus-lock detected (KVM's DR6_BUS_LOCK): active-low in DR6, active-high in payload format. */
export const DR6_BUS_LOCK = DR6_BLD;
/** "Enabled breakpoint": exists only in the pending-debug-exceptions (payload) format, never in DR6. */
export const PENDING_DBG_ENABLED_BP = DR6_ENABLED_BP;
/** KVM: bits fixed to 1 for every guest (ACTIVE_LOW & ~VOLATILE) = 0xFFFE07F0. */
export const DR6_FIXED_1 = (DR6_ACTIVE_LOW & ~DR6_VOLATILE) >>> 0;
export const DR7_BP_EN_MASK = DR7_ENABLE_MASK;
export const DR7_FIXED_1 = DR7_FIXED1;

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
 * kvm_dr6_fixed (x86.c, Linux v5.13+; seed 004): DR6_FIXED_1 plus RTM / BUS_LOCK when the guest's CPUID lacks the
 * feature. fromCpuid=false models the KVM releases before bus-lock detect support (v5.12 and older, before "KVM:
 * X86: Expose bus lock debug exception to guest"), whose kvm_dr6_fixed added only DR6_RTM: bit 11 was part of
 * the fixed-1 set, so BLD reads 1 for every guest whatever its CPUID says.
 */
export function kvmDr6Fixed(f: GuestDr6Features, fromCpuid = true): number {
  let fixed = DR6_FIXED_1;
  if (!f.rtm) fixed |= DR6_RTM;
  if (!f.busLockDetect || !fromCpuid) fixed |= DR6_BUS_LOCK;
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

/** L0-L3 (bits 0, 2, 4, 6; uapi DR_LOCAL_ENABLE_MASK) and LE (bit 8; uapi DR_LOCAL_SLOWDOWN): the DR7 bits
 *  KVM's emulated task switch clears. SDM Vol. 3B 19.2.4 has the processor clear L0-L3 on every task switch;
 *  the CPU model (src/cpu/tasks.ts) clears LE as well, as KVM does. */
export const DR_LOCAL_ENABLE_MASK = 0x55;
export const DR_LOCAL_SLOWDOWN = DR7_LE_BIT;

/** The guest DR7 after KVM's emulated task switch: emulator_do_task_switch ends by writing DR7 through the
 *  emulator's set_dr op (kvm_set_dr -> vcpu->arch.dr7, kvm_update_dr7) with the local enables and LE cleared. */
export function taskSwitchDr7(dr7: number): number {
  return dr7Store(dr7 & ~(DR_LOCAL_ENABLE_MASK | DR_LOCAL_SLOWDOWN));
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
