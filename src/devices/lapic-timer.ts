// The local APIC's timer (Intel SDM Vol. 3A 11.5.4): the LVT timer entry, initial/current count, divide
// configuration, and the TSC-deadline mode (11.5.4.1, IA32_TSC_DEADLINE). LocalApic (lapic.ts) owns one
// and routes the timer's registers and MSR here; what the timer needs of the rest of the APIC (is it
// globally disabled, deliver an expiry through the LVT) comes through ApicTimerSide.
//
// Time: the timer counts APIC bus cycles; this model defines 1 CPU clock tick (one retired instruction,
// GuestCpu.clock) = 1 bus cycle before the divide configuration. The counter is derived from the clock
// (never stepped per instruction); the host timer calls back at each expiry. The TSC advances one per
// clock tick too (IA32_TSC = clock + the offset a WRMSR to it set), so a TSC deadline is a clock tick.

import type { OnceLog } from './device-log.js';
import {
  LVT_MASK, LVT_TIMER_MODE, LVT_TIMER_MODE_SHIFT, TIMER_MODE_ONE_SHOT, TIMER_MODE_PERIODIC, TIMER_MODE_RESERVED,
  TIMER_MODE_TSC_DEADLINE, DIVIDE_CONFIG_BITS, divisorOf, hex,
} from './lapic-regs.js';

/** What the timer needs of the APIC around it and of the CPU. */
export interface ApicTimerSide {
  /** The CPU's virtual clock now (0 while no CPU is attached). */
  now(): number;
  /** IA32_TSC now (the time a TSC deadline is compared with). */
  tsc(): bigint;
  /** Arm the CPU's one timer event for `tick`, or disarm it (undefined). */
  setTimer(tick: number | undefined, fn?: () => void): void;
  /** IA32_APIC_BASE.EN is clear: a globally disabled APIC's timer does not run (SDM 11.4.3). */
  globallyDisabled(): boolean;
  /** The counter reached 0 (or the TSC the deadline): deliver through the LVT timer entry `lvt`. */
  expired(lvt: number): void;
}

export class ApicTimer {
  /** The LVT timer register as stored (SDM Figure 11-8). */
  private lvt = LVT_MASK;
  private divideConfig = 0;
  // The count is derived from the clock. From anchorTick the counter decrements once per `divisor`
  // ticks starting at anchorCount; when it reaches 0 a periodic timer reloads initialCount.
  private initialCount = 0;
  /** IA32_TSC_DEADLINE as armed (0: disarmed). The expiry is derived from the TSC when asked, so a deadline that
   *  passes with the timer masked disarms without an interrupt, as KVM's apic_timer_expired clears it. */
  private deadline = 0n;
  private divisor = divisorOf(0);
  private anchorTick = 0;
  private anchorCount = 0;
  /** Tick of the expiry the host timer is armed for (undefined: not armed). The host timer is armed
   *  only while an expiry would raise an interrupt (timer unmasked): a masked timer keeps counting
   *  (derived from the clock) but costs nothing, and HLT never waits on it. */
  private nextExpiry: number | undefined;
  /** Tick of the last expiry delivered, so re-arming never delivers one twice. */
  private lastFiredTick = -1;
  private readonly onTimer = (): void => this.timerExpired();

  constructor(
    private readonly side: ApicTimerSide,
    /** CPUID.01H:ECX[24]: the LVT timer has the TSC-deadline mode and MSR 0x6E0 exists. */
    private readonly tscDeadlineSupported: boolean,
    private readonly once: OnceLog,
  ) {}

  /** INIT-reset state (SDM 11.4.7.3): masked, one-shot, divide by 2, not counting, no deadline. */
  reset(): void {
    this.lvt = LVT_MASK;
    this.divideConfig = 0;
    this.divisor = divisorOf(0);
    this.initialCount = 0;
    this.deadline = 0n;
    this.anchorTick = 0;
    this.anchorCount = 0;
    this.lastFiredTick = -1;
    this.disarm();
  }

  // ---------------------------------------------------------------- registers

  get lvtRegister(): number { return this.lvt; }
  get initialCountRegister(): number { return this.initialCount; }
  get divideConfigRegister(): number { return this.divideConfig; }

  /** The current-count register value now (SDM 11.5.4). */
  currentCount(): number {
    const mode = this.timerMode();
    if (this.initialCount === 0 || (mode !== TIMER_MODE_ONE_SHOT && mode !== TIMER_MODE_PERIODIC)) return 0; // TSC-deadline: not counting
    return this.countAt(this.side.now());
  }

