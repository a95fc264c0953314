// A model of one KVM x86 vCPU (Linux ~v6.12 arch/x86/kvm/{x86.c,vmx/vmx.c,svm/svm.c} plus the patches of
// docs/semantics.md) between the simulated CPU and the VMM. It owns the guest's *virtual* debug registers
// (vcpu->arch.db/dr6/dr7), the guest-debug control set by KVM_SET_GUEST_DEBUG, the exception queue with
// its payload rules, the kvm_run exit area (persistent, so stale fields are reproducible), and the
// vendor world switch (SVM DEBUGCTL, VMX pending debug exceptions).
//
// Hardware mapping: the CPU's getDr/setDr registers are the *effective* (hardware) debug registers while
// the guest runs. With guest_debug == 0 KVM lets the guest own them (KVM_DEBUGREG_WONT_EXIT): they are
// loaded from arch before entry and synced back after exit. With guest_debug != 0 every guest MOV DR
// is intercepted and emulated against arch, and the hardware holds eff_db/effective DR7.
//
// This file: the vCPU's state (vcpu->arch: the guest's virtual debug registers, guest-debug control, the
// exception queue), the world switch around each entry (vcpu_enter_guest / the exit path: DR load and sync,
// KVM_DEBUGREG_WONT_EXIT, SVM DEBUGCTL) and exception injection with its payload rules. The KVM_RUN loop, the
// intercepts and the exit handlers build on it in kvm-core.ts; the ioctls in kvm.ts.

import type { GuestCpu } from '../cpu/index.js';
import { deliverDbPayload, MSR_IA32_DEBUGCTL, RFLAGS_RF, taskSwitchDr7 } from './debugregs.js';
import { DR6_ACTIVE_LOW, DR6_BMASK, DR6_BS, DR6_ENABLED_BP, DR6_RTM, DR7_GD, DR7_RESET, DR_CONTROL, DR_COUNT, DR_STATUS, VEC_BP, VEC_DB, VEC_GP } from '../cpu/index.js';
import {
  KVM_GUESTDBG_SINGLESTEP,
  KVM_GUESTDBG_USE_HW_BP,
  KvmRunArea,
  type KvmConfig,
  type KvmOptions,
  type QueuedException,
} from './kvm-api.js';

/** Bits of GUEST_PENDING_DBG_EXCEPTIONS merged by Aidan Khoury's patch (seed 003): B0-B3, bit 12, BS, RTM. */
const VMX_PENDING_DBG_MERGE_MASK = DR6_BMASK | DR6_ENABLED_BP | DR6_BS | DR6_RTM;

/**
 * The vCPU's state as the kernel keeps it (vcpu->arch), the world switch and the exception queue. Its state is
 * protected: only the KVM_RUN machinery (kvm-core.ts) and the ioctl surface (kvm.ts) reach it.
 */
export abstract class KvmVcpuState {
  // ---- struct kvm_vcpu / kvm_vcpu_arch state: private; userspace reaches it only through the ioctls ----
  protected guestDebug = 0;
  protected guestDebugDr7 = 0;
  /** debugreg[0..3] from KVM_SET_GUEST_DEBUG (eff_db while USE_HW_BP). */
  protected readonly debugDb: bigint[] = [0n, 0n, 0n, 0n];
  /** The guest's own DR0-3/DR6/DR7 (vcpu->arch.db/dr6/dr7). */
  protected readonly db: bigint[] = [0n, 0n, 0n, 0n];
  protected dr6 = DR6_ACTIVE_LOW;
  protected dr7 = DR7_RESET;
  protected singlestepRip: bigint | undefined;
  protected exception: QueuedException | undefined;
  /** VM_EXIT_INSTRUCTION_LEN of the last #BP/ICEBP exit, for soft-exception re-injection. */
  protected eventExitInstLen = 0;
  /** SVM: vmcb->save.dbgctl (the guest's DEBUGCTL). */
  protected vmcbDbgctl = 0;
  protected readonly runArea = new KvmRunArea();
  /** Counters, as `perf kvm stat` reports them from the kvm_exit tracepoint. taskSwitchExits: VMX exit reason 9
   *  (EXIT_REASON_TASK_SWITCH) / SVM exit code 0x7d (SVM_EXIT_TASK_SWITCH), by the reason KVM's handlers decode
   *  (TASK_SWITCH_CALL / _IRET / _JMP / _GATE, arch/x86/include/asm/kvm_host.h). */
  readonly stats = { exits: 0, debugExits: 0, reflectedDb: 0, injected: 0, taskSwitchExits: { call: 0, iret: 0, jmp: 0, gate: 0 } };

