// The CPU's public surface: everything outside src/cpu talks to the guest CPU through these types.
// The CPU models silicon (Intel or AMD flavour). It knows nothing of gdb, KVM or QEMU; the layers
// above steer it through its one CpuHost (intercepts), watch it through CpuObservers and call the
// methods of GuestCpu.

export type Vendor = 'intel' | 'amd';

export interface CpuFeatures {
  /** CPUID.(EAX=7,ECX=0):ECX[24] (Intel BUS_LOCK_DETECT, AMD BUSLOCKTRAP). Makes DR6.BLD writable and DEBUGCTL bit 2 legal. */
  busLockDetect: boolean;
  /** CPUID.(EAX=7,ECX=0):EBX[11] RTM. Makes DR6.RTM (bit 16) writable. */
  rtm: boolean;
}

/** Port I/O as the CPU sees it. Devices live in src/devices; the machine wires them. */
export interface IoBus {
  in(port: number, size: 1 | 2 | 4): number;
  out(port: number, size: 1 | 2 | 4, value: number): void;
}

/** x86 GPR numbers in ModRM/REX encoding order (not gdb order). */
export const enum Gpr {
  RAX = 0, RCX = 1, RDX = 2, RBX = 3, RSP = 4, RBP = 5, RSI = 6, RDI = 7,
  R8 = 8, R9 = 9, R10 = 10, R11 = 11, R12 = 12, R13 = 13, R14 = 14, R15 = 15,
}

/** Operating modes (SDM Vol. 3 2.2 / Vol. 1 3.1): real-address, 16/32-bit protected, virtual-8086, IA-32e
 *  compatibility (16/32-bit code segment) and 64-bit. */
export type CpuMode = 'real' | 'protected16' | 'protected32' | 'virtual8086' | 'compat16' | 'compat32' | 'long64';

/** Segment register numbers in encoding order. */
export const enum Seg { ES = 0, CS = 1, SS = 2, DS = 3, FS = 4, GS = 5 }

/** How the CPU classifies an exception or event for delivery (Intel SDM Vol. 3 6.5, Table 6-1). */
export type EventClass = 'fault' | 'trap' | 'abort' | 'interrupt' | 'software-interrupt';

/**
 * One exception/interrupt about to be delivered through the guest IDT. Offered to CpuHost.interceptException
 * before delivery so a hypervisor model can intercept it (VM exit) instead.
 */
export interface ExceptionEvent {
  vector: number;
  errorCode: number | undefined;
  cls: EventClass;
  /** RIP that would be pushed (fault: the faulting instruction; trap: the next one). */
  rip: bigint;
  /** Linear address of the instruction that caused it (start of the instruction). */
  instructionRip: bigint;
  /** For #DB: the causes in "pending debug exceptions" (payload) polarity: every cause bit is 1,
   *  including BLD (bit 11) and RTM (bit 16). 0 for other vectors. */
  dbPayload: number;
  /** For #DB: true when raised by ICEBP (0xF1). */
  icebp: boolean;
  /** For #PF: the faulting linear address (CR2). */
  cr2?: bigint;
}

/** Instructions a hypervisor may intercept (VM exit before the instruction executes). */
/** 'vmcall' / 'vmmcall': #UD on a CPU that is not a guest; a hypervisor model takes them as hypercalls. */
/** 'xsetbv': asked after the faults that have priority over a VM exit (#UD without CR4.OSXSAVE, #GP at CPL > 0). */
export type InterceptableInstruction = 'cpuid' | 'hlt' | 'rdmsr' | 'wrmsr' | 'mov-dr' | 'in' | 'out' | 'invlpg' | 'vmcall' | 'vmmcall' | 'xsetbv';

/** What started a hardware task switch (SDM Vol. 3A 8.3): JMP or CALL to a TSS or task gate, IRET with
 *  EFLAGS.NT=1, or an interrupt/exception through a task gate in the IDT ('event'). KVM's exit handlers name
 *  the same four (TASK_SWITCH_JMP / _CALL / _IRET / _GATE, arch/x86/include/asm/kvm_host.h). */
export type TaskSwitchSource = 'jmp' | 'call' | 'iret' | 'event';

/** A task switch that passed the checks SDM Vol. 3C 26.4.2 ("Treatment of Task Switches") makes before a VM exit
 *  can happen (task gate and TSS descriptor: present, privilege, type, limit). */
export interface TaskSwitchEvent {
  /** Selector of the new task's TSS. */
  selector: number;
  source: TaskSwitchSource;
  /** Linear RIP at the exit: the JMP/CALL/IRET itself, or for an event the RIP it returns to. */
  rip: bigint;
}

