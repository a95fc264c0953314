// The bare accelerator: the CPU alone, like QEMU TCG. Debugger breakpoints and watchpoints are outside the
// architecture (TCG's BP_GDB: checked by the CPU loop, never in DR0-DR7), so the guest owns its debug
// registers and every #DB goes to the guest's IDT. Each #DB the CPU delivers is recorded in the route log.

import {
  DR_CONTROL, DR_COUNT, DR_STATUS, MSR_IA32_DEBUGCTL, VEC_DB, type ExternalWatchpoint, type GuestCpu,
  type PhysicalMemory, type StopReason,
} from '../cpu/index.js';
import { BreakpointType, type BreakpointResult } from '../gdbstub/index.js';
import type { AccelDebugRegs, AccelExit, AccelFpu, Accelerator, AccelRegs, AccelSregs } from './accel.js';
import { maxPhyAddrOf, sregsInvalidReason } from '../hv/index.js';
import { readLinear } from './guest-memory.js';
import type { DebugRegisterView } from './monitor.js';
import type { DbRouteLog } from './route-log.js';

export interface BareAccelOptions {
  cpu: GuestCpu;
  memory?: PhysicalMemory | undefined;
  routeLog: DbRouteLog;
  /** Recorded with each route (what a KVM_CAP_EXCEPTION_PAYLOAD VMM would use). */
  exceptionPayload: boolean;
}

/** DR0-DR3. */
const DR_ADDR_REGS = Array.from({ length: DR_COUNT }, (_, n) => n);

export class BareAccel implements Accelerator {
  readonly name = 'bare';
  private readonly cpu: GuestCpu;
  private readonly memory: PhysicalMemory | undefined;
  private readonly sw = new Set<bigint>();
  private readonly hw = new Set<bigint>();
  private readonly watch: (ExternalWatchpoint & { type: BreakpointType })[] = [];
  private singlestep = false;

  constructor(opts: BareAccelOptions) {
    this.cpu = opts.cpu;
    this.memory = opts.memory;
    const cpu = opts.cpu;
    // The #DB route log sees every #DB the guest's IDT receives (an observer beside the machine's logger).
    cpu.addObserver({
      onDebugEvent: (ev) => {
        if (ev.intercepted) return;
        opts.routeLog.record({
          by: 'bare', exception: VEC_DB, pc: ev.rip, dr6: ev.payload, dr7: Number(BigInt.asUintN(32, cpu.getDr(DR_CONTROL))),
          singlestep: false, cap: opts.exceptionPayload, outcome: 'guest', guestDr6: ev.dr6After, source: ev.causes.join('+'),
        });
      },
    });
  }

  get instructionsRetired(): number {
    return this.cpu.instructionsRetired;
  }

  run(budget: number): AccelExit {
    const step = this.singlestep;
    const r = this.cpu.run(step ? 1 : budget);
    return this.exitOf(r, step);
  }

  private exitOf(r: StopReason, step: boolean): AccelExit {
    switch (r.kind) {
      case 'budget':
        // A step that ran its one instruction (not a breakpoint, watchpoint, HLT or stop request).
        return step ? { kind: 'debug', plainStep: true } : { kind: 'continue' };
      case 'ext-breakpoint':
        return { kind: 'debug', reason: this.sw.has(r.rip) ? { type: 'swbreak' } : { type: 'hwbreak' }, plainStep: false };
      case 'ext-watchpoint': {
        const w = this.watch.find((x) => r.addr < x.addr + BigInt(x.len) && x.addr < r.addr + 1n);
        const type = w?.kind === 'read' ? 'rwatch' : w?.kind === 'access' ? 'awatch' : 'watch';
        return { kind: 'debug', reason: { type, addr: w ? (r.addr < w.addr ? w.addr : r.addr) : r.addr }, plainStep: false };
      }
      case 'hlt':
        return step ? { kind: 'debug', plainStep: false } : { kind: 'hlt' };
      case 'stop-requested':
        return { kind: 'interrupted', why: r.why, unsupportedMode: this.cpu.unsupportedMode !== '' };
      case 'triple-fault':
        return { kind: 'shutdown', detail: r.detail };
      case 'intercept':
        return { kind: 'debug', detail: 'unexpected intercept in bare mode', plainStep: false };
    }
  }

  kick(why: string): void {
    this.cpu.requestStop(why);
  }

  // ---- breakpoints ----

  insertBreakpoint(type: BreakpointType, addr: bigint, kind: number): BreakpointResult {
    switch (type) {
      case BreakpointType.Software:
        this.sw.add(addr);
        break;
      case BreakpointType.Hardware:
        this.hw.add(addr);
        break;
      default: {
        // TCG accepts any length and read watchpoints.
        const k = type === BreakpointType.WriteWatch ? 'write' : type === BreakpointType.ReadWatch ? 'read' : 'access';
        this.watch.push({ addr, len: Math.max(1, kind), kind: k, type });
      }
    }
    this.apply();
    return 'ok';
  }

  removeBreakpoint(type: BreakpointType, addr: bigint, kind: number): BreakpointResult {
    let ok: boolean;
    if (type === BreakpointType.Software) ok = this.sw.delete(addr);
    else if (type === BreakpointType.Hardware) ok = this.hw.delete(addr);
    else {
      const i = this.watch.findIndex((w) => w.addr === addr && w.type === type && w.len === Math.max(1, kind));
      ok = i >= 0;
      if (ok) this.watch.splice(i, 1);
    }
    this.apply();
    return ok ? 'ok' : 'error';
  }

