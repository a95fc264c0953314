// Event delivery (SDM Vol. 3 6.12, 6.14, 6.15): exceptions with the double-fault rules, the 64-bit IDT
// (the 32-bit one is delivery32.ts), injection from outside, maskable interrupts from the controller, HLT
// and the virtual clock with its timer.
//
// One layer of the Cpu class (core.ts -> memory-access.ts -> addressing.ts -> events.ts -> cpu.ts): each
// layer is abstract and only ever instantiated as a Cpu, so `this` is handed to the helper modules (typed
// with Cpu) through a cast.

import type { EventClass, ExceptionEvent, StopReason } from './api.js';
import { updateMode } from './mode.js';
import { deliverIdt32 } from './delivery32.js';
import { deliverIvt } from './mode8086.js';
import { attrsOf, limitOf } from './descriptor.js';
import { CANON_LIMIT, TWO32, big64, bigToLa, laToBig } from './canonical.js';
import { FAULT, SHADOW_MOVSS, SHADOW_NONE, SL_EVENT } from './state.js';
import { onFault } from './debug.js';
import * as A from './arch.js';
import type { Cpu } from './cpu.js';
import { CpuAddressing } from './addressing.js';

/** Firings of the timer at one clock value before it is considered stuck (fireTimer). */
const TIMER_STORM_LIMIT = 10000;
const HLT: StopReason = Object.freeze({ kind: 'hlt' });

export abstract class CpuEvents extends CpuAddressing {
  /** api.ts blockInterrupts: hold maskable interrupts pending (a debugger single-stepping). */
  get blockInterrupts(): boolean { return this.blockIrq; }
  set blockInterrupts(v: boolean) { this.blockIrq = v; this.recomputeSlow(); }

  get clock(): number { return this.retired + this.haltSkipped; }
  get halted(): boolean { return this.haltedState; }
  setTimer(tick: number | undefined, fn?: () => void): void {
    this.timerTick = tick;
    this.timerFn = tick === undefined ? undefined : fn;
    if (this.inRun) { this.rebound = true; this.slow |= SL_EVENT; }
  }
  notifyInterrupt(): void {
    if (this.interrupts === undefined) return;
    this.irqCheck = true;
    if (this.fl & A.RFLAGS_IF) this.slow |= SL_EVENT;
  }
  /** An edge on the NMI input (the local APIC's NMI message or LINT1): latched until delivered. */
  nmi(): void {
    this.nmiPending = true;
    if (!this.nmiBlocked) this.slow |= SL_EVENT;
  }
  /** Timer firings at the current clock value: a device that keeps re-arming for "now" would otherwise
   *  hold the CPU at one instruction boundary forever. */
  protected firesNow = 0;
  protected firesClock = -1;
  protected fireTimer(): void {
    const fn = this.timerFn;
    this.timerTick = undefined; this.timerFn = undefined;
    const now = this.clock;
    if (now !== this.firesClock) { this.firesClock = now; this.firesNow = 0; }
    if (++this.firesNow > TIMER_STORM_LIMIT) {
      this.log('error', 'timer-storm', { clock: now, detail: `the timer was re-armed for the current tick ${TIMER_STORM_LIMIT} times; disarmed` });
      return;
    }
    try { fn?.(); } catch (e) { this.log('error', 'hook-error', { hook: 'timer', error: String(e) }); }
  }

