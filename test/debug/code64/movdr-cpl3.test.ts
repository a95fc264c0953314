// MOV to/from a debug register at CPL>0 is #GP(0) (SDM Vol. 3 19.2: "debug registers are privileged
// resources ... an attempt to read or write the debug registers from any other privilege level
// generates a general-protection exception"): fault, RIP at the MOV, error code 0, RF=1 pushed on
// Intel (19.3.1.1).
import { describe, it } from 'vitest';
import { CS_USER, expectRun, runGuest, VEC_GP, VENDORS } from './harness.js';

describe.each(VENDORS)('MOV DR at CPL3 (%s)', (vendor) => {
  it('#GP(0) for MOV from DR6, to DR7, from DR0, to DR3', async () => {
    const run = await runGuest('movdr-cpl3', { vendor });
    const rf = vendor === 'intel' ? { rf: 1 as const } : {};
    expectRun(run, ['mdu_0', 'mdu_1', 'mdu_2', 'mdu_3'].map((rip) => ({ vec: VEC_GP, rip, cs: CS_USER, err: 0n, ...rf })));
  });
});
