// The VMM: QEMU's side of the chain (target/i386/kvm/kvm.c, accel/kvm/kvm-all.c, gdbstub glue), and the
// GdbTarget the RSP server talks to. In 'bare' mode there is no hypervisor: debugger breakpoints are
// external to the architecture (like QEMU TCG's BP_GDB) and every #DB goes to the guest's IDT. In 'kvm'
// mode the KvmVcpu model sits between us and the CPU, and #DBs reach us as KVM_EXIT_DEBUG.

import type { ArchState, ExternalWatchpoint, GuestCpu, PhysicalMemory, StopReason } from '../cpu/api.js';
import type { MachineConfig } from '../config/config.js';
import { BreakpointType, type BreakpointResult, type GdbTarget, type RegisterInfo, type ResumeAction, type StopEvent } from '../gdbstub/target.js';
import { DB_VECTOR, DR_TRAP_BITS, hex32, MSR_IA32_DEBUGCTL } from '../hv/debugregs.js';
import { KvmVcpu, type KvmDbNote, type KvmExit } from '../hv/kvm.js';
import type { Logger } from '../log.js';
import { kvmHandleDebug, type HandleDebugResult } from './handle-debug.js';
import { encodeGuestDebug, HwBreakpointTable, MAX_HW_BREAKPOINTS } from './hw-breakpoints.js';
import { runMonitorCommand, type DebugRegisterView, type MonitorHost } from './monitor.js';
import type { PagingView, QemuCpuView } from './monitor-qemu.js';
import { DbRouteLog, type DbRoute, type RouteCounts } from './route-log.js';
import { FEATURE_TYPES, REGISTERS, type RegDef } from './registers.js';

export { kvmHandleDebug } from './handle-debug.js';
export { HwBreakpointTable, encodeGuestDebug } from './hw-breakpoints.js';
export { MONITOR_COMMANDS, type MonitorCommand, type MonitorHost } from './monitor.js';
export type { DbRoute, RouteCounts } from './route-log.js';

/** What the VMM needs from the machine (src/machine Machine satisfies it). */
export interface VmmMachine {
  readonly cpu: GuestCpu;
  /** Guest RAM: lets debugger reads translate once per page (else they go through cpu.readVirtual). */
  readonly memory?: PhysicalMemory;
  readonly config?: MachineConfig;
  exitCode: number | undefined;
  reset(): void;
}

/** The known defect of each non-default QEMU routing, logged once at the first software-breakpoint hit. */
const ROUTING_DEFECT: Record<'pre-patch' | 'bld-patch', string> = {
  'bld-patch':
    'qemu-db-routing bld-patch (seed 000 as posted) re-injects a gdb software-breakpoint hit as a spurious #BP whenever the stale kvm_run dr6 has bit 11 clear (docs/semantics.md §4 defect 3); the default is corrected',
  'pre-patch':
    'qemu-db-routing pre-patch (QEMU before seed 000) drops a guest #DB cause that arrives with a gdb stop and re-injects #DBs with a DR6-format payload (docs/semantics.md §4 defects 1-2); the default is corrected',
};

const SIGINT = 2;
const SIGTRAP = 5;
const SIGSEGV = 11;
const SIGILL = 4;
const SLICE = 100_000;
/** Range stepping: steps taken inside one event-loop turn before yielding (so a Ctrl-C gets in promptly). */
const RANGE_STEPS_PER_SLICE = 1000;
const INT3 = 0xcc;
/** Paging granularity (SDM Vol. 3A 4.1): a 4 KiB-aligned linear page maps to one contiguous physical range. */
const PAGE_SIZE = 4096;
const PAGE_OFFSET_MASK = 0xfffn;

export interface RunSummary {
  result: { kind: 'exit'; code: number } | { kind: 'triple-fault'; detail: string } | { kind: 'hlt' } | { kind: 'budget' } | { kind: 'interrupted'; why: string };
  instructions: number;
  routes: RouteCounts;
}

interface SwBp {
  orig: number;
  refs: number;
}

export class Vmm implements GdbTarget, MonitorHost {
  readonly registers: readonly RegisterInfo[] = REGISTERS;
  readonly featureTypes = FEATURE_TYPES;
  readonly architecture = 'i386:x86-64';
  /** vCont;r: a `next` over a source line is one round trip instead of one per instruction. */
  readonly rangeStepping = true;
  readonly kvm: KvmVcpu | undefined;
  readonly config: MachineConfig;

