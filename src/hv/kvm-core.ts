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
// This file: KVM_RUN (enter, run, exit, handle the exit), the intercept decisions the CPU asks its host for
// (CpuHost), and the exit handlers (exceptions, CPUID, MOV DR with its emulation, the SVM DEBUGCTL MSR). The
// state and the world switch they use are in kvm-state.ts.

import {
  CR4_DE, DR6_ACTIVE_LOW, DR6_BD, DR6_BLD, DR6_BMASK, DR6_BS, DR6_BT, DR6_ENABLED_BP, DR6_RTM, DR7_ENABLE_MASK,
  DR7_GD, DR_CONTROL, DR_STATUS, MSR_IA32_TSC_DEADLINE, VEC_BP, VEC_DB, VEC_GP, VEC_UD, dr6AfterDb, type CpuHost, type ExceptionEvent,
  type GuestCpu, type InterceptableInstruction, type StopReason, type TaskSwitchEvent,
} from '../cpu/index.js';
import { codeBreakpointHits, DEBUGCTL_BTF, DEBUGCTL_BUS_LOCK_DETECT, DEBUGCTL_LBR, dr7Store, drValue64Valid, guestDr6Store, kvmDr6Fixed, MSR_IA32_DEBUGCTL, RFLAGS_RF, RFLAGS_TF } from './debugregs.js';
import {
  KVM_GUESTDBG_SINGLESTEP,
  KVM_GUESTDBG_USE_HW_BP,
  KVM_GUESTDBG_USE_SW_BP,
  type KvmConfig,
  type KvmExit,
  type KvmOptions,
} from './kvm-api.js';
import { KvmClock, kvmGuestCpuid } from './kvm-clock.js';
import { KvmVcpuState } from './kvm-state.js';

/** CS in ArchState.seg (encoding order ES, CS, SS, ...). */
const SEG_CS_INDEX = 1;

// KVM hypercalls (include/uapi/linux/kvm_para.h) and their error returns (include/uapi/linux/kvm_para.h KVM_E*).
const KVM_HC_VAPIC_POLL_IRQ = 1n, KVM_HC_KICK_CPU = 5n, KVM_HC_CLOCK_PAIRING = 9n, KVM_HC_SEND_IPI = 10n, KVM_HC_SCHED_YIELD = 11n;
const KVM_ENOSYS = 1000n, KVM_EPERM = 1n, KVM_EINVAL = 22n, KVM_EOPNOTSUPP = 95n;
/** ICR bits kvm_pv_send_ipi refuses (APIC_DEST_MASK: logical destination; APIC_SHORT_MASK: a shorthand). */
const APIC_DEST_LOGICAL = 0x800, APIC_SHORTHAND_MASK = 0xc0000;
const VMCALL_BYTES = [0x0f, 0x01, 0xc1], VMMCALL_BYTES = [0x0f, 0x01, 0xd9];

/** VMX exit qualification for #DB: B0-B3, BLD (11), BD (13), BS (14), RTM (16) (SDM Vol. 3C Table 28-1). */
const VMX_DB_EXIT_QUAL_MASK = DR6_BMASK | DR6_BLD | DR6_BD | DR6_BS | DR6_RTM;
/** svm.c before Sean Christopherson's 2025 DEBUGCTL series: DEBUGCTL_RESERVED_BITS was ~0x3f (bits 5:0 writable). */
const SVM_LEGACY_DEBUGCTL_BITS = 0x3f;

/**
 * The vCPU as the kernel runs it: the KVM_RUN loop (entry, exits, injection), the intercepts and the exit
 * handlers. The CPU's one host (api.ts CpuHost): exceptions and interceptable instructions are VM exits
 * while the guest runs. Only KvmVcpu (kvm.ts), the ioctl surface, builds on it.
 */
export abstract class KvmVcpuCore extends KvmVcpuState implements CpuHost {
  /** Hardware DR6 at the moment the CPU raised the #DB (captured in interceptException). */
  private hwDr6AtDb = DR6_ACTIVE_LOW;
  private inGuest = false;
  /** kvm-clock (vcpu->arch.time, kvm->arch.wall_clock). */
  protected readonly kvmClock: KvmClock;

  constructor(cpu: GuestCpu, cfg: KvmConfig, opts: KvmOptions = {}) {
    super(cpu, cfg, opts);
    this.kvmClock = new KvmClock(cpu, opts.memory, opts.wallClockEpoch ?? 0);
    // The one place the hypervisor model attaches to the CPU (its one host; a second is an error).
    cpu.attachHost(this);
  }

  /** kvm_vcpu_reset: kvmclock_reset too (the base constructor's first reset runs before kvmClock exists). */
  override reset(): void {
    super.reset();
    this.kvmClock?.reset();
  }

