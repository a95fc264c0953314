// What real KVM offers a guest beyond the CPU itself, as far as the model implements it: the paravirtual CPUID
// leaves (include/uapi/asm/kvm_para.h; arch/x86/kvm/cpuid.c __do_cpuid_func, KVM_CPUID_SIGNATURE and
// KVM_CPUID_FEATURES; QEMU 7.2 target/i386/kvm/kvm.c kvm_arch_init_vcpu puts them in the guest CPUID), the
// hypervisor bit CPUID.1:ECX[31] (QEMU sets CPUID_EXT_HYPERVISOR for every KVM guest), and kvm-clock: the
// MSRs MSR_KVM_WALL_CLOCK(_NEW) / MSR_KVM_SYSTEM_TIME(_NEW) through which the guest names the guest-physical
// address of a struct pvclock_wall_clock / pvclock_vcpu_time_info that KVM then fills (Linux 6.1 x86.c
// kvm_set_msr_common, kvm_write_wall_clock, kvm_write_system_time, kvm_guest_time_update,
// kvm_setup_guest_pvclock; Documentation/virt/kvm/x86/msr.rst).
//
// Features offered (EAX of 0x40000001): KVM_FEATURE_CLOCKSOURCE and KVM_FEATURE_CLOCKSOURCE2 (both MSR pairs
// are modelled; QEMU's "kvmclock" CPU property sets the two bits together) and KVM_FEATURE_CLOCKSOURCE_STABLE_BIT
// (the flags carry PVCLOCK_TSC_STABLE_BIT, as KVM's master clock does on a host with a stable TSC). Nothing
// else: no async page faults, steal time, PV EOI, PV TLB flush, PV unhalt or PV send-IPI in the CPUID, since
// the MSRs and the host side behind them are not modelled (the hypercalls themselves are, kvm-core.ts).
//
// Time is dbstub's virtual time: the vCPU clock counts one tick per nanosecond since the machine started, which
// is kvmclock's own epoch (KVM's kvmclock_offset makes it 0 at VM creation); the guest TSC runs at 1 GHz (one
// per tick, src/devices/timers.ts), so tsc_to_system_mul / tsc_shift come out as 0x80000000 / 1 and the guest
// computes kvmclock = system_time + (tsc - tsc_timestamp). The wall clock is the time the VMM says the machine
// started at (its RTC's start): the boot time in seconds, nanoseconds 0. KVM refreshes the structure on every KVM_REQ_CLOCK_UPDATE (vCPU
// migration, masterclock updates, kvmclock_sync every 300 s); with a TSC that never drifts from the clock each
// refresh would write the same line, so the model writes it when the guest enables it. Not modelled:
// PVCLOCK_GUEST_STOPPED (QEMU's KVM_KVMCLOCK_CTRL after the VM was paused).

import type { GuestCpu, PhysicalMemory } from '../cpu/index.js';
import { MSR_IA32_TSC } from '../cpu/index.js';

/** include/uapi/asm/kvm_para.h. */
export const KVM_CPUID_SIGNATURE = 0x40000000;
export const KVM_CPUID_FEATURES = 0x40000001;
/** The hypervisor range KVM answers from its CPUID table (0x40000000-0x400000FF for the base). */
export const KVM_CPUID_RANGE_END = 0x400000ff;
export const KVM_SIGNATURE = 'KVMKVMKVM\0\0\0';
export const KVM_FEATURE_CLOCKSOURCE = 0;
export const KVM_FEATURE_CLOCKSOURCE2 = 3;
export const KVM_FEATURE_CLOCKSOURCE_STABLE_BIT = 24;
export const KVM_FEATURES_OFFERED = (1 << KVM_FEATURE_CLOCKSOURCE) | (1 << KVM_FEATURE_CLOCKSOURCE2) | (1 << KVM_FEATURE_CLOCKSOURCE_STABLE_BIT);
/** CPUID.01H:ECX[31]: running under a hypervisor (SDM Vol. 2A Table 3-10 "Not Used"; set by every VMM). */
export const CPUID1_ECX_HYPERVISOR = 1 << 31;

export const MSR_KVM_WALL_CLOCK = 0x11;
export const MSR_KVM_SYSTEM_TIME = 0x12;
export const MSR_KVM_WALL_CLOCK_NEW = 0x4b564d00;
export const MSR_KVM_SYSTEM_TIME_NEW = 0x4b564d01;
/** MSR_KVM_SYSTEM_TIME bit 0: the structure is enabled. */
export const KVM_SYSTEM_TIME_ENABLE = 1n;