  /** Deliver the controller's pending vector if interrupts are enabled and no STI/MOV SS shadow holds them
   *  off (SDM Vol. 3 6.8.3). Returns true when the loop must stop (intercepted, triple fault). */
  protected takeInterrupt(): boolean {
    // NMI before INTR (SDM Vol. 3 6.9 priority 5 vs 6); not masked by IF, held off by an NMI handler still
    // running (6.7.1) and, as QEMU and KVM hold it off, by the STI / MOV SS shadow.
    if (this.nmiPending && !this.nmiBlocked && !this.blockIrq && this.shadow === SHADOW_NONE) {
      this.nmiPending = false;
      this.nmiBlocked = true;
      this.haltedState = false;
      this.insnRip = this.rip;
      this.stopReason = null;
      this.deliverException(A.VEC_NMI, -1, 'interrupt', this.rip, this.rip, undefined, false, 1);
      this.recomputeSlow();
      return this.stopReason !== null || this.shutdown;
    }
    const ic = this.interrupts;
    if (ic === undefined || !(this.fl & A.RFLAGS_IF) || this.blockIrq) { this.recomputeSlow(); return false; }
    if (this.shadow !== SHADOW_NONE) return false;
    const v = ic.pendingVector();
    if (v < 0) { this.irqCheck = false; this.recomputeSlow(); return false; }
    this.haltedState = false;
    this.insnRip = this.rip;
    this.stopReason = null;
    // As for every event, the host sees it first (the hypervisor model may take the exit).
    this.deliverException(v, -1, 'interrupt', this.rip, this.rip, undefined, false, 1);
    if (this.stopReason !== null) return true;
    try { ic.acknowledge(v); } catch (e) { this.log('error', 'hook-error', { hook: 'acknowledge', error: String(e) }); }
    this.recomputeSlow();
    return this.shutdown;
  }

  /** HLT: wake for a deliverable interrupt; with IF=1 and the timer armed, jump the clock to its deadline
   *  and fire it; else stay halted and report 'hlt'. null: running again. */
  protected haltWait(): StopReason | null {
    if (this.stopWhy) {
      // requestStop() (Ctrl-C) while waiting: report it; the CPU stays halted.
      const why = this.stopWhy;
      this.stopWhy = '';
      this.recomputeSlow();
      return { kind: 'stop-requested', why };
    }
    if (this.blockIrq) return HLT; // nothing may wake it: do not run the clock ahead either
    for (let guard = 0; guard < 1000; guard++) {
      if (this.nmiPending && !this.nmiBlocked) { // an NMI wakes HLT whatever IF says
        if (this.takeInterrupt()) return this.stopReason ?? (this.shutdown ? { kind: 'triple-fault', detail: this.shutdownDetail } : HLT);
        if (!this.haltedState) return null;
      }
      const ifOn = (this.fl & A.RFLAGS_IF) !== 0;
      if (ifOn && this.irqCheck && this.interrupts !== undefined) {
        const before = this.haltedState;
        if (this.takeInterrupt()) return this.stopReason ?? (this.shutdown ? { kind: 'triple-fault', detail: this.shutdownDetail } : HLT);
        if (before && !this.haltedState) return null; // woken: the handler runs
      }
      if (ifOn && this.timerTick !== undefined) {
        if (this.timerTick > this.clock) this.haltSkipped += this.timerTick - this.clock;
        this.fireTimer();
        continue;
      }
      return HLT;
    }
    return HLT; // a timer that re-arms itself forever without raising an interrupt
  }

  // =====================================================================================
  // Event delivery (SDM Vol. 3 6.12, 6.14, 6.15)
  // =====================================================================================
  protected classOf(vec: number, cls: EventClass): EventClass { return vec === A.VEC_DF ? 'abort' : cls; }

  makeEvent(vec: number, err: number, cls: EventClass, rip: number, instrRip: number, payload: number, icebp: boolean): ExceptionEvent {
    const ev: ExceptionEvent = {
      vector: vec,
      errorCode: err >= 0 ? err : undefined,
      cls,
      rip: laToBig(rip),
      instructionRip: laToBig(instrRip),
      dbPayload: payload,
      icebp,
    };
    if (vec === A.VEC_PF) ev.cr2 = laToBig(this.excCr2);
    return ev;
  }