  // ================= KVM_RUN =================

  /** KVM_RUN: enter the guest until something needs userspace or `budget` instructions retired. */
  run(budget: number): KvmExit {
    const cpu = this.cpu;
    const start = cpu.instructionsRetired;
    let guard = 0;
    for (;;) {
      const left = budget - (cpu.instructionsRetired - start);
      if (left <= 0 && !this.exception) return { reason: 'budget' };
      if (++guard > budget + 1000) return { reason: 'budget' };
      if (!this.injectEvents()) return { reason: 'shutdown', detail: 'triple fault while KVM injected an exception' };
      if (left <= 0) return { reason: 'budget' };
      this.enterGuest();
      let stop: StopReason | undefined;
      try {
        this.inGuest = true;
        stop = cpu.run(left);
      } finally {
        this.inGuest = false;
        // A run that only used up the VMM's slice is not a VM exit the guest could see (budgetPause).
        this.exitGuest(stop !== undefined && stop.kind === 'budget');
      }
      this.stats.exits++;
      // run() ended on its REP allowance (Cpu.repWork, a REP string op with a huge count): give the slice
      // back as an expired budget so the VMM's event loop serves Ctrl-C and sockets (issue 18 item 1).
      if (stop.kind === 'budget' && cpu.repWork <= 0) return { reason: 'budget' };
      const r = this.handleExit(stop);
      if (r) return r;
    }
  }

  // ---- CpuHost: the intercept decisions (called by the CPU while it runs) ----

  interceptException(ev: ExceptionEvent): boolean {
    if (!this.inGuest) return false;
    // INT n (CD ib) is a software interrupt, not an exception: the VMX exception bitmap and the SVM
    // exception intercepts do not apply (SVM has a separate INTn intercept KVM does not set). So `int $1`
    // goes through the guest's gate 1 with no DR6 change and `int $3` is not a #BP exit (only INT3, CC).
    if (ev.cls === 'software-interrupt') return false;
    if (ev.vector === VEC_DB) {
      // #DB is always intercepted (VMX exception bitmap; SVM init_vmcb).
      this.hwDr6AtDb = this.cpu.getDr32(DR_STATUS);
      return true;
    }
    if (ev.vector === VEC_BP) return (this.guestDebug & KVM_GUESTDBG_USE_SW_BP) !== 0;
    return false;
  }

  interceptInstruction(kind: InterceptableInstruction, _rip: bigint): boolean {
    if (!this.inGuest) return false;
    switch (kind) {
      case 'cpuid':
        return true; // CPUID always exits on VMX and is intercepted by KVM on SVM
      case 'vmcall':
      case 'vmmcall':
        // VMCALL exits unconditionally on VMX, KVM intercepts VMMCALL on SVM; the other vendor's instruction
        // is #UD, which KVM intercepts and emulates (handle_ud -> emulator -> kvm_fix_hypercall).
        return true;
      case 'mov-dr':
        // MOV-DR exiting (VMX) / the DR intercepts (SVM) are on unless the guest owns the DRs.
        return !this.wontExit;
      case 'xsetbv':
        // VMX exits on XSETBV unconditionally (exit reason 55); KVM sets INTERCEPT_XSETBV on SVM (init_vmcb). KVM
        // completes it (kvm_emulate_xsetbv): the default case below runs the instruction with the same checks.
        return true;
      case 'rdmsr':
      case 'wrmsr': {
        const msr = this.cpu.getGpr32(1 /* RCX */);
        // IA32_TSC_DEADLINE is never passed through: KVM emulates the LAPIC timer, and a write takes the exit
        // fastpath on both vendors (vmx_exit_handlers_fastpath / svm_exit_handlers_fastpath ->
        // handle_fastpath_set_msr_irqoff).
        if (kind === 'wrmsr' && msr === MSR_IA32_TSC_DEADLINE) return true;
        // KVM's paravirtual MSRs are not hardware MSRs: every access exits to kvm_{get,set}_msr_common.
        if (KvmClock.handles(msr)) return true;
        // SVM: DEBUGCTL lives in the VMCB (svm_{get,set}_msr); VMX swaps it through the VMCS.
        return !this.vmx && msr === MSR_IA32_DEBUGCTL;
      }
      case 'in':
      case 'out': {
        // Every port access to a VMM device is a KVM_EXIT_IO round trip: its trace stays in the union, and, as after
        // any VM exit, guest-owned DRs are synced back and the intercepts return (the devices run inside the CPU's
        // port bus here, so the exit and the re-entry are modelled in place).
        this.runArea.recordIo(kind === 'out', 1, (this.cpu.getGpr32(2 /* RDX */) & 0xffff));
        if (this.wontExit) {
          this.syncDirtyDebugRegs();
          this.loadDr6();
          this.hwDr7AtEntry = this.dr7; // what the re-entry loads (the task-switch check in exitGuest compares to it)
        }
        return false;
      }
      default:
        return false;
    }
  }

