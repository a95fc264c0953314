// The userspace side of the KVM model's API (include/uapi/linux/kvm.h and arch/x86/include/uapi/asm/kvm.h):
// the guest-debug flags, capabilities, the ioctl structs and the kvm_run exit area, plus the hypervisor's
// own configuration slice. The VMM (src/vmm/accel-kvm.ts) uses only these and KvmVcpu's ioctl methods.

import type { ArchState, PhysicalMemory, Vendor, X87Regs } from '../cpu/index.js';

export const KVM_GUESTDBG_ENABLE = 0x1;
export const KVM_GUESTDBG_SINGLESTEP = 0x2;
export const KVM_GUESTDBG_USE_SW_BP = 0x10000;
export const KVM_GUESTDBG_USE_HW_BP = 0x20000;
export const KVM_GUESTDBG_INJECT_DB = 0x40000;
export const KVM_GUESTDBG_INJECT_BP = 0x80000;
export const KVM_GUESTDBG_BLOCKIRQ = 0x100000;
/** x86 KVM_GUESTDBG_VALID_MASK (arch/x86/include/asm/kvm_host.h, with BLOCKIRQ since v5.16). */
export const KVM_GUESTDBG_VALID_MASK =
  KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_SINGLESTEP | KVM_GUESTDBG_USE_HW_BP | KVM_GUESTDBG_USE_SW_BP |
  KVM_GUESTDBG_INJECT_BP | KVM_GUESTDBG_INJECT_DB | KVM_GUESTDBG_BLOCKIRQ;

// ---- KVM_CHECK_EXTENSION capabilities the model answers (uapi kvm.h numbering) ----
export const KVM_CAP_SET_GUEST_DEBUG = 23;
export const KVM_CAP_DEBUGREGS = 50;
export const KVM_CAP_EXCEPTION_PAYLOAD = 164;
/** Answers the supported KVM_GUESTDBG_* flags rather than 1. */
export const KVM_CAP_SET_GUEST_DEBUG2 = 195;

/**
 * What the hypervisor model is configured with: the kernel's vendor module (kvm_intel / kvm_amd), the guest
 * CPUID given with KVM_SET_CPUID2, KVM_CAP_EXCEPTION_PAYLOAD as the VMM enabled it, the host's DEBUGCTL and
 * LBR virtualization, and which of the seed patches the kernel carries. Not the machine's whole configuration.
 */
export interface KvmConfig {
  vendor: Vendor;
  /** Guest CPUID (KVM_SET_CPUID2): RTM and bus-lock detect decide kvm_dr6_fixed and DEBUGCTL's legal bits. */
  rtm: boolean;
  busLockDetect: boolean;
  /** KVM_ENABLE_CAP(KVM_CAP_EXCEPTION_PAYLOAD). */
  exceptionPayload: boolean;
  /** Host IA32_DEBUGCTL while the host runs (seed 001). */
  hostDebugctl: number;
  /** AMD: LBR virtualization (hardware swaps DEBUGCTL on VMRUN/#VMEXIT only when on). */
  lbrv: boolean;
  /** Seed 001: KVM/SVM loads the guest DEBUGCTL before VMRUN when LBRV is off. */
  svmZeroDebugctl: boolean;
  /** Seed 002: emulator-originated #DBs are fault-like. */
  emulatorDbFaultLike: boolean;
  /** Seed 003: merge VMX pending debug exceptions into the #DB payload. */
  vmxMergePendingDbg: boolean;
  /** Seed 004: DR6 fixed-1 bits follow the guest's CPUID (kvm_dr6_fixed, Linux v5.13+). */
  dr6FixedFromCpuid: boolean;
  /** AMD: DecodeAssists (without them a guest MOV DR goes through KVM's full emulator, seed 002). */
  svmDecodeAssists: boolean;
}

/** struct kvm_regs (gpr in encoding order). */
export interface KvmRegs {
  gpr: bigint[];
  rip: bigint;
  rflags: bigint;
}

/** struct kvm_sregs, with the FS/GS/KERNEL_GS base MSRs QEMU fetches alongside. */
export type KvmSregs = Omit<ArchState, 'gpr' | 'rip' | 'rflags'>;

/** struct kvm_fpu: the x87 registers (with the full tag word and FCS/FDS, which QEMU keeps beside it), xmm, mxcsr. */
export interface KvmFpu {
  x87: X87Regs;
  xmm: bigint[];
  mxcsr: number;
}

/** struct kvm_debugregs. */
export interface KvmDebugRegs {
  db: bigint[];
  dr6: bigint;
  dr7: bigint;
}

/** struct kvm_vcpu_events, the exception part. */
export interface KvmVcpuEvents {
  pending: boolean;
  injected: boolean;
  vector: number;
  hasPayload: boolean;
  payload: number;
}

/** kvm_run.io.data_offset: port I/O data lives in the page after struct kvm_run. */
const KVM_PIO_PAGE_OFFSET = 1;
const PAGE_SIZE = 4096;

