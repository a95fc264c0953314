// Integration: a 64-bit guest (test/guest-src/devices/ioapic) drives the I/O APIC at 0xFEC00000 through
// pc-testdev's IRQ-line ports, as kvm-unit-tests' x86/ioapic.c does. Expected values: QEMU 7.2's
// hw/intc/ioapic.c (version 0x20, 24 pins, entries masked at reset, ARB reads the ID, Remote IRR and
// delivery status read only, Remote IRR cleared by the level EOI broadcast or the EOI register, masked
// edges not latched, an entry switched to edge loses Remote IRR) and hw/misc/pc-testdev.c (data register
// at 0xE0 / 0xE8, scratch MMIO at 0xFF000000); TMR set for level and clear for edge (SDM Vol. 3 11.8.4).
import { describe, expect, it } from 'vitest';
import { Machine } from '../../src/machine/machine.js';
import { Vmm } from '../../src/vmm/index.js';

const GUEST = 'build/guests/devices/ioapic.elf';

const EXPECTED = [
      'ioapic.id 0x0',
      'ioapic.ver 0x170020',
      'ioapic.arb 0x0',
      'ioapic.redir.all-masked 0x10000',
      'ioapic.redir.hi 0x0',
      'ioapic.beyond 0x0',
      'ioapic.ioregsel 0x40',
      'ioapic.id.all-ones 0xf000000',
      'ioapic.arb.follows-id 0xf000000',
      'ioapic.arb.read-only 0xf000000',
      'ioapic.ver.read-only 0x170020',
      'ioapic.redir3.lo 0xffffafff',
      'ioapic.redir3.hi 0xffffffff',
      'edge.hits 0x1',
      'edge.tmr 0x0',
      'level.hits 0x1',
      'level.remote-irr-in-handler 0x1',
      'level.tmr-in-handler 0x1',
      'level.remote-irr-after 0x0',
      'level.retrigger.hits 0x2',
      'level.coalesce.hits 0x1',
      'edge.masked.hits 0x0',
      'level.masked.hits 0x0',
      'level.unmasked.hits 0x1',
      'level.mask-eoi.hits 0x1',
      'level.mask-eoi.unmasked.hits 0x2',
      'level.no-eoi.hits 0x1',
      'level.no-eoi.remote-irr 0x1',
      'ioapic-eoi.remote-irr 0x0',
      'level.stuck.remote-irr 0x1',
      'edge-switch.remote-irr 0x0',
      'stray.hits 0x1',
      'cli.pending 0x0',
      'sti.hits 0x2',
      'testdev.l 0x12345678',
      'testdev.b1 0x56',
      'testdev.after-w2 0xabcd5678',
      'testdev.byte-window 0xabcd5678',
      'testdev.after-b3 0x99cd5678',
      'testdev.flush-read 0x0',
      'testdev.irq-read 0x0',
      'iomem.zero 0x0',
      'iomem.rw 0xcafef011',
      'iomem.last 0x55aa',
      'done',
];

describe('I/O APIC + pc-testdev guest', () => {
  for (const [vendor, mode, engine] of [['intel', 'bare', 'interp'], ['amd', 'bare', 'jit'], ['intel', 'kvm', 'interp'], ['amd', 'kvm', 'interp']] as const) {
    it(`${vendor}, ${mode} mode (${engine}): edge/level delivery, Remote IRR, TMR, EOI broadcast, masking, pc-testdev`, async () => {
      const m = Machine.fromFile(GUEST, { config: { vendor, mode, engine, jitThreshold: 8 } });
      const r = mode === 'kvm' ? (await new Vmm(m).runToCompletion(5_000_000)).result : await m.runToCompletion({ maxInsns: 5_000_000 });
      const out = m.serialOutput;
      expect(r, out).toMatchObject({ kind: 'exit', code: 1 });
      expect(out.trim().split('\n')).toEqual(EXPECTED);
    });
  }
});