  /**
   * A task switch is always a VM exit: VMX exits on any task switch in non-root operation (exit reason 9, SDM Vol. 3C
   * 26.2 and 26.4.2) and KVM's init_vmcb sets INTERCEPT_TASK_SWITCH on SVM (exit code 0x7d). KVM emulates it (Linux
   * v6.12 vmx.c handle_task_switch / svm.c task_switch_interception -> x86.c kvm_task_switch -> emulate.c
   * emulator_task_switch); the exit also covers an event injected through an IDT task gate (VMX: IDT-vectoring
   * info valid, reason TASK_SWITCH_GATE). The exit is counted here; the CPU then performs the switch in place, as
   * the emulator would. Where KVM's emulation departs from the silicon's switch, the model follows KVM where the
   * effect shows: no T-flag #DB (handleException drops DR6.BT; handle_task_switch keeps a TODO about such traps),
   * and DR7.L0-L3/LE cleared in vcpu->arch.dr7 (exitGuest, injectEvents; emulator_do_task_switch -> kvm_set_dr).
   */
  interceptTaskSwitch(ev: TaskSwitchEvent): void {
    const by = this.stats.taskSwitchExits;
    switch (ev.source) {
      case 'call': by.call++; break;
      case 'iret': by.iret++; break;
      case 'jmp': by.jmp++; break;
      case 'event': by.gate++; break;
    }
  }

  // ---- exit handlers ----

  private handleExit(stop: StopReason): KvmExit | undefined {
    switch (stop.kind) {
      case 'budget':
        return undefined;
      case 'hlt':
        return { reason: 'hlt' };
      case 'stop-requested':
        // A mode the CPU model cannot run (virtual-8086 mode with CR4.VME) ends KVM_RUN as an emulation failure.
        return this.cpu.unsupportedMode ? { reason: 'internal-error', why: stop.why } : { reason: 'intr', why: stop.why };
      case 'triple-fault':
        return { reason: 'shutdown', detail: stop.detail };
      case 'ext-breakpoint':
      case 'ext-watchpoint':
        return undefined; // not used in kvm mode
      case 'intercept':
        // SVM has no counterpart of VMX's GUEST_PENDING_DBG_EXCEPTIONS: debug traps the CPU was holding back
        // (MOV SS / STI shadow) when a #VMEXIT happens are not saved in the VMCB and are lost. On VMX they
        // stay in the VMCS field (cpu.pendingDebugExceptions) and are delivered after the next VM entry
        // unless KVM injects an event (injectEvents). [analysis; AMD APM Vol. 2 15.7 lists no such field]
        if (!this.vmx) this.cpu.pendingDebugExceptions = 0;
        if (stop.what === 'exception') return this.handleExceptionExit(stop.event);
        return this.handleInstructionExit(stop.instruction, stop.rip, stop.length);
    }
  }

