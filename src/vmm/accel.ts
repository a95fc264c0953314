// The accelerator contract, as QEMU has AccelOpsClass (include/sysemu/accel-ops.h) plus the per-accelerator
// gdbstub hooks (insert/remove breakpoint, update guest debug): what the VMM asks of whatever runs the vCPU.
// Two implementations: accel-bare.ts (TCG-like: the CPU alone, debugger breakpoints outside the
// architecture) and accel-kvm.ts (QEMU's target/i386/kvm glue over the KVM model's ioctl-shaped API).
// The VMM (index.ts) keeps the GdbTarget adapter and one slice loop over this interface.

import type { ArchState, X87Regs } from '../cpu/index.js';
import type { BreakpointResult, BreakpointType, StopEvent } from '../gdbstub/index.js';
import type { DebugRegisterView } from './monitor.js';

/** General registers (struct kvm_regs: KVM_GET_REGS / KVM_SET_REGS). gpr in encoding order. */
export interface AccelRegs {
  gpr: bigint[];
  rip: bigint;
  rflags: bigint;
}

/** Segment, table and control registers (struct kvm_sregs, plus the FS/GS/KERNEL_GS base MSRs QEMU
 *  fetches with them in kvm_arch_get_registers). */
export type AccelSregs = Omit<ArchState, 'gpr' | 'rip' | 'rflags'>;

/** FPU state (struct kvm_fpu: fpr[8], fcw, fsw, ftwx, last_opcode/ip/dp, xmm[16], mxcsr; the x87 part with
 *  the full tag word and the FCS/FDS selectors gdb also shows). */
export interface AccelFpu {
  x87: X87Regs;
  xmm: bigint[];
  mxcsr: number;
}

/** DR0-DR3, DR6, DR7 (struct kvm_debugregs). */
export interface AccelDebugRegs {
  db: bigint[];
  dr6: bigint;
  dr7: bigint;
}

/** What one slice of vCPU execution ended with (QEMU's kvm_cpu_exec / tcg_cpu_exec return, folded). */
export type AccelExit =
  /** The slice's budget ran out, or the accelerator handled every exit itself: run on. */
  | { kind: 'continue' }
  /** The vCPU waits in HLT with nothing to wake it before the debugger or a device does. */
  | { kind: 'hlt' }
  /** Kicked (Ctrl-C, kill, a device's stop request); unsupportedMode: the CPU stopped in a mode it does not
   *  model (real-address / virtual-8086), which gdb sees as SIGILL. */
  | { kind: 'interrupted'; why: string; unsupportedMode: boolean }
  /** Triple fault: the machine must be reset. */
  | { kind: 'shutdown'; detail: string }
  /** An event for the debugger (EXCP_DEBUG). plainStep: nothing but the debugger's single step completing. */
  | { kind: 'debug'; reason?: Extract<StopEvent, { kind: 'signal' }>['reason']; detail?: string; plainStep: boolean };

export interface Accelerator {
  readonly name: 'bare' | 'kvm';

  /** Run the vCPU for at most `budget` instructions (one while single-stepping). */
  run(budget: number): AccelExit;
  /** Make a running slice return as soon as possible (QEMU's cpu_exit / qemu_cpu_kick). */
  kick(why: string): void;
  /** Instructions the vCPU retired since power-on (for the run summary and budgets). */
  readonly instructionsRetired: number;

  /** gdbstub insert/remove breakpoint (QEMU's accel ops insert_breakpoint / remove_breakpoint). */
  insertBreakpoint(type: BreakpointType, addr: bigint, kind: number): BreakpointResult;
  removeBreakpoint(type: BreakpointType, addr: bigint, kind: number): BreakpointResult;
  /** Drop every debugger breakpoint; `restore`: write saved bytes back (detach), not on a reset. */
  removeAllBreakpoints(restore: boolean): void;
  /** Guest-debug control before the next slice (kvm_update_guest_debug / TCG's cpu_single_step).
   *  `resuming`: the vCPU is about to leave the current pc (a breakpoint there must not re-trigger). */
  updateGuestDebug(singlestep: boolean, resuming: boolean): void;

  getRegs(): AccelRegs;
  setRegs(r: AccelRegs): boolean;
  getSregs(): AccelSregs;
  setSregs(s: AccelSregs): boolean;
  getFpu(): AccelFpu;
  setFpu(f: AccelFpu): boolean;
  getDebugRegs(): AccelDebugRegs;
  setDebugRegs(r: AccelDebugRegs): boolean;
  /** Halted in HLT, and an STI/MOV-SS interrupt shadow in effect (KVM_GET_MP_STATE, KVM_GET_VCPU_EVENTS). */
  getMpState(): { halted: boolean; interruptShadow: boolean };
  /** MSR as the guest sees it (undefined: not modelled). */
  getMsr(index: number): bigint | undefined;
  setMsr(index: number, value: bigint): boolean;

  /** Debugger memory access through the guest's page tables (no faults, no #DB); undefined/false when any
   *  byte is unmapped or outside RAM. Software breakpoints are invisible to both. */
  readMemory(addr: bigint, len: number): Uint8Array | undefined;
  writeMemory(addr: bigint, data: Uint8Array): boolean;
  /** The guest-physical address a linear address maps to by the guest's page tables, as the debugger's reads
   *  see it (KVM_TRANSLATE in kvm mode; no accessed/dirty bits set), or undefined when it is not mapped. */
  translate(addr: bigint): bigint | undefined;

  /** `monitor info dr`. */
  debugRegisterView(): DebugRegisterView;
  /** The accelerator's part of a machine reset (the machine has reset the CPU and devices). */
  reset(): void;
  /** One line for the run summary header. */
  describe(): string;
}