  private readonly machine: VmmMachine;
  private readonly cpu: GuestCpu;
  private readonly log: Logger | undefined;
  // kvm mode: QEMU's tables
  private readonly swBps = new Map<bigint, SwBp>();
  readonly hw = new HwBreakpointTable();
  // bare mode: TCG-like external breakpoints
  private readonly bareSw = new Set<bigint>();
  private readonly bareHw = new Set<bigint>();
  private readonly bareWatch: (ExternalWatchpoint & { type: BreakpointType })[] = [];

  private singlestep = false;
  /** vCont;r: keep stepping while the pc stays in [start, end). */
  private stepRange: { start: bigint; end: bigint } | undefined;
  /** Set by kvmExit/sliceBare: the last stop was nothing but the debugger's single step completing. */
  private plainStep = false;
  private _running = false;
  private halted = false;
  private interruptRequested = false;
  /** True only while cpu.run / kvm.runVcpu executes synchronously inside a slice. */
  private inSlice = false;
  private pendingStop: ((ev: StopEvent) => void) | undefined;
  private last: StopEvent = { kind: 'signal', signal: SIGTRAP };
  readonly routeLog: DbRouteLog;
  /** The one-line warning about the chosen non-default routing was logged (first software-breakpoint hit). */
  private routingWarned = false;

  constructor(machine: VmmMachine, config?: MachineConfig, logger?: Logger) {
    this.machine = machine;
    this.cpu = machine.cpu;
    const cfg = config ?? machine.config;
    if (!cfg) throw new Error('Vmm needs a MachineConfig');
    this.config = cfg;
    this.log = logger;
    this.routeLog = new DbRouteLog({ log: logger, exceptionPayload: cfg.exceptionPayload, guestDr6: () => this.kvm?.dr6 });
    if (cfg.mode === 'kvm') {
      this.kvm = new KvmVcpu(this.cpu, cfg, { onDbNote: (n) => this.onKvmNote(n) });
    } else {
      const prev = this.cpu.hooks.onDebugEvent;
      this.cpu.hooks = {
        ...this.cpu.hooks,
        onDebugEvent: (ev) => {
          prev?.(ev);
          if (!ev.intercepted) {
            this.routeLog.record({ by: 'bare', exception: DB_VECTOR, pc: ev.rip, dr6: ev.payload, dr7: Number(BigInt.asUintN(32, this.cpu.getDr(7))), singlestep: false, cap: cfg.exceptionPayload, outcome: 'guest', guestDr6: ev.dr6After, source: ev.causes.join('+') });
          }
        },
      };
    }
  }

  get running(): boolean {
    return this._running;
  }

  /** The last #DB routing decisions (a ring; see DbRouteLog). */
  get routes(): readonly DbRoute[] {
    return this.routeLog.routes;
  }

  get routeCounts(): RouteCounts {
    return this.routeLog.counts;
  }

  /** Whether a log line at `level` would be written: stops, breakpoints and #DB routes happen at every gdb
   *  round trip, so their log objects (hex strings) are only built when someone will read them. */
  private logs(level: 'debug' | 'info'): boolean {
    return this.log !== undefined && (typeof this.log.isLevelEnabled !== 'function' || this.log.isLevelEnabled(level));
  }

  // ================= registers =================

  readRegister(index: number): bigint {
    const def = REGISTERS[index] as RegDef | undefined;
    return def ? this.regValue(def, undefined) : 0n;
  }

  /** The whole register file from one getState() snapshot (gdb's `g`, at nearly every stop). */
  readRegisters(): bigint[] {
    const st = this.cpu.getState();
    const out: bigint[] = new Array(REGISTERS.length);
    for (let i = 0; i < REGISTERS.length; i++) out[i] = this.regValue(REGISTERS[i]!, st);
    return out;
  }

  /** One register; segment and system registers from `st` when given (else a fresh snapshot). */
  private regValue(def: RegDef, st: ArchState | undefined): bigint {
    const cpu = this.cpu;
    const k = def.kind;
    switch (k.k) {
      case 'gpr':
        return BigInt.asUintN(64, cpu.getGpr(k.enc));
      case 'rip':
        return BigInt.asUintN(64, cpu.getRip());
      case 'eflags':
        return cpu.getRflags() & 0xffffffffn;
      case 'seg':
        return BigInt((st ?? cpu.getState()).seg[k.seg]!.selector);
      case 'state':
        return BigInt.asUintN(64, (st ?? cpu.getState())[k.field]);
      case 'x87':
        return k.value;
      case 'xmm':
        return cpu.getXmm(k.n);
      case 'mxcsr':
        return BigInt(cpu.getMxcsr());
      case 'dr':
        if (this.kvm) {
          if (k.n < 4) return this.kvm.db[k.n]!;
          return BigInt(k.n === 6 ? this.kvm.dr6 : this.kvm.dr7);
        }
        return BigInt.asUintN(64, cpu.getDr(k.n));
      case 'debugctl':
        return this.kvm ? BigInt(this.kvm.guestDebugctl) : (cpu.getMsr(MSR_IA32_DEBUGCTL) ?? 0n);
    }
  }

