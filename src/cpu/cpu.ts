// The x86 interpreter: the Cpu class that implements GuestCpu (api.ts). The class is built in layers, each
// in its own file: core.ts (register file, lazy flags, the slow-path word), memory-access.ts (paging, TLB,
// data accesses, instruction fetch), addressing.ts (operand addresses, stack), events.ts (exception and
// interrupt delivery, HLT, the clock); this file adds reset, the state API for the VMM and debugger, and
// the run loop. Instruction semantics live in ops.ts / ops-legacy.ts, system instructions in system.ts /
// far.ts / segments.ts / tasks.ts, the mode summary in mode.ts, the debug unit in debug.ts.

import type {
  ArchState, CpuMode, CpuOptions, DbEvent, ExternalWatchpoint, Gpr, GuestCpu, InterceptableInstruction, SegmentState,
  StopReason, TableRegister, X87Regs,
} from './api.js';
import { INTERNAL_ERROR_STOP } from './api.js';
import type { Insn } from './decoder.js';
import { installHandlers } from './handlers.js';
import { cpuMode, updateMode } from './mode.js';
import { CANON_LIMIT, big64, bigToLa, laToBig } from './canonical.js';
import { ACC_R, FAULT, SHADOW_MOVSS, SHADOW_NONE, SHADOW_STI, SL_EVENT, SL_EXEC_BP, SL_EXTBP, SL_PER_INSN, SL_TRAP, STOP } from './state.js';
import * as A from './arch.js';
import { XCR0_RESET } from './xsave.js';
import * as D from './debug.js';
import * as S from './system.js';
import * as P from './paging32.js';
import { CpuEvents } from './events.js';

/** What the run loop needs of a block compiler (src/cpu/jit/engine.ts). */
export interface CodeEngine {
  /** Run compiled code from `c.insnRip` (the fetch page is current), at most `budget` instructions, with the
   *  run loop's per-instruction bookkeeping done (rip, insnRip, nextRip, retired). Returns the instructions
   *  retired, or -1 when this instruction is to be interpreted. A fault leaves `thrown` set. */
  exec(c: Cpu, budget: number): number;
  thrown: unknown;
  /** Throw `thrown` (and clear it). */
  rethrow(): never;
}

const BUDGET: StopReason = Object.freeze({ kind: 'budget' });
/** REP iterations one run() may do: ~10 ms of the slowest string op measured (REP MOVSB between two
 *  buffers that evict each other from the TLB, ~1.2 us per iteration), two 4096-iteration chunks. */
const REP_WORK_PER_RUN = 8192;
/** Work units (REP iterations' worth) one delivered fault costs: 128 faults per run(), a few ms. */
const FAULT_WORK = 64;

export class Cpu extends CpuEvents implements GuestCpu {
  /** The block compiler (src/cpu/jit, `--engine jit`), null for the interpreter alone. */
  jit: CodeEngine | null = null;

  constructor(opts: CpuOptions) {
    super(opts);
    this.mem.onCodeWrite = (ppn) => this.invalidateCodePage(ppn);
    installHandlers();
    this.reset();
  }

