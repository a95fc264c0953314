// UMIP (SDM Vol. 3A 2.5 CR4.UMIP; Vol. 2 SGDT/SIDT/SLDT/SMSW/STR): with CR4.UMIP=1 the five instructions raise #GP(0)
// at CPL3 (SMSW in its register form too) and run at CPL0; with UMIP=0 they run everywhere. CPUID.(7,0):ECX[2]
// offers it (kvm-unit-tests x86/umip.c printed "UMIP not available" and skipped its UMIP=1 half).
import { describe, expect, it } from 'vitest';
import { Machine } from '../../../src/machine/machine.js';
import { Vmm } from '../../../src/vmm/index.js';

const GUEST = 'build/guests/platform/umip.elf';
const NAMES = ['sgdt', 'sidt', 'sldt', 'str', 'smsw-reg', 'smsw-mem'];

function expected(): string {
  const l = ['cpuid-umip 0x1'];
  for (const umip of [0, 1])
    for (const n of NAMES) l.push(`cpl0-umip0x${umip} ${n} ok`, `cpl3-umip0x${umip} ${n} ${umip ? 'gp' : 'ok'}`);
  l.push('done');
  return l.join('\n') + '\n';
}

describe.each(['intel', 'amd'] as const)('UMIP (%s)', (vendor) => {
  it.each(['bare', 'kvm'] as const)('%s mode', async (mode) => {
    const m = Machine.fromFile(GUEST, { config: { mode, vendor } });
    const r = mode === 'kvm' ? (await new Vmm(m).runToCompletion(5_000_000)).result : await m.runToCompletion({ maxInsns: 5_000_000 });
    expect(m.serialOutput).toBe(expected());
    expect(r).toMatchObject({ kind: 'exit', code: 1 });
  });
});
