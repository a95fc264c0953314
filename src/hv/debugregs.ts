// Debug-register constants and the pure bit math KVM applies to them (docs/semantics.md §1, §2.5).
// All DR6/DR7 values here are unsigned 32-bit JS numbers: bits 63:32 of DR6/DR7 are reserved-0 and KVM
// rejects them (kvm_dr6_valid / kvm_dr7_valid), so they never need to be carried.

// The architectural fields and the DR6 update rule (dr6AfterDb) live in src/cpu/dr-fields.ts; this file
// holds only what KVM itself does with them.
import {
  DR6_ACTIVE_LOW, DR6_BLD, DR6_BMASK, DR6_ENABLED_BP, DR6_FIXED_1, DR6_RTM, DR6_VOLATILE, DR7_FIXED_1,
  DR7_RW_EXEC, DR_COUNT, DR7_VOLATILE, dr7AfterTaskSwitch, dr7Enabled, dr7Rw,
} from '../cpu/index.js';
export { MSR_IA32_DEBUGCTL, DEBUGCTL_LBR, DEBUGCTL_BTF, DEBUGCTL_BUS_LOCK_DETECT } from '../cpu/index.js';

// ---- exception vectors ----
export const VEC_DB = 1;
export const VEC_BP = 3;

// ---- RFLAGS ----
export const RFLAGS_TF = 1 << 8;
export const RFLAGS_RF = 1 << 16;

/**
 * KVM's kvm_deliver_exception_payload for #DB (x86.c): merge a payload (pending-debug format) into the
 * guest's DR6. B0-B3 are replaced, BD/BS/BT accumulate, BLD/RTM are re-armed (1) unless the payload
 * asserts them, bit 12 never survives. A DR6-format value passed as payload flips the fixed-1 bits to 0
 * (the §4 "format bug").
 */
export function deliverDbPayload(dr6: number, payload: number): number {
  let v = dr6 & ~DR6_BMASK;
  v |= DR6_ACTIVE_LOW;
  v |= payload;
  v ^= payload & DR6_ACTIVE_LOW;
  v &= ~DR6_ENABLED_BP;
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
  if (!f.busLockDetect || !fromCpuid) fixed |= DR6_BLD;
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

/** The guest DR7 after KVM's emulated task switch: emulator_do_task_switch ends by writing DR7 through the
 *  emulator's set_dr op (kvm_set_dr -> vcpu->arch.dr7, kvm_update_dr7) with L0-L3 and LE cleared, the rule
 *  the CPU applies too (dr7AfterTaskSwitch), stored as kvm_set_dr stores. */
export function taskSwitchDr7(dr7: number): number {
  return dr7Store(dr7AfterTaskSwitch(dr7));
}

/** kvm_dr6_valid / kvm_dr7_valid: bits 63:32 must be 0. */
export function drValue64Valid(v: bigint): boolean {
  return v >= 0n && v >> 32n === 0n;
}

/**
 * kvm_vcpu_check_hw_bp: which enabled execute breakpoints (R/W=00) match `addr` exactly (LEN ignored).
 * Returns the B0-B3 hit mask.
 */
export function codeBreakpointHits(addr: bigint, dr7: number, db: readonly bigint[]): number {
  let hits = 0;
  for (let n = 0; n < DR_COUNT; n++) {
    if (dr7Enabled(dr7, n) && dr7Rw(dr7, n) === DR7_RW_EXEC && db[n] === addr) hits |= 1 << n;
  }
  return hits;
}

export function hex32(v: number): string {
  return '0x' + (v >>> 0).toString(16).padStart(8, '0');
}