  // =====================================================================================
  // Reset / state
  // =====================================================================================
  reset(): void {
    this.rl.fill(0); this.rh.fill(0);
    this.rip = 0xfff0; this.fl = 2; this.lf.fill(0);
    this.cpl = 0;
    this.segSel.fill(0); this.segBase.fill(0); this.segLimit.fill(0xffff); this.segAttr.fill(A.ATTR_P | A.ATTR_S | 3);
    this.segSel[1] = 0xf000; this.segBase[1] = 0xffff0000; this.segAttr[1] = A.ATTR_P | A.ATTR_S | 0xb;
    this.gdtrBase = 0; this.gdtrLimit = 0xffff; this.idtrBase = 0; this.idtrLimit = 0xffff;
    this.trSel = 0; this.trBase = 0; this.trLimit = 0xffff; this.trAttr = A.ATTR_P | A.SYS_TSS64_BUSY;
    this.ldtrSel = 0; this.ldtrBase = 0; this.ldtrLimit = 0xffff; this.ldtrAttr = A.ATTR_P | A.SYS_LDT;
    this.cr0 = A.CR0_RESET; this.cr2 = 0; this.cr3 = 0; this.cr4 = 0; this.cr8 = 0; this.efer = 0;
    this.kernelGsBase = 0; this.star = 0n; this.lstar = 0n; this.cstar = 0n; this.sfmask = 0; this.tscAux = 0; this.tscAdjust = 0;
    this.pkru = 0; this.pkrs = 0; // SDM Vol. 3 Table 10-1 / XSAVE init value of PKRU
    this.modelMsrs.reset();
    this.xmm.fill(0); this.mxcsr = 0x1f80; this.x87.reset(); this.xcr0 = XCR0_RESET;
    // SDM Vol. 3 10.1.1, Table 10-1: DR0-DR3 = 0, DR6 = FFFF0FF0H, DR7 = 00000400H, DEBUGCTL = 0.
    for (let n = 0; n < A.DR_COUNT; n++) { this.drRaw[n] = 0n; this.drLin[n] = 0; }
    this.dr6 = A.DR6_RESET; this.dr7 = A.DR7_RESET; this.debugctl = 0;
    this.shadow = SHADOW_NONE; this.shadowNew = SHADOW_NONE; this.pendingDbg = 0; this.deferredTrap = 0; this.taskSwitchTrap = false;
    this.rfKeep = false; this.suppressExtBpOnce = false;
    this.shutdown = false; this.shutdownDetail = '';
    this.stopWhy = '';
    this.retired = 0; // api.ts: instructionsRetired counts since reset
    this.haltSkipped = 0; this.haltedState = false; this.timerTick = undefined; this.timerFn = undefined;
    this.irqCheck = false; // api.ts: pendingVector() is asked only after notifyInterrupt()
    this.nmiPending = false; this.nmiBlocked = false;
    this.flushTlb();
    this.updateCplMasks();
    updateMode(this);
    this.recomputeSlow();
  }

  get instructionsRetired(): number { return this.retired; }
  get unsupportedMode(): string { return this.lastUnsupported; }
  /** CR8 (TPR[7:4]): the interrupt controller's when it implements it (api.ts), else a plain register. */
  readCr8(): number {
    const ic = this.interrupts;
    return ic !== undefined && ic.readCr8 !== undefined ? ic.readCr8() & 15 : this.cr8;
  }
  writeCr8(v: number): void {
    this.cr8 = v & 15;
    const ic = this.interrupts;
    if (ic !== undefined && ic.writeCr8 !== undefined) ic.writeCr8(v & 15);
  }
  /** Log the unsupported-mode reason once per reason (a 'cpu-unsupported-mode' event). */
  noteUnsupported(): void {
    if (this.unsupportedLogged === this.unsupported) return;
    this.unsupportedLogged = this.unsupported;
    this.log('error', 'cpu-unsupported-mode', { mode: cpuMode(this), rip: '0x' + laToBig(this.rip).toString(16), reason: this.unsupported });
  }
  /** The stop run() returns while the mode is unsupported. */
  private unsupportedStop(): StopReason {
    this.noteUnsupported();
    this.lastUnsupported = this.unsupported;
    return { kind: 'stop-requested', why: `unsupported CPU mode: ${this.unsupported}` };
  }

  // ---- platform contract (api.ts); the full model of modes, timer and interrupts is being built ----
  get mode(): CpuMode { return cpuMode(this); }

