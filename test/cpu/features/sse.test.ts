// SSE availability and fault rules (src/cpu/sse-state.ts sseCheck, sse-float.ts commitFlags), issue 15's
// truthfulness rule for what CPUID offers: SSE/SSE2/SSE3 execute once CR4.OSFXSR is set; #UD with
// OSFXSR=0 or CR0.EM=1, #NM with CR0.TS=1 before any operand is read (SDM Vol. 3 2.5, Table 2-2); the MMX
// forms execute without OSFXSR, #NM with CR0.TS, #UD with CR0.EM (SDM Vol. 2 PXOR, EMMS), CVTPI2PS is the
// documented gap (#UD); LOCK #UD; #GP(0) for a misaligned 128-bit operand of the
// aligned forms only; an unmasked SIMD floating-point exception gives #XM with CR4.OSXMMEXCPT=1 and #UD
// without, leaves the destination unchanged and sets its MXCSR flag (SDM Vol. 1 11.5.2, Vol. 3 6.15
// "Interrupt 19"). The guest is test/guest-src/platform/sse/sse.c. The values themselves are compared with
// the host CPU by test/cpu/differential/diff-sse.test.ts.
import { describe, expect, it } from 'vitest';
import { Machine } from '../../../src/machine/machine.js';
import { Vmm } from '../../../src/vmm/index.js';

const GUEST = 'build/guests/platform/sse.elf';

const EXPECTED = [
  'cpuid.mmx 0x1',
  'cpuid.sse-sse2 0x3',
  'cpuid.sse3 0x1',
  'no-osfxsr.pxor ud',
  'no-osfxsr.addps ud',
  'no-osfxsr.mmx.pxor ok',
  'osfxsr.pxor ok',
  'mmx.pxor ok',
  'mmx.emms ok',
  'mmx.cvtpi2ps ud',
  'lock.pxor ud',
  'ts.pxor nm',
  'ts.movaps-misaligned nm',
  'ts.mmx.pxor nm',
  'ts.mmx.emms nm',
  'em.pxor ud',
  'em.mmx.pxor ud',
  'em.mmx.emms ud',
  'align.movaps gp',
  'align.gp-error 0x0',
  'align.movdqa-store gp',
  'align.paddb gp',
  'align.movups ok',
  'align.movdqu ok',
  'align.lddqu ok',
  'align.movsd ok',
  'align.aligned-movaps ok',
  'unmasked.no-osxmmexcpt.divps ud',
  'unmasked.mxcsr 0x1d84', // ZM clear (0x1d80) with ZE set
  'unmasked.divps xm',
  'unmasked.xmm2-kept 0x3f800000',
  'masked.divps ok',
  'masked.xmm2 0x7f800000',
  'masked.mxcsr 0x1f84',
  'done',
];

describe.each(['intel', 'amd'] as const)('SSE availability and faults (%s)', (vendor) => {
  it.each(['bare', 'kvm'] as const)('%s mode', async (mode) => {
    const m = Machine.fromFile(GUEST, { config: { mode, vendor } });
    const r = mode === 'kvm' ? (await new Vmm(m).runToCompletion(5_000_000)).result : await m.runToCompletion({ maxInsns: 5_000_000 });
    expect(m.serialOutput.trim().split('\n')).toEqual(EXPECTED);
    expect(r).toMatchObject({ kind: 'exit', code: 1 }); // exit(0): isa-debug-exit status (0 << 1) | 1
  });
});
