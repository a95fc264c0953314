// Single-step over CPUID, IN and OUT (SDM Vol. 3 19.3.1.4): these are ordinary instructions for
// single-step purposes: one trap-like #DB after each (RIP = next instruction, DR6 = 0xFFFF4FF0).
// At CPL3 the guest runs with IOPL=3 so IN/OUT are permitted (SDM Vol. 1 19.5.1).
import { describe, it } from 'vitest';
import { atCpl, CS_KERNEL, CS_USER, DR6_BS, DR6_INIT, expectRun, runGuest, VEC_DB, VENDORS, type Expect } from './harness.js';

const BS = DR6_INIT | DR6_BS;

describe.each(VENDORS)('single-step over CPUID/IN/OUT (%s)', (vendor) => {
  it('one #DB after each of AND, PUSH, XOR, CPUID, MOV, IN, MOV, OUT, POPF; CPL0 and CPL3', async () => {
    const run = await runGuest('single-step-cpuid-io', { vendor });
    const seq: Expect[] = [1, 2, 3, 4, 5, 6, 7, 8, 9].map((i) => ({
      vec: VEC_DB, rip: `sio_${i}`, dr6: BS, rf: 0, tf: i === 9 ? 0 : 1,
    }));
    expectRun(run, [...atCpl(seq, CS_KERNEL), ...atCpl(seq, CS_USER)]);
  });
});