  get pendingDebugExceptions(): number { return this.pendingDbg; }
  set pendingDebugExceptions(v: number) { this.pendingDbg = v >>> 0; this.recomputeSlow(); }
  get interruptShadow(): 'none' | 'sti' | 'mov-ss' {
    return this.shadow === SHADOW_STI ? 'sti' : this.shadow === SHADOW_MOVSS ? 'mov-ss' : 'none';
  }
  set interruptShadow(v: 'none' | 'sti' | 'mov-ss') {
    this.shadow = v === 'sti' ? SHADOW_STI : v === 'mov-ss' ? SHADOW_MOVSS : SHADOW_NONE;
    this.recomputeSlow();
  }
  get hostSingleStep(): boolean { return this.hostSS; }
  set hostSingleStep(v: boolean) {
    if (v === this.hostSS) return; // set on every VM entry: only a change re-arms the slow path
    this.hostSS = v;
    this.recomputeSlow();
  }

  getGpr(r: Gpr): bigint { return big64(this.rl[r]!, this.rh[r]!); }
  getGpr32(r: Gpr): number { return this.rl[r]! >>> 0; }
  setGpr32(r: Gpr, v: number): void { this.rl[r] = v | 0; this.rh[r] = 0; }
  setGpr(r: Gpr, v: bigint): void {
    const u = BigInt.asUintN(64, v);
    this.rl[r] = Number(u & 0xffffffffn) | 0; this.rh[r] = Number(u >> 32n) | 0;
  }
  getRip(): bigint { return laToBig(this.rip); }
  setRip(v: bigint): void {
    const r = bigToLa(v);
    if (r !== this.rip) this.haltedState = false; // moved by the debugger: no longer waiting in HLT
    this.rip = r;
  }
  getRflags(): bigint { return BigInt(this.getFlags() >>> 0); }
  getRflags32(): number { return this.getFlags() >>> 0; }
  setRflags(v: bigint): void {
    const before = this.fl & A.RFLAGS_VM;
    this.setFlagsAll(Number(BigInt.asUintN(32, v)));
    // EFLAGS.VM selects virtual-8086 mode: CPL and the mode summary follow it.
    if ((this.fl & A.RFLAGS_VM) !== before) { this.cpl = this.cplOfState(); this.updateCplMasks(); updateMode(this); }
  }
  /** CPL as the state implies it: 0 in real-address mode (CR0.PE=0), 3 in virtual-8086 mode, else CS.RPL. */
  private cplOfState(): number {
    if (!(this.cr0 & A.CR0_PE)) return 0;
    if ((this.fl & A.RFLAGS_VM) && !(this.efer & A.EFER_LMA)) return 3;
    return this.segSel[1]! & 3;
  }
  getCpl(): number { return this.cpl; }

  private segState(n: number): SegmentState {
    return { selector: this.segSel[n]!, base: laToBig(this.segBase[n]!), limit: this.segLimit[n]!, attrs: this.segAttr[n]! };
  }

  getState(): ArchState {
    const gpr: bigint[] = [];
    for (let r = 0; r < 16; r++) gpr.push(this.getGpr(r as Gpr));
    return {
      gpr, rip: this.getRip(), rflags: this.getRflags(),
      seg: [0, 1, 2, 3, 4, 5].map((n) => this.segState(n)),
      gdtr: { base: laToBig(this.gdtrBase), limit: this.gdtrLimit },
      idtr: { base: laToBig(this.idtrBase), limit: this.idtrLimit },
      tr: { selector: this.trSel, base: laToBig(this.trBase), limit: this.trLimit, attrs: this.trAttr },
      ldtr: { selector: this.ldtrSel, base: laToBig(this.ldtrBase), limit: this.ldtrLimit, attrs: this.ldtrAttr },
      cr0: BigInt(this.cr0 >>> 0), cr2: laToBig(this.cr2), cr3: BigInt(this.cr3), cr4: BigInt(this.cr4 >>> 0),
      cr8: BigInt(this.readCr8()), efer: BigInt(this.efer >>> 0),
      fsBase: laToBig(this.segBase[4]!), gsBase: laToBig(this.segBase[5]!), kernelGsBase: laToBig(this.kernelGsBase),
    };
  }

