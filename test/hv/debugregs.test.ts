// Payload math, DR6/DR7 stores and the guest-debug encoding (docs/semantics.md §1, §2.5, §3.2, §7.16).
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { BreakpointType } from '../../src/gdbstub/target.js';
import {
  dr6AfterDb, dr6ToPayload, DR6_ACTIVE_LOW, DR6_B0, DR6_B1, DR6_BD, DR6_BLD, DR6_BMASK, DR6_BS, DR6_BT, DR6_RTM,
} from '../../src/cpu/index.js';
import { deliverDbPayload, dr7Store, guestDr6Store, kvmDr6Fixed } from '../../src/hv/debugregs.js';
import { KvmRunArea } from '../../src/hv/kvm.js';
import { encodeGuestDebug, HwBreakpointTable, KVM_GUESTDBG_ENABLE, KVM_GUESTDBG_SINGLESTEP, KVM_GUESTDBG_USE_HW_BP, KVM_GUESTDBG_USE_SW_BP } from '../../src/vmm/hw-breakpoints.js';

const h = (v: number) => '0x' + (v >>> 0).toString(16);
const u32 = fc.integer({ min: 0, max: 0xffffffff }).map((v) => v >>> 0);
const causes = fc.integer({ min: 0, max: 0x1ffff }).map((v) => v & (0xf | DR6_BLD | DR6_BD | DR6_BS | DR6_BT | DR6_RTM));

describe('kvm_deliver_exception_payload', () => {
  it('scenario values', () => {
    expect(h(deliverDbPayload(DR6_ACTIVE_LOW, 0x800))).toBe('0xffff07f0'); // §7.1 bus lock
    expect(h(deliverDbPayload(DR6_ACTIVE_LOW, 0x1))).toBe('0xffff0ff1'); // §7.2
    expect(h(deliverDbPayload(DR6_ACTIVE_LOW, DR6_BS))).toBe('0xffff4ff0'); // §7.3
    expect(h(deliverDbPayload(0xffff4ff0, 0x2))).toBe('0xffff4ff2'); // §7.3 second #DB: BS sticky, Bn replaced
    expect(h(deliverDbPayload(DR6_ACTIVE_LOW, 0xffff4ff0))).toBe('0x4000'); // §2.5 DR6-format fed as payload
    expect(h(deliverDbPayload(DR6_ACTIVE_LOW, DR6_BS | 0x1 | (1 << 12)))).toBe('0xffff4ff1'); // seed 003 merged
  });
  it('a positive-polarity payload over the reset value is the payload converted to DR6 format', () => {
    fc.assert(fc.property(causes, (p) => deliverDbPayload(DR6_ACTIVE_LOW, p) === ((p ^ DR6_ACTIVE_LOW) >>> 0)));
  });
  it('B0-B3 are replaced, BD/BS/BT sticky, bit 12 never set, BLD/RTM re-armed unless asserted', () => {
    fc.assert(
      fc.property(u32, causes, (dr6, p) => {
        const r = deliverDbPayload(dr6, p);
        expect(r & 0xf).toBe(p & 0xf);
        for (const b of [DR6_BD, DR6_BS, DR6_BT]) if (dr6 & b) expect(r & b).toBe(b);
        expect(r & (1 << 12)).toBe(0);
        expect(!!(r & DR6_BLD)).toBe(!(p & DR6_BLD));
        expect(!!(r & DR6_RTM)).toBe(!(p & DR6_RTM));
      }),
    );
  });
  it('dr6 <-> payload conversion is an involution', () => {
    fc.assert(fc.property(u32, (v) => dr6ToPayload(dr6ToPayload(v)) === v));
  });
});

describe('DR6 after a #DB (the CPU, and the SVM VMCB DR6 at a #DB exit): dr6AfterDb', () => {
  it('over 0xFFFF0FF0 it holds exactly this event\'s causes', () => {
    expect(h(dr6AfterDb(DR6_ACTIVE_LOW, 0x800))).toBe('0xffff07f0');
    expect(h(dr6AfterDb(DR6_ACTIVE_LOW, 0x801))).toBe('0xffff07f1');
    expect(h(dr6AfterDb(DR6_ACTIVE_LOW, 0x4800))).toBe('0xffff47f0');
  });
  it('other #DBs leave a cleared BLD alone (AMD APM via seed 001)', () => {
    expect(h(dr6AfterDb(0xffff07f0, DR6_BS))).toBe('0xffff47f0');
  });
  it('B0-B3 are replaced only by a #DB that reports a breakpoint, single-step, GD, bus-lock or task-switch cause', () => {
    expect(h(dr6AfterDb(DR6_ACTIVE_LOW | DR6_B0, DR6_B1))).toBe('0xffff0ff2');
    expect(h(dr6AfterDb(DR6_ACTIVE_LOW | DR6_B0, DR6_BS))).toBe('0xffff4ff0');
    // An ICEBP (no cause) or an RTM-only #DB leaves B0-B3 as they were (SDM Vol. 3B 19.2.3).
    expect(h(dr6AfterDb(DR6_ACTIVE_LOW | DR6_B0, 0))).toBe('0xffff0ff1');
    expect(h(dr6AfterDb(DR6_ACTIVE_LOW | DR6_B0, DR6_RTM))).toBe('0xfffe0ff1');
  });
  it('BD/BS/BT are sticky and RTM is re-armed by any non-RTM #DB', () => {
    fc.assert(fc.property(u32, causes, (dr6, p) => {
      const r = dr6AfterDb(dr6, p);
      for (const b of [DR6_BD, DR6_BS, DR6_BT]) if ((dr6 | p) & b) expect(r & b).toBe(b);
      expect(!!(r & DR6_RTM)).toBe(!(p & DR6_RTM));
      if (p & (DR6_BMASK | DR6_BS | DR6_BD | DR6_BLD | DR6_BT)) expect(r & DR6_BMASK).toBe(p & DR6_BMASK);
      else expect(r & DR6_BMASK).toBe(dr6 & DR6_BMASK);
    }));
  });
});

