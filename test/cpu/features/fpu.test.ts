// The x87 state and its control instructions (src/cpu/x87.ts), issue 15's truthfulness gap "CPUID advertises
// FPU and FXSR though the CPU models neither" and issue 16's Linux FPU path. Expected values from the SDM
// (Vol. 2A FINIT/FNINIT, FLDCW, FSTENV, FSAVE/FRSTOR, FXSAVE/FXRSTOR Tables 3-53..3-56 and the abridged tag
// word, LDMXCSR; Vol. 3 2.5 Table 2-2 for #NM/#UD with CR0.EM/TS/MP; Vol. 1 8.7 for #MF on a waiting
// instruction with FSW.ES and CR0.NE) and, where the SDM leaves it to the implementation, QEMU 7.2
// (helper_fxsave skips MXCSR/XMM while CR4.OSFXSR=0; helper_fstenv writes the reserved halves as 0).
// FLD1 #UD is the documented gap (x87 arithmetic is not modelled).
import { describe, expect, it } from 'vitest';
import { Machine } from '../../../src/machine/machine.js';
import { Vmm } from '../../../src/vmm/index.js';

const GUEST = 'build/guests/platform/fpu.elf';

const EXPECTED = [
  'cpuid.fpu 0x1',
  'cpuid.mmx 0x1',
  'cpuid.fxsr 0x1',
  'cpuid.sse-sse2 0x3',
  'reset.fcw 0x37f',
  'reset.fsw 0x0',
  'fldcw.fcw 0x27f',
  'fninit.fcw 0x37f',
  'fnstsw-ax 0x0',
  'ldmxcsr.no-osfxsr ud',
  'fxsave.no-osfxsr.fcw 0x37f',
  'fxsave.no-osfxsr.mxcsr-slot 0xcccccccc',
  'stmxcsr 0x1fa0',
  'fxsave.fcw 0xb7f',
  'fxsave.fsw 0x0',
  'fxsave.ftw-byte5 0x0',
  'fxsave.fop 0x0',
  'fxsave.fip64 0x0',
  'fxsave.mxcsr 0x1fa0',
  'fxsave.mxcsr-mask 0xffff',
  'fxsave.xmm3.lo 0x1122334455667788',
  'fxsave.xmm3.hi 0x99aabbccddeeff00',
  'fxsave.reserved-416 0xcc',
  'fnstenv.fcw 0x37b',
  'fnstenv.fsw 0x3800',
  'fnstenv.ftw 0x3ffd',
  'fnstenv.masks-after 0x37f',
  'fxrstor.xmm3.lo 0x123456789abcdef',
  'fxrstor.reserved-mxcsr gp',
  'fxrstor.reserved-mxcsr.fsw-kept 0x3800',
  'fxsave.misaligned gp',
  'fxsave32.st0.exp 0x3fff',
  'fxsave32.st0.mant 0x8000000000000000',
  'fxsave32.ftw 0x81',
  'fnsave.after.fcw 0x37f',
  'fnsave.image.fsw 0x3800',
  'fnsave.image.st0.exp 0x3fff',
  'frstor.fcw 0x37f',
  'frstor.fsw 0x3800',
  'pending.fnstsw 0x81',
  'pending.fwait mf',
  'fnclex.fwait ok',
  'fnclex.fsw 0x0',
  'ts.fninit nm',
  'ts.fwait.no-mp ok',
  'ts.fwait.mp nm',
  'ts.fxsave nm',
  'em.fninit nm',
  'em.fxsave ud',
  'fld1 ud',
  'done',
];

describe.each(['intel', 'amd'] as const)('x87 state, FXSAVE/FXRSTOR, LDMXCSR (%s)', (vendor) => {
  it.each(['bare', 'kvm'] as const)('%s mode', async (mode) => {
    const m = Machine.fromFile(GUEST, { config: { mode, vendor } });
    const r = mode === 'kvm' ? (await new Vmm(m).runToCompletion(5_000_000)).result : await m.runToCompletion({ maxInsns: 5_000_000 });
    expect(m.serialOutput.trim().split('\n')).toEqual(EXPECTED);
    expect(r).toMatchObject({ kind: 'exit', code: 1 });
  });
});