  /**
   * Deliver a hardware exception with the double-fault rules. Offers it to the host first (CpuHost).
   * pushRip: RIP to push; instrRip: the instruction that caused it.
   */
  deliverException(vec: number, err: number, cls: EventClass, pushRip: number, instrRip: number,
    pushRf?: boolean, soft = false, ext = 1, skipHook = false): boolean {
    let first = -1;
    for (;;) {
      const c2 = this.classOf(vec, cls);
      const ev = this.makeEvent(vec, err, c2, pushRip, instrRip, 0, false);
      if (!skipHook && this.interceptException(ev)) {
        if (vec === A.VEC_PF) this.cr2 = this.excCr2; // the #PF was detected: CR2 is written (a VMM sees it in the exit qualification instead; keep it simple)
        this.stopReason = { kind: 'intercept', what: 'exception', event: ev };
        return true;
      }
      if (vec === A.VEC_PF) this.cr2 = this.excCr2;
      try {
        let rf = pushRf;
        if (rf === undefined && c2 === 'fault' && vec !== A.VEC_DB) rf = true; // faults push RF=1 (SDM Vol. 3 18.3.1.1)
        this.deliverIdt(vec, err, pushRip, rf, soft, ext);
        // Every delivered event ends a HLT (SDM Vol. 2A HLT; APM Vol. 3 HLT): e.g. the single-step trap
        // of a HLT executed with TF=1 runs its handler instead of halting again there.
        if (this.haltedState) { this.haltedState = false; if (this.stopReason !== null && this.stopReason.kind === 'hlt') this.stopReason = null; }
        return true;
      } catch (e) {
        if (e !== FAULT) throw e;
        if (soft) {
          // INT n / INT3 / INTO whose own delivery faults is a faulting instruction (SDM Vol. 2A INT n lists
          // the #GP/#NP/#SS/#TS/#PF of its delivery as its exceptions): it does not complete, so no trap #DB
          // is reported for it (SDM Vol. 3 18.3.1.2, 18.3.1.4): neither its single-step nor a data-breakpoint
          // #DB a MOV SS held back (Linux 6.1 mov_ss_trap.c: "Any fault: drop the pending #DB trap"), as
          // Cpu.handleThrow does for an instruction that faults before any delivery. SDM 6.8.3's delivery
          // "after the transfer" is for an INT n that does transfer to its own handler.
          if (this.shadow === SHADOW_MOVSS) this.pendingDbg = 0;
          onFault(this as unknown as Cpu);
        }
        const second = this.excVec;
        if (vec === A.VEC_DF) { this.tripleFault(`fault #${second} while delivering #DF`); return false; }
        const firstIsPf = vec === A.VEC_PF;
        const firstContrib = ((A.CONTRIBUTORY >>> vec) & 1) !== 0 && vec < 32 && !soft;
        const secondContrib = ((A.CONTRIBUTORY >>> second) & 1) !== 0;
        first = vec;
        if ((firstContrib && secondContrib) || (firstIsPf && (secondContrib || second === A.VEC_PF))) {
          vec = A.VEC_DF; err = 0; cls = 'abort';
        } else {
          vec = second; err = this.excErr; cls = 'fault';
        }
        pushRf = undefined; soft = false; ext = 1; skipHook = false;
        pushRip = instrRip;
        void first;
      }
    }
  }

  tripleFault(detail: string): void {
    this.shutdown = true;
    this.shutdownDetail = detail;
    this.log('error', 'triple-fault', { rip: '0x' + laToBig(this.insnRip).toString(16), detail });
    this.stopReason = { kind: 'triple-fault', detail };
  }

