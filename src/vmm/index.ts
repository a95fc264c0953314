// The VMM: QEMU's side of the chain, and the GdbTarget the RSP server talks to. It runs the vCPU through one
// accelerator (accel.ts, as QEMU's AccelOpsClass): 'bare' (accel-bare.ts, TCG-like: debugger breakpoints
// outside the architecture, every #DB to the guest's IDT) or 'kvm' (accel-kvm.ts: QEMU's KVM glue over the
// KvmVcpu model, #DBs reach us as KVM_EXIT_DEBUG). This file is the adapter and one slice loop; it does not
// know which accelerator runs.
//
// Public surface of src/vmm: Vmm, VmmMachine, RunSummary; the accelerator contract (accel.ts) and
// createAccel; the monitor table (MONITOR_COMMANDS, MonitorCommand, MonitorHost); DbRoute/RouteCounts;
// QEMU's pure helpers kvmHandleDebug, HwBreakpointTable, encodeGuestDebug.

import { CR0_PE, RFLAGS_VM, type GuestCpu, type PhysicalMemory } from '../cpu/index.js';
import type { MachineConfig, QemuDbRouting } from '../config/config.js';
import type { BreakpointResult, BreakpointType, GdbTarget, RegisterInfo, ResumeAction, StopEvent } from '../gdbstub/index.js';
import type { Logger } from '../log.js';
import type { AccelExit, Accelerator } from './accel.js';
import { BareAccel } from './accel-bare.js';
import { KvmAccel } from './accel-kvm.js';
import { ICR_DELIVERY_MODE_SHIFT, ICR_LEVEL_ASSERT, ICR_TRIGGER_LEVEL } from '../devices/lapic.js';
import { runMonitorCommand, type DebugRegisterView, type MonitorHost } from './monitor.js';
import type { PagingView, QemuCpuView } from './monitor-qemu.js';
import { RegisterReader, writeRegisterFile } from './register-file.js';
import { FEATURE_TYPES, REGISTERS, type RegDef } from './registers.js';
import { DbRouteLog, type DbRoute, type RouteCounts } from './route-log.js';
import { nextSliceBudget, SLICE_MIN } from './slice-budget.js';

export type { AccelDebugRegs, AccelExit, AccelFpu, Accelerator, AccelRegs, AccelSregs } from './accel.js';
export { BareAccel } from './accel-bare.js';
export { KvmAccel, kvmConfigOf } from './accel-kvm.js';
export { kvmHandleDebug } from './handle-debug.js';
export { HwBreakpointTable, encodeGuestDebug } from './hw-breakpoints.js';
export { MONITOR_COMMANDS, type MonitorCommand, type MonitorHost } from './monitor.js';
export { REGISTERS, registerIndex } from './registers.js';
export type { DbRoute, RouteCounts } from './route-log.js';

/** What the VMM needs from the machine (src/machine Machine satisfies it). */
export interface VmmMachine {
  readonly cpu: GuestCpu;
  /** Guest RAM: debugger reads translate once per page (bare mode without it goes through cpu.readVirtual;
   *  kvm mode needs it, as QEMU maps guest RAM itself). */
  readonly memory?: PhysicalMemory;
  readonly config?: MachineConfig;
  exitCode: number | undefined;
  reset(): void;
  /** The local APIC, for KVM_HC_SEND_IPI in kvm mode (without it the hypercall finds no destination). */
  readonly devices?: { readonly lapic: PvIpiTarget };
}

/** What KVM_HC_SEND_IPI needs of the vCPU's local APIC (src/devices/lapic.ts). */
export interface PvIpiTarget {
  readonly apicId: number;
  deliverIoApicMessage(vector: number, deliveryMode: number, logical: boolean, dest: number, level: boolean): boolean;
}

const SIGINT = 2;
const SIGTRAP = 5;
const SIGSEGV = 11;
const SIGILL = 4;
/** CS in ArchState.seg (encoding order); the CPL is CS.RPL. */
const SEG_CS = 1;
const SELECTOR_RPL_MASK = 3;

/** The CPL QEMU's hflags carry: 0 in real-address mode, 3 in virtual-8086 mode (x86_update_hflags takes SS.DPL,
 *  which a virtual-8086 segment load makes 3), else CS.RPL. */
function cplOf(s: { cr0: bigint; rflags: bigint; seg: readonly { selector: number }[] }): number {
  if ((s.cr0 & BigInt(CR0_PE)) === 0n) return 0;
  if ((s.rflags & BigInt(RFLAGS_VM)) !== 0n) return 3;
  return s.seg[SEG_CS]!.selector & SELECTOR_RPL_MASK;
}
/** Range stepping: steps taken inside one event-loop turn before yielding (so a Ctrl-C gets in promptly). */
const RANGE_STEPS_PER_SLICE = 1000;