  writeRegister(index: number, value: bigint): boolean {
    const def = REGISTERS[index] as RegDef | undefined;
    if (!def || this._running) return false;
    const cpu = this.cpu;
    const k = def.kind;
    const v = BigInt.asUintN(def.bitsize, value);
    switch (k.k) {
      case 'gpr':
        cpu.setGpr(k.enc, v);
        return true;
      case 'rip':
        cpu.setRip(v);
        return true;
      case 'eflags':
        cpu.setRflags((cpu.getRflags() & ~0xffffffffn) | v);
        return true;
      case 'seg': {
        const s = cpu.getState();
        s.seg[k.seg] = { ...s.seg[k.seg]!, selector: Number(v & 0xffffn) };
        cpu.setState(s);
        return true;
      }
      case 'state': {
        const s = cpu.getState();
        s[k.field] = v;
        cpu.setState(s);
        return true;
      }
      case 'x87':
        return v === k.value; // no x87 state to write (registers.ts); rewriting the same value is harmless
      case 'xmm':
        cpu.setXmm(k.n, v);
        return true;
      case 'mxcsr':
        return cpu.setMxcsr(Number(v)); // a reserved bit set: refused, as LDMXCSR would #GP
      case 'dr':
        if (this.kvm) {
          // KVM_SET_DEBUGREGS semantics (raw DR6).
          const r = this.kvm.getDebugRegs();
          if (k.n < 4) r.db[k.n] = v;
          else if (k.n === 6) r.dr6 = v;
          else r.dr7 = v;
          return this.kvm.setDebugRegs(r);
        }
        cpu.setDr(k.n, v);
        return true;
      case 'debugctl':
        if (this.kvm && this.config.vendor === 'amd') {
          this.kvm.vmcbDbgctl = Number(v & 0xffffn);
          return true;
        }
        return cpu.setMsr(MSR_IA32_DEBUGCTL, v);
    }
  }

  // ================= memory =================

  readMemory(addr: bigint, len: number): Uint8Array | undefined {
    const data = this.machine.memory ? this.readLinear(this.machine.memory, addr, len) : this.cpu.readVirtual(addr, len);
    if (!data || this.swBps.size === 0) return data;
    const out = new Uint8Array(data);
    for (const [a, bp] of this.swBps) {
      if (a >= addr && a < addr + BigInt(len)) out[Number(a - addr)] = bp.orig;
    }
    return out;
  }

  /**
   * What cpu.readVirtual returns (RAM through the current page tables; undefined when any byte is unmapped or
   * outside RAM), with one translation per page instead of one page walk per byte: gdb reads 64-byte stack
   * lines and the watched value at every stop, and `x/4096xb` asks for whole pages.
   */
  private readLinear(mem: PhysicalMemory, addr: bigint, len: number): Uint8Array | undefined {
    const out = new Uint8Array(len);
    let done = 0;
    while (done < len) {
      const la = addr + BigInt(done);
      const n = Math.min(PAGE_SIZE - Number(la & PAGE_OFFSET_MASK), len - done);
      const t = this.cpu.translate(la, false);
      // translate() gives the physical address; RAM above the PCI hole sits elsewhere in mem.u8.
      const p = t === undefined ? -1 : mem.ramOffset(t);
      if (p < 0 || p + n > mem.size) return undefined;
      out.set(mem.u8.subarray(p, p + n), done);
      done += n;
    }
    return out;
  }

  writeMemory(addr: bigint, data: Uint8Array): boolean {
    if (!this.cpu.writeVirtual(addr, data)) return false;
    for (const [a, bp] of this.swBps) {
      if (a >= addr && a < addr + BigInt(data.length)) {
        bp.orig = data[Number(a - addr)]!;
        this.cpu.writeVirtual(a, Uint8Array.of(INT3));
      }
    }
    return true;
  }

  // ================= breakpoints =================

  insertBreakpoint(type: BreakpointType, addr: bigint, kind: number): BreakpointResult {
    const r = this.kvm ? this.insertKvm(type, addr, kind) : this.insertBare(type, addr, kind);
    if (this.logs('debug')) this.log!.debug({ event: 'vmm.breakpoint', op: 'insert', type, addr: '0x' + addr.toString(16), kind, result: r }, 'breakpoint insert');
    return r;
  }