  /** Read an 8-byte descriptor from GDT/LDT; returns [lo, hi] via fields dLo/dHi. Raises #GP(sel) if outside the table. */
  dLo = 0; dHi = 0;
  readDescriptor(sel: number, errExt: number): void {
    const ti = (sel & 4) !== 0;
    const base = ti ? this.ldtrBase : this.gdtrBase;
    const limit = ti ? this.ldtrLimit : this.gdtrLimit;
    const off = sel & 0xfff8;
    if (off + 7 > limit) this.raise(A.VEC_GP, (sel & 0xfffc) | errExt);
    this.dLo = this.sysRd32(base + off);
    this.dHi = this.sysRd32(base + off + 4);
  }
  /** Deliver through a 64-bit IDT gate (SDM Vol. 3 6.14.1-6.14.4). */
  deliverIdt(vec: number, err: number, pushRip: number, pushRf: boolean | undefined, soft: boolean, ext: number): void {
    const e = soft ? 0 : ext;
    if (this.realMode) {
      // Real-address mode: the interrupt vector table, no error code, no privilege checks (mode8086.ts).
      deliverIvt(this as unknown as Cpu, vec, pushRip);
      this.dbBranch = true;
      this.shadow = SHADOW_NONE; this.shadowNew = SHADOW_NONE;
      this.recomputeSlow();
      return;
    }
    if (!(this.efer & A.EFER_LMA)) {
      // Protected mode: 8-byte gates, 32-bit frames, TSS SS0:ESP0 (delivery32.ts).
      deliverIdt32(this as unknown as Cpu, vec, err, pushRip, pushRf, soft, ext);
      this.dbBranch = true;
      this.shadow = SHADOW_NONE; this.shadowNew = SHADOW_NONE;
      this.recomputeSlow();
      return;
    }
    if (vec * 16 + 15 > this.idtrLimit) this.raise(A.VEC_GP, vec * 8 + 2 + e);
    const g = this.idtrBase + vec * 16;
    const w0 = this.sysRd32(g), w1 = this.sysRd32(g + 4), w2 = this.sysRd32(g + 8);
    const type = (w1 >>> 8) & 0x1f, dpl = (w1 >>> 13) & 3, present = (w1 >>> 15) & 1;
    if (type !== A.SYS_INT_GATE64 && type !== A.SYS_TRAP_GATE64) this.raise(A.VEC_GP, vec * 8 + 2 + e);
    if (soft && dpl < this.cpl) this.raise(A.VEC_GP, vec * 8 + 2);
    if (!present) this.raise(A.VEC_NP, vec * 8 + 2 + e);
    const sel = w0 >>> 16;
    const ist = w1 & 7;
    const offLo = ((w0 & 0xffff) | (w1 & 0xffff0000)) >>> 0;
    const target = w2 * TWO32 + offLo;
    if ((sel & 0xfffc) === 0) this.raise(A.VEC_GP, e);
    this.readDescriptor(sel, e);
    const cAttr = attrsOf(this.dHi);
    const cdpl = (cAttr >> A.ATTR_DPL_SHIFT) & 3;
    if (!(cAttr & A.ATTR_S) || !(cAttr & 8) || !(cAttr & A.ATTR_L) || (cAttr & A.ATTR_DB) || cdpl > this.cpl) {
      this.raise(A.VEC_GP, (sel & 0xfffc) | e);
    }
    if (!(cAttr & A.ATTR_P)) this.raise(A.VEC_NP, (sel & 0xfffc) | e);
    const conforming = (cAttr & 4) !== 0;
    const newCpl = conforming ? this.cpl : cdpl;
    const oldCpl = this.cpl;
    let rsp: number;
    if (ist !== 0) rsp = this.tssRead64(36 + (ist - 1) * 8);
    else if (newCpl < oldCpl) rsp = this.tssRead64(4 + newCpl * 8);
    else rsp = this.regLaNoFault(4);
    if (rsp >= CANON_LIMIT || rsp < -CANON_LIMIT) this.raise(A.VEC_SS, e);
    rsp = rsp - (((rsp % 16) + 16) % 16); // 64-bit delivery aligns the new stack to 16 (SDM 6.14.2)
    const flags = this.getFlags();
    let pushedFlags = flags & ~A.RFLAGS_RF;
    if (pushRf === true || (pushRf === undefined && (flags & A.RFLAGS_RF))) pushedFlags |= A.RFLAGS_RF;
    const oldSs = this.segSel[2]!, oldCs = this.segSel[1]!;
    const oldRsp = big64(this.rl[4]!, this.rh[4]!);
    // Pushes happen with the new privilege level.
    this.cpl = newCpl; this.updateCplMasks();
    try {
      const n = err >= 0 ? 6 : 5;
      const top = rsp - n * 8;
      const rspLo = Number(oldRsp & 0xffffffffn) | 0, rspHi = Number(oldRsp >> 32n) | 0;
      const ripLo = pushRip >>> 0, ripHi = Math.floor(pushRip / TWO32) | 0;
      this.stWr64(rsp - 8, oldSs, 0);
      this.stWr64(rsp - 16, rspLo, rspHi);
      this.stWr64(rsp - 24, pushedFlags, 0);
      this.stWr64(rsp - 32, oldCs, 0);
      this.stWr64(rsp - 40, ripLo, ripHi);
      if (err >= 0) this.stWr64(rsp - 48, err, 0);
      // Commit.
      this.rl[4] = top >>> 0 | 0; this.rh[4] = Math.floor(top / TWO32) | 0;
    } catch (ex) {
      this.cpl = oldCpl; this.updateCplMasks();
      throw ex;
    }
    if (newCpl !== oldCpl) {
      this.segSel[2] = newCpl; // null SS with RPL = new CPL (SDM 6.14.2)
      this.segBase[2] = 0; this.segLimit[2] = 0; this.segAttr[2] = 0;
    }
    this.segSel[1] = (sel & 0xfffc) | newCpl;
    this.segBase[1] = 0; this.segLimit[1] = limitOf(this.dLo, this.dHi); this.segAttr[1] = cAttr;
    let f = this.fl & ~(A.RFLAGS_TF | A.RFLAGS_NT | A.RFLAGS_RF | A.RFLAGS_VM);
    if (type === A.SYS_INT_GATE64) f &= ~A.RFLAGS_IF;
    this.fl = f;
    this.rip = target; this.nextRip = target;
    this.dbBranch = true;
    this.shadow = SHADOW_NONE; this.shadowNew = SHADOW_NONE;
    updateMode(this as unknown as Cpu); // from compatibility mode the handler runs in 64-bit mode
    this.fLin0 = NaN;
    this.recomputeSlow();
  }
  protected stWr64(la: number, lo: number, hi: number): void {
    // Stack writes during delivery are not data-breakpoint sources we need to model beyond the normal path.
    this.wr64(la, lo, hi);
  }
  protected regLaNoFault(r: number): number { return this.rh[r]! * TWO32 + (this.rl[r]! >>> 0); }
  tssRead64(off: number): number {
    if (off + 7 > this.trLimit) this.raise(A.VEC_TS, this.trSel & 0xfffc);
    const lo = this.sysRd32(this.trBase + off), hi = this.sysRd32(this.trBase + off + 4);
    return hi * TWO32 + (lo >>> 0);
  }