/** struct kvm_debug_exit_arch as read by userspace. */
export interface KvmDebugExitArch {
  exception: number;
  pc: bigint;
  dr6: bigint;
  dr7: bigint;
}

export type KvmExit =
  | { reason: 'debug'; debug: KvmDebugExitArch }
  | { reason: 'hlt' }
  | { reason: 'budget' }
  | { reason: 'intr'; why: string }
  /** KVM_EXIT_INTERNAL_ERROR (emulation failure): the CPU entered a mode the model does not run. */
  | { reason: 'internal-error'; why: string }
  | { reason: 'shutdown'; detail: string };

/**
 * The kvm_run exit union (bytes 32.. of struct kvm_run). One persistent buffer: a path that does not
 * write a field leaves whatever an earlier exit of any type put there (docs/semantics.md §2.3).
 */
export class KvmRunArea {
  readonly bytes = new Uint8Array(32);
  private readonly dv = new DataView(this.bytes.buffer);
  /** struct kvm_debug_exit_arch: exception @0, pc @8, dr6 @16, dr7 @24. */
  get debug(): KvmDebugExitArch {
    return {
      exception: this.dv.getUint32(0, true),
      pc: this.dv.getBigUint64(8, true),
      dr6: this.dv.getBigUint64(16, true),
      dr7: this.dv.getBigUint64(24, true),
    };
  }
  setException(v: number): void { this.dv.setUint32(0, v >>> 0, true); }
  setPc(v: bigint): void { this.dv.setBigUint64(8, BigInt.asUintN(64, v), true); }
  // struct kvm_debug_exit_arch's dr6/dr7 are __u64 filled from unsigned long values (DR6_ACTIVE_LOW is the
  // unsigned int 0xffff0ff0 in arch/x86/include/asm/kvm_host.h), so they are zero-extended: 0x00000000ffff4ff0.
  // A JS bit operation yields a signed int32; `>>> 0` keeps it from being sign-extended into bits 63:32.
  setDr6(v: number | bigint): void { this.dv.setBigUint64(16, typeof v === 'number' ? BigInt(v >>> 0) : BigInt.asUintN(64, v), true); }
  setDr7(v: number | bigint): void { this.dv.setBigUint64(24, typeof v === 'number' ? BigInt(v >>> 0) : BigInt.asUintN(64, v), true); }
  /** KVM_EXIT_IO: direction u8 @0, size u8 @1, port u16 @2, count u32 @4, data_offset u64 @8. */
  recordIo(out: boolean, size: number, port: number): void {
    this.dv.setUint8(0, out ? 1 : 0);
    this.dv.setUint8(1, size);
    this.dv.setUint16(2, port, true);
    this.dv.setUint32(4, 1, true);
    this.dv.setBigUint64(8, BigInt(KVM_PIO_PAGE_OFFSET * PAGE_SIZE), true);
  }
  /** KVM_EXIT_MMIO: phys_addr u64 @0, data[8] @8, len u32 @16, is_write u8 @20 (overlaps debug.dr6). */
  recordMmio(physAddr: bigint, len: number, isWrite: boolean): void {
    this.dv.setBigUint64(0, physAddr, true);
    this.dv.setBigUint64(8, 0n, true);
    this.dv.setUint32(16, len >>> 0, true);
    this.dv.setUint8(20, isWrite ? 1 : 0);
  }
}

/** vcpu->arch.exception (plus the userspace-visible split pending/injected). */
export interface QueuedException {
  vector: number;
  /** pending: not yet delivered, payload applies at injection. injected: re-injection, no payload math. */
  state: 'pending' | 'injected';
  hasPayload: boolean;
  payload: number;
  errorCode?: number;
  /** Where it came from, for the logs. */
  source: string;
}

/** Something KVM did with a #DB, for the VMM's route records and the logs. */
export type KvmDbNote =
  | { kind: 'exit'; source: string; debug: KvmDebugExitArch }
  | { kind: 'queue'; source: string; vector: number; payload: number; hasPayload: boolean; rip: bigint; dr7: number }
  | { kind: 'inject'; vector: number; source: string; payload: number | undefined; dr6Before: number; dr6After: number; rip: bigint; rf: boolean; merged: number };

export interface KvmOptions {
  /** SVM: DecodeAssists present (overrides KvmConfig.svmDecodeAssists). Without them dr_interception emulates MOV
   *  DR with the full x86 emulator (emulate_on_interception), the path of seed 002 (code breakpoint check + GD via
   *  check_dr_read). */
  svmDecodeAssists?: boolean;
  onDbNote?: (n: KvmDbNote) => void;
  /** KVM_HC_SEND_IPI to this vCPU: hand the ICR low word to its local APIC; true when accepted. */
  deliverIpi?: (icrLow: number) => boolean;
  /** Guest RAM as the VMM registered it (KVM_SET_USER_MEMORY_REGION): where kvm-clock writes its structures. */
  memory?: PhysicalMemory;
  /** The host's wall-clock time in seconds at which the VM's kvmclock reads 0 (kvm_get_wall_clock_epoch); the
   *  machine's virtual RTC start. Default 0. */
  wallClockEpoch?: number;
}