export interface RunSummary {
  result: { kind: 'exit'; code: number } | { kind: 'triple-fault'; detail: string } | { kind: 'hlt' } | { kind: 'budget' } | { kind: 'interrupted'; why: string };
  instructions: number;
  routes: RouteCounts;
}

/** KVM_CREATE_VCPU / TCG vCPU creation: the accelerator the configuration asks for. */
export function createAccel(machine: VmmMachine, config: MachineConfig, routeLog: DbRouteLog, log?: Logger): Accelerator {
  if (config.mode === 'kvm') {
    if (!machine.memory) throw new Error('kvm mode needs the machine\'s guest RAM');
    // kvm_pv_send_ipi -> kvm_apic_set_irq: vector, delivery mode, level (a level-triggered deassert is dropped).
    const lapic = machine.devices?.lapic;
    const deliverIpi = (icr: number): boolean => {
      if (lapic === undefined) return false;
      const trig = (icr & ICR_TRIGGER_LEVEL) !== 0, assert = (icr & ICR_LEVEL_ASSERT) !== 0;
      if (trig && !assert) return false;
      return lapic.deliverIoApicMessage(icr & 0xff, (icr >>> ICR_DELIVERY_MODE_SHIFT) & 7, false, lapic.apicId, trig);
    };
    return new KvmAccel({ cpu: machine.cpu, memory: machine.memory, config, routeLog, log, deliverIpi });
  }
  return new BareAccel({ cpu: machine.cpu, memory: machine.memory, routeLog, exceptionPayload: config.exceptionPayload });
}

export class Vmm implements GdbTarget, MonitorHost {
  readonly registers: readonly RegisterInfo[] = REGISTERS;
  readonly featureTypes = FEATURE_TYPES;
  readonly architecture = 'i386:x86-64';
  /** vCont;r: a `next` over a source line is one round trip instead of one per instruction. */
  readonly rangeStepping = true;
  readonly config: MachineConfig;
  readonly routeLog: DbRouteLog;
  readonly accel: Accelerator;

  private readonly machine: VmmMachine;
  private readonly log: Logger | undefined;
  private singlestep = false;
  /** vCont;r: keep stepping while the pc stays in [start, end). */
  private stepRange: { start: bigint; end: bigint } | undefined;
  /** The last stop was nothing but the debugger's single step completing. */
  private plainStep = false;
  private _running = false;
  private halted = false;
  private interruptRequested = false;
  /** Instructions the next slice may retire (slice-budget.ts: a short first slice, doubling to 100k). */
  private sliceBudget = SLICE_MIN;
  /** True only while the accelerator runs synchronously inside a slice. */
  private inSlice = false;
  private pendingStop: ((ev: StopEvent) => void) | undefined;
  private last: StopEvent = { kind: 'signal', signal: SIGTRAP };

  constructor(machine: VmmMachine, config?: MachineConfig, logger?: Logger) {
    this.machine = machine;
    const cfg = config ?? machine.config;
    if (!cfg) throw new Error('Vmm needs a MachineConfig');
    // The VMM's own copy: `monitor qemu-db-routing` changes the routing of this machine alone, and the
    // accelerator reads it from here at each #DB exit.
    this.config = { ...cfg };
    this.log = logger;
    this.routeLog = new DbRouteLog({ log: logger, exceptionPayload: cfg.exceptionPayload });
    this.accel = createAccel(machine, this.config, this.routeLog, logger);
  }

  get running(): boolean {
    return this._running;
  }

  /** KVM_GET_MP_STATE's HALTED (QEMU cpu->halted): the guest executed HLT and waits for an interrupt. */
  get cpuHalted(): boolean {
    return this.accel.getMpState().halted;
  }

  /** The last #DB routing decisions (a ring; see DbRouteLog). */
  get routes(): readonly DbRoute[] {
    return this.routeLog.routes;
  }

  get routeCounts(): RouteCounts {
    return this.routeLog.counts;
  }

  /** Whether a log line at `level` would be written: stops and breakpoints happen at every gdb round trip,
   *  so their log objects (hex strings) are only built when someone will read them. */
  private logs(level: 'debug' | 'info'): boolean {
    return this.log !== undefined && (typeof this.log.isLevelEnabled !== 'function' || this.log.isLevelEnabled(level));
  }

  // ================= registers =================