  protected readonly cpu: GuestCpu;
  protected readonly cfg: KvmConfig;
  protected readonly opts: KvmOptions;
  /** Hardware DR7 as loaded by enterGuest, to see a task switch's clear at exit while the guest does not own the DRs. */
  protected hwDr7AtEntry = DR7_RESET;
  /** TR selector at entry while USE_HW_BP (-1 otherwise), for the same purpose. */
  private trAtEntry = -1;

  constructor(cpu: GuestCpu, cfg: KvmConfig, opts: KvmOptions = {}) {
    this.cpu = cpu;
    this.cfg = cfg;
    this.opts = opts;
    this.reset();
  }

  protected get vmx(): boolean {
    return this.cfg.vendor === 'intel';
  }

  /** kvm_vcpu_reset (the part this model keeps): DRs to reset values, queue empty. The kvm_run area is not cleared. */
  reset(): void {
    this.db.fill(0n);
    this.dr6 = DR6_ACTIVE_LOW;
    this.dr7 = DR7_RESET;
    this.exception = undefined;
    this.vmcbDbgctl = 0;
    this.singlestepRip = undefined;
    this.wontExit = false;
  }

  // ---- vcpu_enter_guest / exit ----

  /**
   * KVM_DEBUGREG_WONT_EXIT (vcpu->arch.switch_db_regs): the guest owns the hardware debug registers and its MOV DR
   * do not exit. Set by VMX handle_dr / SVM dr_interception on a guest MOV DR while guest_debug == 0 (the MOV is
   * then re-executed natively), cleared at the next VM exit by vmx_sync_dirty_debug_regs / svm_sync_dirty_debug_regs
   * (Linux v6.15+, vmx.c blob 8ecb10bc, svm.c), which also turn the DR intercepts back on. So ownership lasts from
   * the guest's first MOV DR to the next exit of any kind, not for the rest of the run.
   */
  protected wontExit = false;
  /** WONT_EXIT was set during the run that just ended (svm_sync_dirty_debug_regs ran before the exit handler). */
  protected ownedAtExit = false;

  protected effectiveDr7(): number {
    return this.guestDebug & KVM_GUESTDBG_USE_HW_BP ? this.guestDebugDr7 : this.dr7;
  }

  protected enterGuest(): void {
    const cpu = this.cpu;
    // KVM_GUESTDBG_SINGLESTEP: TF forced in hardware, hidden from the guest (__kvm_set_rflags).
    cpu.hostSingleStep = (this.guestDebug & KVM_GUESTDBG_SINGLESTEP) !== 0;
    // vmx_vcpu_run: single-stepping over STI/MOV SS clears the interruptibility state (else VM entry fails).
    if (this.vmx && cpu.hostSingleStep) cpu.interruptShadow = 'none';
    const hwBp = (this.guestDebug & KVM_GUESTDBG_USE_HW_BP) !== 0;
    for (let i = 0; i < DR_COUNT; i++) cpu.setDr(i, hwBp ? this.debugDb[i]! : this.db[i]!);
    cpu.setDr32(DR_CONTROL, this.effectiveDr7());
    this.hwDr7AtEntry = cpu.getDr32(DR_CONTROL);
    // USE_HW_BP: the hardware DR7 is the debugger's, so a task switch shows only as a new TR (a debugger is
    // attached: exits are frequent and this getState per entry is off the instruction path).
    this.trAtEntry = hwBp ? cpu.getState().tr.selector : -1;
    this.loadDr6();
    if (!this.vmx) {
      // Seed 001 / docs/semantics.md §5: hardware swaps DEBUGCTL only with LBR virtualization enabled.
      let hw = this.cfg.hostDebugctl;
      if (this.cfg.lbrv) hw = this.vmcbDbgctl;
      else if (this.cfg.svmZeroDebugctl && this.cfg.hostDebugctl !== this.vmcbDbgctl) hw = this.vmcbDbgctl;
      cpu.setMsr(MSR_IA32_DEBUGCTL, BigInt(hw));
    }
  }

