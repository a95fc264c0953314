// Decision table for QEMU's kvm_handle_debug (docs/semantics.md §3.3 and every row of the §4 table), for each
// qemu-db-routing value and both KVM_CAP_EXCEPTION_PAYLOAD settings. The guest DR6 is computed through the
// hv payload math exactly as the chain applies it: cap on -> KVM delivers the payload onto the guest DR6
// (kvm_deliver_exception_payload); cap off -> QEMU stores the payload raw with KVM_SET_DEBUGREGS.
import { describe, expect, it } from 'vitest';
import type { QemuDbRouting } from '../../src/config/config.js';
import { DR6_ACTIVE_LOW } from '../../src/cpu/index.js';
import { deliverDbPayload } from '../../src/hv/debugregs.js';
import { kvmHandleDebug, type HwBreakpoint } from '../../src/vmm/handle-debug.js';

const PRIOR_GUEST_DR6 = DR6_ACTIVE_LOW;
const BP_SLOT0: HwBreakpoint[] = [{ addr: 0x401000n, len: 1, type: 'hw' }];

function guestDr6(routing: QemuDbRouting, cap: boolean, dr6: number, singlestep: boolean, exception = 1): { stop: boolean; guest: number | 'none' } {
  const d = kvmHandleDebug({
    exception,
    pc: 0x401000n,
    dr6,
    dr7: 0x602,
    singlestepEnabled: singlestep,
    hwBreakpoints: BP_SLOT0,
    swBreakpointAt: () => false,
    routing,
    exceptionPayloadCap: cap,
  });
  if (!d.reinject) return { stop: d.debuggerStop, guest: 'none' };
  expect(d.reinject.vector).toBe(1);
  expect(d.reinject.hasPayload).toBe(true);
  const guest = cap ? deliverDbPayload(PRIOR_GUEST_DR6, d.reinject.payload) : d.reinject.payload >>> 0;
  return { stop: d.debuggerStop, guest };
}

type Cell = number | 'none';
interface Row {
  name: string;
  dr6: number;
  singlestep: boolean;
  stop: boolean;
  // [pre on, pre off, bld on, bld off, corrected on, corrected off]
  want: [Cell, Cell, Cell, Cell, Cell, Cell];
}

// The §4 table, with a 'corrected' pair added (the "Correct" column where KVM's exit carries the information).
const ROWS: Row[] = [
  { name: 'SVM bus lock only', dr6: 0xffff07f0, singlestep: false, stop: false, want: [0x00000800, 0xffff07f0, 0x00000000, 0xffff0ff0, 0xffff07f0, 0xffff07f0] },
  { name: 'SVM debugger bp only', dr6: 0xffff0ff1, singlestep: false, stop: true, want: ['none', 'none', 'none', 'none', 'none', 'none'] },
  { name: 'SVM both', dr6: 0xffff07f1, singlestep: false, stop: true, want: ['none', 'none', 0xffff07f0, 0x00000800, 0xffff07f0, 0xffff07f0] },
  { name: 'SVM gdb stepi + bus lock', dr6: 0xffff47f0, singlestep: true, stop: true, want: ['none', 'none', 0xffff07f0, 0x00000800, 0xffff07f0, 0xffff07f0] },
  { name: 'neither: guest TF', dr6: 0xffff4ff0, singlestep: false, stop: false, want: [0x00004000, 0xffff4ff0, 0x00004800, 0xffff47f0, 0xffff4ff0, 0xffff4ff0] },
  // VMX: the exit dr6 is qual|0xFFFF0FF0, BLD already lost; "correct" 0xFFFF07F0 is unreachable for any QEMU.
  { name: 'VMX bus lock only', dr6: 0xffff0ff0, singlestep: false, stop: false, want: [0x00000000, 0xffff0ff0, 0x00000800, 0xffff07f0, 0xffff0ff0, 0xffff0ff0] },
  { name: 'VMX both', dr6: 0xffff0ff1, singlestep: false, stop: true, want: ['none', 'none', 'none', 'none', 'none', 'none'] },
];

const COLS: [QemuDbRouting, boolean][] = [
  ['pre-patch', true], ['pre-patch', false], ['bld-patch', true], ['bld-patch', false], ['corrected', true], ['corrected', false],
];

describe('kvm_handle_debug decision table (docs/semantics.md §4)', () => {
  for (const row of ROWS) {
    COLS.forEach(([routing, cap], i) => {
      it(`${row.name} (dr6 0x${row.dr6.toString(16)}), ${routing}, cap ${cap ? 'on' : 'off'}`, () => {
        const r = guestDr6(routing, cap, row.dr6, row.singlestep);
        expect(r.stop).toBe(row.stop);
        const want = row.want[i]!;
        expect(r.guest === 'none' ? 'none' : '0x' + r.guest.toString(16).padStart(8, '0')).toBe(
          want === 'none' ? 'none' : '0x' + want.toString(16).padStart(8, '0'),
        );
      });
    });
  }
});

