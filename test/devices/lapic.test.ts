import { beforeEach, describe, expect, it } from 'vitest';
import {
  APIC_DFR, APIC_EOI, APIC_ESR, APIC_ICR_HIGH, APIC_ICR_LOW, APIC_ID, APIC_IRR0, APIC_ISR0, APIC_LDR, APIC_LVT_ERROR,
  APIC_LVT_LINT0, APIC_LVT_TIMER, APIC_PPR, APIC_SVR, APIC_TIMER_CURRENT_COUNT, APIC_TIMER_DIVIDE_CONFIG,
  APIC_TIMER_INITIAL_COUNT, APIC_TPR, APIC_VERSION, LocalApic, MSR_IA32_TSC_DEADLINE, divisorOf,
} from '../../src/devices/lapic.js';
import { FakeHost } from './fake-host.js';

const ENABLE = 0x100;
const MASK = 1 << 16;
const PERIODIC = 1 << 17;
const SELF = 1 << 18; // ICR destination shorthand 01: self
const TSC_DEADLINE = 2 << 17; // LVT timer mode 10b

function setup() {
  const logs: { event: string; data: Record<string, unknown> }[] = [];
  const apic = new LocalApic({ log: (_l, event, data) => logs.push({ event, data }) });
  const host = new FakeHost();
  apic.attach(host);
  return { apic, host, logs };
}

/** Bits set in the 256-bit register at `first` (ISR/IRR), read through MMIO. */
function vectorsIn(apic: LocalApic, first: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < 8; i++) {
    const w = apic.read(first + i * 0x10, 4);
    for (let b = 0; b < 32; b++) if ((w >>> b) & 1) out.push(i * 32 + b);
  }
  return out;
}

describe('local APIC: reset state (QEMU apic_reset_common values)', () => {
  it('reads the documented values after reset', () => {
    const { apic } = setup();
    expect(apic.read(APIC_ID, 4)).toBe(0);
    expect(apic.read(APIC_VERSION, 4)).toBe(0x00050014);
    expect(apic.read(APIC_TPR, 4)).toBe(0);
    expect(apic.read(APIC_SVR, 4)).toBe(0xff);
    expect(apic.read(APIC_DFR, 4)).toBe(0xffffffff);
    expect(apic.read(APIC_LVT_TIMER, 4)).toBe(MASK);
    expect(apic.read(APIC_LVT_ERROR, 4)).toBe(MASK);
    expect(apic.read(APIC_LVT_LINT0, 4)).toBe(0x700);
    expect(apic.read(APIC_TIMER_DIVIDE_CONFIG, 4)).toBe(0);
    expect(apic.readMsr(0x1b)).toBe(0xfee00900n); // base | EN | BSP
    expect(apic.mode).toBe('xapic');
  });

  it('answers narrow reads with 0 and ignores narrow writes; a 32-bit access inside a 16-byte slot hits its register (as QEMU)', () => {
    const { apic } = setup();
    expect(apic.read(APIC_VERSION, 1)).toBe(0);
    expect(apic.read(APIC_VERSION, 2)).toBe(0);
    expect(apic.read(APIC_VERSION + 4, 4)).toBe(0x00050014);
    apic.write(APIC_TPR, 1, 0x20);
    expect(apic.read(APIC_TPR, 4)).toBe(0);
    apic.write(APIC_TPR + 8, 4, 0x20);
    expect(apic.read(APIC_TPR, 4)).toBe(0x20);
  });

  it('keeps ID (bits 31:24), LDR (31:24), DFR model bits, ICR high (31:24)', () => {
    const { apic } = setup();
    apic.write(APIC_ID, 4, 0x05123456);
    expect(apic.read(APIC_ID, 4)).toBe(0x05000000);
    apic.write(APIC_LDR, 4, 0x01ffffff);
    expect(apic.read(APIC_LDR, 4)).toBe(0x01000000);
    apic.write(APIC_DFR, 4, 0x0);
    expect(apic.read(APIC_DFR, 4)).toBe(0x0fffffff);
    apic.write(APIC_ICR_HIGH, 4, 0x12345678);
    expect(apic.read(APIC_ICR_HIGH, 4)).toBe(0x12000000);
  });

  it('sets ESR "illegal register address" for an unknown register, visible after an ESR write', () => {
    const { apic } = setup();
    expect(apic.read(0x400, 4)).toBe(0);
    expect(apic.read(APIC_ESR, 4)).toBe(0); // not latched yet
    apic.write(APIC_ESR, 4, 0);
    expect(apic.read(APIC_ESR, 4)).toBe(0x80);
    apic.write(APIC_ESR, 4, 0);
    expect(apic.read(APIC_ESR, 4)).toBe(0); // cleared by the next write
  });
});