  removeBreakpoint(type: BreakpointType, addr: bigint, kind: number): BreakpointResult {
    const r = this.kvm ? this.removeKvm(type, addr, kind) : this.removeBare(type, addr, kind);
    if (this.logs('debug')) this.log!.debug({ event: 'vmm.breakpoint', op: 'remove', type, addr: '0x' + addr.toString(16), kind, result: r }, 'breakpoint remove');
    return r;
  }

  private insertKvm(type: BreakpointType, addr: bigint, kind: number): BreakpointResult {
    if (type === BreakpointType.Software) {
      // kvm_arch_insert_sw_breakpoint: save the byte, write int3; refcounted.
      const bp = this.swBps.get(addr);
      if (bp) {
        bp.refs++;
        return 'ok';
      }
      const orig = this.cpu.readVirtual(addr, 1);
      if (!orig || !this.cpu.writeVirtual(addr, Uint8Array.of(INT3))) return 'error';
      this.swBps.set(addr, { orig: orig[0]!, refs: 1 });
      this.updateGuestDebug();
      return 'ok';
    }
    const r = this.hw.insert(type, addr, kind);
    if (r === 'ok') this.updateGuestDebug();
    return r;
  }

  private removeKvm(type: BreakpointType, addr: bigint, kind: number): BreakpointResult {
    if (type === BreakpointType.Software) {
      const bp = this.swBps.get(addr);
      if (!bp) return 'error';
      if (--bp.refs > 0) return 'ok';
      this.swBps.delete(addr);
      this.cpu.writeVirtual(addr, Uint8Array.of(bp.orig));
      this.updateGuestDebug();
      return 'ok';
    }
    const r = this.hw.remove(type, addr, kind);
    if (r === 'ok') this.updateGuestDebug();
    return r;
  }

  private insertBare(type: BreakpointType, addr: bigint, kind: number): BreakpointResult {
    switch (type) {
      case BreakpointType.Software:
        this.bareSw.add(addr);
        break;
      case BreakpointType.Hardware:
        this.bareHw.add(addr);
        break;
      default: {
        // TCG accepts any length and read watchpoints.
        const k = type === BreakpointType.WriteWatch ? 'write' : type === BreakpointType.ReadWatch ? 'read' : 'access';
        this.bareWatch.push({ addr, len: Math.max(1, kind), kind: k, type });
      }
    }
    this.applyBare();
    return 'ok';
  }

  private removeBare(type: BreakpointType, addr: bigint, kind: number): BreakpointResult {
    let ok: boolean;
    if (type === BreakpointType.Software) ok = this.bareSw.delete(addr);
    else if (type === BreakpointType.Hardware) ok = this.bareHw.delete(addr);
    else {
      const i = this.bareWatch.findIndex((w) => w.addr === addr && w.type === type && w.len === Math.max(1, kind));
      ok = i >= 0;
      if (ok) this.bareWatch.splice(i, 1);
    }
    this.applyBare();
    return ok ? 'ok' : 'error';
  }

  private applyBare(): void {
    // QEMU TCG's gdbstub single-steps with SSTEP_NOIRQ|SSTEP_NOTIMER by default: no interrupt is taken
    // during a stepi, so it never lands in an interrupt handler.
    this.cpu.blockInterrupts = this.singlestep;
    this.cpu.setExternalBreakpoints([...new Set([...this.bareSw, ...this.bareHw])]);
    this.cpu.setExternalWatchpoints(this.bareWatch.map(({ addr, len, kind }) => ({ addr, len, kind })));
  }

  /** kvm_update_guest_debug -> kvm_arch_update_guest_debug -> KVM_SET_GUEST_DEBUG. */
  private updateGuestDebug(): void {
    if (!this.kvm) return;
    const dbg = encodeGuestDebug({ singlestep: this.singlestep, swBreakpoints: this.swBps.size, hw: this.hw.slots, blockIrq: true });
    this.kvm.setGuestDebug(dbg.control, dbg.debugreg);
  }

  /** The debugger's DR table as QEMU would load it (for `monitor info dr`). */
  debuggerDebugRegs(): { control: number; debugreg: bigint[] } {
    return encodeGuestDebug({ singlestep: this.singlestep, swBreakpoints: this.swBps.size, hw: this.hw.slots, blockIrq: true });
  }

  // ================= execution =================