  setState(s: ArchState): void {
    for (let r = 0; r < 16; r++) this.setGpr(r as Gpr, s.gpr[r] ?? 0n);
    const rip = bigToLa(s.rip);
    // A write that moves RIP (loader, debugger) ends a HLT wait; rewriting the same state keeps it.
    if (rip !== this.rip) this.haltedState = false;
    this.rip = rip;
    for (let n = 0; n < 6; n++) {
      const g = s.seg[n];
      if (!g) continue;
      this.segSel[n] = g.selector; this.segBase[n] = bigToLa(g.base); this.segLimit[n] = g.limit >>> 0; this.segAttr[n] = g.attrs;
    }
    const tbl = (t: TableRegister): [number, number] => [bigToLa(t.base), t.limit];
    [this.gdtrBase, this.gdtrLimit] = tbl(s.gdtr);
    [this.idtrBase, this.idtrLimit] = tbl(s.idtr);
    this.trSel = s.tr.selector; this.trBase = bigToLa(s.tr.base); this.trLimit = s.tr.limit >>> 0; this.trAttr = s.tr.attrs;
    this.ldtrSel = s.ldtr.selector; this.ldtrBase = bigToLa(s.ldtr.base); this.ldtrLimit = s.ldtr.limit >>> 0; this.ldtrAttr = s.ldtr.attrs;
    // CR3 keeps its low bits: with PAE paging outside IA-32e mode bits 31:5 locate the PDPT (SDM 4.4.1).
    this.cr0 = Number(s.cr0 & 0xffffffffn) | 0; this.cr2 = bigToLa(s.cr2); this.cr3 = Number(s.cr3 & 0xffffffffffff8n);
    this.cr4 = Number(s.cr4 & 0xffffffffn) | 0; this.writeCr8(Number(s.cr8 & 15n)); this.efer = Number(s.efer & 0xffffn);
    // LMA follows LME & PG (SDM Vol. 3 10.8.5) so a loader may hand us either.
    if ((this.efer & A.EFER_LME) && (this.cr0 & A.CR0_PG)) this.efer |= A.EFER_LMA;
    // IA32_FS_BASE/IA32_GS_BASE alias the hidden FS/GS bases; in IA-32e mode the MSR fields are the
    // authority (the descriptor base is 32-bit), outside it the segment state is.
    if (this.efer & A.EFER_LMA) { this.segBase[4] = bigToLa(s.fsBase); this.segBase[5] = bigToLa(s.gsBase); }
    this.kernelGsBase = bigToLa(s.kernelGsBase);
    this.setFlagsAll(Number(BigInt.asUintN(32, s.rflags)));
    // CPL is CS.RPL (SS.DPL equals it for well-formed state); a real-mode CS selector's low bits are not a
    // privilege level.
    this.cpl = this.cplOfState();
    this.flushTlb();
    P.reloadPdptesNoFault(this);
    this.updateCplMasks();
    updateMode(this);
    this.recomputeSlow();
  }

  // =====================================================================================
  // SSE state from outside (debugger): xmm holds each register as four little-endian dwords
  // =====================================================================================
  getXmm(n: number): bigint {
    const x = this.xmm, o = (n & 15) * 4;
    let v = 0n;
    for (let k = 3; k >= 0; k--) v = (v << 32n) | BigInt(x[o + k]! >>> 0);
    return v;
  }
  setXmm(n: number, v: bigint): void {
    const x = this.xmm, o = (n & 15) * 4;
    let u = BigInt.asUintN(128, v);
    for (let k = 0; k < 4; k++) { x[o + k] = Number(u & 0xffffffffn) | 0; u >>= 32n; }
  }
  getX87(): X87Regs {
    const f = this.x87;
    const st: bigint[] = [];
    for (let i = 0; i < 8; i++) st.push(f.getSt(i));
    return { st, fcw: f.fcw, fsw: f.fsw, ftw: f.ftw, fop: f.fop, fip: f.fip, fcs: f.fcs, fdp: f.fdp, fds: f.fds };
  }
  setX87(v: X87Regs): void {
    const f = this.x87;
    // ST(i) under the TOP they were read with (before FSW changes it): a debugger's write of fstat alone then
    // moves TOP without moving the physical registers, as QEMU's x86_cpu_gdb_write_register does.
    v.st.forEach((s, i) => f.setSt(i, BigInt.asUintN(80, s)));
    f.fcw = v.fcw & 0xffff; f.fsw = v.fsw & 0xffff; f.ftw = v.ftw & 0xffff; f.fop = v.fop & 0x7ff;
    f.fip = v.fip >>> 0; f.fcs = v.fcs & 0xffff; f.fdp = v.fdp >>> 0; f.fds = v.fds & 0xffff;
  }
  getMxcsr(): number { return this.mxcsr >>> 0; }
  setMxcsr(v: number): boolean {
    if ((v >>> 0) & ~A.MXCSR_MASK) return false;
    this.mxcsr = v >>> 0;
    return true;
  }

