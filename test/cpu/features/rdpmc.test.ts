// RDPMC (issue 15: "RDPMC's #GP/#UD rules"; it was an undefined opcode, #UD): SDM Vol. 2B / APM Vol. 3 RDPMC.
// #GP(0) at CPL3 while CR4.PCE=0 and for a counter the CPU does not have. AMD: the legacy PerfCtr0-3 (ECX 0-3,
// 48-bit, the values WRMSR left); Intel: no architectural PMU is offered (CPUID.0AH = 0), so no counter exists
// and every RDPMC #GPs, as KVM's kvm_pmu_rdpmc does for a guest without a vPMU.
import { describe, expect, it } from 'vitest';
import { Machine } from '../../../src/machine/machine.js';
import { Vmm } from '../../../src/vmm/index.js';

const GUEST = 'build/guests/platform/rdpmc.elf';

function expected(vendor: 'intel' | 'amd'): string {
  const amd = vendor === 'amd';
  return [
    `rdpmc0 ${amd ? '0x123456789a00' : 'gp'}`,
    `rdpmc3 ${amd ? '0x123456789a03' : 'gp'}`,
    'rdpmc4 gp', 'rdpmc-fixed gp', 'rdpmc-vmware gp',
    'cpl3-nopce 0xffff', // #GP at CPL3 without CR4.PCE (the guest's marker for a fault)
    `cpl3-pce ${amd ? '0x123456789a01' : '0xffff'}`,
    'done',
  ].join('\n') + '\n';
}

describe.each(['intel', 'amd'] as const)('RDPMC (%s)', (vendor) => {
  it.each(['bare', 'kvm'] as const)('%s mode', async (mode) => {
    const m = Machine.fromFile(GUEST, { config: { mode, vendor } });
    const r = mode === 'kvm' ? (await new Vmm(m).runToCompletion(5_000_000)).result : await m.runToCompletion({ maxInsns: 5_000_000 });
    expect(m.serialOutput).toBe(expected(vendor));
    expect(r).toMatchObject({ kind: 'exit', code: 1 });
  });
});
