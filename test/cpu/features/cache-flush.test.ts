// CLFLUSH, CLFLUSHOPT and CLWB (SDM Vol. 2A): offered by CPUID and executed on a memory operand without touching
// the data; CLWB's encoding with a register operand is #UD. kvm-unit-tests x86/memory.c skipped CLFLUSHOPT and CLWB
// (not offered; CLWB was #UD as XSAVEOPT).
import { describe, expect, it } from 'vitest';
import { Machine } from '../../../src/machine/machine.js';
import { Vmm } from '../../../src/vmm/index.js';

const GUEST = 'build/guests/platform/cache-flush.elf';
const EXPECTED = ['cpuid-clflush 0x1', 'cpuid-clflushopt 0x1', 'cpuid-clwb 0x1', 'clflush ok', 'clflushopt ok', 'clwb ok', 'clwb-reg ud', 'data 0x1122334455667788', 'done', ''].join('\n');

describe.each(['intel', 'amd'] as const)('cache-line flushes (%s)', (vendor) => {
  it.each(['bare', 'kvm'] as const)('%s mode', async (mode) => {
    const m = Machine.fromFile(GUEST, { config: { mode, vendor } });
    const r = mode === 'kvm' ? (await new Vmm(m).runToCompletion(5_000_000)).result : await m.runToCompletion({ maxInsns: 5_000_000 });
    expect(m.serialOutput).toBe(EXPECTED);
    expect(r).toMatchObject({ kind: 'exit', code: 1 });
  });
});