/** Structured record of every #DB the CPU raises (delivered or intercepted). */
export interface DbEvent {
  /** Cause bits in payload polarity (see ExceptionEvent.dbPayload). */
  payload: number;
  kind: 'fault' | 'trap';
  /** Which mechanism: 'breakpoint' (B0-B3), 'general-detect', 'single-step', 'branch-step', 'bus-lock', 'icebp', 'task-switch', combinations are in payload. */
  causes: string[];
  rip: bigint;
  cpl: number;
  dr6Before: number;
  /** DR6 after the CPU applied the causes (bare metal), or undefined when intercepted before DR6 was written (VMX). */
  dr6After: number | undefined;
  intercepted: boolean;
}

/**
 * The party the CPU runs under, which decides its intercepts: the bare board (hostBare in host.ts:
 * nothing is intercepted) or a hypervisor model (hv/kvm.ts: VM exits). A CPU has exactly one host, given
 * at construction (CpuOptions.host) or attached once by the hypervisor model that takes the CPU over
 * (GuestCpu.attachHost); it is never replaced, so the intercept policy cannot depend on the order in which
 * the machine, the hypervisor model and the VMM were built.
 */
export interface CpuHost {
  /** Before an exception/interrupt is delivered through the IDT. true: intercept it (the CPU stops with
   *  StopReason 'intercept'; architectural state is as at the VM exit: for #DB on VMX DR6 is not written,
   *  for SVM see GuestCpu.svmDr6OnIntercept). Events injected by the host itself are not offered. */
  interceptException(ev: ExceptionEvent): boolean;
  /** Before an interceptable instruction executes (CPUID, HLT, RDMSR/WRMSR, MOV to/from DRn, IN/OUT and the
   *  string forms, INVLPG: InterceptableInstruction). true: take a VM exit (the CPU stops with StopReason
   *  'intercept' and RIP at the instruction, nothing executed). Not asked when the host is the bare board. */
  interceptInstruction(kind: InterceptableInstruction, rip: bigint): boolean;
  /** A hardware task switch (TaskSwitchEvent). Under a hypervisor every one is a VM exit that the hypervisor
   *  emulates (VMX: any task switch in VMX non-root operation exits, SDM Vol. 3C 26.2; SVM: KVM sets
   *  INTERCEPT_TASK_SWITCH), so there is no decision to return: the call is the exit, and the CPU then performs
   *  the switch as the hypervisor's emulator would, in place (as port I/O exits are modelled). Asked outside
   *  IA-32e mode only (the architecture has no task switches there). */
  interceptTaskSwitch(ev: TaskSwitchEvent): void;
}

export type CpuLogLevel = 'debug' | 'info' | 'warn' | 'error';

/** Watches the CPU without changing what it does (logs, #DB records, traces). Every observer sees every
 *  event, in the order they were added; one that throws is logged and does not stop the others. */
export interface CpuObserver {
  /** Every #DB raised by the CPU (delivered or intercepted), for logs and `monitor info db`. */
  onDebugEvent?(ev: DbEvent): void;
  /** Guest log line (unsupported opcode bytes, triple fault, ...). */
  onLog?(level: CpuLogLevel, event: string, data: Record<string, unknown>): void;
}

/** Why CpuRun stopped. */
/** The `why` of a 'stop-requested' StopReason that reports a dbstub bug caught inside run() (the CLI
 *  exits 70 on it, not 130: nobody interrupted anything). */
export const INTERNAL_ERROR_STOP = 'internal error: ';

export type StopReason =
  | { kind: 'budget' }                                   // executed the requested number of instructions
  | { kind: 'hlt' }                                      // halted in HLT and nothing armed can wake it (IF=0, or no interrupt pending and no timer)
  | { kind: 'stop-requested'; why: string }              // requestStop() (device, Ctrl-C); also 'unsupported CPU mode: ...' (real/virtual-8086 mode)
  | { kind: 'triple-fault'; detail: string }             // shutdown; machine must be reset
  | { kind: 'intercept'; what: 'exception'; event: ExceptionEvent }
  | { kind: 'intercept'; what: 'instruction'; instruction: InterceptableInstruction; rip: bigint; length: number }
  | { kind: 'ext-breakpoint'; rip: bigint }              // debugger code breakpoint outside the architecture (bare mode); rip: its linear address (CS.base + RIP)
  | { kind: 'ext-watchpoint'; addr: bigint; write: boolean; rip: bigint }; // debugger watchpoint (bare mode), after the access completed