  readRegister(index: number): bigint {
    const def = REGISTERS[index] as RegDef | undefined;
    return def ? new RegisterReader(this.accel).value(def) : 0n;
  }

  /** The whole register file, each part fetched once (gdb's `g`, at nearly every stop). */
  readRegisters(): bigint[] {
    const r = new RegisterReader(this.accel);
    return REGISTERS.map((def) => r.value(def));
  }

  /** Several registers from one read of each group they belong to (the stop reply's expedited registers). */
  readRegisterList(indices: readonly number[]): bigint[] {
    const r = new RegisterReader(this.accel);
    return indices.map((i) => {
      const def = REGISTERS[i] as RegDef | undefined;
      return def ? r.value(def) : 0n;
    });
  }

  /** gdb's `P`: one register, refused (nothing written) when the accelerator refuses the new state. */
  writeRegister(index: number, value: bigint): boolean {
    if (this._running) return false;
    return writeRegisterFile(this.accel, new Map([[index, value]]));
  }

  /** gdb's `G` (the changed registers only): all or nothing, as one KVM_SET_REGS/SREGS/... transaction. */
  writeRegisters(changes: ReadonlyMap<number, bigint>): boolean {
    if (this._running) return false;
    return writeRegisterFile(this.accel, changes);
  }

  // ================= memory =================

  readMemory(addr: bigint, len: number): Uint8Array | undefined {
    return this.accel.readMemory(addr, len);
  }

  writeMemory(addr: bigint, data: Uint8Array): boolean {
    return this.accel.writeMemory(addr, data);
  }

  // ================= breakpoints =================

  insertBreakpoint(type: BreakpointType, addr: bigint, kind: number): BreakpointResult {
    const r = this.accel.insertBreakpoint(type, addr, kind);
    if (this.logs('debug')) this.log!.debug({ event: 'vmm.breakpoint', op: 'insert', type, addr: '0x' + addr.toString(16), kind, result: r }, 'breakpoint insert');
    return r;
  }

  removeBreakpoint(type: BreakpointType, addr: bigint, kind: number): BreakpointResult {
    const r = this.accel.removeBreakpoint(type, addr, kind);
    if (this.logs('debug')) this.log!.debug({ event: 'vmm.breakpoint', op: 'remove', type, addr: '0x' + addr.toString(16), kind, result: r }, 'breakpoint remove');
    return r;
  }

  // ================= execution =================

  resume(action: ResumeAction, onStop: (ev: StopEvent) => void): void {
    if (this._running) return;
    this._running = true;
    this.halted = false;
    this.interruptRequested = false;
    this.sliceBudget = SLICE_MIN;
    this.pendingStop = onStop;
    this.singlestep = action.kind === 'step';
    this.stepRange = action.kind === 'step' ? action.range : undefined;
    this.accel.updateGuestDebug(this.singlestep, true);
    setImmediate(() => this.slice());
  }

  interrupt(): void {
    if (!this._running) return;
    this.interruptRequested = true;
    if (this.halted) this.finish({ kind: 'signal', signal: SIGINT, detail: 'interrupted while the guest was halted' });
    // A slice runs synchronously, so a Ctrl-C from the socket always arrives between slices and the next
    // slice sees interruptRequested before it enters the CPU. Asking the CPU to stop as well would leave
    // that request pending, and the next resume would stop at once (the gdbstub helper's Ctrl-C bug).
    // Only a call made from inside a running slice (a hook) needs the CPU's own stop request.
    else if (this.inSlice) this.accel.kick('debugger interrupt');
  }

  lastStop(): StopEvent {
    return this.last;
  }

  private finish(ev: StopEvent): void {
    if (!this._running) return;
    this._running = false;
    this.halted = false;
    this.last = ev;
    const cb = this.pendingStop;
    this.pendingStop = undefined;
    if (this.singlestep) this.accel.updateGuestDebug(false, false);
    this.singlestep = false;
    this.stepRange = undefined;
    if (this.logs('debug')) this.log!.debug({ event: 'vmm.stop', stop: stringifyStop(ev), rip: '0x' + this.accel.getRegs().rip.toString(16) }, 'guest stopped');
    cb?.(ev);
  }

  /**
   * After a plain single step: go on stepping (range stepping) while the pc is inside the range gdb gave, the
   * guest has not exited and no Ctrl-C came. Every step is the same single step a `stepi` would be (same #DB
   * path and routing records); only the decision to take the next one moves from gdb to us.
   */
  private keepRangeStepping(): boolean {
    const r = this.stepRange;
    if (r === undefined || !this.plainStep || this.interruptRequested || this.machine.exitCode !== undefined) return false;
    const pc = this.accel.getRegs().rip;
    return pc >= r.start && pc < r.end;
  }