  private handleExceptionExit(ev: ExceptionEvent): KvmExit | undefined {
    const cpu = this.cpu;
    if (ev.vector === VEC_BP) {
      // The exit is on the INT3 itself; KVM remembers the instruction length for re-injection.
      cpu.setRip(ev.instructionRip);
      this.eventExitInstLen = Number(ev.rip - ev.instructionRip);
      this.runArea.setException(VEC_BP);
      this.runArea.setPc(this.linearRip(ev.instructionRip));
      // dr6/dr7 not written: stale.
      return this.debugExit('bp-intercept');
    }
    if (ev.vector !== VEC_DB) {
      // Not intercepted by this model; reflect unchanged.
      cpu.setRip(ev.rip);
      this.exception = { vector: ev.vector, state: 'pending', hasPayload: false, payload: 0, errorCode: ev.errorCode, source: 'reflect' };
      return undefined;
    }
    // #DB: guest state at the exit. Trap-like causes have completed their instruction, fault-like ones not.
    cpu.setRip(ev.icebp ? ev.instructionRip : ev.rip);
    // The TSS T flag (SDM Vol. 3B 19.3.1.5, DR6.BT) never reaches a KVM guest: KVM intercepts every task switch
    // (VMX: any task switch in non-root operation exits, SDM Vol. 3C 26.2 "Other Causes of VM Exits"; SVM:
    // INTERCEPT_TASK_SWITCH set in init_vmcb) and emulates it (handle_task_switch / task_switch_interception ->
    // kvm_task_switch -> emulator_do_task_switch); neither the emulator nor kvm_task_switch looks at the new TSS's
    // T flag (vmx.c handle_task_switch keeps a TODO asking whether such debug traps should be injected). The CPU
    // model switched tasks itself and raised the BT trap: drop that cause, and the whole #DB when it was the only
    // one (the guest resumes at the new task's first instruction).
    const payload = (ev.dbPayload & ~DR6_BT) >>> 0;
    if (payload !== ev.dbPayload) {
      if (payload === 0) return undefined;
      ev = { ...ev, dbPayload: payload };
    }
    const exitToUser = (this.guestDebug & (KVM_GUESTDBG_SINGLESTEP | KVM_GUESTDBG_USE_HW_BP)) !== 0;
    if (this.vmx) {
      let qual = ev.dbPayload & VMX_DB_EXIT_QUAL_MASK;
      if (ev.icebp && qual !== 0) {
        // INT1 sets no DR6 cause of its own (SDM Vol. 3B Table 19-2), so the exit qualification of an ICEBP exit is
        // empty; what the CPU folds into its ICEBP #DB here are the data breakpoints a MOV-SS shadow was holding, and
        // at the VM exit those stay in GUEST_PENDING_DBG_EXCEPTIONS (B0-B3 plus "enabled breakpoint"), where seed 003
        // (Aidan Khoury's cover letter: "executes ICEBP/INT1 which is intercepted as #DB") finds them. [analysis]
        cpu.pendingDebugExceptions |= (qual & DR6_BMASK) | DR6_ENABLED_BP;
        qual = 0;
      }
      if (!exitToUser) {
        const tfInShadow = (cpu.getRflags32() & RFLAGS_TF) !== 0 && cpu.interruptShadow !== 'none';
        // Seed 003 as posted moves the "TF in an STI/MOV-SS shadow -> BS in the pending debug exceptions" block ahead of
        // the ICEBP skip, so it also runs for INT1 and its merge then reports BS, which INT1 never sets (the reviewers'
        // objection, docs/semantics.md §6). Current KVM (handle_exception_nmi, v6.15+) runs it for non-ICEBP #DBs only.
        const reordered = this.cfg.vmxMergePendingDbg;
        if (reordered && tfInShadow) cpu.pendingDebugExceptions |= DR6_BS;
        if (ev.icebp) {
          cpu.skipInstruction(Number(ev.rip - ev.instructionRip)); // skip_emulated_instruction (no TF check)
        } else if (!reordered && tfInShadow) {
          // TF under an STI/MOV-SS shadow: VM entry requires BS in the pending debug exceptions.
          cpu.pendingDebugExceptions |= DR6_BS;
        }
        this.stats.reflectedDb++;
        this.queue(VEC_DB, qual, 'vmx-db-intercept');
        return undefined;
      }
      if (ev.icebp) cpu.setRip(ev.rip);
      this.runArea.setDr6((qual | DR6_ACTIVE_LOW) >>> 0); // BLD and RTM forced to 1: lost on VMX
      this.runArea.setDr7(this.effectiveDr7());
      this.runArea.setException(VEC_DB);
      this.runArea.setPc(this.linearRip(cpu.getRip()));
      return this.debugExit('vmx-db-intercept');
    }
    // SVM: the VMCB DR6 holds the CPU's write of this event's causes over what KVM loaded before VMRUN.
    if (ev.icebp) cpu.setRip(ev.rip);
    const vmcbDr6 = dr6AfterDb(this.hwDr6AtDb, ev.dbPayload);
    cpu.setDr32(DR_STATUS, vmcbDr6);
    if (this.ownedAtExit) this.dr6 = vmcbDr6; // svm_sync_dirty_debug_regs ran before the handler
    if (!exitToUser) {
      this.stats.reflectedDb++;
      this.queue(VEC_DB, (vmcbDr6 ^ DR6_ACTIVE_LOW) >>> 0, 'svm-db-intercept');
      return undefined;
    }
    this.runArea.setDr6(vmcbDr6);
    this.runArea.setDr7(cpu.getDr32(DR_CONTROL));
    this.runArea.setException(VEC_DB);
    this.runArea.setPc(this.linearRip(cpu.getRip()));
    return this.debugExit('svm-db-intercept');
  }

  private debugExit(source: string): KvmExit {
    this.stats.debugExits++;
    const debug = this.runArea.debug;
    this.opts.onDbNote?.({ kind: 'exit', source, debug });
    return { reason: 'debug', debug };
  }

