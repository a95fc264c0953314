// The XSAVE feature set for the x87 and SSE state components (src/cpu/xsave.ts; issue 15: "XSAVE/XGETBV/XSETBV
// with real state components (x87, SSE, at least)", kvm-unit-tests' xsave). Expected values from the SDM
// (Vol. 1 chapter 13: XCR0, CPUID leaf 0DH, the standard form's legacy region and header, RFBM, XSTATE_BV and the
// initial configurations, MXCSR loaded whenever RFBM[1] or RFBM[2]; Vol. 2C XGETBV, XSETBV, XSAVE, XRSTOR
// exceptions). Where the SDM leaves a choice, QEMU's: XSAVE sets XSTATE_BV[i] for every saved component
// (get_xinuse reports every component in use; the SDM allows XINUSE[i] = 1 at any time).
import { describe, expect, it } from 'vitest';
import { MODE_ENGINES, runGuestFile } from '../support/guest-run.js';
import { Machine } from '../../../src/machine/machine.js';
import { Vmm } from '../../../src/vmm/index.js';

const GUEST = 'build/guests/platform/xsave.elf';

const EXPECTED = `cpuid1.xsave 0x1
cpuid1.osxsave 0x0
xgetbv.no-osxsave ud
xsetbv.no-osxsave ud
xsave.no-osxsave ud
cpuid1.osxsave.on 0x1
cpuid.d.0.eax 0x3
cpuid.d.0.ebx 0x240
cpuid.d.0.ecx 0x240
cpuid.d.0.edx 0x0
cpuid.d.1.eax 0x0
cpuid.d.2.eax 0x0
xcr0.reset 0x1
xsetbv.fp-sse ok
xcr0 0x3
xsetbv.rcx-high-ignored ok
xcr0.after-alias 0x1
xsetbv.zero gp
xsetbv.sse-only gp
xsetbv.avx-unsupported gp
xsetbv.high-bit gp
xsetbv.xcr1 gp
xgetbv.xcr1 gp
xcr0.unchanged 0x3
cpl3.xsetbv 0xd
cpl3.xgetbv 0x3
xsave ok
xsave.fcw 0x27f
xsave.mxcsr 0x1fa0
xsave.mxcsr-mask 0xffff
xsave.xmm0 0x1122334455667788
xsave.xstate-bv 0x83
xsave.header-16 0x5a5a
xsave.x87-only ok
xsave.x87-only.fcw 0x27f
xsave.x87-only.mxcsr 0xcccccccc
xsave.x87-only.xmm0 0xcccccccccccccccc
xsave.x87-only.xstate-bv 0x1
xsave.misaligned gp
xsave.ts nm
xrstor.xstate-bv-unsupported-bit gp
xrstor.compacted gp
xrstor.header-bytes-16-23 gp
xrstor ok
xrstor.xmm0 0x1122334455667788
xrstor.fcw 0x27f
xrstor.mxcsr 0x1fa0
xrstor.mxcsr-reserved gp
xrstor.mxcsr-reserved.xmm0 0x77
xrstor.init ok
xrstor.init.xmm0 0x0
xrstor.init.fcw 0x37f
xrstor.init.mxcsr 0x1f84
xrstor.sse-only ok
xrstor.sse-only.fcw 0x7f
xrstor.sse-only.xmm0 0x1122334455667788
xrstor.xcr0-x87 ok
xrstor.xcr0-x87.xmm0 0x99
xrstor.xcr0-x87.fcw 0x27f
xrstor.xcr0-x87.bv-sse-set gp
cpuid1.osxsave.off 0x0
done
`;

describe.each(['intel', 'amd'] as const)('XSAVE, XRSTOR, XGETBV, XSETBV (%s)', (vendor) => {
  it.each(MODE_ENGINES)('%s mode, %s', async (mode, engine) => {
    const { m, result: r } = await runGuestFile(GUEST, mode, engine, 5_000_000, vendor);
    expect(m.serialOutput).toBe(EXPECTED);
    expect(r).toMatchObject({ kind: 'exit', code: 1 });
  });
});

describe('XSETBV in kvm mode is a VM exit (VMX exit reason 55; KVM sets the SVM XSETBV intercept)', () => {
  it.each(['intel', 'amd'] as const)('%s: every XSETBV that passes the #UD and CPL checks asks the KVM model, which takes the exit', async (vendor) => {
    const m = Machine.fromFile(GUEST, { config: { mode: 'kvm', vendor } });
    const vmm = new Vmm(m);
    const host = m.cpu.host;
    const orig = host.interceptInstruction.bind(host);
    const taken: boolean[] = [];
    host.interceptInstruction = (kind, rip) => {
      const r = orig(kind, rip);
      if (kind === 'xsetbv') taken.push(r);
      return r;
    };
    const r = (await vmm.runToCompletion(5_000_000)).result;
    expect(r).toMatchObject({ kind: 'exit', code: 1 });
    expect(m.serialOutput).toBe(EXPECTED); // the exit changes nothing the guest sees
    // The guest's XSETBVs with CR4.OSXSAVE at CPL 0: ten (the one before OSXSAVE is #UD, the CPL-3 one #GP, both
    // before any exit).
    expect(taken).toEqual(new Array(10).fill(true));
  });
});
