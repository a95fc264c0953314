// The Multiboot example kernels under qemu-system-x86_64 -kernel (the reference dbstub is compared with):
// every line of the COM1 transcript against what the test computes from its inputs (RAM size, -append,
// the two -initrd modules it writes) and the emulated PC's constants. Skipped, visibly, without QEMU.
import { afterAll, describe, expect, it } from 'vitest';
import { removeTempDirs, EXIT_OK_STATUS, qemuHostClockNormalized, KERNELS, expectedTranscript, hasQemu, makeInputs, runQemu, X2APIC_ABSENT, type KernelName } from './transcript.js';

afterAll(removeTempDirs);

if (!hasQemu) console.warn('test/multiboot/qemu.test.ts: qemu-system-x86_64 not found: the QEMU reference runs are skipped');

describe('Multiboot kernels under QEMU (reference)', () => {
  const cases: Array<[KernelName, number, 'amd' | 'intel']> = [
    ['lm64', 64, 'amd'],
    ['lm64', 200, 'amd'],
    ['pm32', 64, 'amd'],
    ['pm32', 64, 'intel'],
  ];
  for (const [kernel, ramMiB, vendor] of cases)
    it.skipIf(!hasQemu)(`${kernel} -m ${ramMiB} ${vendor}: transcript as computed, isa-debug-exit status ${EXIT_OK_STATUS} (skips when qemu-system-x86_64 is not installed)`, async () => {
      const inp = makeInputs(ramMiB);
      const r = await runQemu(KERNELS[kernel], inp, vendor);
      const lines = qemuHostClockNormalized(r.lines);
      // QEMU 7.2's TCG offers no x2APIC.
      expect(lines).toEqual(expectedTranscript(kernel, KERNELS[kernel], inp, { vendor, x2apic: false }));
      expect(r.lines).toContain(X2APIC_ABSENT);
      expect(r.status).toBe(EXIT_OK_STATUS);
    });
});