/** A segment register: selector plus the hidden descriptor cache. */
export interface SegmentState {
  selector: number;
  base: bigint;
  limit: number;
  /** Descriptor attribute bits as in the descriptor's bytes 5-6 (type, S, DPL, P, AVL, L, D/B, G), packed:
   *  bits 0-3 type, 4 S, 5-6 DPL, 7 P, 8 AVL, 9 L, 10 D/B, 11 G. */
  attrs: number;
}

export interface TableRegister { base: bigint; limit: number }

/** Guest physical memory: one contiguous ArrayBuffer. Host-side writes (loader, debugger) go through
 *  writePhys so the decoded-instruction cache sees them. */
export interface PhysicalMemory {
  /** Bytes of RAM; `u8` holds them in RAM-offset order (below-4G part, then the part from 4 GiB up). */
  readonly size: number;
  /** RAM at physical 0..lowSize; the rest (size - lowSize) sits from 4 GiB up (QEMU pc's PCI hole). */
  readonly lowSize: number;
  readonly u8: Uint8Array;
  /** The index in u8 of a physical address, or -1 where no RAM is. */
  ramOffset(phys: number): number;
  readPhys(addr: number, len: number): Uint8Array;
  writePhys(addr: number, data: Uint8Array): void;
}

/** Complete architectural register state the loader or the debugger may set in one go. */
export interface ArchState {
  gpr: bigint[]; // 16, encoding order
  rip: bigint;
  rflags: bigint;
  seg: SegmentState[]; // 6, Seg order
  gdtr: TableRegister;
  idtr: TableRegister;
  tr: SegmentState;
  ldtr: SegmentState;
  cr0: bigint; cr2: bigint; cr3: bigint; cr4: bigint; cr8: bigint;
  efer: bigint;
  fsBase: bigint; gsBase: bigint; kernelGsBase: bigint;
}

/** Debugger-side (outside the architecture) watchpoint, used in bare mode like QEMU TCG's BP_GDB watchpoints. */
export interface ExternalWatchpoint { addr: bigint; len: number; kind: 'write' | 'read' | 'access' }

/** A window of guest-physical space that is a device, not RAM (the local APIC page at 0xFEE00000).
 *  The CPU routes every access that falls inside it here instead of to memory; an 8-byte access is
 *  split into two 4-byte ones (low dword first). Fetching code from it is not supported (#GP-free
 *  0xFF bytes, like unbacked space). */
export interface MmioRegion {
  /** Page-aligned physical base. */
  readonly base: number;
  /** Multiple of 4096. */
  readonly size: number;
  read(offset: number, size: 1 | 2 | 4): number;
  write(offset: number, size: 1 | 2 | 4, value: number): void;
}

/** What drives the CPU's maskable-interrupt input (the local APIC). The CPU knows nothing of the
 *  APIC's registers: it asks for a vector at instruction boundaries and acknowledges what it delivers. */
export interface InterruptController {
  /** Vector of the highest-priority interrupt the controller would deliver now, or -1. The CPU calls
   *  this only at an instruction boundary with RFLAGS.IF=1 and no STI/MOV SS shadow in effect
   *  (SDM Vol. 3 6.8.3), and only after notifyInterrupt() said something may have changed. */
  pendingVector(): number;
  /** The CPU has started delivering `vector` through the IDT (the controller moves it IRR -> ISR). */
  acknowledge(vector: number): void;
  /** RDMSR/WRMSR of IA32_APIC_BASE (0x1B), the x2APIC range 0x800-0x8FF and, with tscDeadline, IA32_TSC_DEADLINE
   *  (0x6E0). `undefined`/false: #GP(0). */
  readMsr(index: number): bigint | undefined;
  writeMsr(index: number, value: bigint): boolean;
  /** CR8 is the task-priority register's class, TPR[7:4] (SDM Vol. 3 11.8.6.1): when the controller
   *  implements these, MOV to/from CR8 (and the cr8 of getState/setState) go to it. Optional. */
  readCr8?(): number;
  writeCr8?(value: number): void;
  /** The controller implements x2APIC mode: the CPU then reports CPUID.01H:ECX[21] (x2APIC). Optional;
   *  absent or false: the bit stays clear, as under QEMU TCG. */
  readonly x2apic?: boolean;
  /** The controller's timer has the TSC-deadline mode: the CPU then reports CPUID.01H:ECX[24] (TSC_Deadline) and
   *  routes IA32_TSC_DEADLINE (MSR 0x6E0) to it (SDM Vol. 3 11.5.4.1). Optional; absent or false: #GP. */
  readonly tscDeadline?: boolean;
}