  /** vcpu_enter_guest loads arch.dr6 only while WONT_EXIT; otherwise svm_vcpu_run sets vmcb.dr6 = DR6_ACTIVE_LOW so
   *  the VMCB DR6 at a #DB exit holds only that event's causes (VMX does not write DR6 on a #DB exit). */
  protected loadDr6(): void {
    this.cpu.setDr32(DR_STATUS, this.wontExit ? this.dr6 : DR6_ACTIVE_LOW);
  }

  /** vmx_sync_dirty_debug_regs / svm_sync_dirty_debug_regs: copy the guest-owned hardware DRs back, clear WONT_EXIT. */
  protected syncDirtyDebugRegs(): void {
    const cpu = this.cpu;
    for (let i = 0; i < DR_COUNT; i++) this.db[i] = cpu.getDr(i);
    this.dr6 = cpu.getDr32(DR_STATUS);
    this.dr7 = cpu.getDr32(DR_CONTROL);
    this.wontExit = false;
  }

  /** `budgetPause`: the run ended only because the VMM's slice (an instruction budget the VMM picks, partly by
   *  wall time: src/vmm/slice-budget.ts) ran out. Real KVM returns to userspace only after an exit, and one of any
   *  kind ends WONT_EXIT (the next entry loads DR6 = DR6_ACTIVE_LOW). The model's slice ends are not events of the
   *  guest's: the DRs are copied to vcpu->arch for the VMM to read, but WONT_EXIT and the guest's DR6 survive, so
   *  where a slice ends never shows in the guest (upstream-deviations deviation 3 depends on it). */
  protected exitGuest(budgetPause = false): void {
    const cpu = this.cpu;
    this.ownedAtExit = this.wontExit;
    if (this.wontExit) {
      this.syncDirtyDebugRegs();
      if (budgetPause) this.wontExit = true;
    } else if (
      this.trAtEntry >= 0
        ? cpu.getState().tr.selector !== this.trAtEntry
        : cpu.getDr32(DR_CONTROL) !== this.hwDr7AtEntry
    ) {
      // The guest does not own the DRs. Without USE_HW_BP the hardware DR7 held arch.dr7, every guest MOV DR
      // exits and every #DB is intercepted before delivery (which would clear GD), so only a JMP/CALL/IRET task
      // switch can have changed it during the run; with USE_HW_BP it holds the debugger's DR7 and the switch
      // shows as a new TR (a switch there and back within one run is missed). Real KVM takes each task switch
      // as an exit and emulates it (kvm_task_switch), whose last step clears the local enables and LE in
      // vcpu->arch.dr7 (emulator_do_task_switch through kvm_set_dr): do the same.
      this.dr7 = taskSwitchDr7(this.dr7);
    }
    if (!this.vmx) {
      if (this.cfg.lbrv) this.vmcbDbgctl = Number(cpu.getMsr(MSR_IA32_DEBUGCTL) ?? 0n);
      // The host's DEBUGCTL is what runs outside the guest; the guest's value lives in vmcbDbgctl.
    }
  }

  // ---- exception queue and injection ----

  /** kvm_queue_exception(_p): pending, payload applied at injection. A second exception replaces a benign one. */
  protected queue(vector: number, payload: number | undefined, source: string, errorCode?: number): void {
    if (this.exception && this.exception.vector !== vector && vector === VEC_GP && this.exception.vector === VEC_GP) {
      // contributory + contributory would be #DF; not reachable in this model
    }
    this.exception = { vector, state: 'pending', hasPayload: payload !== undefined, payload: (payload ?? 0) >>> 0, errorCode, source };
    this.opts.onDbNote?.({ kind: 'queue', source, vector, payload: (payload ?? 0) >>> 0, hasPayload: payload !== undefined, rip: this.cpu.getRip(), dr7: this.dr7 });
  }

