// The Multiboot example kernels in dbstub (`dbstub run K --memory M --append ... --initrd ...`): every line
// of the COM1 transcript against what the test computes from its inputs, and the isa-debug-exit status.
// Then the same kernels and inputs under qemu-system-x86_64 -kernel: the transcripts must be equal (the
// x2APIC line aside: QEMU 7.2's TCG has no x2APIC). The QEMU half skips visibly when QEMU is absent.
import { afterAll, describe, expect, it } from 'vitest';
import { Machine } from '../../src/machine/machine.js';
import {
  removeTempDirs,
  EXIT_OK_STATUS, KERNELS, X2APIC_ABSENT, X2APIC_PRESENT, expectedTranscript, hasQemu, isX2apicLine, makeInputs, qemuHostClockNormalized, runDbstub, runQemu,
  type KernelName,
} from './transcript.js';

afterAll(removeTempDirs);

if (!hasQemu) console.warn('test/multiboot/dbstub.test.ts: qemu-system-x86_64 not found: the dbstub-vs-QEMU comparisons are skipped');

const KERNEL_NAMES: KernelName[] = ['lm64', 'pm32'];
const CPUID_1_ECX_X2APIC = 1 << 21;

/** Whether dbstub's CPUID offers x2APIC for this vendor: the kernels take the x2APIC branch only then. */
function dbstubHasX2apic(vendor: 'amd' | 'intel'): boolean {
  const m = Machine.fromFile(KERNELS.pm32, { config: { vendor } });
  return (m.cpu.cpuid(1, 0)[2] & CPUID_1_ECX_X2APIC) !== 0;
}
/** JSON log lines of one event in the run's log. */
const logEvents = (log: string | undefined, event: string): Array<Record<string, unknown>> =>
  (log ?? '')
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((e) => e.event === event);

describe('Multiboot kernels in dbstub', () => {
  for (const kernel of KERNEL_NAMES)
    for (const vendor of ['amd', 'intel'] as const)
      it(`${kernel} (${vendor}, -m 64, 2 modules): transcript as computed, status ${EXIT_OK_STATUS}`, async () => {
        const inp = makeInputs(64);
        const r = await runDbstub(KERNELS[kernel], inp, vendor);
        const x2apic = dbstubHasX2apic(vendor);
        expect(r.lines, r.stderr).toEqual(expectedTranscript(kernel, KERNELS[kernel], inp, { vendor, x2apic }));
        expect(r.lines).toContain(x2apic ? X2APIC_PRESENT : X2APIC_ABSENT);
        expect(r.status).toBe(EXIT_OK_STATUS);
        // The kernel reads the unassigned port 0x2f8 twice: one warning, for the first access.
        expect(logEvents(r.log, 'io.unclaimed').filter((e) => e.port === '0x2f8')).toHaveLength(1);
      });

  for (const kernel of KERNEL_NAMES)
    it(`${kernel} in --mode bare (no hypervisor model): the same transcript`, async () => {
      const inp = makeInputs(64);
      const r = await runDbstub(KERNELS[kernel], inp, 'intel', ['--mode', 'bare']);
      expect(r.lines, r.stderr).toEqual(expectedTranscript(kernel, KERNELS[kernel], inp, { vendor: 'intel', x2apic: dbstubHasX2apic('intel') }));
      expect(r.status).toBe(EXIT_OK_STATUS);
    });

  it('lm64 with 200 MiB: the memory map and fw_cfg follow the RAM size', async () => {
    const inp = makeInputs(200, 'second run');
    const r = await runDbstub(KERNELS.lm64, inp, 'amd');
    expect(r.lines, r.stderr).toEqual(expectedTranscript('lm64', KERNELS.lm64, inp, { vendor: 'amd', x2apic: dbstubHasX2apic('amd') }));
    expect(r.status).toBe(EXIT_OK_STATUS);
  });
});

describe('Multiboot kernels: dbstub and QEMU print the same transcript', () => {
  for (const kernel of KERNEL_NAMES)
    for (const vendor of ['amd', 'intel'] as const)
      it.skipIf(!hasQemu)(`${kernel}: dbstub --vendor ${vendor} == qemu-system-x86_64 -kernel${vendor === 'intel' ? ' -cpu qemu64,vendor=GenuineIntel' : ''} (skips when qemu-system-x86_64 is not installed)`, async () => {
        const inp = makeInputs(64);
        const [d, q] = await Promise.all([runDbstub(KERNELS[kernel], inp, vendor), runQemu(KERNELS[kernel], inp, vendor)]);
        expect(d.lines.filter((l) => !isX2apicLine(l)), d.stderr).toEqual(qemuHostClockNormalized(q.lines).filter((l) => !isX2apicLine(l)));
        expect(d.status).toBe(q.status);
      });
});