describe('local APIC: priority, acceptance and EOI (SDM 11.8)', () => {
  let t: ReturnType<typeof setup>;
  beforeEach(() => {
    t = setup();
  });
  const selfIpi = (v: number) => t.apic.write(APIC_ICR_LOW, 4, SELF | v);

  it('holds interrupts while software-disabled (SVR bit 8 clear)', () => {
    selfIpi(0x40);
    expect(t.apic.pendingVector()).toBe(-1);
    expect(vectorsIn(t.apic, APIC_IRR0)).toEqual([]); // not even accepted
    t.apic.write(APIC_SVR, 4, ENABLE | 0xff);
    selfIpi(0x40);
    expect(vectorsIn(t.apic, APIC_IRR0)).toEqual([0x40]);
    expect(t.apic.pendingVector()).toBe(0x40);
  });

  it('delivers the highest IRR vector whose class is above PPR; EOI retires the highest ISR bit', () => {
    t.apic.write(APIC_SVR, 4, ENABLE | 0xff);
    selfIpi(0x40);
    selfIpi(0x45);
    selfIpi(0x50);
    expect(t.apic.pendingVector()).toBe(0x50);
    t.apic.acknowledge(0x50);
    expect(vectorsIn(t.apic, APIC_ISR0)).toEqual([0x50]);
    expect(t.apic.read(APIC_PPR, 4)).toBe(0x50);
    // 0x45 is class 4, below the in-service class 5: held.
    expect(t.apic.pendingVector()).toBe(-1);
    selfIpi(0x61); // class 6 preempts
    expect(t.apic.pendingVector()).toBe(0x61);
    t.apic.acknowledge(0x61);
    expect(vectorsIn(t.apic, APIC_ISR0)).toEqual([0x50, 0x61]);
    t.apic.write(APIC_EOI, 4, 0);
    expect(vectorsIn(t.apic, APIC_ISR0)).toEqual([0x50]);
    expect(t.apic.pendingVector()).toBe(-1);
    t.apic.write(APIC_EOI, 4, 0);
    expect(vectorsIn(t.apic, APIC_ISR0)).toEqual([]);
    expect(t.apic.read(APIC_PPR, 4)).toBe(0);
    expect(t.apic.pendingVector()).toBe(0x45);
  });

  it('TPR blocks classes at or below its own; PPR follows TPR when TPR class >= ISR class', () => {
    t.apic.write(APIC_SVR, 4, ENABLE | 0xff);
    t.apic.write(APIC_TPR, 4, 0x4f);
    expect(t.apic.read(APIC_PPR, 4)).toBe(0x4f);
    selfIpi(0x4a);
    expect(t.apic.pendingVector()).toBe(-1);
    selfIpi(0x51);
    expect(t.apic.pendingVector()).toBe(0x51);
    const before = t.host.notifications;
    t.apic.write(APIC_TPR, 4, 0x30);
    expect(t.host.notifications).toBe(before + 1);
    expect(t.apic.pendingVector()).toBe(0x51);
  });

  it('CR8 is TPR[7:4]: writing it clears TPR[3:0] and can unblock an interrupt', () => {
    t.apic.write(APIC_SVR, 4, ENABLE | 0xff);
    t.apic.write(APIC_TPR, 4, 0x7c);
    expect(t.apic.readCr8()).toBe(7);
    selfIpi(0x55);
    expect(t.apic.pendingVector()).toBe(-1);
    const n = t.host.notifications;
    t.apic.writeCr8(0x14); // only bits 3:0 count
    expect(t.apic.read(APIC_TPR, 4)).toBe(0x40);
    expect(t.host.notifications).toBe(n + 1);
    expect(t.apic.pendingVector()).toBe(0x55);
  });

  it('notifies the CPU when an IRR bit is set, on TPR writes and on EOI', () => {
    t.apic.write(APIC_SVR, 4, ENABLE | 0xff);
    const n0 = t.host.notifications;
    selfIpi(0x40);
    expect(t.host.notifications).toBeGreaterThan(n0);
    const n1 = t.host.notifications;
    t.apic.acknowledge(0x40);
    t.apic.write(APIC_EOI, 4, 0);
    expect(t.host.notifications).toBe(n1 + 1);
  });

  it('refuses vectors 0-15 with ESR "send illegal vector" and raises the LVT error vector', () => {
    t.apic.write(APIC_SVR, 4, ENABLE | 0xff);
    t.apic.write(APIC_LVT_ERROR, 4, 0xfe);
    selfIpi(0x0e);
    expect(vectorsIn(t.apic, APIC_IRR0)).toEqual([0xfe]);
    t.apic.write(APIC_ESR, 4, 0);
    expect(t.apic.read(APIC_ESR, 4)).toBe(0x20);
  });

  it('ICR: physical destination = own ID and flat logical destination reach this APIC; NMI mode goes to the NMI input; others are dropped and logged once', () => {
    t.apic.write(APIC_SVR, 4, ENABLE | 0xff);
    t.apic.write(APIC_ICR_HIGH, 4, 0x00000000);
    t.apic.write(APIC_ICR_LOW, 4, 0x41); // physical, dest 0 = our ID
    t.apic.write(APIC_ICR_HIGH, 4, 0x03000000);
    t.apic.write(APIC_ICR_LOW, 4, 0x42); // physical, dest 3: nobody
    t.apic.write(APIC_ICR_LOW, 4, 0x42); // again: logged only once
    t.apic.write(APIC_LDR, 4, 0x02000000);
    t.apic.write(APIC_ICR_HIGH, 4, 0x06000000);
    t.apic.write(APIC_ICR_LOW, 4, 0x800 | 0x43); // logical flat, bit 1 matches
    t.apic.write(APIC_ICR_LOW, 4, (3 << 18) | 0x44); // all excluding self
    t.apic.write(APIC_ICR_LOW, 4, SELF | (4 << 8) | 0x45); // NMI mode: the CPU's NMI input, not IRR
    t.apic.write(APIC_ICR_LOW, 4, SELF | (5 << 8) | 0x47); // INIT: not modelled
    t.apic.write(APIC_ICR_LOW, 4, (2 << 18) | 0x46); // all including self
    expect(vectorsIn(t.apic, APIC_IRR0)).toEqual([0x41, 0x43, 0x46]);
    expect(t.apic.read(APIC_ICR_LOW, 4) & (1 << 12)).toBe(0); // delivery status idle
    expect(t.host.nmis).toBe(1);
    expect(t.logs.map((l) => l.data.feature)).toEqual(['icr-other-cpu', 'icr-mode-5']);
    expect(t.logs.every((l) => l.event === 'device.unsupported')).toBe(true);
  });
});

