// Integration: a real 64-bit guest (test/guest-src/devices/tsc-deadline) runs the local APIC timer in TSC-deadline
// mode (SDM Vol. 3A 11.5.4.1) through the CPU: CPUID.01H:ECX[24], IA32_TSC_DEADLINE (MSR 0x6E0) armed and waited
// for with STI;HLT, read back, fired at once when already passed, disarmed by 0, by a masked expiry and by a mode
// switch. Both vendors, bare and through the KVM model (whose in-kernel APIC is the same device, as KVM's lapic.c).
// The assertions are on what the guest itself printed.
import { describe, expect, it } from 'vitest';
import { Machine } from '../../src/machine/machine.js';
import { Vmm } from '../../src/vmm/index.js';

const GUEST = 'build/guests/devices/tsc-deadline.elf';

describe('LAPIC TSC-deadline guest', () => {
  for (const vendor of ['intel', 'amd'] as const)
    for (const mode of ['bare', 'kvm'] as const)
      it(`${vendor}, ${mode} mode: arms, waits in HLT, fires once at the deadline and follows the disarm rules`, async () => {
        const m = Machine.fromFile(GUEST, { config: { vendor, mode } });
        const r = mode === 'kvm' ? (await new Vmm(m).runToCompletion(5_000_000)).result : await m.runToCompletion({ maxInsns: 5_000_000 });
        const out = m.serialOutput;
        expect(r, out).toMatchObject({ kind: 'exit', code: 1 });
        expect(out.trim().split('\n')).toEqual([
          'cpuid tsc-deadline: 0x1',
          'lvt timer: 0x40050', // mode 10b, vector 0x50, unmasked
          'armed reads back: 0x1',
          'hlt wakes: 0x1',
          'hits: 0x1',
          'fired at or after the deadline: 0x1',
          'fired within 200 ticks of it: 0x1',
          'after firing reads: 0x0',
          'hits later: 0x1',
          'past deadline, IF=0: 0x1',
          'past deadline, after STI: 0x2',
          'disarmed by 0: 0x2',
          'masked, passed, reads: 0x0',
          'hits after unmasking: 0x2',
          'initial count: 0x0',
          'current count: 0x0',
          'one-shot mode reads: 0x0',
          'back in deadline mode reads: 0x0',
          'hits at end: 0x2',
          'done',
        ]);
        // HLT jumped the clock to the deadline: ~50000 ticks passed that no instruction ran.
        expect(m.cpu.clock - m.cpu.instructionsRetired).toBeGreaterThan(40000);
      });
});