  // =====================================================================================
  // Debug registers / MSRs from outside
  // =====================================================================================
  getDr(n: number): bigint {
    if (n >= 0 && n < 4) return this.drRaw[n]!;
    if (n === 6 || n === 4) return BigInt(this.dr6 >>> 0);
    if (n === 7 || n === 5) return BigInt(this.dr7 >>> 0);
    return 0n;
  }
  setDr(n: number, v: bigint): void {
    // The KVM model reloads all six registers on every VM entry: only a changed DR0-3/DR7 re-arms the slow
    // path (DR6 arms nothing).
    if (n >= 0 && n < 4) {
      if (v === this.drRaw[n]) return; // the common reload of an unchanged value: no BigInt work
      const u = BigInt.asUintN(64, v);
      if (u === this.drRaw[n]) return;
      this.drRaw[n] = u;
      const s = BigInt.asIntN(64, u);
      this.drLin[n] = s >= -(1n << 47n) && s < (1n << 47n) ? Number(s) : NaN;
      this.recomputeSlow();
    } else if (n === 6 || n === 4) this.setDr32(6, Number(BigInt.asUintN(32, v)));
    else if (n === 7 || n === 5) this.setDr32(7, Number(BigInt.asUintN(32, v)));
  }
  getDr32(n: 6 | 7): number { return (n === 6 ? this.dr6 : this.dr7) >>> 0; }
  setDr32(n: 6 | 7, v: number): void {
    const d = v >>> 0;
    if (n === 6) { this.dr6 = d; return; } // raw, like KVM_SET_DEBUGREGS; DR6 arms nothing
    if (d === this.dr7) return;
    this.dr7 = d;
    this.recomputeSlow();
  }

  getMsr(index: number): bigint | undefined { return S.readMsr(this, index >>> 0); }
  setMsr(index: number, v: bigint): boolean { return S.writeMsr(this, index >>> 0, BigInt.asUintN(64, v), true); }

  // =====================================================================================
  // External (debugger) breakpoints
  // =====================================================================================
  setExternalBreakpoints(addrs: readonly bigint[]): void {
    this.extBps = addrs.map((a) => bigToLa(a));
    this.recomputeSlow();
  }
  setExternalWatchpoints(list: readonly ExternalWatchpoint[]): void {
    this.extWps = list.map((w) => ({ ...w }));
    this.extWpLin = list.map((w) => bigToLa(w.addr));
    this.recomputeSlow();
  }
  suppressExternalBreakpointOnce(): void { this.suppressExtBpOnce = true; }
  requestStop(why: string): void { this.stopWhy = why || 'stop'; this.recomputeSlow(); }
  /** Called by a REP string op at an iteration boundary when this run()'s REP allowance (repWork) is spent
   *  and nothing else is pending (slow === 0): the REP is left unfinished, RIP on it, and run() ends as if
   *  its instruction budget ran out. */
  endRunForRepWork(): never {
    this.stopReason = BUDGET;
    throw STOP;
  }