describe('local APIC: timer (1 tick = 1 bus cycle)', () => {
  it('decodes the divide configuration register', () => {
    expect([0x0, 0x1, 0x2, 0x3, 0x8, 0x9, 0xa, 0xb].map(divisorOf)).toEqual([2, 4, 8, 16, 32, 64, 128, 1]);
  });

  it('one-shot: counts down at clock/divisor, interrupts once at 0 and stays at 0', () => {
    const { apic, host } = setup();
    apic.write(APIC_SVR, 4, ENABLE | 0xff);
    apic.write(APIC_LVT_TIMER, 4, 0x30);
    apic.write(APIC_TIMER_DIVIDE_CONFIG, 4, 0x1); // divide by 4
    host.clock = 1000;
    apic.write(APIC_TIMER_INITIAL_COUNT, 4, 50);
    expect(host.timerTick).toBe(1000 + 50 * 4);
    expect(apic.read(APIC_TIMER_CURRENT_COUNT, 4)).toBe(50);
    host.advance(3);
    expect(apic.read(APIC_TIMER_CURRENT_COUNT, 4)).toBe(50);
    host.advance(1);
    expect(apic.read(APIC_TIMER_CURRENT_COUNT, 4)).toBe(49);
    host.advance(100);
    expect(apic.read(APIC_TIMER_CURRENT_COUNT, 4)).toBe(24);
    expect(apic.pendingVector()).toBe(-1);
    host.advance(96);
    expect(host.fired).toEqual([1200]);
    expect(apic.read(APIC_TIMER_CURRENT_COUNT, 4)).toBe(0);
    expect(apic.pendingVector()).toBe(0x30);
    host.advance(1000);
    expect(host.fired).toEqual([1200]);
    expect(apic.read(APIC_TIMER_INITIAL_COUNT, 4)).toBe(50);
  });

  it('periodic: reloads the initial count, interrupts every period; the count reads initial..1', () => {
    const { apic, host } = setup();
    apic.write(APIC_SVR, 4, ENABLE | 0xff);
    apic.write(APIC_LVT_TIMER, 4, PERIODIC | 0x40);
    apic.write(APIC_TIMER_DIVIDE_CONFIG, 4, 0xb); // divide by 1
    apic.write(APIC_TIMER_INITIAL_COUNT, 4, 10);
    const seen: number[] = [];
    for (let i = 0; i < 25; i++) {
      seen.push(apic.read(APIC_TIMER_CURRENT_COUNT, 4));
      host.advance(1);
    }
    expect(seen).toEqual([10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 10, 9, 8, 7, 6]);
    expect(host.fired).toEqual([10, 20]);
    expect(apic.pendingVector()).toBe(0x40);
    // HLT-style jump straight to the armed tick.
    host.jumpTo(host.timerTick!);
    expect(host.fired).toEqual([10, 20, 30]);
  });

  it('a masked timer keeps counting without arming the CPU timer; unmasking arms the next expiry', () => {
    const { apic, host } = setup();
    apic.write(APIC_SVR, 4, ENABLE | 0xff);
    apic.write(APIC_LVT_TIMER, 4, MASK | PERIODIC | 0x40);
    apic.write(APIC_TIMER_DIVIDE_CONFIG, 4, 0xb);
    apic.write(APIC_TIMER_INITIAL_COUNT, 4, 10);
    expect(host.timerTick).toBeUndefined(); // nothing for HLT to wait on
    host.advance(25);
    expect(host.fired).toEqual([]);
    expect(vectorsIn(apic, APIC_IRR0)).toEqual([]);
    expect(apic.read(APIC_TIMER_CURRENT_COUNT, 4)).toBe(5);
    apic.write(APIC_LVT_TIMER, 4, PERIODIC | 0x40);
    expect(host.timerTick).toBe(30);
    expect(apic.read(APIC_TIMER_CURRENT_COUNT, 4)).toBe(5);
    host.advance(5);
    expect(host.fired).toEqual([30]);
    expect(vectorsIn(apic, APIC_IRR0)).toEqual([0x40]);
    apic.write(APIC_LVT_TIMER, 4, MASK | PERIODIC | 0x40);
    expect(host.timerTick).toBeUndefined();
  });

  it('a one-shot that expires while masked stays expired; re-writing the LVT never delivers an expiry twice', () => {
    const { apic, host } = setup();
    apic.write(APIC_SVR, 4, ENABLE | 0xff);
    apic.write(APIC_TIMER_DIVIDE_CONFIG, 4, 0xb);
    apic.write(APIC_LVT_TIMER, 4, MASK | 0x40);
    apic.write(APIC_TIMER_INITIAL_COUNT, 4, 10);
    host.advance(12);
    apic.write(APIC_LVT_TIMER, 4, 0x40);
    host.advance(100);
    expect(host.fired).toEqual([]);
    expect(vectorsIn(apic, APIC_IRR0)).toEqual([]);
    apic.write(APIC_TIMER_INITIAL_COUNT, 4, 10); // restart, unmasked
    host.advance(10);
    expect(host.fired).toEqual([122]);
    apic.write(APIC_LVT_TIMER, 4, 0x41); // same tick as the expiry: no second delivery
    host.advance(50);
    expect(host.fired).toEqual([122]);
    expect(vectorsIn(apic, APIC_IRR0)).toEqual([0x40]);
  });

  it('initial count 0 stops the timer; a new initial count restarts it', () => {
    const { apic, host } = setup();
    apic.write(APIC_SVR, 4, ENABLE | 0xff);
    apic.write(APIC_LVT_TIMER, 4, 0x30);
    apic.write(APIC_TIMER_INITIAL_COUNT, 4, 100);
    expect(host.timerTick).toBe(200);
    apic.write(APIC_TIMER_INITIAL_COUNT, 4, 0);
    expect(host.timerTick).toBeUndefined();
    expect(apic.read(APIC_TIMER_CURRENT_COUNT, 4)).toBe(0);
    host.advance(300);
    expect(host.fired).toEqual([]);
    apic.write(APIC_TIMER_INITIAL_COUNT, 4, 1);
    expect(host.timerTick).toBe(302);
  });

  it('switching one-shot -> periodic mid-count continues from the current count', () => {
    const { apic, host } = setup();
    apic.write(APIC_SVR, 4, ENABLE | 0xff);
    apic.write(APIC_LVT_TIMER, 4, 0x30);
    apic.write(APIC_TIMER_DIVIDE_CONFIG, 4, 0xb);
    apic.write(APIC_TIMER_INITIAL_COUNT, 4, 10);
    host.advance(4);
    apic.write(APIC_LVT_TIMER, 4, PERIODIC | 0x30);
    expect(apic.read(APIC_TIMER_CURRENT_COUNT, 4)).toBe(6);
    host.advance(26);
    expect(host.fired).toEqual([10, 20, 30]);
  });

  it('software disable masks every LVT and keeps them masked until re-enabled', () => {
    const { apic } = setup();
    apic.write(APIC_SVR, 4, ENABLE | 0xff);
    apic.write(APIC_LVT_TIMER, 4, 0x30);
    apic.write(APIC_SVR, 4, 0xff);
    expect(apic.read(APIC_LVT_TIMER, 4)).toBe(MASK | 0x30);
    apic.write(APIC_LVT_TIMER, 4, 0x31);
    expect(apic.read(APIC_LVT_TIMER, 4)).toBe(MASK | 0x31);
    apic.write(APIC_SVR, 4, ENABLE | 0xff);
    apic.write(APIC_LVT_TIMER, 4, 0x32);
    expect(apic.read(APIC_LVT_TIMER, 4)).toBe(0x32);
  });

  it('reserved timer mode 11b is reported and the timer does not run', () => {
    const { apic, host, logs } = setup();
    apic.write(APIC_SVR, 4, ENABLE | 0xff);
    apic.write(APIC_LVT_TIMER, 4, (3 << 17) | 0x30);
    apic.write(APIC_TIMER_INITIAL_COUNT, 4, 10);
    host.advance(50);
    expect(host.fired).toEqual([]);
    expect(logs.map((l) => l.data.feature)).toEqual(['timer-mode']);
  });

  it('without the TSC-deadline feature IA32_TSC_DEADLINE is no MSR (#GP) and mode 10b does not run', () => {
    const logs: string[] = [];
    const apic = new LocalApic({ tscDeadline: false, log: (_l, _e, d) => logs.push(String(d.feature)) });
    const host = new FakeHost();
    apic.attach(host);
    expect(apic.tscDeadline).toBe(false);
    apic.write(APIC_SVR, 4, ENABLE | 0xff);
    apic.write(APIC_LVT_TIMER, 4, TSC_DEADLINE | 0x30);
    expect(apic.readMsr(MSR_IA32_TSC_DEADLINE)).toBeUndefined();
    expect(apic.writeMsr(MSR_IA32_TSC_DEADLINE, 100n)).toBe(false);
    host.advance(200);
    expect(host.fired).toEqual([]);
    expect(logs).toEqual(['timer-mode']);
  });
});