  /** One event-loop turn of guest execution (QEMU's vCPU thread loop, cut into slices). */
  private slice(): void {
    if (!this._running) return;
    if (this.interruptRequested) return this.finish({ kind: 'signal', signal: SIGINT });
    for (let steps = 1; ; steps++) {
      this.inSlice = true;
      let exit: AccelExit;
      try {
        exit = this.accel.run(this.sliceBudget);
      } finally {
        this.inSlice = false;
      }
      this.sliceBudget = nextSliceBudget(this.sliceBudget, exit.kind === 'continue');
      this.plainStep = exit.kind === 'debug' && exit.plainStep;
      const ev = this.stopFor(exit);
      if (ev && this.keepRangeStepping()) {
        if (steps < RANGE_STEPS_PER_SLICE) continue;
        break;
      }
      if (ev) return this.finish(ev);
      break;
    }
    if (this.halted) return; // wait for interrupt()
    setImmediate(() => this.slice());
  }

  /** The stop gdb gets for an accelerator exit, or undefined to keep running. */
  private stopFor(exit: AccelExit): StopEvent | undefined {
    if (this.machine.exitCode !== undefined) return { kind: 'exited', code: this.machine.exitCode };
    switch (exit.kind) {
      case 'continue':
        return undefined;
      case 'hlt':
        this.halted = true;
        return undefined;
      case 'interrupted':
        // A stop the CPU asked for: a debugger interrupt (SIGINT), or code entering a mode the CPU does not
        // model (real-address / virtual-8086 mode): SIGILL, so gdb says "Illegal instruction" at the RIP.
        return { kind: 'signal', signal: exit.unsupportedMode ? SIGILL : SIGINT, detail: exit.why };
      case 'shutdown':
        return { kind: 'signal', signal: SIGSEGV, detail: `triple fault: ${exit.detail}` };
      case 'debug': {
        const ev: StopEvent = { kind: 'signal', signal: SIGTRAP };
        if (exit.reason) ev.reason = exit.reason;
        if (exit.detail) ev.detail = exit.detail;
        return ev;
      }
    }
  }

  // ================= run without a debugger =================

  /**
   * Run with no debugger attached until the guest exits, halts, triple-faults, is interrupted
   * (machine.interrupt / cpu.requestStop, e.g. on SIGINT) or retires `maxInsns` instructions. In kvm mode every
   * slice is a KVM_RUN, so #DBs go through KvmVcpu and, on a KVM_EXIT_DEBUG, kvm_handle_debug. Logs one
   * 'vmm.run.summary' event; formatRunSummary() renders the same data for a terminal.
   */
  async runToCompletion(maxInsns = Infinity, opts: { onSlice?: (instructions: number) => void } = {}): Promise<RunSummary> {
    const accel = this.accel;
    const start = accel.instructionsRetired;
    this.interruptRequested = false;
    this.sliceBudget = SLICE_MIN;
    let result: RunSummary['result'] | undefined;
    while (!result) {
      const done = accel.instructionsRetired - start;
      if (this.machine.exitCode !== undefined) result = { kind: 'exit', code: this.machine.exitCode };
      else if (done >= maxInsns) result = { kind: 'budget' };
      else {
        const e = accel.run(Math.min(this.sliceBudget, maxInsns - done));
        this.sliceBudget = nextSliceBudget(this.sliceBudget, e.kind === 'continue');
        if (this.machine.exitCode !== undefined) result = { kind: 'exit', code: this.machine.exitCode };
        else if (e.kind === 'hlt') result = { kind: 'hlt' };
        else if (e.kind === 'shutdown') result = { kind: 'triple-fault', detail: e.detail };
        else if (e.kind === 'interrupted') result = { kind: 'interrupted', why: e.why };
        else if (e.kind === 'debug') result = { kind: 'interrupted', why: e.detail ?? 'debugger event' };
        if (!result) {
          opts.onSlice?.(accel.instructionsRetired - start);
          await new Promise<void>((res) => setImmediate(res));
        }
      }
    }
    const summary: RunSummary = { result, instructions: accel.instructionsRetired - start, routes: this.routeLog.snapshotCounts() };
    this.log?.info({ event: 'vmm.run.summary', ...summary, result: summary.result }, '#DB routing summary');
    return summary;
  }

