// NMI delivery (issue 15: eventinj's NMI cases): a self-NMI through the ICR (delivery mode NMI, SDM Vol. 3
// 11.6.1) or an I/O APIC entry in NMI mode reaches the CPU's NMI input; it is taken with IF=0 (NMIs are not
// maskable, 6.7), one more NMI arriving while the handler runs is latched (a second edge is not counted) and
// delivered after the handler's IRET, and an IRET inside the handler ends the blocking at once (6.7.1).
import { describe, expect, it } from 'vitest';
import { Machine } from '../../src/machine/machine.js';
import { Vmm } from '../../src/vmm/index.js';

const GUEST = 'build/guests/devices/nmi.elf';

const EXPECTED = [
  'cli.count 0x1',
  'cli.handler-if 0x0',
  'nested.in-handler 0x0',
  'nested.count 0x1',
  'nested.after-iret 0x1',
  'iret.before 0x0',
  'iret.after 0x1',
  'iret.nested-at-after-iret 0x1',
  'iret.count 0x1',
  'iret.nested 0x1',
  'ioapic-nmi.count 0x1',
  'done',
];

describe('NMI guest (self-NMI, nesting, IRET unblocking, I/O APIC NMI mode)', () => {
  for (const [vendor, mode, engine] of [['intel', 'bare', 'interp'], ['amd', 'bare', 'jit'], ['intel', 'kvm', 'interp'], ['amd', 'kvm', 'interp']] as const) {
    it(`${vendor}, ${mode} mode (${engine})`, async () => {
      const m = Machine.fromFile(GUEST, { config: { vendor, mode, engine, jitThreshold: 8 } });
      const r = mode === 'kvm' ? (await new Vmm(m).runToCompletion(5_000_000)).result : await m.runToCompletion({ maxInsns: 5_000_000 });
      expect(r, m.serialOutput).toMatchObject({ kind: 'exit', code: 1 });
      expect(m.serialOutput.trim().split('\n')).toEqual(EXPECTED);
    });
  }
});
