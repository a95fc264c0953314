// The KVM model's ioctl surface (Linux ~v6.12 arch/x86/kvm/x86.c kvm_arch_vcpu_ioctl and friends): what
// userspace (src/vmm/accel-kvm.ts) may call on a vCPU, each method named after its ioctl. The vCPU's state
// and world switch are in kvm-state.ts, the KVM_RUN machinery in kvm-core.ts; the uapi structs and flags in
// kvm-api.ts.
//
// Public surface of src/hv: KvmVcpu (this file), everything in kvm-api.ts (re-exported here), and the pure
// debug-register math KVM applies in debugregs.ts.

import { KvmClock } from './kvm-clock.js';
import { VEC_BP, VEC_DB, DR_CONTROL, DR_COUNT, DR_NUMBERS, type ArchState } from '../cpu/index.js';
import { drValue64Valid, MSR_IA32_DEBUGCTL } from './debugregs.js';
import { KvmVcpuCore } from './kvm-core.js';
import { maxPhyAddrOf, sregsInvalidReason } from './sregs.js';
import {
  KVM_CAP_DEBUGREGS,
  KVM_CAP_EXCEPTION_PAYLOAD,
  KVM_CAP_SET_GUEST_DEBUG,
  KVM_CAP_SET_GUEST_DEBUG2,
  KVM_GUESTDBG_BLOCKIRQ,
  KVM_GUESTDBG_ENABLE,
  KVM_GUESTDBG_INJECT_BP,
  KVM_GUESTDBG_INJECT_DB,
  KVM_GUESTDBG_SINGLESTEP,
  KVM_GUESTDBG_USE_HW_BP,
  KVM_GUESTDBG_VALID_MASK,
  type KvmDebugRegs,
  type KvmFpu,
  type KvmRegs,
  type KvmSregs,
  type KvmVcpuEvents,
} from './kvm-api.js';

export * from './kvm-api.js';

const GPR_COUNT = 16;
const XMM_COUNT = 16;
/** SVM keeps the guest DEBUGCTL's low 16 bits in vmcb->save.dbgctl. */
const DEBUGCTL_VMCB_MASK = 0xffffn;

/** One KVM vCPU as userspace sees it (the fd KVM_CREATE_VCPU returns). */
export class KvmVcpu extends KvmVcpuCore {
  // ================= ioctls =================

  /** KVM_SET_GUEST_DEBUG (kvm_arch_vcpu_ioctl_set_guest_debug). */
  setGuestDebug(control: number, debugreg: readonly bigint[]): void {
    let c = control >>> 0;
    if (c & (KVM_GUESTDBG_INJECT_DB | KVM_GUESTDBG_INJECT_BP)) {
      if (this.exception) throw new Error('EBUSY');
      this.queue(c & KVM_GUESTDBG_INJECT_DB ? VEC_DB : VEC_BP, undefined, 'KVM_GUESTDBG_INJECT');
    }
    if (!(c & KVM_GUESTDBG_ENABLE)) c = 0;
    this.guestDebug = c;
    this.singlestepRip = c & KVM_GUESTDBG_SINGLESTEP ? this.cpu.getRip() : undefined;
    // KVM_GUESTDBG_BLOCKIRQ: KVM injects no interrupt while it is set (QEMU sets it for a gdb single step,
    // SSTEP_NOIRQ), so a stepi never lands in an interrupt handler.
    this.cpu.blockInterrupts = (c & KVM_GUESTDBG_BLOCKIRQ) !== 0;
    if (c & KVM_GUESTDBG_USE_HW_BP) {
      for (let i = 0; i < DR_COUNT; i++) this.debugDb[i] = debugreg[i] ?? 0n;
      this.guestDebugDr7 = Number(BigInt.asUintN(32, debugreg[DR_CONTROL] ?? 0n)) >>> 0;
    } else {
      this.debugDb.fill(0n);
      this.guestDebugDr7 = 0;
    }
  }

  /** KVM_GET_DEBUGREGS. Cap off: a pending payload is delivered first (kvm_handle_exception_payload_quirk). */
  getDebugRegs(): KvmDebugRegs {
    this.payloadQuirk();
    return { db: [...this.db], dr6: BigInt(this.dr6), dr7: BigInt(this.dr7) };
  }