  resume(action: ResumeAction, onStop: (ev: StopEvent) => void): void {
    if (this._running) return;
    this._running = true;
    this.halted = false;
    this.interruptRequested = false;
    this.pendingStop = onStop;
    this.singlestep = action.kind === 'step';
    this.stepRange = action.kind === 'step' ? action.range : undefined;
    if (this.kvm) {
      this.updateGuestDebug();
      setImmediate(() => this.sliceKvm());
    } else {
      this.applyBare();
      const rip = this.cpu.getRip();
      if (this.bareSw.has(rip) || this.bareHw.has(rip)) this.cpu.suppressExternalBreakpointOnce();
      setImmediate(() => this.sliceBare());
    }
  }

  interrupt(): void {
    if (!this._running) return;
    this.interruptRequested = true;
    if (this.halted) this.finish({ kind: 'signal', signal: SIGINT, detail: 'interrupted while the guest was halted' });
    // A slice runs synchronously, so a Ctrl-C from the socket always arrives between slices and the next
    // slice sees interruptRequested before it enters the CPU. Asking the CPU to stop as well would leave
    // that request pending, and the next resume would stop at once (the gdbstub helper's Ctrl-C bug).
    // Only a call made from inside a running slice (a hook) needs the CPU's own stop request.
    else if (this.inSlice) this.cpu.requestStop('debugger interrupt');
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
    if (this.singlestep && this.kvm) {
      this.singlestep = false;
      this.updateGuestDebug();
    }
    this.singlestep = false;
    this.stepRange = undefined;
    if (this.logs('debug')) this.log!.debug({ event: 'vmm.stop', stop: stringifyStop(ev), rip: '0x' + this.cpu.getRip().toString(16) }, 'guest stopped');
    cb?.(ev);
  }

  /** A stop the CPU asked for: a debugger interrupt (SIGINT), or code entering a mode the CPU does not
   *  model (real-address / virtual-8086 mode): SIGILL, so gdb says "Illegal instruction" at the RIP. */
  private cpuStopSignal(why: string): StopEvent {
    return { kind: 'signal', signal: this.cpu.unsupportedMode !== '' ? SIGILL : SIGINT, detail: why };
  }

  private exitedOr(ev: StopEvent): StopEvent {
    return this.machine.exitCode !== undefined ? { kind: 'exited', code: this.machine.exitCode } : ev;
  }

  /**
   * After a plain single step: go on stepping (range stepping) while the pc is inside the range gdb gave, the
   * guest has not exited and no Ctrl-C came. Every step is the same single step a `stepi` would be (same #DB
   * path and routing records); only the decision to take the next one moves from gdb to us.
   */
  private keepRangeStepping(): boolean {
    const r = this.stepRange;
    if (r === undefined || !this.plainStep || this.interruptRequested || this.machine.exitCode !== undefined) return false;
    const pc = this.cpu.getRip();
    return pc >= r.start && pc < r.end;
  }

  private sliceBare(): void {
    if (!this._running) return;
    if (this.interruptRequested) return this.finish({ kind: 'signal', signal: SIGINT });
    const step = this.singlestep;
    for (let steps = 1; ; steps++) {
      this.inSlice = true;
      let r: StopReason;
      try {
        r = this.cpu.run(step ? 1 : SLICE);
      } finally {
        this.inSlice = false;
      }
      const ev = this.bareStop(r, step);
      // A step that ran its one instruction (not a breakpoint, watchpoint, HLT or stop request).
      this.plainStep = step && r.kind === 'budget';
      if (ev && this.keepRangeStepping()) {
        if (steps < RANGE_STEPS_PER_SLICE) continue;
        break;
      }
      if (ev) return this.finish(ev);
      break;
    }
    if (this.halted) return; // wait for interrupt()
    setImmediate(() => this.sliceBare());
  }

  private bareStop(r: StopReason, step: boolean): StopEvent | undefined {
    if (this.machine.exitCode !== undefined) return { kind: 'exited', code: this.machine.exitCode };
    switch (r.kind) {
      case 'budget':
        return step ? { kind: 'signal', signal: SIGTRAP } : undefined;
      case 'ext-breakpoint':
        return { kind: 'signal', signal: SIGTRAP, reason: this.bareSw.has(r.rip) ? { type: 'swbreak' } : { type: 'hwbreak' } };
      case 'ext-watchpoint': {
        const w = this.bareWatch.find((x) => r.addr < x.addr + BigInt(x.len) && x.addr < r.addr + 1n);
        const type = w?.kind === 'read' ? 'rwatch' : w?.kind === 'access' ? 'awatch' : 'watch';
        return { kind: 'signal', signal: SIGTRAP, reason: { type, addr: w ? (r.addr < w.addr ? w.addr : r.addr) : r.addr } };
      }
      case 'hlt':
        if (step) return { kind: 'signal', signal: SIGTRAP };
        this.halted = true;
        return undefined;
      case 'stop-requested':
        return this.exitedOr(this.cpuStopSignal(r.why));
      case 'triple-fault':
        return { kind: 'signal', signal: SIGSEGV, detail: `triple fault: ${r.detail}` };
      case 'intercept':
        return { kind: 'signal', signal: SIGTRAP, detail: 'unexpected intercept in bare mode' };
    }
  }

