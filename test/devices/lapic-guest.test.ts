// Integration: a real 64-bit guest (test/guest-src/devices/lapic-timer) drives the local APIC through
// the CPU: MMIO page, LVT timer with STI;HLT wake-ups, timer mode changes, TPR, self-IPIs, relocating the page. The assertions
// are on what the guest itself printed.
import { describe, expect, it } from 'vitest';
import { Machine } from '../../src/machine/machine.js';
import { Vmm } from '../../src/vmm/index.js';

const GUEST = 'build/guests/devices/lapic-timer.elf';

describe('LAPIC guest (timer, STI;HLT, TPR, self-IPI)', () => {
  for (const [vendor, mode] of [['intel', 'bare'], ['amd', 'bare'], ['intel', 'kvm']] as const) {
    it(`${vendor}, ${mode} mode: takes the timer out of HLT and sees priorities as the SDM says`, async () => {
      const m = Machine.fromFile(GUEST, { config: { vendor, mode } });
      // kvm mode runs through the VMM and KVM models as `dbstub run` does; HLT and interrupts must behave alike.
      const r = mode === 'kvm' ? (await new Vmm(m).runToCompletion(5_000_000)).result : await m.runToCompletion({ maxInsns: 5_000_000 });
      const out = m.serialOutput;
      expect(r, out).toMatchObject({ kind: 'exit', code: 1 });
      const lines = out.trim().split('\n');
      expect(lines).toEqual([
        'pic masks: 0xffff',
        'apic base: 0xfee00900',
        'apic version: 0x50014',
        'periodic ticks: 0x5',
        'periodic wakes: 0x5',
        'count at first tick > 19000: 0x1',
        'one-shot hits: 0x1',
        'one-shot current count: 0x0',
        // SDM Vol. 3A 11.5.4: a mode change does not start the timer (kvm-unit-tests x86/apic.c "TMCCT should stay at zero").
        'expired, then periodic: count 0x0',
        'expired, then periodic: hits 0x1',
        'running, then periodic: kept counting 0x1',
        'taken with IF=0: 0x0',
        'taken with TPR=0x50: 0x1',
        'first: 0x62',
        'after TPR=0: 0x2',
        'second: 0x45',
        'spurious: 0x0',
        // IA32_APIC_BASE moves the MMIO page (SDM Vol. 3A 11.4.4; x86/apic.c test_apicbase "relocate apic").
        'relocated base: 0xfed40900',
        'version at the new base: 0x1',
        'version back at 0xfee00000: 0x1',
        'done',
      ]);
      // HLT skipped the idle time: five periods of 20000 ticks elapsed on the clock, far fewer instructions ran.
      expect(m.cpu.clock).toBeGreaterThanOrEqual(5 * 20000);
      expect(m.cpu.instructionsRetired).toBeLessThan(m.cpu.clock);
    });
  }
});
