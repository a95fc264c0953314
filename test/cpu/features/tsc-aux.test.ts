// RDTSCP / RDPID offered by CPUID because IA32_TSC_AUX and both readers are modelled (SDM Vol. 2B RDTSCP,
// RDPID: ECX / the destination get IA32_TSC_AUX[31:0], zero-extended), RDPID with a memory operand and
// RDSEED #UD, XGETBV #UD while CR4.OSXSAVE = 0 (SDM Vol. 2C XGETBV; XSAVE itself: xsave.test.ts). Issue 15:
// "RDTSCP/XGETBV execute though CPUID does not advertise them". Also IA32_TSC_ADJUST and its link with IA32_TSC.
import { describe, expect, it } from 'vitest';
import { Machine } from '../../../src/machine/machine.js';
import { Vmm } from '../../../src/vmm/index.js';

const GUEST = 'build/guests/platform/tsc-aux.elf';

function expected(): string {
  const l = ['cpuid-rdtscp 0x1', 'cpuid-rdpid 0x1', 'cpuid-xsave 0x1'];
  for (const v of ['0x0', '0xa', '0x100', '0xffffffff']) l.push(`rdtscp ${v}`, `rdpid ${v}`, `rdpid-r9 ${v}`);
  l.push('rdpid-mem ud', 'rdseed ud', 'xgetbv ud');
  // IA32_TSC_ADJUST (SDM Vol. 3B 18.17.3; kvm-unit-tests x86/tsc_adjust.c), offered by CPUID.07H:EBX[1].
  l.push('cpuid-tsc-adjust 0x1', 'tsc-adjust-reset 0x0', 'tsc-adjust-read 0x174876e800', 'tsc-moved-by-adjust 0x1', 'tsc-back 0x1');
  l.push('tsc-write-adjust 0x1', 'tsc-after-write 0x1', 'tsc-adjust-negative 0xfffffffffffffffb', 'done');
  return l.join('\n') + '\n';
}

describe.each(['intel', 'amd'] as const)('TSC_AUX readers and XGETBV (%s)', (vendor) => {
  it.each(['bare', 'kvm'] as const)('%s mode', async (mode) => {
    const m = Machine.fromFile(GUEST, { config: { mode, vendor } });
    const r = mode === 'kvm' ? (await new Vmm(m).runToCompletion(5_000_000)).result : await m.runToCompletion({ maxInsns: 5_000_000 });
    expect(m.serialOutput).toBe(expected());
    expect(r).toMatchObject({ kind: 'exit', code: 1 });
  });
});