describe('guest MOV DR6 / KVM_SET_DEBUGREGS (seed 004, §7.16)', () => {
  const fixed = (busLockDetect: boolean, rtm: boolean) => kvmDr6Fixed({ busLockDetect, rtm });
  it('guest writes 0', () => {
    expect(h(guestDr6Store(0, fixed(true, true)))).toBe('0xfffe07f0');
    expect(h(guestDr6Store(0, fixed(true, false)))).toBe('0xffff07f0'); // = bare metal with BLD (Xin Li)
    expect(h(guestDr6Store(0, fixed(false, false)))).toBe('0xffff0ff0');
  });
  it('switch off (KVM before v5.13): BLD fixed to 1 whatever the CPUID says, RTM still follows it', () => {
    expect(h(kvmDr6Fixed({ busLockDetect: true, rtm: false }, false))).toBe('0xffff0ff0');
    expect(h(kvmDr6Fixed({ busLockDetect: true, rtm: true }, false))).toBe('0xfffe0ff0');
    expect(h(guestDr6Store(0, kvmDr6Fixed({ busLockDetect: true, rtm: false }, false)))).toBe('0xffff0ff0');
  });
  it('bit 12 always reads 0, bits 31:17 and 10:4 always 1', () => {
    fc.assert(fc.property(u32, fc.boolean(), fc.boolean(), (v, b, r) => {
      const s = guestDr6Store(v, fixed(b, r));
      return (s & (1 << 12)) === 0 && ((s & 0xfffe07f0) >>> 0) === 0xfffe07f0;
    }));
  });
  it('DR7 store keeps the volatile bits and sets bit 10', () => {
    expect(h(dr7Store(0))).toBe('0x400');
    expect(h(dr7Store(0xffffffff))).toBe('0xffff2fff');
  });
});

describe('kvm_run exit union keeps stale fields', () => {
  it('a fresh area reads dr6 = 0; an MMIO exit writes len over dr6; an I/O exit leaves dr6 alone', () => {
    const r = new KvmRunArea();
    expect(r.debug.dr6).toBe(0n);
    r.recordMmio(0xfee00000n, 4, true);
    expect(r.debug.dr6).toBe(4n | (1n << 32n));
    r.setDr6(0xffff0ff1);
    r.recordIo(true, 1, 0x3f8);
    expect(r.debug.dr6).toBe(0xffff0ff1n);
  });
});

describe('QEMU hardware breakpoint table and KVM_SET_GUEST_DEBUG encoding (§3.1-3.2)', () => {
  it('DR7 examples', () => {
    const t = new HwBreakpointTable();
    expect(t.insert(BreakpointType.Hardware, 0x1000n, 1)).toBe('ok');
    expect(encodeGuestDebug({ singlestep: false, swBreakpoints: 0, hw: t.slots }).debugreg[7]).toBe(0x602n);
    const w = new HwBreakpointTable();
    w.insert(BreakpointType.WriteWatch, 0x2000n, 4);
    const e = encodeGuestDebug({ singlestep: false, swBreakpoints: 0, hw: w.slots });
    expect(e.debugreg[7]).toBe(0x000d0602n);
    expect(e.debugreg[0]).toBe(0x2000n);
    expect(e.control).toBe(KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_USE_HW_BP);
    const a = new HwBreakpointTable();
    a.insert(BreakpointType.AccessWatch, 0x3000n, 8);
    expect(encodeGuestDebug({ singlestep: false, swBreakpoints: 0, hw: a.slots }).debugreg[7]).toBe(0x000b0602n);
  });
  it('control flags', () => {
    expect(encodeGuestDebug({ singlestep: true, swBreakpoints: 1, hw: [] }).control).toBe(KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_SINGLESTEP | KVM_GUESTDBG_USE_SW_BP);
    expect(encodeGuestDebug({ singlestep: false, swBreakpoints: 0, hw: [] })).toEqual({ control: 0, debugreg: [0n, 0n, 0n, 0n, 0n, 0n, 0n, 0n] });
  });
  it('Z3 unsupported, bad length/alignment error, 5th error, duplicate error', () => {
    const t = new HwBreakpointTable();
    expect(t.insert(BreakpointType.ReadWatch, 0x1000n, 4)).toBe('unsupported');
    expect(t.insert(BreakpointType.WriteWatch, 0x1002n, 4)).toBe('error');
    expect(t.insert(BreakpointType.WriteWatch, 0x1000n, 3)).toBe('error');
    for (let i = 0; i < 4; i++) expect(t.insert(BreakpointType.Hardware, 0x1000n + BigInt(i), 1)).toBe('ok');
    expect(t.insert(BreakpointType.Hardware, 0x5000n, 1)).toBe('error');
    t.remove(BreakpointType.Hardware, 0x1003n, 1);
    expect(t.insert(BreakpointType.Hardware, 0x1000n, 1)).toBe('error');
  });
  it('removal moves the last entry into the hole', () => {
    const t = new HwBreakpointTable();
    for (let i = 0; i < 3; i++) t.insert(BreakpointType.Hardware, 0x10n * BigInt(i + 1), 1);
    expect(t.remove(BreakpointType.Hardware, 0x10n, 1)).toBe('ok');
    expect(t.slots.map((s) => s.addr)).toEqual([0x30n, 0x20n]);
    expect(encodeGuestDebug({ singlestep: false, swBreakpoints: 0, hw: t.slots }).debugreg.slice(0, 2)).toEqual([0x30n, 0x20n]);
  });
});