  /** KVM_SET_DEBUGREGS: DR6 stored raw (only the 63:32 check), DR7 checked and stored as given. */
  setDebugRegs(r: KvmDebugRegs): boolean {
    if (!drValue64Valid(r.dr6) || !drValue64Valid(r.dr7)) return false;
    for (let i = 0; i < DR_COUNT; i++) this.db[i] = r.db[i] ?? 0n;
    this.dr6 = Number(r.dr6) >>> 0;
    this.dr7 = Number(r.dr7) >>> 0;
    return true;
  }

  /** KVM_GET_REGS. */
  getRegs(): KvmRegs {
    const cpu = this.cpu;
    const gpr: bigint[] = new Array(GPR_COUNT);
    for (let r = 0; r < GPR_COUNT; r++) gpr[r] = cpu.getGpr(r);
    return { gpr, rip: cpu.getRip(), rflags: cpu.getRflags() };
  }

  /** KVM_SET_REGS. */
  setRegs(r: KvmRegs): boolean {
    const cpu = this.cpu;
    for (let i = 0; i < GPR_COUNT; i++) cpu.setGpr(i, r.gpr[i] ?? 0n);
    cpu.setRip(r.rip);
    cpu.setRflags(r.rflags);
    return true;
  }

  /** KVM_GET_SREGS (with the FS/GS/KERNEL_GS base MSRs QEMU reads alongside). */
  getSregs(): KvmSregs {
    return this.cpu.getState();
  }

  /** KVM_SET_SREGS: -EINVAL (false, nothing written) for a state kvm_is_valid_sregs refuses; the general
   *  registers are not touched. */
  setSregs(s: KvmSregs): boolean {
    if (sregsInvalidReason(s, maxPhyAddrOf((l, sl) => this.cpu.cpuid(l, sl))) !== undefined) return false;
    const cur: ArchState = this.cpu.getState();
    this.cpu.setState({ ...s, gpr: cur.gpr, rip: cur.rip, rflags: cur.rflags });
    return true;
  }

  /** KVM_GET_FPU: x87 registers, xmm[16], mxcsr. */
  getFpu(): KvmFpu {
    const xmm: bigint[] = [];
    for (let n = 0; n < XMM_COUNT; n++) xmm.push(this.cpu.getXmm(n));
    return { x87: this.cpu.getX87(), xmm, mxcsr: this.cpu.getMxcsr() };
  }

  /** KVM_SET_FPU: refused (nothing written) when MXCSR has a reserved bit set. */
  setFpu(f: KvmFpu): boolean {
    if (!this.cpu.setMxcsr(f.mxcsr)) return false;
    this.cpu.setX87(f.x87);
    f.xmm.forEach((v, n) => this.cpu.setXmm(n, v));
    return true;
  }

  /** KVM_GET_MSRS: the guest's view; DEBUGCTL on SVM is the VMCB's (svm_get_msr). undefined: not modelled. */
  getMsrs(indices: readonly number[]): (bigint | undefined)[] {
    return indices.map((i) => (i === MSR_IA32_DEBUGCTL ? BigInt(this.guestDebugctl) : KvmClock.handles(i) ? this.kvmClock.read(i) : this.cpu.getMsr(i)));
  }

  /** KVM_SET_MSRS: returns how many entries were set (KVM stops at the first it refuses). */
  setMsrs(entries: readonly (readonly [number, bigint])[]): number {
    let n = 0;
    for (const [index, value] of entries) {
      if (index === MSR_IA32_DEBUGCTL && !this.vmx) this.vmcbDbgctl = Number(value & DEBUGCTL_VMCB_MASK);
      else if (KvmClock.handles(index)) this.kvmClock.write(index, value);
      else if (!this.cpu.setMsr(index, value)) break;
      n++;
    }
    return n;
  }

  /** KVM_GET_MP_STATE (halted) and the interrupt shadow of KVM_GET_VCPU_EVENTS. */
  getMpState(): { halted: boolean; interruptShadow: boolean } {
    return { halted: this.cpu.halted, interruptShadow: this.cpu.interruptShadow !== 'none' };
  }