  private handleInstructionExit(kind: InterceptableInstruction, rip: bigint, length: number): KvmExit | undefined {
    const cpu = this.cpu;
    switch (kind) {
      case 'cpuid': {
        const leaf = cpu.getGpr32(0);
        const sub = cpu.getGpr32(1);
        // kvm_emulate_cpuid answers from the CPUID table the VMM set (KVM_SET_CPUID2), which QEMU fills with the
        // CPU's leaves plus the hypervisor bit and KVM's own leaves.
        const [a, b, c, d] = kvmGuestCpuid(cpu, leaf, sub);
        cpu.setGpr32(0, a);
        cpu.setGpr32(3, b);
        cpu.setGpr32(1, c);
        cpu.setGpr32(2, d);
        return this.skipEmulatedInstruction(length);
      }
      case 'mov-dr':
        if (!this.vmx && this.guestDebug === 0) {
          // svm.c dr_interception: guest_debug == 0 -> clr_dr_intercepts, WONT_EXIT, re-enter on the instruction.
          this.wontExit = true;
          return undefined;
        }
        return this.vmx || (this.opts.svmDecodeAssists ?? this.cfg.svmDecodeAssists) ? this.handleDr(rip, length) : this.emulateMovDr(rip, length);
      case 'rdmsr':
      case 'wrmsr':
        if (kind === 'wrmsr' && cpu.getGpr32(1) === MSR_IA32_TSC_DEADLINE) return this.fastpathSetTscDeadline(length);
        if (KvmClock.handles(cpu.getGpr32(1))) return this.kvmClockMsr(kind === 'wrmsr', length);
        return this.svmDebugctlMsr(kind === 'wrmsr', length);
      case 'vmcall':
      case 'vmmcall':
        if ((kind === 'vmcall') !== this.vmx) {
          // kvm_fix_hypercall (KVM_X86_QUIRK_FIX_HYPERCALL_INSN, on by default): rewrite the instruction to the
          // vendor's own and re-enter on it; the guest then executes the native one.
          cpu.writeVirtual(rip, Uint8Array.from(this.vmx ? VMCALL_BYTES : VMMCALL_BYTES));
          return undefined;
        }
        return this.hypercall(length);
      default: {
        const r = cpu.executeIntercepted();
        return this.handleExit(r);
      }
    }
  }

  /**
   * kvm_emulate_hypercall (Linux 6.1 arch/x86/kvm/x86.c): RAX = nr, RBX/RCX/RDX/RSI = a0-a3, truncated to 32 bits
   * outside 64-bit mode; CPL > 0: -KVM_EPERM; the result in RAX, then the instruction is skipped. Hypercalls
   * with one vCPU and no PV features enforced (guest_pv_has is true while KVM_CAP_ENFORCE_PV_FEATURE_CPUID is
   * off): VAPIC_POLL_IRQ, KICK_CPU and SCHED_YIELD return 0; SEND_IPI counts the destinations that exist
   * (kvm_pv_send_ipi: only APIC ID 0 does) and hands the IPI to the VMM's local APIC; CLOCK_PAIRING returns
   * -KVM_EOPNOTSUPP (as on a host whose clocksource is not the TSC); anything else -KVM_ENOSYS.
   */
  private hypercall(length: number): KvmExit | undefined {
    const cpu = this.cpu;
    const op64 = cpu.mode === 'long64';
    const arg = (r: number): bigint => (op64 ? cpu.getGpr(r) : cpu.getGpr(r) & 0xffffffffn);
    const nr = arg(0), a0 = arg(3), a1 = arg(1), a2 = arg(2), a3 = arg(6);
    let ret: bigint;
    if (cpu.getCpl() !== 0) ret = -KVM_EPERM;
    else {
      switch (nr) {
        case KVM_HC_VAPIC_POLL_IRQ: case KVM_HC_KICK_CPU: case KVM_HC_SCHED_YIELD: ret = 0n; break;
        case KVM_HC_CLOCK_PAIRING: ret = op64 ? -KVM_EOPNOTSUPP : -KVM_ENOSYS; break;
        case KVM_HC_SEND_IPI: ret = this.pvSendIpi(a0, a1, a2, a3, op64); break;
        default: ret = -KVM_ENOSYS;
      }
    }
    cpu.setGpr(0, op64 ? BigInt.asUintN(64, ret) : BigInt.asUintN(32, ret));
    return this.skipEmulatedInstruction(length);
  }