  /** A write of the LVT timer entry: `stored` is the value after the APIC's writable/mask rules, `written` what the guest wrote. */
  writeLvt(stored: number, written: number): void {
    const oldMode = this.timerMode();
    const cur = this.currentCount(); // under the old mode
    this.settleDeadline(); // a deadline that passed under the old mask has disarmed (no interrupt)
    this.lvt = stored;
    const mode = this.timerMode();
    if (mode === TIMER_MODE_RESERVED || (mode === TIMER_MODE_TSC_DEADLINE && !this.tscDeadlineSupported))
      this.once.unsupported('timer-mode', 'LVT timer mode reserved (or TSC-deadline without the feature): the timer does not run', { lvt: hex(written) });
    if (mode !== oldMode && (mode === TIMER_MODE_TSC_DEADLINE || oldMode === TIMER_MODE_TSC_DEADLINE)) {
      // SDM 11.5.4.1: moving into or out of TSC-deadline mode disarms the timer. KVM (lapic.c apic_update_lvtt)
      // also zeroes the initial count and the deadline, so neither counter survives the switch.
      this.deadline = 0n;
      this.initialCount = 0;
      this.anchorCount = 0;
      this.disarm();
    } else if (mode !== oldMode) this.timerModeChanged(cur);
    else this.reschedule(); // the mask may have changed
  }

  /** Software disabling the APIC sets the LVT mask (SDM 11.4.7.2): the timer stops interrupting. */
  mask(): void {
    this.lvt |= LVT_MASK;
    this.reschedule();
  }

  writeInitialCount(v: number): void {
    // SDM 11.5.4.1: ignored in TSC-deadline mode (KVM kvm_lapic_reg_write APIC_TMICT does the same).
    if (this.deadlineMode()) return;
    // SDM 11.5.4: writing the initial count starts the count-down; writing 0 stops the timer.
    this.initialCount = v >>> 0;
    this.startCount(this.side.now(), this.initialCount);
  }

  writeDivideConfig(v: number): void {
    const t = this.side.now();
    const cur = this.initialCount === 0 ? 0 : this.countAt(t); // at the old rate
    this.divideConfig = v & DIVIDE_CONFIG_BITS;
    this.divisor = divisorOf(this.divideConfig);
    // Keep counting from the current value at the new rate (the SDM leaves a mid-count change undefined).
    if (this.initialCount !== 0) this.startCount(t, cur);
  }

  // ---------------------------------------------------------------- counting

  private timerMode(): number {
    return (this.lvt & LVT_TIMER_MODE) >>> LVT_TIMER_MODE_SHIFT;
  }

  /** Counter value at tick t (t >= anchorTick). */
  private countAt(t: number): number {
    const units = Math.floor((t - this.anchorTick) / this.divisor);
    if (units < this.anchorCount) return this.anchorCount - units;
    // anchorCount 0: the count-down is not running (a one-shot that reached 0, then switched to periodic).
    if (this.timerMode() !== TIMER_MODE_PERIODIC || this.anchorCount === 0) return 0;
    // Periodic: at 0 the counter reloads the initial count in the same bus cycle (SDM 11.5.4), so it reads initialCount..1.
    return this.initialCount - ((units - this.anchorCount) % this.initialCount);
  }

  /** Begin counting down from `count` at tick t and schedule the next expiry. */
  private startCount(t: number, count: number): void {
    this.anchorTick = t;
    this.anchorCount = count;
    this.schedule(t);
  }

  /** Arm the host timer for the first expiry strictly after tick `after`, if the timer is counting. */
  private schedule(after: number): void {
    const mode = this.timerMode();
    if (this.deadlineMode()) {
      this.scheduleDeadline();
      return;
    }
    if (
      this.initialCount === 0 || this.anchorCount === 0 || this.side.globallyDisabled() || (this.lvt & LVT_MASK) !== 0 ||
      (mode !== TIMER_MODE_ONE_SHOT && mode !== TIMER_MODE_PERIODIC)
    ) {
      this.disarm();
      return;
    }
    let expiry = this.anchorTick + this.anchorCount * this.divisor;
    if (expiry <= after) {
      if (mode !== TIMER_MODE_PERIODIC) {
        this.disarm(); // a one-shot that already reached 0 stays at 0
        return;
      }
      const period = this.initialCount * this.divisor;
      expiry += (Math.floor((after - expiry) / period) + 1) * period;
    }
    this.nextExpiry = expiry;
    this.side.setTimer(expiry, this.onTimer);
  }