  // =====================================================================================
  // Run loop
  // =====================================================================================
  run(maxInstructions: number): StopReason {
    if (this.shutdown) return { kind: 'triple-fault', detail: this.shutdownDetail };
    if (this.unsupported) return this.unsupportedStop();
    this.lastUnsupported = '';
    this.stopReason = null;
    this.intercepted = false;
    // The slow bits from state, not left over from the last run's stop (its stopReason kept SL_TRAP set): a
    // stale bit would end the next REP chunk early, making the instruction count depend on where runs end.
    this.recomputeSlow();
    this.repWork = REP_WORK_PER_RUN;
    this.inRun = true;
    try {
      return this.runLoop(maxInstructions);
    } finally {
      this.inRun = false;
    }
  }

  private runLoop(maxInstructions: number): StopReason {
    let count = 0;
    const jit = this.jit;
    // Pending/deferred #DB causes from outside (VM entry with pending debug exceptions, SDM 27.7.3).
    if (this.slow !== 0 && !this.haltedState) {
      try {
        if (D.atRunStart(this)) return this.stopReason ?? BUDGET;
      } catch (e) {
        if (!this.handleThrow(e)) return this.stopReason ?? BUDGET;
      }
    }
    for (;;) {
      if (this.haltedState) {
        const r = this.haltWait();
        if (r !== null) return r;
        if (this.stopReason !== null || this.shutdown) break;
      }
      if (this.timerTick !== undefined && this.clock >= this.timerTick) {
        this.fireTimer();
        continue; // the timer may have armed another deadline or an interrupt
      }
      if (count >= maxInstructions) break;
      // The timer is checked by bounding the inner loop with its deadline (no per-instruction compare).
      let limit = maxInstructions;
      const tt = this.timerTick;
      if (tt !== undefined && count + (tt - this.clock) < limit) limit = count + (tt - this.clock);
      if (this.rebound) { this.rebound = false; this.recomputeSlow(); }
      let stopped = false;
      try {
        while (count < limit) {
          if ((this.slow & SL_PER_INSN) !== 0) {
            if (this.rebound) break; // setTimer() during the slice: recompute the bound
            if (this.beforeInsn()) { stopped = true; break; }
          }
          // Straight run: the slow bits are tested once per instruction, after it. Nothing runs between
          // that test and the next fetch, so while they stay clear the next instruction needs no
          // before-check; once an instruction sets one, D.after runs for it and the outer loop does the
          // before-check of the next. RIP stays in a local between instructions (this.rip is still
          // stored after each one: the host, observers and faults read it).
          let rip = this.rip;
          // The fetch page (fLin0, fArr) in locals: only fetchSlow below installs a new page, and every other
          // change (code-page invalidation, paging or mode change) sets fLin0 to NaN, which the compare after
          // each instruction sees (NaN equals nothing).
          let lin0 = this.fLin0, arr = this.fArr;
          // The engine is chosen here, once per straight run, not per instruction: the interpreter's loop
          // has no block-compiler test in it (src/cpu/jit is consulted only in the second loop).
          if (jit === null) {
            for (;;) {
              // Inline fetch: while RIP stays in the current code page the record comes straight from the
              // page's array (no translation, no Map lookup).
              const off = rip - lin0;
              // Set before the fetch: a #PF/#GP of the fetch itself is a fault of this instruction (its RIP is pushed).
              this.insnRip = rip;
              let ins: Insn | undefined;
              if (off >= 0 && off < 4096) ins = arr[off];
              if (ins === undefined) {
                ins = this.fetchSlow(rip); lin0 = this.fLin0; arr = this.fArr;
                // A page with an armed breakpoint: the debug unit's before-check first (breakpointPageBits).
                if ((this.slow & (SL_EXEC_BP | SL_EXTBP)) !== 0 && !this.dbBeforeRan) break;
              }
              this.nextRip = rip + ins.len;
              ins.fn(this, ins);
              rip = this.nextRip;
              this.rip = rip;
              this.retired++;
              count++;
              if (this.fLin0 !== lin0) { lin0 = this.fLin0; arr = this.fArr; }
              if ((this.slow & SL_PER_INSN) !== 0) {
                if (this.intercepted) { this.dropIntercepted(); count--; stopped = true; break; }
                if (D.after(this, ins)) stopped = true;
                break;
              }
              if (count >= limit) break;
            }
          } else {
            for (;;) {
              const off = rip - lin0;
              this.insnRip = rip;
              let ins: Insn | undefined;
              if (off >= 0 && off < 4096) ins = arr[off];
              if (ins === undefined) {
                ins = this.fetchSlow(rip); lin0 = this.fLin0; arr = this.fArr;
                // A page with an armed breakpoint: the debug unit's before-check first (breakpointPageBits).
                if ((this.slow & (SL_EXEC_BP | SL_EXTBP)) !== 0 && !this.dbBeforeRan) break;
              }
              this.nextRip = rip + ins.len;
              // Block compiler: runs compiled code from this RIP and returns the instructions it retired (the
              // run loop's bookkeeping is done; a fault is rethrown here), or -1: interpret this one.
              const k = jit.exec(this, limit - count);
              if (k < 0) {
                ins.fn(this, ins);
                rip = this.nextRip;
                this.rip = rip;
                this.retired++;
                count++;
              } else {
                count += k;
                rip = this.rip;
                if (jit.thrown !== null) jit.rethrow();
              }
              if (this.fLin0 !== lin0) { lin0 = this.fLin0; arr = this.fArr; }
              if ((this.slow & SL_PER_INSN) !== 0) {
                if (this.intercepted) { this.dropIntercepted(); count--; stopped = true; break; }
                if (D.after(this, ins)) stopped = true;
                break;
              }
              if (count >= limit) break;
            }
          }
          if (stopped) break;
        }
      } catch (e) {
        if (e === STOP || !this.handleThrow(e) || this.stopReason !== null) stopped = true;
      }
      if (stopped) {
        // HLT completed: wait for an interrupt (or the timer) at the top of the loop.
        if (this.haltedState && this.stopReason !== null && this.stopReason.kind === 'hlt') { this.stopReason = null; continue; }
        break;
      }
    }
    if (this.stopReason !== null) return this.stopReason;
    if (this.shutdown) return { kind: 'triple-fault', detail: this.shutdownDetail };
    return BUDGET;
  }