  // =====================================================================================
  // GuestCpu event API
  // =====================================================================================
  injectEvent(vector: number, cls: EventClass, errorCode?: number, opts?: { rf?: boolean; cr2?: bigint }): boolean {
    if (this.shutdown) return false;
    if (opts?.cr2 !== undefined) { this.cr2 = bigToLa(opts.cr2); this.excCr2 = this.cr2; }
    const soft = cls === 'software-interrupt';
    const err = errorCode === undefined ? -1 : errorCode;
    this.insnRip = this.rip;
    this.haltedState = false; // an injected event wakes a halted CPU
    // Injection is not offered to the host (the hypervisor is the one injecting).
    try {
      this.injecting = true;
      this.stopReason = null;
      let rf = opts?.rf;
      if (rf === undefined && cls === 'fault' && vector !== A.VEC_DB) rf = true;
      this.deliverException(vector, err, cls, this.rip, this.rip, rf, soft, soft ? 0 : 1);
    } catch (e) {
      this.log('error', 'cpu-internal-error', { where: 'injectEvent', error: String(e) });
      return false;
    } finally {
      this.injecting = false;
    }
    return !this.shutdown;
  }

  skipInstruction(length: number): void {
    this.rip = this.rip + length;
    // Only RF and the shadow arm slow bits here; most skips (a CPUID exit) clear neither.
    const armed = (this.fl & A.RFLAGS_RF) !== 0 || this.shadow !== SHADOW_NONE || this.shadowNew !== SHADOW_NONE;
    this.fl &= ~A.RFLAGS_RF;
    this.shadow = SHADOW_NONE; this.shadowNew = SHADOW_NONE;
    if (armed) this.recomputeSlow();
  }
}