/** struct pvclock_vcpu_time_info (arch/x86/include/asm/pvclock-abi.h): 32 bytes. */
export const PVTI_VERSION = 0;
export const PVTI_TSC_TIMESTAMP = 8;
export const PVTI_SYSTEM_TIME = 16;
export const PVTI_TSC_TO_SYSTEM_MUL = 24;
export const PVTI_TSC_SHIFT = 28;
export const PVTI_FLAGS = 29;
export const PVTI_SIZE = 32;
/** struct pvclock_wall_clock: version, sec, nsec (12 bytes). */
export const PVWC_VERSION = 0;
export const PVWC_SEC = 4;
export const PVWC_NSEC = 8;
export const PVWC_SIZE = 12;
export const PVCLOCK_TSC_STABLE_BIT = 1 << 0;
export const PVCLOCK_GUEST_STOPPED = 1 << 1;

const NSEC_PER_SEC = 1_000_000_000n;
/** The machine's virtual time: one CPU clock tick is one nanosecond (src/devices/timers.ts NS_PER_TICK; the VMM's
 *  devices and the KVM model must agree on it, as KVM and the host kernel share CLOCK_MONOTONIC_RAW). */
export const KVMCLOCK_NS_PER_TICK = 1;
/** The guest TSC's rate: the CPU's TSC counts one per clock tick. */
export const GUEST_TSC_HZ = 1_000_000_000 / KVMCLOCK_NS_PER_TICK;

const str4 = (s: string, k: number): number => (s.charCodeAt(k) | (s.charCodeAt(k + 1) << 8) | (s.charCodeAt(k + 2) << 16) | (s.charCodeAt(k + 3) << 24)) >>> 0;

/** The guest CPUID as a KVM guest under QEMU sees it: the CPU's leaves, the hypervisor bit, KVM's leaves. Other
 *  leaves of the hypervisor range fall to the CPU's out-of-range rule (kvm_cpuid's get_out_of_range_cpuid_entry:
 *  the highest basic leaf on Intel, zeros on AMD), which the CPU model applies already. */
export function kvmGuestCpuid(cpu: Pick<GuestCpu, 'cpuid'>, leaf: number, sub: number): [number, number, number, number] {
  if (leaf === KVM_CPUID_SIGNATURE) return [KVM_CPUID_FEATURES, str4(KVM_SIGNATURE, 0), str4(KVM_SIGNATURE, 4), str4(KVM_SIGNATURE, 8)];
  // EDX: KVM_HINTS_REALTIME and friends, none given (QEMU leaves them clear without kvm-hint-dedicated).
  if (leaf === KVM_CPUID_FEATURES) return [KVM_FEATURES_OFFERED, 0, 0, 0];
  const r = cpu.cpuid(leaf, sub);
  if (leaf === 1) r[2] = (r[2] | CPUID1_ECX_HYPERVISOR) >>> 0;
  return r;
}

/** kvm_get_time_scale: shift and 32.32 multiplier with ((ticks << shift) * mul) >> 32 = ticks * scaled / base. */
export function kvmGetTimeScale(scaledHz: number, baseHz: number): { shift: number; mul: number } {
  let tps64 = BigInt(baseHz);
  let scaled64 = BigInt(scaledHz);
  let shift = 0;
  const HI = 0xffffffff00000000n;
  while (tps64 > scaled64 * 2n || (tps64 & HI) !== 0n) {
    tps64 >>= 1n;
    shift--;
  }
  let tps32 = tps64 & 0xffffffffn;
  while (tps32 <= scaled64 || (scaled64 & HI) !== 0n) {
    if ((scaled64 & HI) !== 0n || (tps32 & 0x80000000n) !== 0n) scaled64 >>= 1n;
    else tps32 <<= 1n;
    shift++;
  }
  return { shift, mul: Number((scaled64 << 32n) / tps32) };
}

/** The kvm-clock state of one vCPU (vcpu->arch.time) and of the VM (kvm->arch.wall_clock). */
export class KvmClock {
  systemTime = 0n;
  wallClock = 0n;

  constructor(
    private readonly cpu: GuestCpu,
    private readonly memory: PhysicalMemory | undefined,
    /** The host's wall-clock time (seconds since 1970) when kvmclock read 0: the machine's RTC start. */
    private readonly bootEpoch: number,
  ) {}