  /** Human-readable #DB routing summary of a run (for `dbstub run` on stderr). */
  formatRunSummary(s: RunSummary, recent = 8): string {
    const head = `dbstub: #DB routing (${this.accel.describe()}): ${s.routes.total} decision(s)`;
    if (s.routes.total === 0) return head + '\n';
    const fmt = (o: Record<string, number>) => Object.entries(o).map(([k, n]) => `${k} ${n}`).join(', ');
    const lines = [head, `  by decider: ${fmt(s.routes.byDecider)}`, `  by outcome: ${fmt(s.routes.byOutcome)}`];
    const notes = this.routes.filter((r) => r.note).length;
    if (notes) lines.push(`  !! ${notes} decision(s) flagged as known defects (see below / docs/findings.md)`);
    lines.push(`  last ${Math.min(recent, this.routes.length)}:`);
    for (const l of this.routeLog.format(recent).trimEnd().split('\n')) lines.push('    ' + l);
    return lines.join('\n') + '\n';
  }

  // ================= session =================

  /** `dbstub serve --detach-paused`: a gdb `detach` leaves the guest paused (dbstub before 0.2) instead of
   *  letting it run on as QEMU and gdbserver do. */
  pauseOnDetach = false;
  /** Stops of a guest that runs with no debugger attached (after a detach): exit, triple fault, ... */
  onUnattendedStop: ((ev: StopEvent) => void) | undefined;

  detach(runOn: boolean): boolean {
    this.accel.removeAllBreakpoints(true);
    this.singlestep = false;
    this.accel.updateGuestDebug(false, false);
    // QEMU's handle_detach ends in gdb_continue() once no process is attached (gdbstub.c, 7.2); gdbserver's
    // detach lets the process go. A guest that already exited or is running has nothing to resume.
    if (!runOn || this.pauseOnDetach || this._running || this.machine.exitCode !== undefined) return this._running;
    this.resume({ kind: 'continue' }, (ev) => {
      this.log?.info({ event: 'vmm.unattended-stop', stop: stringifyStop(ev) }, 'guest stopped with no debugger attached');
      this.onUnattendedStop?.(ev);
    });
    return true;
  }

  kill(): void {
    if (this._running) {
      this.interruptRequested = true;
      if (this.inSlice) this.accel.kick('kill');
      this._running = false;
      this.pendingStop = undefined;
    }
    this.accel.removeAllBreakpoints(false);
    this.machine.reset();
    this.accel.reset();
    this.accel.updateGuestDebug(this.singlestep, false);
    this.routeLog.clear();
    this.last = { kind: 'signal', signal: SIGTRAP };
  }

  // ================= monitor =================

  monitor(command: string): string {
    return runMonitorCommand(this, command);
  }

  reset(): void {
    this.kill();
  }

  setQemuDbRouting(routing: QemuDbRouting): void {
    this.config.qemuDbRouting = routing;
  }

  debugRegisterView(): DebugRegisterView {
    return this.accel.debugRegisterView();
  }

  /** The state QEMU's `info registers` prints, through the accelerator (kvm_cpu_synchronize_state). */
  qemuCpuView(): QemuCpuView {
    const a = this.accel;
    const r = a.getRegs();
    const state = { ...a.getSregs(), gpr: r.gpr, rip: r.rip, rflags: r.rflags };
    const g = this.debugRegisterView().guest;
    const f = a.getFpu();
    const mp = a.getMpState();
    return {
      state,
      cpl: cplOf(state),
      halted: mp.halted,
      interruptShadow: mp.interruptShadow,
      dr: [...g.db, g.dr6, g.dr7],
      x87: f.x87,
      xmm: f.xmm,
      mxcsr: f.mxcsr,
    };
  }

  pagingView(): PagingView {
    const s = this.accel.getSregs();
    return { cr0: s.cr0, cr3: s.cr3, cr4: s.cr4, efer: s.efer, readPhys: (a, n) => this.readPhysical(a, n) };
  }

  translate(addr: bigint): bigint | undefined {
    return this.accel.translate(addr);
  }

  readPhysical(addr: bigint, len: number): Uint8Array | undefined {
    const mem = this.machine.memory;
    if (!mem || addr < 0n || addr + BigInt(len) > BigInt(mem.size)) return undefined;
    return mem.u8.slice(Number(addr), Number(addr) + len);
  }
}

function stringifyStop(ev: StopEvent): Record<string, unknown> {
  if (ev.kind === 'exited') return { kind: 'exited', code: ev.code };
  return { kind: 'signal', signal: ev.signal, reason: ev.reason && { type: ev.reason.type, addr: 'addr' in ev.reason ? '0x' + ev.reason.addr.toString(16) : undefined }, detail: ev.detail };
}