  /** Before an instruction on the slow path: a maskable interrupt first (SDM Vol. 3 6.9: external
   *  interrupts are taken at instruction boundaries), then the debug unit. True: stop the loop. */
  private beforeInsn(): boolean {
    if ((this.slow & SL_EVENT) !== 0) {
      if (this.irqCheck || this.nmiPending) { if (this.takeInterrupt()) return true; }
      else this.recomputeSlow(); // a stale bit (the timer bound was already recomputed)
    }
    if ((this.slow & SL_PER_INSN & ~SL_EVENT) !== 0) return D.before(this);
    return false;
  }

  /** Returns false when the loop must stop. */
  private handleThrow(e: unknown): boolean {
    if (e === FAULT) {
      // A fault on the instruction in a MOV-SS shadow discards the held-back trap causes.
      if (this.shadow === SHADOW_MOVSS) this.pendingDbg = 0;
      D.onFault(this);
      const vec = this.excVec;
      const err = this.excErr;
      this.rip = this.insnRip;
      this.deliverException(vec, err, 'fault', this.insnRip, this.insnRip);
      if (this.shutdown || this.stopReason !== null) return false;
      // A delivered fault costs far more than an instruction (a #UD on an unmodelled opcode: ~40 us with its
      // log record), so it is charged to the run's work bound too: a guest looping over a faulting
      // instruction still hands the slice back within milliseconds (issue 18 item 1).
      if ((this.repWork -= FAULT_WORK) <= 0) {
        this.stopReason = BUDGET;
        return false;
      }
      return true;
    }
    if (e === STOP) return false;
    if (e === D.DELIVERED) {
      if (this.shadow === SHADOW_MOVSS) this.pendingDbg = 0; // fault-like #DB (GD) in the shadow: held traps dropped
      D.onFault(this);
      return !this.shutdown && this.stopReason === null;
    }
    // An internal bug: never let it escape run(). Log it and treat the instruction as undefined.
    const msg = e instanceof Error ? `${e.message}\n${e.stack ?? ''}` : String(e);
    this.log('error', 'cpu-internal-error', { rip: '0x' + laToBig(this.insnRip).toString(16), error: msg });
    this.rip = this.insnRip;
    this.stopReason = { kind: 'stop-requested', why: `${INTERNAL_ERROR_STOP}${e instanceof Error ? e.message : String(e)}` };
    return false;
  }