  /** kvm_pv_send_ipi: a0/a1 bitmaps of APIC IDs from `min` (a2) in clusters of 64 (32 outside 64-bit mode),
   *  a3 the ICR low word; logical destinations and shorthands are -KVM_EINVAL. */
  private pvSendIpi(low: bigint, high: bigint, min: bigint, icr: bigint, op64: boolean): bigint {
    const ic = Number(icr & 0xffffffffn);
    if (ic & (APIC_DEST_LOGICAL | APIC_SHORTHAND_MASK)) return -KVM_EINVAL;
    const cluster = op64 ? 64n : 32n;
    let count = 0n;
    const base = [min & 0xffffffffn, (min + cluster) & 0xffffffffn];
    [low, high].forEach((bits, k) => {
      // The one vCPU has APIC ID 0: bit (0 - base) of the bitmap, when base is 0.
      if (base[k] === 0n && (bits & 1n) !== 0n && this.opts.deliverIpi?.(ic)) count++;
    });
    return count;
  }

  /** kvm_skip_emulated_instruction: skip, then single-step if the *old* raw RFLAGS had TF. */
  private skipEmulatedInstruction(length: number): KvmExit | undefined {
    const tf = (this.cpu.getRflags32() & RFLAGS_TF) !== 0 || (this.guestDebug & KVM_GUESTDBG_SINGLESTEP) !== 0;
    this.cpu.skipInstruction(length);
    if (tf) return this.doSingleStep();
    return undefined;
  }

  /** kvm_vcpu_do_singlestep. */
  private doSingleStep(): KvmExit | undefined {
    if (this.guestDebug & KVM_GUESTDBG_SINGLESTEP) {
      this.runArea.setDr6(DR6_BS | DR6_ACTIVE_LOW);
      this.runArea.setPc(this.linearRip(this.cpu.getRip()));
      this.runArea.setException(VEC_DB);
      // dr7 not written: stale
      return this.debugExit('emulator-singlestep');
    }
    this.queue(VEC_DB, DR6_BS, 'emulator-singlestep');
    return undefined;
  }

  /** kvm_get_linear_rip: CS.base + RIP outside 64-bit mode (real-address and virtual-8086 code runs in a
   *  segment with a base), the address the emulator fetches from, the guest's DR0-DR3 compare with and KVM
   *  reports in kvm_run->debug.arch.pc (VMX handle_exception_nmi, SVM db/bp_interception, kvm_vcpu_do_singlestep). */
  private linearRip(rip: bigint): bigint {
    if (this.cpu.mode === 'long64') return rip;
    return (rip + this.cpu.getState().seg[SEG_CS_INDEX]!.base) & 0xffffffffn;
  }

  /** Decode a MOV to/from DRn at rip: 0F 21 /r (read) or 0F 23 /r (write), optional REX. */
  private decodeMovDr(rip: bigint): { write: boolean; dr: number; gpr: number } | undefined {
    const b = this.cpu.readVirtual(this.linearRip(rip), 6);
    if (!b) return undefined;
    let i = 0;
    let rex = 0;
    while (i < 4 && (b[i] === 0x66 || b[i] === 0xf2 || b[i] === 0xf3 || (b[i]! >= 0x40 && b[i]! <= 0x4f))) {
      if (b[i]! >= 0x40 && b[i]! <= 0x4f) rex = b[i]!;
      i++;
    }
    if (b[i] !== 0x0f || (b[i + 1] !== 0x21 && b[i + 1] !== 0x23)) return undefined;
    const modrm = b[i + 2]!;
    const dr = ((modrm >> 3) & 7) | (rex & 4 ? 8 : 0);
    const gpr = (modrm & 7) | (rex & 1 ? 8 : 0);
    return { write: b[i + 1] === 0x23, dr, gpr };
  }

  /** Resolve DR4/DR5 (#UD with CR4.DE) and DR8+ (#UD). */
  private resolveDr(dr: number): number | undefined {
    if (dr > 7) return undefined;
    if (dr === 4 || dr === 5) {
      if (this.cpu.getState().cr4 & BigInt(CR4_DE)) return undefined;
      return dr + 2;
    }
    return dr;
  }

