// MMX on the x87 register file (src/cpu/mmx-state.ts, sse-int.ts/sse-move.ts MMX forms, mmx-move.ts): the
// x87 transition of an MMX write, read and EMMS seen through FNSTSW, FNSTENV's computed tag word and FXSAVE's
// abridged tag and register images; MOVQ2DQ/MOVDQ2Q; #MF/#NM/#UD. Expected values from the SDM (Vol. 1 9.5,
// Vol. 3 12.2 Table 12-2 and 12.2.1, Vol. 2 MOVQ2DQ/EMMS/PADDB exceptions, FILD and Vol. 1 8.5.1.1 for
// Linux's AMD sequence FNCLEX; EMMS; FILD), see the guest
// test/guest-src/platform/mmx/mmx.c. Element results are compared with the host CPU by
// test/cpu/differential/diff-mmx.test.ts.
import { describe, expect, it } from 'vitest';
import { Machine } from '../../../src/machine/machine.js';
import { Vmm } from '../../../src/vmm/index.js';

const GUEST = 'build/guests/platform/mmx.elf';

const EXPECTED = [
  'cpuid.mmx 0x1',
  'start.fsw 0x2800', // TOP = 5
  'start.ftw 0xffff',
  'write.fsw 0x0', // TOP = 0
  'write.ftw 0x1080', // R3 special (exponent all ones), R6 zero, the rest valid
  'write.fxsave.ftw 0xff',
  'write.r3.mant 0x1122334455667788',
  'write.r3.exp 0xffff',
  'write.r1.exp 0x3fff',
  'emms.fsw 0x0',
  'emms.ftw 0xffff',
  'emms.fxsave.ftw 0x0',
  'emms.r3.mant 0x1122334455667788',
  'read.mm1 0x8000000000000000',
  'read.ftw 0x1080',
  'read.r1.exp 0x3fff',
  'paddb.mm1 0x9122334455667788', // top byte 0x80 + 0x11
  'paddb.r1.exp 0xffff',
  'movq2dq.lo 0x1122334455667788',
  'movq2dq.hi 0x0',
  'movdq2q.r4.mant 0x102030405060708',
  'movdq2q.r4.exp 0xffff',
  'pending.pxor mf',
  'pending.emms mf',
  'cleared.pxor ok',
  'ts.paddb nm',
  'ts.emms nm',
  'em.paddb ud',
  'em.emms ud',
  'no-osfxsr.pshufw ok',
  'no-osfxsr.movq2dq ud',
  'fild32.fsw 0x3800', // TOP 7
  'fild.ftw 0x7ff', // R7 valid (-5), R6 valid (INT64_MIN), R5 zero, R0-R4 empty
  'fild.st2.mant 0xa000000000000000',
  'fild.st2.exp 0xc001', // sign, 16383 + 2
  'fild.st1.mant 0x8000000000000000',
  'fild.st1.exp 0xc03e', // sign, 16383 + 63
  'fild.st0.exp 0x0', // +0
  'fild.overflow-unmasked.fsw 0x82c1', // B, C1, ES, SF, IE; TOP 0
  'fild.overflow-unmasked.st0.mant 0x0',
  'fild.overflow-unmasked.st0.exp 0xffff',
  'fild.overflow.fsw 0x3a41', // TOP 7, C1, SF, IE
  'fild.overflow.st0.mant 0xc000000000000000',
  'fild.overflow.st0.exp 0xffff',
  'done',
];

describe.each(['intel', 'amd'] as const)('MMX and the x87 state (%s)', (vendor) => {
  it.each(['bare', 'kvm'] as const)('%s mode', async (mode) => {
    const m = Machine.fromFile(GUEST, { config: { mode, vendor } });
    const r = mode === 'kvm' ? (await new Vmm(m).runToCompletion(5_000_000)).result : await m.runToCompletion({ maxInsns: 5_000_000 });
    expect(m.serialOutput.trim().split('\n')).toEqual(EXPECTED);
    expect(r).toMatchObject({ kind: 'exit', code: 1 });
  });
});