  private sliceKvm(): void {
    if (!this._running) return;
    if (this.interruptRequested) return this.finish({ kind: 'signal', signal: SIGINT });
    for (let steps = 1; ; steps++) {
      this.inSlice = true;
      let exit: KvmExit;
      try {
        exit = this.kvm!.runVcpu(SLICE);
      } finally {
        this.inSlice = false;
      }
      this.plainStep = false;
      const ev = this.kvmExit(exit);
      if (ev && this.keepRangeStepping()) {
        if (steps < RANGE_STEPS_PER_SLICE) continue;
        break;
      }
      if (ev) return this.finish(ev);
      break;
    }
    if (this.halted) return;
    setImmediate(() => this.sliceKvm());
  }

  /** kvm_cpu_exec's switch on exit_reason. Returns a stop for gdb, or undefined to keep running. */
  private kvmExit(exit: KvmExit): StopEvent | undefined {
    if (this.machine.exitCode !== undefined) return { kind: 'exited', code: this.machine.exitCode };
    switch (exit.reason) {
      case 'budget':
        return undefined;
      case 'hlt':
        this.halted = true;
        return undefined;
      case 'intr':
        return this.exitedOr(this.cpuStopSignal(exit.why));
      case 'shutdown':
        return { kind: 'signal', signal: SIGSEGV, detail: `triple fault: ${exit.detail}` };
      case 'debug': {
        const d = this.handleDebugExit(exit.debug);
        if (!d.debuggerStop) return undefined;
        // Only the debugger's single step: claimed as such, nothing queued for the guest, no B0-B3 in the exit
        // DR6 (QEMU does not look at Bn on a BS exit, so a watchpoint hit in the same step must stop the range).
        this.plainStep = d.claim === 'singlestep' && !d.reinject && (Number(BigInt.asUintN(32, exit.debug.dr6)) & DR_TRAP_BITS) === 0;
        if (d.watchpointHit) return { kind: 'signal', signal: SIGTRAP, reason: { type: d.watchpointHit.kind === 'access' ? 'awatch' : 'watch', addr: d.watchpointHit.addr } };
        if (d.claim === 'hw-breakpoint') return { kind: 'signal', signal: SIGTRAP, reason: { type: 'hwbreak' } };
        if (d.claim === 'sw-breakpoint') return { kind: 'signal', signal: SIGTRAP, reason: { type: 'swbreak' } };
        return { kind: 'signal', signal: SIGTRAP };
      }
    }
  }

  /** kvm_handle_debug + the re-injection plumbing of docs/semantics.md §3.4. */
  handleDebugExit(debug: { exception: number; pc: bigint; dr6: bigint; dr7: bigint }): HandleDebugResult {
    const kvm = this.kvm!;
    const cap = this.config.exceptionPayload;
    const dr6 = Number(BigInt.asUintN(32, debug.dr6)) >>> 0;
    const dr7 = Number(BigInt.asUintN(32, debug.dr7)) >>> 0;
    const d = kvmHandleDebug({
      exception: debug.exception,
      pc: debug.pc,
      dr6,
      dr7,
      singlestepEnabled: this.singlestep,
      hwBreakpoints: this.hw.slots,
      swBreakpointAt: (pc) => this.swBps.has(pc),
      routing: this.config.qemuDbRouting,
      exceptionPayloadCap: cap,
    });
    const outcome = d.debuggerStop ? (d.reinject ? 'both' : 'debugger') : d.reinject ? 'guest' : 'none';
    // docs/semantics.md §4 defect 3 / §7.10: the posted patch tests DR6.BLD without checking exception == #DB. A #BP
    // exit does not write kvm_run->debug.arch.dr6, so the stale value decides; it is 0 on a fresh vCPU (the
    // kvm_run page is allocated zeroed) and an MMIO exit's `len` after one. The debugger's own int3 is then
    // also queued to the guest, which takes an #BP it never executed on the next entry. Real QEMU with the
    // patch does this too; it is a finding, not a model artefact, so it is flagged rather than hidden.
    const note =
      this.config.qemuDbRouting === 'bld-patch' && debug.exception !== DB_VECTOR && d.debuggerStop && d.reinject
        ? `spurious #BP: bld-patch queued the debugger's int3 to the guest because the stale kvm_run dr6 ${hex32(dr6)} has bit 11 = 0 (docs/semantics.md §4 defect 3; use qemu-db-routing corrected or pre-patch)`
        : undefined;
    const route = this.routeLog.record({ by: 'qemu', exception: debug.exception, pc: debug.pc, dr6, dr7, singlestep: this.singlestep, routing: this.config.qemuDbRouting, cap, claim: d.claim, outcome, reinject: d.reinject, note });
    if (note) this.log?.warn({ event: 'db.spurious-bp', seq: route.seq, pc: '0x' + debug.pc.toString(16), dr6: hex32(dr6) }, note);
    if (d.claim === 'sw-breakpoint' && !this.routingWarned && this.config.qemuDbRouting !== 'corrected') {
      this.routingWarned = true;
      this.log?.warn({ event: 'db.routing-defect', routing: this.config.qemuDbRouting }, ROUTING_DEFECT[this.config.qemuDbRouting]);
    }
    if (d.reinject) {
      // cpu_synchronize_state, kvm_queue_exception, then kvm_arch_put_registers: vcpu events first, debugregs last.
      const regs = kvm.getDebugRegs();
      kvm.setException({ vector: d.reinject.vector, pending: cap, hasPayload: d.reinject.hasPayload, payload: d.reinject.payload }, 'qemu-reinject');
      if (!cap && d.reinject.vector === DB_VECTOR) regs.dr6 = BigInt(d.reinject.payload);
      kvm.setDebugRegs(regs);
      this.routeLog.awaitingInject = route;
    }
    return d;
  }