  /** VMX handle_dr (and SVM dr_interception with DecodeAssists, minus the GD check). */
  private handleDr(rip: bigint, length: number): KvmExit | undefined {
    const cpu = this.cpu;
    const d = this.decodeMovDr(rip);
    const dr = d && this.resolveDr(d.dr);
    if (!d || dr === undefined) return this.queueFault(VEC_UD, undefined, 'mov-dr');
    if (cpu.getCpl() > 0) return this.queueFault(VEC_GP, 0, 'mov-dr');
    if (this.vmx) {
      // The MOV-DR exit takes priority over general detect, so KVM emulates it, against GUEST_DR7 (the
      // effective DR7: the debugger's while USE_HW_BP, which never has GD).
      const dr7 = cpu.getDr32(DR_CONTROL);
      if (dr7 & DR7_GD) {
        if (this.guestDebug & KVM_GUESTDBG_USE_HW_BP) {
          this.runArea.setDr6(DR6_BD | DR6_ACTIVE_LOW);
          this.runArea.setDr7(dr7);
          this.runArea.setPc(this.linearRip(rip));
          this.runArea.setException(VEC_DB);
          return this.debugExit('vmx-handle-dr-gd');
        }
        this.queue(VEC_DB, DR6_BD, 'vmx-handle-dr-gd');
        return undefined;
      }
      if (this.guestDebug === 0) {
        // handle_dr: no more DR exits (MOV_DR_EXITING cleared), WONT_EXIT, re-enter on this instruction.
        this.wontExit = true;
        return undefined;
      }
    }
    if (!this.movDr(d.write, dr, d.gpr)) return this.queueFault(VEC_GP, 0, 'mov-dr');
    return this.skipEmulatedInstruction(length);
  }

  /** Full-emulator MOV DR (x86_emulate_instruction via SVM emulate_on_interception), seed 002's path. */
  private emulateMovDr(rip: bigint, length: number): KvmExit | undefined {
    const cpu = this.cpu;
    // kvm_vcpu_check_code_breakpoint: the debugger's DRs first, then the guest's own.
    if (this.guestDebug & KVM_GUESTDBG_USE_HW_BP && this.guestDebugDr7 & DR7_ENABLE_MASK) {
      const hits = codeBreakpointHits(this.linearRip(rip), this.guestDebugDr7, this.debugDb);
      if (hits) {
        this.runArea.setDr6((hits | DR6_ACTIVE_LOW) >>> 0);
        this.runArea.setPc(this.linearRip(rip));
        this.runArea.setException(VEC_DB);
        return this.debugExit('emulator-code-bp');
      }
    }
    const inhibited = (cpu.getRflags32() & RFLAGS_RF) !== 0 || (cpu.interruptShadow === 'mov-ss' && this.vmx);
    if (this.dr7 & DR7_ENABLE_MASK && !inhibited) {
      const hits = codeBreakpointHits(this.linearRip(rip), this.dr7, this.db);
      if (hits) {
        this.queue(VEC_DB, hits, 'emulator-code-bp');
        return undefined; // fault-like: RIP stays on the instruction
      }
    }
    const d = this.decodeMovDr(rip);
    const dr = d && this.resolveDr(d.dr);
    if (!d || dr === undefined) return this.queueFault(VEC_UD, undefined, 'emulator');
    if (cpu.getCpl() > 0) return this.queueFault(VEC_GP, 0, 'emulator');
    if (d.write && (dr === 6 || dr === 7) && !drValue64Valid(cpu.getGpr(d.gpr))) return this.queueFault(VEC_GP, 0, 'emulator');
    // check_dr_read: GD from kvm_get_dr(7), which is the guest's own DR7 even while USE_HW_BP.
    if (this.dr7 & DR7_GD) {
      this.dr6 = guestDr6Store((this.dr6 & ~DR6_BMASK) | DR6_BD | DR6_ACTIVE_LOW, this.dr6Fixed());
      this.queue(VEC_DB, undefined, 'emulator-gd');
      if (this.cfg.emulatorDbFaultLike) return undefined; // seed 002 fix: fault-like, nothing else happens
      // Before the fix the #DB was handled as a trap: the post-instruction single-step check still ran
      // (kvm_vcpu_do_singlestep), replacing the queued #DB or exiting to userspace with RIP on the MOV.
      const tf = (cpu.getRflags32() & RFLAGS_TF) !== 0 || (this.guestDebug & KVM_GUESTDBG_SINGLESTEP) !== 0;
      return tf ? this.doSingleStep() : undefined;
    }
    this.movDr(d.write, dr, d.gpr);
    const tf = (cpu.getRflags32() & RFLAGS_TF) !== 0 || (this.guestDebug & KVM_GUESTDBG_SINGLESTEP) !== 0;
    cpu.skipInstruction(length);
    return tf ? this.doSingleStep() : undefined;
  }

  private dr6Fixed(): number {
    return kvmDr6Fixed({ rtm: this.cfg.rtm, busLockDetect: this.cfg.busLockDetect }, this.cfg.dr6FixedFromCpuid);
  }