  static handles(msr: number): boolean {
    return msr === MSR_KVM_WALL_CLOCK_NEW || msr === MSR_KVM_SYSTEM_TIME_NEW || msr === MSR_KVM_WALL_CLOCK || msr === MSR_KVM_SYSTEM_TIME;
  }

  /** kvm_get_msr_common: the values last written. */
  read(msr: number): bigint {
    return msr === MSR_KVM_WALL_CLOCK_NEW || msr === MSR_KVM_WALL_CLOCK ? this.wallClock : this.systemTime;
  }

  /** kvm_set_msr_common: the wall clock is written at once; the system time when enabled (bit 0). */
  write(msr: number, value: bigint): void {
    if (msr === MSR_KVM_WALL_CLOCK_NEW || msr === MSR_KVM_WALL_CLOCK) {
      this.wallClock = value;
      this.writeWallClock(value);
      return;
    }
    this.systemTime = value;
    if ((value & KVM_SYSTEM_TIME_ENABLE) !== 0n) this.updateTimeInfo();
  }

  /** kvmclock_reset (kvm_vcpu_reset) and a new VM's wall clock. */
  reset(): void {
    this.systemTime = 0n;
    this.wallClock = 0n;
  }

  /** kvm_write_wall_clock: version made even then bumped to odd while the fields change, even again after. */
  private writeWallClock(gpa: bigint): void {
    if (gpa === 0n || this.memory === undefined) return;
    const at = Number(gpa);
    let version = this.readU32(at + PVWC_VERSION);
    if (version === undefined) return;
    if (version & 1) version++; // "first time write, random junk"
    version = (version + 1) >>> 0;
    const wc = new Uint8Array(PVWC_SIZE);
    const dv = new DataView(wc.buffer);
    // The wall-clock time at which kvmclock read 0: the RTC's start.
    dv.setUint32(PVWC_VERSION, version, true);
    dv.setUint32(PVWC_SEC, this.bootEpoch >>> 0, true);
    dv.setUint32(PVWC_NSEC, 0, true);
    this.memory.writePhys(at, wc);
    this.writeU32(at + PVWC_VERSION, (version + 1) >>> 0);
  }

  /** kvm_guest_time_update + kvm_setup_guest_pvclock for the structure at vcpu->arch.time & ~1. */
  private updateTimeInfo(): void {
    if (this.memory === undefined) return;
    const at = Number(this.systemTime & ~KVM_SYSTEM_TIME_ENABLE);
    const old = this.memory.readPhys(at, PVTI_SIZE);
    if (this.memory.ramOffset(at) < 0 || this.memory.ramOffset(at + PVTI_SIZE - 1) < 0) return; // kvm_gpc_activate fails: nothing written
    const oldView = new DataView(old.buffer, old.byteOffset);
    const odd = ((oldView.getUint32(PVTI_VERSION, true) + 1) | 1) >>> 0;
    const { shift, mul } = kvmGetTimeScale(Number(NSEC_PER_SEC), GUEST_TSC_HZ);
    const t = new Uint8Array(PVTI_SIZE);
    const dv = new DataView(t.buffer);
    dv.setUint32(PVTI_VERSION, odd, true);
    dv.setBigUint64(PVTI_TSC_TIMESTAMP, this.cpu.getMsr(MSR_IA32_TSC) ?? 0n, true);
    dv.setBigUint64(PVTI_SYSTEM_TIME, BigInt(this.cpu.clock * KVMCLOCK_NS_PER_TICK), true);
    dv.setUint32(PVTI_TSC_TO_SYSTEM_MUL, mul, true);
    dv.setInt8(PVTI_TSC_SHIFT, shift);
    // The guest's own PVCLOCK_GUEST_STOPPED survives the update.
    dv.setUint8(PVTI_FLAGS, PVCLOCK_TSC_STABLE_BIT | (old[PVTI_FLAGS]! & PVCLOCK_GUEST_STOPPED));
    this.memory.writePhys(at, t);
    this.writeU32(at + PVTI_VERSION, (odd + 1) >>> 0);
  }

  private readU32(at: number): number | undefined {
    if (this.memory === undefined || this.memory.ramOffset(at) < 0) return undefined;
    const b = this.memory.readPhys(at, 4);
    return (b[0]! | (b[1]! << 8) | (b[2]! << 16) | (b[3]! << 24)) >>> 0;
  }

  private writeU32(at: number, v: number): void {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, v, true);
    this.memory?.writePhys(at, b);
  }
}
