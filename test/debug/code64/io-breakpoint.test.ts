// I/O breakpoints (SDM Vol. 3 19.2.4: R/Wn=10 "break on I/O reads or writes", defined only with
// CR4.DE=1; 19.3.1.2: trap-like, reported after the instruction). DR0=0x3FE, LEN0=2 bytes, L0: IN
// and OUT touching port 0x3FE or 0x3FF hit (DR6.B0, RIP = next instruction); port 0x3FD alone does not.
import { describe, it } from 'vitest';
import { DR7_RW_IO, dr7Local, atCpl, CS_KERNEL, CS_USER, DR6_B0, DR6_INIT, expectRun, runGuest, VEC_DB, VENDORS, type Expect } from './harness.js';

const DR7 = dr7Local(0, DR7_RW_IO, 2);

describe.each(VENDORS)('I/O breakpoint (%s)', (vendor) => {
  it('OUT and IN on a watched port trap after the instruction with B0; CPL0 and CPL3 (IOPL=3)', async () => {
    const run = await runGuest('io-breakpoint', { vendor });
    const seq: Expect[] = ['io_1', 'io_2', 'io_4'].map((rip) => ({ vec: VEC_DB, rip, dr6: DR6_INIT | DR6_B0, dr7: DR7, rf: 0 as const, tf: 0 as const }));
    expectRun(run, [...atCpl(seq, CS_KERNEL), ...atCpl(seq, CS_USER)]);
  });
});