  private onKvmNote(n: KvmDbNote): void {
    if (n.kind === 'queue' && n.vector === DB_VECTOR) {
      this.routeLog.awaitingInject = this.routeLog.record({
        by: 'kvm',
        exception: DB_VECTOR,
        pc: this.cpu.getRip(),
        dr6: n.payload,
        dr7: this.kvm!.dr7,
        singlestep: false,
        cap: this.config.exceptionPayload,
        outcome: 'guest',
        source: n.source,
        reinject: { vector: DB_VECTOR, hasPayload: n.hasPayload, payload: n.payload },
      });
    } else if (n.kind === 'inject') {
      this.routeLog.injected(n.dr6After, { payload: n.payload, merged: n.merged, rf: n.rf });
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
    const start = this.cpu.instructionsRetired;
    this.interruptRequested = false;
    let result: RunSummary['result'] | undefined;
    while (!result) {
      const done = this.cpu.instructionsRetired - start;
      if (this.machine.exitCode !== undefined) result = { kind: 'exit', code: this.machine.exitCode };
      else if (done >= maxInsns) result = { kind: 'budget' };
      else {
        const n = Math.min(SLICE, maxInsns - done);
        if (this.kvm) {
          const e = this.kvm.runVcpu(n);
          if (this.machine.exitCode !== undefined) result = { kind: 'exit', code: this.machine.exitCode };
          else if (e.reason === 'hlt') result = { kind: 'hlt' };
          else if (e.reason === 'shutdown') result = { kind: 'triple-fault', detail: e.detail };
          else if (e.reason === 'intr') result = { kind: 'interrupted', why: e.why };
          else if (e.reason === 'debug') this.handleDebugExit(e.debug);
        } else {
          const r = this.cpu.run(n);
          if (this.machine.exitCode !== undefined) result = { kind: 'exit', code: this.machine.exitCode };
          else if (r.kind === 'hlt') result = { kind: 'hlt' };
          else if (r.kind === 'triple-fault') result = { kind: 'triple-fault', detail: r.detail };
          else if (r.kind === 'stop-requested') result = { kind: 'interrupted', why: r.why };
          else if (r.kind !== 'budget') result = { kind: 'interrupted', why: r.kind };
        }
        if (!result) {
          opts.onSlice?.(this.cpu.instructionsRetired - start);
          await new Promise<void>((res) => setImmediate(res));
        }
      }
    }
    const summary: RunSummary = {
      result,
      instructions: this.cpu.instructionsRetired - start,
      routes: this.routeLog.snapshotCounts(),
    };
    this.log?.info({ event: 'vmm.run.summary', ...summary, result: summary.result }, '#DB routing summary');
    return summary;
  }

  /** Human-readable #DB routing summary of a run (for `dbstub run` on stderr). */
  formatRunSummary(s: RunSummary, recent = 8): string {
    const c = this.config;
    const head =
      c.mode === 'kvm'
        ? `dbstub: #DB routing (kvm mode, ${c.vendor}, qemu-db-routing=${c.qemuDbRouting}, exception-payload=${c.exceptionPayload ? 'on' : 'off'}): ${s.routes.total} decision(s)`
        : `dbstub: #DB routing (bare mode, ${c.vendor}: every #DB delivered by the CPU to the guest IDT): ${s.routes.total} decision(s)`;
    if (s.routes.total === 0) return head + '\n';
    const fmt = (o: Record<string, number>) => Object.entries(o).map(([k, n]) => `${k} ${n}`).join(', ');
    const lines = [head, `  by decider: ${fmt(s.routes.byDecider)}`, `  by outcome: ${fmt(s.routes.byOutcome)}`];
    const notes = this.routes.filter((r) => r.note).length;
    if (notes) lines.push(`  !! ${notes} decision(s) flagged as known defects (see below / docs/FINDINGS.md)`);
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
    this.clearBreakpoints();
    this.singlestep = false;
    this.updateGuestDebug();
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
      if (this.inSlice) this.cpu.requestStop('kill');
      this._running = false;
      this.pendingStop = undefined;
    }
    this.clearBreakpoints(false);
    this.machine.reset();
    this.kvm?.reset();
    this.updateGuestDebug();
    this.routeLog.clear();
    this.last = { kind: 'signal', signal: SIGTRAP };
  }