  /** kvm_set_dr / kvm_get_dr against the virtual registers. Returns false for #GP. */
  private movDr(write: boolean, dr: number, gpr: number): boolean {
    const cpu = this.cpu;
    if (!write) {
      const v = dr < 4 ? this.db[dr]! : dr === 6 ? BigInt(this.dr6) : BigInt(this.dr7);
      cpu.setGpr(gpr, v);
      return true;
    }
    const val = cpu.getGpr(gpr);
    if (dr < 4) {
      this.db[dr] = val;
      return true;
    }
    if (!drValue64Valid(val)) return false;
    if (dr === 6) this.dr6 = guestDr6Store(Number(val) >>> 0, this.dr6Fixed());
    else this.dr7 = dr7Store(Number(val) >>> 0);
    return true;
  }

  /**
   * handle_fastpath_set_msr_irqoff, MSR_IA32_TSC_DEADLINE (x86.c): handle_fastpath_set_tscdeadline hands the value
   * to the in-kernel LAPIC (kvm_set_lapic_tscdeadline_msr: ignored unless its timer is in TSC-deadline mode), then
   * kvm_skip_emulated_instruction. Under KVM_GUESTDBG_SINGLESTEP the skip fills the KVM_EXIT_DEBUG record
   * (kvm_vcpu_do_singlestep) and returns 0, and since "KVM: x86: Exit to userspace if fastpath triggers one on
   * instruction skip" (Sean Christopherson, 2024; Fixes 404d5d7bff0d) the fastpath returns
   * EXIT_FASTPATH_EXIT_USERSPACE so vcpu_enter_guest exits with it. That is the step debug_regs.c (blob 1260ed77)
   * checks: the exit's pc is the instruction after the WRMSR. Before that fix the record was overwritten by the next
   * step (the exit reported the CLI's successor); not modelled.
   */
  private fastpathSetTscDeadline(length: number): KvmExit | undefined {
    const cpu = this.cpu;
    const v = ((cpu.getGpr(2) & 0xffffffffn) << 32n) | (cpu.getGpr(0) & 0xffffffffn);
    if (!cpu.setMsr(MSR_IA32_TSC_DEADLINE, v)) return this.queueFault(VEC_GP, 0, 'wrmsr-tsc-deadline'); // no LAPIC with the mode
    return this.skipEmulatedInstruction(length);
  }

  /** kvm_get_msr_common / kvm_set_msr_common for the kvm-clock MSRs (guest_pv_has is true: QEMU does not enable
   *  KVM_CAP_ENFORCE_PV_FEATURE_CPUID, so the MSRs work whatever the guest CPUID says; every value is accepted). */
  private kvmClockMsr(write: boolean, length: number): KvmExit | undefined {
    const cpu = this.cpu;
    const msr = cpu.getGpr32(1);
    if (write) {
      // The structure's guest time is the time after the WRMSR retires, as KVM writes it on the next entry.
      const r = this.skipEmulatedInstruction(length);
      this.kvmClock.write(msr, ((cpu.getGpr(2) & 0xffffffffn) << 32n) | (cpu.getGpr(0) & 0xffffffffn));
      return r;
    }
    const v = this.kvmClock.read(msr);
    cpu.setGpr(0, v & 0xffffffffn);
    cpu.setGpr(2, v >> 32n);
    return this.skipEmulatedInstruction(length);
  }

  /** svm_get_msr / svm_set_msr for DEBUGCTL. */
  private svmDebugctlMsr(write: boolean, length: number): KvmExit | undefined {
    const cpu = this.cpu;
    if (!write) {
      cpu.setGpr(0, BigInt(this.vmcbDbgctl & 0xffffffff));
      cpu.setGpr(2, 0n);
      return this.skipEmulatedInstruction(length);
    }
    const v = cpu.getGpr32(0) >>> 0;
    const hi = cpu.getGpr(2) & 0xffffffffn;
    // Sean's 2025 series (the kernels with the seed-001 fix): bits 5:2 reserved (bit 2 allowed with BUSLOCKTRAP in
    // the guest CPUID), BTF suppressed. Before it (svmZeroDebugctl off), svm_set_msr checked only
    // DEBUGCTL_RESERVED_BITS = ~0x3f: BLCKDB was accepted whatever the CPUID and BTF kept. Either way the value lives
    // in vmcb->save.dbgctl, which the hardware loads only with LBR virtualization (or the fix's manual load).
    const legacy = !this.cfg.svmZeroDebugctl;
    const allowed = legacy ? SVM_LEGACY_DEBUGCTL_BITS : DEBUGCTL_LBR | DEBUGCTL_BTF | (this.cfg.busLockDetect ? DEBUGCTL_BUS_LOCK_DETECT : 0);
    if (hi !== 0n || v & ~allowed & 0xffff) return this.queueFault(VEC_GP, 0, 'wrmsr-debugctl');
    this.vmcbDbgctl = legacy ? v : v & ~DEBUGCTL_BTF;
    return this.skipEmulatedInstruction(length);
  }

}