describe('local APIC: TSC-deadline mode (SDM 11.5.4.1)', () => {
  function deadlineSetup(lvt = TSC_DEADLINE | 0x30) {
    const s = setup();
    s.apic.write(APIC_SVR, 4, ENABLE | 0xff);
    s.apic.write(APIC_LVT_TIMER, 4, lvt);
    return s;
  }

  it('fires once when the TSC reaches the deadline, then reads 0 (disarmed); the TSC offset counts', () => {
    const { apic, host } = deadlineSetup();
    expect(apic.tscDeadline).toBe(true);
    host.clock = 100;
    host.tscOffset = 5000; // TSC = 5100
    expect(apic.writeMsr(MSR_IA32_TSC_DEADLINE, 5400n)).toBe(true);
    expect(host.timerTick).toBe(400);
    expect(apic.readMsr(MSR_IA32_TSC_DEADLINE)).toBe(5400n);
    host.advance(299);
    expect(apic.pendingVector()).toBe(-1);
    host.advance(1);
    expect(host.fired).toEqual([400]);
    expect(apic.pendingVector()).toBe(0x30);
    expect(apic.readMsr(MSR_IA32_TSC_DEADLINE)).toBe(0n);
    host.advance(1000);
    expect(host.fired).toEqual([400]);
  });

  it('a deadline already reached fires at the next boundary; writing 0 disarms', () => {
    const { apic, host } = deadlineSetup();
    host.clock = 1000;
    apic.writeMsr(MSR_IA32_TSC_DEADLINE, 10n);
    expect(host.timerTick).toBe(1000);
    apic.writeMsr(MSR_IA32_TSC_DEADLINE, 0n);
    expect(host.timerTick).toBeUndefined();
    apic.writeMsr(MSR_IA32_TSC_DEADLINE, 1n);
    host.advance(1);
    expect(host.fired).toEqual([1001]);
    expect(apic.pendingVector()).toBe(0x30);
  });

  it('initial-count writes are ignored and the current count reads 0 in TSC-deadline mode', () => {
    const { apic, host } = deadlineSetup();
    apic.write(APIC_TIMER_INITIAL_COUNT, 4, 10);
    expect(apic.read(APIC_TIMER_INITIAL_COUNT, 4)).toBe(0);
    expect(apic.read(APIC_TIMER_CURRENT_COUNT, 4)).toBe(0);
    host.advance(100);
    expect(host.fired).toEqual([]);
  });

  it('outside TSC-deadline mode the MSR reads 0 and writes are ignored', () => {
    const { apic, host } = deadlineSetup(0x30);
    expect(apic.writeMsr(MSR_IA32_TSC_DEADLINE, 50n)).toBe(true);
    expect(apic.readMsr(MSR_IA32_TSC_DEADLINE)).toBe(0n);
    host.advance(100);
    expect(host.fired).toEqual([]);
  });

  it('switching into or out of TSC-deadline mode disarms both timers (KVM apic_update_lvtt)', () => {
    const { apic, host } = deadlineSetup();
    apic.writeMsr(MSR_IA32_TSC_DEADLINE, 50n);
    apic.write(APIC_LVT_TIMER, 4, 0x30); // one-shot
    expect(host.timerTick).toBeUndefined();
    apic.write(APIC_LVT_TIMER, 4, TSC_DEADLINE | 0x30);
    expect(apic.readMsr(MSR_IA32_TSC_DEADLINE)).toBe(0n);
    host.advance(100);
    expect(host.fired).toEqual([]);
    apic.write(APIC_LVT_TIMER, 4, 0x30);
    apic.write(APIC_TIMER_INITIAL_COUNT, 4, 10);
    apic.write(APIC_LVT_TIMER, 4, TSC_DEADLINE | 0x30);
    expect(apic.read(APIC_TIMER_INITIAL_COUNT, 4)).toBe(0);
    host.advance(100);
    expect(host.fired).toEqual([]);
  });

  it('a deadline that passes while masked disarms without an interrupt; one still ahead fires after unmasking', () => {
    const { apic, host } = deadlineSetup(MASK | TSC_DEADLINE | 0x30);
    apic.writeMsr(MSR_IA32_TSC_DEADLINE, 20n);
    expect(host.timerTick).toBeUndefined(); // masked: HLT never waits on it
    host.advance(30);
    expect(apic.readMsr(MSR_IA32_TSC_DEADLINE)).toBe(0n);
    apic.write(APIC_LVT_TIMER, 4, TSC_DEADLINE | 0x30);
    host.advance(30);
    expect(host.fired).toEqual([]);
    expect(apic.pendingVector()).toBe(-1);
    apic.write(APIC_LVT_TIMER, 4, MASK | TSC_DEADLINE | 0x30);
    apic.writeMsr(MSR_IA32_TSC_DEADLINE, 100n);
    host.advance(10);
    apic.write(APIC_LVT_TIMER, 4, TSC_DEADLINE | 0x30);
    expect(host.timerTick).toBe(100);
    host.jumpTo(100);
    expect(host.fired).toEqual([100]);
    expect(apic.pendingVector()).toBe(0x30);
  });
});