/** x87 FPU state as a debugger sees it (gdb's st0-7, fctrl, fstat, ftag, fiseg, fioff, foseg, fooff, fop;
 *  SDM Vol. 1 8.1): ST(0)-ST(7) as unsigned 80-bit values, FSW with TOP, the full (two bits per register) tag
 *  word, the last instruction / data pointers and opcode. */
export interface X87Regs {
  st: bigint[];
  fcw: number;
  fsw: number;
  ftw: number;
  fop: number;
  fip: number;
  fcs: number;
  fdp: number;
  fds: number;
}

export interface CpuOptions {
  vendor: Vendor;
  features: CpuFeatures;
  memory: PhysicalMemory;
  io: IoBus;
  /** Who decides intercepts (CpuHost); default: the bare board, which intercepts nothing. */
  host?: CpuHost;
  /** Observers from the start (more may be added with GuestCpu.addObserver). */
  observers?: readonly CpuObserver[];
  /** Device windows in physical space (non-overlapping, outside RAM or shadowing it). */
  mmio?: MmioRegion[];
  /** The interrupt controller on INTR; without one the CPU never takes maskable interrupts. */
  interrupts?: InterruptController;
  /** Execution engine: 'interp' (default) interprets every instruction; 'jit' runs 64-bit code through the
   *  block compiler (src/cpu/jit) wherever the debug unit allows, with identical results. 'reference' is the
   *  interpreter with every specialisation off: the generic decoded handlers (no fast.ts forms), the segment
   *  checks on every legacy-mode data access (no flat shortcut), every data access offered to the debug unit
   *  (no bounding-range filter), no block compiler. Slower; it is the oracle the others are compared with. */
  engine?: CpuEngine;
  /** 'jit': executions of an entry point (interpreted) before its region is translated (default 65535). */
  jitThreshold?: number;
}

export type CpuEngine = 'interp' | 'jit' | 'reference';

export interface GuestCpu {
  readonly vendor: Vendor;
  readonly features: CpuFeatures;
  /** The one host that decides intercepts (CpuHost). */
  readonly host: CpuHost;
  /** Make `host` this CPU's host. Only a CPU still on the bare board may be taken over, once: a second
   *  hypervisor model is an error, never a silent replacement. */
  attachHost(host: CpuHost): void;
  /** Add an observer; returns the function that removes it again. */
  addObserver(observer: CpuObserver): () => void;
  /** Instructions retired since reset (a JS number; fine up to 2^53). */
  readonly instructionsRetired: number;

  /** Execute up to maxInstructions instructions (an exception delivery is not an instruction). A run also
   *  ends with 'budget' early when its work bound is spent (repWork <= 0 after it returns): REP string
   *  iterations and delivered faults both count against it. */
  run(maxInstructions: number): StopReason;
  /** REP string iterations the last run() had left (<= 0: it ended on that bound, not on its instructions). */
  readonly repWork: number;
  /** Make the current/next run() return { kind: 'stop-requested' } at the next instruction boundary. */
  requestStop(why: string): void;
  /** Power-on reset (SDM Vol. 3 10.1.1 values for DR6/DR7/DEBUGCTL etc.). */
  reset(): void;

  getState(): ArchState;
  setState(s: ArchState): void;
  getGpr(r: Gpr): bigint;
  setGpr(r: Gpr, v: bigint): void;
  /** Bits 31:0 of a GPR as an unsigned number, and a write of a 32-bit value that clears bits 63:32 (as a
   *  32-bit destination does in 64-bit mode): the KVM model's per-exit register traffic (CPUID results, the
   *  MSR index) without a BigInt per access. */
  getGpr32(r: Gpr): number;
  setGpr32(r: Gpr, v: number): void;
  getRip(): bigint;
  setRip(v: bigint): void;
  getRflags(): bigint;
  setRflags(v: bigint): void;
  getCpl(): number;

  /** Raw hardware debug registers (n = 0-3, 6, 7). No privilege/GD checks: for the hypervisor and debugger. */
  getDr(n: number): bigint;
  setDr(n: number, v: bigint): void;
  /** DR6 and DR7 (32-bit registers) as unsigned numbers, with getDr/setDr's semantics: the loads the KVM model
   *  makes on every VM entry and exit. */
  getDr32(n: 6 | 7): number;
  setDr32(n: 6 | 7, v: number): void;
  /** RFLAGS bits 31:0 (bits 63:32 are reserved, always zero). */
  getRflags32(): number;
  /** XMM0-15 as unsigned 128-bit values, and MXCSR: the SSE state the CPU executes with (for the debugger).
   *  setMxcsr returns false for a value with a bit outside MXCSR_MASK set (LDMXCSR would #GP). */
  getXmm(n: number): bigint;
  setXmm(n: number, v: bigint): void;
  getMxcsr(): number;
  setMxcsr(v: number): boolean;
  /** The x87 state (src/cpu/x87.ts), for the debugger and KVM_GET/SET_FPU. setX87 writes `st` under the
   *  current TOP, then the control words (so a changed FSW.TOP alone does not move the physical registers). */
  getX87(): X87Regs;
  setX87(v: X87Regs): void;
  /** MSR access from outside the guest (no #GP). Returns undefined for an unknown MSR. */
  getMsr(index: number): bigint | undefined;
  setMsr(index: number, v: bigint): boolean;