  /** After a mask or enable change: arm for the next expiry not yet delivered (one at the current tick
   *  included), or disarm. A one-shot that expired while masked stays expired (SDM 11.5.4). */
  private reschedule(): void {
    this.settleDeadline();
    this.schedule(Math.max(this.side.now() - 1, this.lastFiredTick));
  }

  private disarm(): void {
    if (this.nextExpiry !== undefined) this.side.setTimer(undefined);
    this.nextExpiry = undefined;
  }

  /** One-shot <-> periodic (or into an unsupported mode): continue from the count `cur` the old mode reached.
   *  SDM Vol. 3A 11.5.4: changing the mode through the LVT does not start the timer, only a write of the initial
   *  count does; so a one-shot that already reached 0 stays at 0 in periodic mode (KVM apic_update_lvtt leaves
   *  the expired hrtimer alone; kvm-unit-tests x86/apic.c test_apic_change_mode "TMCCT should stay at zero"). */
  private timerModeChanged(cur: number): void {
    if (this.initialCount === 0) return;
    this.startCount(this.side.now(), cur);
  }

  // ---------------------------------------------------------------- TSC-deadline mode (SDM 11.5.4.1)

  /** The LVT timer is in TSC-deadline mode and the feature exists. */
  private deadlineMode(): boolean {
    return this.tscDeadlineSupported && this.timerMode() === TIMER_MODE_TSC_DEADLINE;
  }

  /** RDMSR IA32_TSC_DEADLINE: the armed deadline in TSC-deadline mode, 0 in the other modes (SDM 11.5.4.1;
   *  KVM kvm_get_lapic_tscdeadline_msr also reads 0 with the APIC disabled). */
  readTscDeadline(): bigint | undefined {
    if (!this.tscDeadlineSupported) return undefined; // no such MSR: #GP
    this.settleDeadline();
    return !this.side.globallyDisabled() && this.deadlineMode() ? this.deadline : 0n;
  }

  /** WRMSR IA32_TSC_DEADLINE: a non-zero value arms the timer (one already reached fires at once), zero
   *  disarms it; outside TSC-deadline mode the write is ignored (SDM 11.5.4.1; KVM kvm_set_lapic_tscdeadline_msr). */
  writeTscDeadline(value: bigint): boolean {
    if (!this.tscDeadlineSupported) return false;
    if (this.side.globallyDisabled() || !this.deadlineMode()) return true;
    this.deadline = BigInt.asUintN(64, value);
    this.scheduleDeadline();
    return true;
  }

  /** Arm the host timer for the tick at which the TSC reaches the deadline (now, if it already has), while an
   *  expiry would interrupt; otherwise leave it unarmed (settleDeadline notices the passing later). */
  private scheduleDeadline(): void {
    if (this.deadline === 0n || this.side.globallyDisabled() || (this.lvt & LVT_MASK) !== 0) {
      this.disarm();
      return;
    }
    const now = this.side.now();
    const tsc = this.side.tsc();
    const ahead = this.deadline > tsc ? this.deadline - tsc : 0n;
    const room = BigInt(Number.MAX_SAFE_INTEGER - now);
    const expiry = now + Number(ahead < room ? ahead : room);
    this.nextExpiry = expiry;
    this.side.setTimer(expiry, this.onTimer);
  }

  /** A deadline the TSC passed while no host timer was armed for it (timer masked, APIC software disabled)
   *  expired without an interrupt: it is disarmed and reads 0 (KVM apic_timer_expired clears tscdeadline
   *  whether or not kvm_apic_local_deliver delivers). */
  private settleDeadline(): void {
    if (this.deadline !== 0n && this.nextExpiry === undefined && this.deadlineMode() && this.side.tsc() >= this.deadline) this.deadline = 0n;
  }

  /** Host timer callback: the counter reached 0 at nextExpiry (or the TSC reached the deadline). */
  private timerExpired(): void {
    const fired = this.nextExpiry;
    this.nextExpiry = undefined;
    if (fired === undefined) return;
    this.lastFiredTick = fired;
    // SDM 11.5.4.1: at the deadline the timer interrupts, then disarms itself and clears IA32_TSC_DEADLINE.
    if (this.deadlineMode()) this.deadline = 0n;
    this.side.expired(this.lvt);
    if (this.timerMode() === TIMER_MODE_PERIODIC) this.schedule(Math.max(fired, this.side.now()));
  }
}