  protected queueFault(vector: number, errorCode: number | undefined, source: string): undefined {
    this.queue(vector, undefined, source, errorCode);
    return undefined;
  }

  /** Cap off: userspace reads deliver a pending payload right away (kvm_handle_exception_payload_quirk). */
  protected payloadQuirk(): void {
    const e = this.exception;
    if (this.cfg.exceptionPayload || !e || e.state !== 'pending' || !e.hasPayload) return;
    if (e.vector === VEC_DB) this.dr6 = this.deliverPayload(e.payload).dr6;
    e.hasPayload = false;
  }

  /** kvm_deliver_exception_payload for #DB, with the seed-003 merge of VMX pending debug exceptions. */
  protected deliverPayload(payload: number): { dr6: number; merged: number } {
    let merged = 0;
    if (this.vmx && this.cfg.vmxMergePendingDbg) merged = this.cpu.pendingDebugExceptions & VMX_PENDING_DBG_MERGE_MASK;
    return { dr6: deliverDbPayload(this.dr6, (payload | merged) >>> 0), merged };
  }

  /** kvm_check_and_inject_events (exception part). Returns false on triple fault. */
  protected injectEvents(): boolean {
    const e = this.exception;
    if (!e) return true;
    this.exception = undefined;
    const cpu = this.cpu;
    const dr6Before = this.dr6;
    let merged = 0;
    if (e.state === 'pending' && e.vector === VEC_DB) {
      if (e.hasPayload) {
        const r = this.deliverPayload(e.payload);
        this.dr6 = r.dr6;
        merged = r.merged;
      }
      // Injection of #DB clears DR7.GD (kvm_update_dr7 follows).
      if (this.dr7 & DR7_GD) this.dr7 = (this.dr7 & ~DR7_GD) >>> 0;
    }
    // Deferred debug causes do not survive an injected event on VMX (the merge above is the only way in).
    if (this.vmx) cpu.pendingDebugExceptions = 0;
    let rf = (cpu.getRflags32() & RFLAGS_RF) !== 0;
    let cls: 'fault' | 'trap' = 'trap';
    if (e.vector === VEC_BP) {
      // Soft exception re-injected: the pushed RIP is after the INT3.
      cpu.setRip(cpu.getRip() + BigInt(this.eventExitInstLen || 1));
    } else if (e.vector !== VEC_DB) {
      // EXCPT_FAULT sets RF=1; trap-like and every #DB (seed 002) leave it as is.
      cls = 'fault';
      rf = true;
    }
    if (e.vector === VEC_DB) {
      this.opts.onDbNote?.({ kind: 'inject', vector: e.vector, source: e.source, payload: e.hasPayload ? e.payload : undefined, dr6Before, dr6After: this.dr6, rip: cpu.getRip(), rf, merged });
    }
    this.stats.injected++;
    // WONT_EXIT: the guest owns the hardware DR6/DR7, reloaded by enterGuest from arch.
    const trBefore = cpu.getState().tr.selector;
    const ok = cpu.injectEvent(e.vector, cls, e.errorCode, { rf });
    // A task gate in the IDT: on real KVM the injection's task switch is a VM exit (VMX: IDT-vectoring info
    // valid, reason TASK_SWITCH_GATE; SVM: the task-switch intercept) emulated by kvm_task_switch, which ends
    // by clearing DR7.L0-L3 and LE through kvm_set_dr, so vcpu->arch.dr7 follows (SDM Vol. 3B 19.2.4 agrees).
    // Without this, enterGuest would reload the pre-switch arch.dr7 over the switch's clear.
    if (ok && cpu.getState().tr.selector !== trBefore) this.dr7 = taskSwitchDr7(this.dr7);
    return ok;
  }
}