  private clearBreakpoints(restore = true): void {
    if (restore) for (const [a, bp] of this.swBps) this.cpu.writeVirtual(a, Uint8Array.of(bp.orig));
    this.swBps.clear();
    this.hw.clear();
    this.bareSw.clear();
    this.bareHw.clear();
    this.bareWatch.length = 0;
    if (!this.kvm) this.applyBare();
  }

  // ================= monitor =================

  monitor(command: string): string {
    return runMonitorCommand(this, command);
  }

  reset(): void {
    this.kill();
  }

  qemuCpuView(): QemuCpuView {
    const cpu = this.cpu;
    const g = this.debugRegisterView().guest;
    return {
      state: cpu.getState(),
      cpl: cpu.getCpl(),
      halted: cpu.halted,
      interruptShadow: cpu.interruptShadow !== 'none',
      dr: [...g.db, g.dr6, g.dr7],
      xmm: Array.from({ length: 16 }, (_, i) => cpu.getXmm(i)),
      mxcsr: cpu.getMxcsr(),
    };
  }

  pagingView(): PagingView {
    const s = this.cpu.getState();
    return { cr0: s.cr0, cr3: s.cr3, cr4: s.cr4, efer: s.efer, readPhys: (a, n) => this.readPhysical(a, n) };
  }

  readPhysical(addr: bigint, len: number): Uint8Array | undefined {
    const mem = this.machine.memory;
    if (!mem || addr < 0n || addr + BigInt(len) > BigInt(mem.size)) return undefined;
    return mem.u8.slice(Number(addr), Number(addr) + len);
  }

  debugRegisterView(): DebugRegisterView {
    const cpu = this.cpu;
    const kvm = this.kvm;
    if (kvm) {
      const dbg = this.debuggerDebugRegs();
      return {
        guestSource: "KVM's virtual vcpu->arch registers",
        guest: { db: kvm.db, dr6: BigInt(kvm.dr6), dr7: BigInt(kvm.dr7), debugctl: BigInt(kvm.guestDebugctl) },
        debugger: {
          kind: 'kvm',
          control: dbg.control,
          debugreg: dbg.debugreg,
          slots: Array.from({ length: MAX_HW_BREAKPOINTS }, (_, i) => this.hw.slots[i]),
          swBreakpoints: [...this.swBps.keys()],
          hardware: { dr: [0, 1, 2, 3, 6, 7].map((n) => [n, cpu.getDr(n)] as const), debugctl: cpu.getMsr(MSR_IA32_DEBUGCTL) ?? 0n },
        },
      };
    }
    return {
      guestSource: 'hardware',
      guest: { db: [0, 1, 2, 3].map((n) => cpu.getDr(n)), dr6: cpu.getDr(6), dr7: cpu.getDr(7), debugctl: cpu.getMsr(MSR_IA32_DEBUGCTL) ?? 0n },
      debugger: { kind: 'bare', breakpoints: [...this.bareSw, ...this.bareHw], watchpoints: this.bareWatch },
    };
  }
}

function stringifyStop(ev: StopEvent): Record<string, unknown> {
  if (ev.kind === 'exited') return { kind: 'exited', code: ev.code };
  return { kind: 'signal', signal: ev.signal, reason: ev.reason && { type: ev.reason.type, addr: 'addr' in ev.reason ? '0x' + ev.reason.addr.toString(16) : undefined }, detail: ev.detail };
}