describe('claims (§3.3)', () => {
  const base = { pc: 0x1000n, singlestepEnabled: false, swBreakpointAt: () => false, routing: 'bld-patch' as const, exceptionPayloadCap: true };
  it('write watchpoint: reports the watch start of slot n from QEMU\'s table', () => {
    const hw: HwBreakpoint[] = [{ addr: 0x2000n, len: 4, type: 'write' }];
    const d = kvmHandleDebug({ ...base, exception: 1, dr6: 0xffff0ff1, dr7: 0x000d0602, hwBreakpoints: hw });
    expect(d).toMatchObject({ debuggerStop: true, claim: 'watchpoint', watchpointHit: { addr: 0x2000n, kind: 'write', slot: 0 } });
    expect(d.reinject).toBeUndefined();
  });
  it('access watchpoint in slot 1', () => {
    const hw: HwBreakpoint[] = [{ addr: 0x1000n, len: 1, type: 'hw' }, { addr: 0x3000n, len: 8, type: 'access' }];
    const d = kvmHandleDebug({ ...base, exception: 1, dr6: 0xffff0ff2, dr7: 0x00b00602 | 0x8, hwBreakpoints: hw });
    expect(d.watchpointHit).toEqual({ addr: 0x3000n, kind: 'access', slot: 1 });
  });
  it('I/O breakpoint (R/W=10) is not claimed', () => {
    const d = kvmHandleDebug({ ...base, exception: 1, dr6: 0xffff0ff1, dr7: 0x00020602, hwBreakpoints: [] });
    expect(d.debuggerStop).toBe(false);
  });
  it('a BS exit hides Bn: stepping claims it, no watchpoint reported', () => {
    const hw: HwBreakpoint[] = [{ addr: 0x2000n, len: 4, type: 'write' }];
    const d = kvmHandleDebug({ ...base, singlestepEnabled: true, exception: 1, dr6: 0xffff4ff1, dr7: 0x000d0602, hwBreakpoints: hw });
    expect(d).toMatchObject({ debuggerStop: true, claim: 'singlestep' });
    expect(d.watchpointHit).toBeUndefined();
  });
  it('a BS exit while not stepping goes to the guest whole, the debugger\'s B0 included (pre-patch)', () => {
    const d = kvmHandleDebug({ ...base, routing: 'pre-patch', exception: 1, dr6: 0xffff4ff1, dr7: 0x602, hwBreakpoints: BP_SLOT0 });
    expect(d.debuggerStop).toBe(false);
    expect(d.reinject).toEqual({ vector: 1, hasPayload: true, payload: 0xffff4ff1 });
  });
});

describe('#BP exits and the stale dr6 (§4 defect 3, scenario 10)', () => {
  const run = (routing: QemuDbRouting, staleDr6: number, atSwBp: boolean) =>
    kvmHandleDebug({ exception: 3, pc: 0x1000n, dr6: staleDr6, dr7: 0, singlestepEnabled: false, hwBreakpoints: [], swBreakpointAt: () => atSwBp, routing, exceptionPayloadCap: true });
  it('pre-patch: a gdb int3 stops, nothing to the guest', () => {
    expect(run('pre-patch', 0, true)).toEqual({ debuggerStop: true, claim: 'sw-breakpoint' });
  });
  it('bld-patch: stale dr6 with bit 11 = 0 (fresh kvm_run) -> T05 plus a spurious #BP for the guest', () => {
    const d = run('bld-patch', 0, true);
    expect(d.debuggerStop).toBe(true);
    expect(d.reinject).toEqual({ vector: 3, hasPayload: false, payload: 0x800 });
  });
  it('bld-patch: stale dr6 after an MMIO exit (len 4) also has bit 11 = 0', () => {
    expect(run('bld-patch', 4, true).reinject?.vector).toBe(3);
  });
  it('bld-patch: stale dr6 from an earlier #DB exit (bit 11 = 1) -> no spurious #BP', () => {
    expect(run('bld-patch', 0xffff0ff1, true).reinject).toBeUndefined();
  });
  it('corrected: the missing exception == #DB check is there', () => {
    expect(run('corrected', 0, true)).toEqual({ debuggerStop: true, claim: 'sw-breakpoint' });
  });
  for (const routing of ['pre-patch', 'bld-patch', 'corrected'] as const) {
    it(`${routing}: the guest's own int3 (no gdb breakpoint there) is re-injected as #BP without payload`, () => {
      const d = run(routing, 0xffff0ff0, false);
      expect(d.debuggerStop).toBe(false);
      expect(d.reinject?.vector).toBe(3);
      expect(d.reinject?.hasPayload).toBe(false);
    });
  }
});
