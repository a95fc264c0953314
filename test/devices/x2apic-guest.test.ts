// Integration: a real guest switches the local APIC into x2APIC mode and uses its MSRs; assertions
// are on what the guest printed (test/guest-src/devices/x2apic).
import { describe, expect, it } from 'vitest';
import { Machine } from '../../src/machine/machine.js';

describe('x2APIC guest (IA32_APIC_BASE transitions, MSR interface, #GP rules)', () => {
  it('switches to x2APIC, delivers SELF IPI / ICR / timer interrupts through MSRs and #GPs where the SDM says', async () => {
    const m = Machine.fromFile('build/guests/devices/x2apic.elf', { config: { mode: 'bare' } });
    const r = await m.runToCompletion({ maxInsns: 2_000_000 });
    const out = m.serialOutput;
    expect(r, out).toEqual({ kind: 'exit', code: 1, value: 0 });
    expect(out.trim().split('\n')).toEqual([
      'x2apic msr in xapic mode #GP: 0x1',
      'base: 0xfee00d00',
      'id: 0x0',
      'version: 0x50014',
      'ldr: 0x1',
      'mmio version: 0xffffffff',
      '#GP (eoi read, x2apic->xapic): 0x2',
      'self ipi: 0x1',
      'icr: 0x1',
      'held by tpr 0x40: 0x1',
      'after tpr 0: 0x2',
      'timer: 0x1',
      'timer current: 0x0',
      'xapic again, version: 0x50014',
      'svr after disable: 0xff',
      'done',
    ]);
  });
});