  removeAllBreakpoints(): void {
    this.sw.clear();
    this.hw.clear();
    this.watch.length = 0;
    this.apply();
  }

  updateGuestDebug(singlestep: boolean, resuming: boolean): void {
    this.singlestep = singlestep;
    this.apply();
    if (!resuming) return;
    const rip = this.cpu.getRip();
    // TCG resumes past a breakpoint at the current pc instead of hitting it again at once.
    if (this.sw.has(rip) || this.hw.has(rip)) this.cpu.suppressExternalBreakpointOnce();
  }

  private apply(): void {
    // QEMU TCG's gdbstub single-steps with SSTEP_NOIRQ|SSTEP_NOTIMER by default: no interrupt is taken
    // during a stepi, so it never lands in an interrupt handler.
    this.cpu.blockInterrupts = this.singlestep;
    this.cpu.setExternalBreakpoints([...new Set([...this.sw, ...this.hw])]);
    this.cpu.setExternalWatchpoints(this.watch.map(({ addr, len, kind }) => ({ addr, len, kind })));
  }

  // ---- registers ----

  getRegs(): AccelRegs {
    const cpu = this.cpu;
    const gpr: bigint[] = new Array(16);
    for (let r = 0; r < 16; r++) gpr[r] = cpu.getGpr(r);
    return { gpr, rip: cpu.getRip(), rflags: cpu.getRflags() };
  }

  setRegs(r: AccelRegs): boolean {
    const cpu = this.cpu;
    for (let i = 0; i < 16; i++) cpu.setGpr(i, r.gpr[i] ?? 0n);
    cpu.setRip(r.rip);
    cpu.setRflags(r.rflags);
    return true;
  }

  getSregs(): AccelSregs {
    return this.cpu.getState();
  }

  /** The same consistency checks as KVM_SET_SREGS (hv/sregs.ts): TCG would take any value, but a state the
   *  CPU cannot hold (CR4.PAE=0 in IA-32e mode, ...) is refused rather than run. */
  setSregs(s: AccelSregs): boolean {
    if (sregsInvalidReason(s, maxPhyAddrOf((l, sl) => this.cpu.cpuid(l, sl))) !== undefined) return false;
    const cur = this.cpu.getState();
    this.cpu.setState({ ...s, gpr: cur.gpr, rip: cur.rip, rflags: cur.rflags });
    return true;
  }

  getFpu(): AccelFpu {
    const xmm: bigint[] = [];
    for (let n = 0; n < 16; n++) xmm.push(this.cpu.getXmm(n));
    return { x87: this.cpu.getX87(), xmm, mxcsr: this.cpu.getMxcsr() };
  }

  setFpu(f: AccelFpu): boolean {
    if (!this.cpu.setMxcsr(f.mxcsr)) return false;
    this.cpu.setX87(f.x87);
    f.xmm.forEach((v, n) => this.cpu.setXmm(n, v));
    return true;
  }

  getDebugRegs(): AccelDebugRegs {
    const cpu = this.cpu;
    return { db: DR_ADDR_REGS.map((n) => cpu.getDr(n)), dr6: cpu.getDr(DR_STATUS), dr7: cpu.getDr(DR_CONTROL) };
  }

  setDebugRegs(r: AccelDebugRegs): boolean {
    const cpu = this.cpu;
    DR_ADDR_REGS.forEach((n) => cpu.setDr(n, r.db[n] ?? 0n));
    cpu.setDr(DR_STATUS, r.dr6);
    cpu.setDr(DR_CONTROL, r.dr7);
    return true;
  }

  getMpState(): { halted: boolean; interruptShadow: boolean } {
    return { halted: this.cpu.halted, interruptShadow: this.cpu.interruptShadow !== 'none' };
  }

  getMsr(index: number): bigint | undefined {
    return this.cpu.getMsr(index);
  }

  setMsr(index: number, value: bigint): boolean {
    return this.cpu.setMsr(index, value);
  }

  // ---- memory ----

  readMemory(addr: bigint, len: number): Uint8Array | undefined {
    return this.memory ? readLinear((la, w) => this.cpu.translate(la, w), this.memory, addr, len) : this.cpu.readVirtual(addr, len);
  }

  writeMemory(addr: bigint, data: Uint8Array): boolean {
    return this.cpu.writeVirtual(addr, data);
  }

  translate(addr: bigint): bigint | undefined {
    const p = this.cpu.translate(addr, false);
    return p === undefined ? undefined : BigInt(p);
  }

  // ---- monitor, reset ----

  debugRegisterView(): DebugRegisterView {
    const d = this.getDebugRegs();
    return {
      guestSource: 'hardware',
      guest: { db: d.db, dr6: d.dr6, dr7: d.dr7, debugctl: this.cpu.getMsr(MSR_IA32_DEBUGCTL) ?? 0n },
      debugger: { kind: 'bare', breakpoints: [...this.sw, ...this.hw], watchpoints: this.watch },
    };
  }

  reset(): void {}

  describe(): string {
    return `bare mode, ${this.cpu.vendor}: every #DB delivered by the CPU to the guest IDT`;
  }
}