  /** KVM_TRANSLATE: guest linear -> guest physical with the current paging mode (undefined: not mapped). */
  translate(linear: bigint, write: boolean): number | undefined {
    return this.cpu.translate(linear, write);
  }

  /** Userspace kicks the vCPU thread (a signal with immediate_exit): KVM_RUN returns KVM_EXIT_INTR. */
  kick(why: string): void {
    this.cpu.requestStop(why);
  }

  /** KVM_CHECK_EXTENSION for the capabilities this model implements. SET_GUEST_DEBUG2 answers the
   *  supported KVM_GUESTDBG_* flags (KVM_GUESTDBG_VALID_MASK on x86). */
  checkExtension(cap: number): number {
    switch (cap) {
      case KVM_CAP_SET_GUEST_DEBUG:
      case KVM_CAP_DEBUGREGS:
      case KVM_CAP_EXCEPTION_PAYLOAD:
        return 1;
      case KVM_CAP_SET_GUEST_DEBUG2:
        return KVM_GUESTDBG_VALID_MASK;
      default:
        return 0;
    }
  }

  /** Instructions retired by the guest (a per-vCPU statistic, as KVM's binary stats expose counters). */
  get instructionsRetired(): number {
    return this.cpu.instructionsRetired;
  }

  /**
   * Not an ioctl: the model's state as `monitor info dr` and the route log show it, with no side effects (a
   * KVM_GET_DEBUGREGS would deliver a pending payload first). `hardware` is what the CPU holds while the
   * guest runs.
   */
  inspect(): { db: readonly bigint[]; dr6: number; dr7: number; debugctl: number; hardware: { dr: [number, bigint][]; debugctl: bigint } } {
    const cpu = this.cpu;
    return {
      db: [...this.db],
      dr6: this.dr6,
      dr7: this.dr7,
      debugctl: this.guestDebugctl,
      hardware: { dr: DR_NUMBERS.map((n) => [n, cpu.getDr(n)]), debugctl: cpu.getMsr(MSR_IA32_DEBUGCTL) ?? 0n },
    };
  }

  /** KVM_GET_VCPU_EVENTS (exception part). */
  getVcpuEvents(): KvmVcpuEvents | undefined {
    this.payloadQuirk();
    const e = this.exception;
    if (!e) return undefined;
    if (!this.cfg.exceptionPayload) return { pending: false, injected: true, vector: e.vector, hasPayload: false, payload: 0 };
    return { pending: e.state === 'pending', injected: e.state === 'injected', vector: e.vector, hasPayload: e.hasPayload, payload: e.payload };
  }

  /**
   * KVM_SET_VCPU_EVENTS with one exception, as QEMU's kvm_put_vcpu_events sends it after
   * kvm_queue_exception. Cap on: pending (+payload). Cap off: injected, no payload (VALID_PAYLOAD -EINVAL).
   */
  setVcpuEvents(e: { vector: number; pending: boolean; hasPayload: boolean; payload: number }, source: string): boolean {
    if (this.cfg.exceptionPayload) {
      this.exception = e.pending
        ? { vector: e.vector, state: 'pending', hasPayload: e.hasPayload, payload: e.payload >>> 0, source }
        : { vector: e.vector, state: 'injected', hasPayload: false, payload: 0, source };
    } else {
      if (e.hasPayload && e.pending) return false;
      this.exception = { vector: e.vector, state: 'injected', hasPayload: false, payload: 0, source };
    }
    return true;
  }

  /** Model an MMIO exit (writes the union's len/is_write over debug.dr6) for the stale-dr6 scenario. */
  simulateMmioExit(physAddr: bigint, len: number, isWrite: boolean): void {
    this.runArea.recordMmio(physAddr, len, isWrite);
  }

  /** The guest's DEBUGCTL as the guest sees it. */
  private get guestDebugctl(): number {
    return this.vmx ? Number(this.cpu.getMsr(MSR_IA32_DEBUGCTL) ?? 0n) : this.vmcbDbgctl;
  }

}