  /**
   * Offer an interceptable instruction to the host before it executes. True: the host took it (a VM exit), and
   * the caller returns at once without executing it; the run loop then un-retires it and ends the run with RIP
   * on it (dropIntercepted). Returning instead of throwing STOP matters in kvm mode, where every CPUID, port
   * access and MSR is an exit: V8 unwinds a throw through the handler's never-optimised frame (a function that
   * always throws never returns, so it never tiers up), which cost ~0.4 us per exit (perf, kvm-unit-tests
   * vmexit cpuid).
   */
  intercept(kind: InterceptableInstruction, i: Insn): boolean {
    if (this.bypassIntercept) { this.bypassIntercept = false; return false; }
    if (!this.interceptInstruction(kind, this.insnRip)) return false;
    this.stopReason = { kind: 'intercept', what: 'instruction', instruction: kind, rip: laToBig(this.insnRip), length: i.len };
    this.intercepted = true;
    this.slow |= SL_TRAP;
    return true;
  }

  /** The instruction just offered to the host was taken by it: it did not retire, RIP stays on it. */
  private dropIntercepted(): void {
    this.intercepted = false;
    this.retired--;
    this.rip = this.insnRip;
  }

  executeIntercepted(): StopReason {
    this.bypassIntercept = true;
    try {
      return this.run(1);
    } finally {
      this.bypassIntercept = false;
    }
  }

  // =====================================================================================
  // CPUID
  // =====================================================================================
  cpuid(leaf: number, subleaf: number): [number, number, number, number] { return S.cpuid(this, leaf >>> 0, subleaf >>> 0); }

  // =====================================================================================
  // Debugger memory access
  // =====================================================================================
  translate(linear: bigint, write: boolean): number | undefined {
    void write;
    const la = bigToLa(linear);
    if (la >= CANON_LIMIT || la < -CANON_LIMIT) return undefined;
    const p = this.walk(la, ACC_R, false, true);
    return p < 0 ? undefined : p;
  }
  readVirtual(addr: bigint, len: number): Uint8Array | undefined {
    const out = new Uint8Array(len);
    for (let k = 0; k < len; k++) {
      const t = this.translate(addr + BigInt(k), false);
      const p = t === undefined ? -1 : this.mem.ramOffset(t);
      if (p < 0) return undefined;
      out[k] = this.u8[p]!;
    }
    return out;
  }
  writeVirtual(addr: bigint, data: Uint8Array): boolean {
    const ps: number[] = [];
    for (let k = 0; k < data.length; k++) {
      const p = this.translate(addr + BigInt(k), true);
      if (p === undefined || this.mem.ramOffset(p) < 0) return false;
      ps.push(p);
    }
    for (let k = 0; k < data.length; k++) this.mem.writePhys(ps[k]!, data.subarray(k, k + 1));
    return true;
  }

  /** Called by debug.ts for every #DB raised (delivered or intercepted): tell the observers. */
  emitDbEvent(ev: DbEvent): void {
    const obs = this.observers;
    for (let k = 0; k < obs.length; k++) {
      try { obs[k]!.onDebugEvent?.(ev); } catch (e) { this.log('error', 'hook-error', { hook: 'onDebugEvent', error: String(e) }); }
    }
  }

}