  /** Deferred #DB causes (payload polarity) held back by a MOV SS/STI shadow: the analogue of VMX's
   *  GUEST_PENDING_DBG_EXCEPTIONS. The hypervisor model reads and clears it. */
  pendingDebugExceptions: number;
  /** Interrupt shadow in effect for the next instruction. */
  interruptShadow: 'none' | 'sti' | 'mov-ss';
  /** When true the CPU single-steps as if RFLAGS.TF were set, without the guest seeing TF
   *  (KVM_GUESTDBG_SINGLESTEP). */
  hostSingleStep: boolean;

  /** Deliver an event through the guest IDT now (at an instruction boundary), not offered to the host.
   *  `rf`: value of RF in the pushed RFLAGS image (undefined: the architectural default for cls).
   *  Returns false if delivery escalated to a triple fault (the CPU is then in shutdown). */
  injectEvent(vector: number, cls: EventClass, errorCode?: number, opts?: { rf?: boolean; cr2?: bigint }): boolean;
  /** Complete an instruction the hypervisor emulated: RIP += length, RF cleared, interrupt shadow cleared. */
  skipInstruction(length: number): void;
  /** Execute the instruction at RIP (after an instruction intercept) without offering it to the host. */
  executeIntercepted(): StopReason;

  /** CPUID as this CPU answers it. */
  cpuid(leaf: number, subleaf: number): [number, number, number, number];

  /** Translate a linear address with the current paging mode; undefined if not mapped. */
  translate(linear: bigint, write: boolean): number | undefined;
  /** Debugger memory access through the current page tables (no faults, no #DB, no A/D updates). */
  readVirtual(addr: bigint, len: number): Uint8Array | undefined;
  writeVirtual(addr: bigint, data: Uint8Array): boolean;

  /** Virtual time in ticks: one tick per retired instruction, plus the ticks skipped while halted
   *  (HLT with IF=1 and a timer armed jumps the clock to the timer's tick). Devices derive their
   *  time from it, so runs are deterministic. */
  readonly clock: number;
  /** Arm the CPU's one timer event (undefined disarms): once clock >= tick the CPU calls fn at the
   *  next instruction boundary, then re-checks the interrupt controller. */
  setTimer(tick: number | undefined, fn?: () => void): void;
  /** The interrupt controller's output may have changed (new IRR bit, TPR/EOI): check pendingVector()
   *  at the next instruction boundary where interrupts are enabled. */
  notifyInterrupt(): void;
  /** True while the CPU waits in HLT for an interrupt (run() returns { kind: 'hlt' } when nothing armed can wake it).
   *  The wait survives run() calls; a delivered interrupt, injectEvent(), or a setRip/setState that moves RIP
   *  ends it. */
  readonly halted: boolean;
  /** While true, maskable interrupts are held pending: never taken, and a HLT waits without running the
   *  clock ahead to the timer (run() reports 'hlt'). What a debugger asks for while single-stepping
   *  (KVM_GUESTDBG_BLOCKIRQ, QEMU's SSTEP_NOIRQ). Optional; default false. */
  blockInterrupts?: boolean;
  /** Execution mode as the manuals name it (derived from CR0.PE, EFER.LMA, CS.L and CS.D). */
  readonly mode: CpuMode;
  /** Why the last run() stopped for a mode the CPU does not model (real-address mode entered, or an IRET or
   *  task switch about to enter virtual-8086 mode); '' when the last stop had another cause. Such a stop is
   *  { kind: 'stop-requested', why: 'unsupported CPU mode: ...' }. */
  readonly unsupportedMode: string;

  /** Debugger breakpoints outside the architecture (bare mode, QEMU-TCG style), at linear addresses (CS.base + RIP
   *  outside 64-bit mode, as TCG compares them). */
  setExternalBreakpoints(addrs: readonly bigint[]): void;
  setExternalWatchpoints(list: readonly ExternalWatchpoint[]): void;
  /** Skip the external breakpoint at the current RIP for the next instruction (resume after a stop there). */
  suppressExternalBreakpointOnce(): void;
}