describe('local APIC: IA32_APIC_BASE and x2APIC (SDM 11.12)', () => {
  const X2 = 0xfee00000n | 0x800n | 0x400n;

  it('x2APIC MSRs #GP in xAPIC mode; enabling x2APIC switches the MMIO page off', () => {
    const { apic } = setup();
    expect(apic.readMsr(0x802)).toBeUndefined();
    expect(apic.writeMsr(0x808, 0n)).toBe(false);
    expect(apic.writeMsr(0x1b, X2)).toBe(true);
    expect(apic.mode).toBe('x2apic');
    expect(apic.readMsr(0x1b)).toBe(X2 | 0x100n);
    expect(apic.read(APIC_VERSION, 4)).toBe(0xffffffff);
    apic.write(APIC_TPR, 4, 0x20);
    expect(apic.readMsr(0x808)).toBe(0n);
    expect(apic.readMsr(0x802)).toBe(0n);
    expect(apic.readMsr(0x803)).toBe(0x50014n);
    expect(apic.readMsr(0x80d)).toBe(1n); // cluster 0, bit 0
  });

  it('rejects invalid IA32_APIC_BASE transitions and reserved bits', () => {
    const { apic } = setup();
    expect(apic.writeMsr(0x1b, 0xfee00000n | 0x400n)).toBe(false); // EXTD without EN
    expect(apic.writeMsr(0x1b, 0xfee00000n | 0x800n | 0x1n)).toBe(false); // bit 0 reserved
    expect(apic.writeMsr(0x1b, (1n << 40n) | 0xfee00800n)).toBe(false); // above MAXPHYADDR
    expect(apic.writeMsr(0x1b, X2)).toBe(true);
    expect(apic.writeMsr(0x1b, 0xfee00800n)).toBe(false); // x2APIC -> xAPIC
    expect(apic.writeMsr(0x1b, 0xfee00000n)).toBe(true); // -> disabled
    expect(apic.mode).toBe('disabled');
    expect(apic.writeMsr(0x1b, X2)).toBe(false); // disabled -> x2APIC
    expect(apic.writeMsr(0x1b, 0xfee00800n)).toBe(true);
    expect(apic.mode).toBe('xapic');
    expect(apic.read(APIC_SVR, 4)).toBe(0xff); // state was reset by the disable
  });

  it('x2APIC: access rules per register (read-only, write-only, reserved bits)', () => {
    const { apic } = setup();
    apic.writeMsr(0x1b, X2);
    expect(apic.writeMsr(0x802, 1n)).toBe(false); // ID read-only
    expect(apic.writeMsr(0x803, 1n)).toBe(false); // version
    expect(apic.readMsr(0x80b)).toBeUndefined(); // EOI write-only
    expect(apic.writeMsr(0x80b, 1n)).toBe(false); // EOI: only 0
    expect(apic.writeMsr(0x80b, 0n)).toBe(true);
    expect(apic.readMsr(0x83f)).toBeUndefined(); // SELF IPI write-only
    expect(apic.writeMsr(0x83f, 0x100n)).toBe(false);
    expect(apic.readMsr(0x80e)).toBeUndefined(); // no DFR
    expect(apic.readMsr(0x809)).toBeUndefined(); // no APR
    expect(apic.readMsr(0x831)).toBeUndefined(); // no ICR high: ICR is one MSR
    expect(apic.writeMsr(0x808, 0x100n)).toBe(false); // TPR bits 63:8 reserved
    expect(apic.writeMsr(0x832, 1n << 32n)).toBe(false);
    expect(apic.writeMsr(0x828, 1n)).toBe(false); // ESR: only 0
    expect(apic.writeMsr(0x839, 5n)).toBe(false); // current count read-only
    expect(apic.writeMsr(0x820, 0n)).toBe(false); // IRR read-only
    expect(apic.readMsr(0x8ff)).toBeUndefined();
  });

  it('x2APIC: SELF IPI, ICR as one 64-bit MSR, EOI and the timer through MSRs', () => {
    const { apic, host } = setup();
    apic.writeMsr(0x1b, X2);
    expect(apic.writeMsr(0x80f, 0x1ffn)).toBe(true);
    expect(apic.writeMsr(0x83f, 0x51n)).toBe(true);
    expect(apic.writeMsr(0x830, (0n << 32n) | 0x62n)).toBe(true); // physical dest 0 = self
    expect(apic.writeMsr(0x830, (7n << 32n) | 0x63n)).toBe(true); // dest 7: nobody
    expect(apic.readMsr(0x830)).toBe((7n << 32n) | 0x63n);
    expect(apic.readMsr(0x820 + 2)).toBe(1n << 17n); // IRR word 2: vector 0x51
    expect(apic.readMsr(0x820 + 3)).toBe(1n << 2n); // IRR word 3: vector 0x62
    expect(apic.pendingVector()).toBe(0x62);
    apic.acknowledge(0x62);
    expect(apic.readMsr(0x80a)).toBe(0x60n); // PPR
    apic.writeMsr(0x80b, 0n);
    expect(apic.pendingVector()).toBe(0x62 - 0x11);
    apic.writeMsr(0x83e, 0xbn);
    apic.writeMsr(0x832, 0x70n);
    apic.writeMsr(0x838, 7n);
    host.advance(3);
    expect(apic.readMsr(0x839)).toBe(4n);
    host.advance(4);
    expect(apic.readMsr(0x823)).toBe(1n << 16n); // vector 0x70 in IRR word 3
  });
});
