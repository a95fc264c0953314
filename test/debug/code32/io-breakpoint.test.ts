// I/O breakpoints in 32-bit protected mode. Rules: Intel SDM Vol. 3 19.2.4 (R/Wn=10 with CR4.DE=1: break on
// I/O reads or writes), 19.3.1.2 (trap-class: EIP after the IN/OUT, Bn set); AMD APM Vol. 2 13.1.1.5.
import { describe, it } from 'vitest';
import { DR7_RW_IO, dr7Local, atCpl, CS32_KERNEL, CS32_USER, DR6_B0, DR6_INIT, expectRun, MODES, runGuest32, VEC_DB, VENDORS, type Expect } from './harness.js';

const DR7 = dr7Local(0, DR7_RW_IO, 2);

describe.each(VENDORS)('32-bit I/O breakpoint (%s)', (vendor) => {
  it.each(MODES)('OUT and IN on a watched port trap with B0; CPL0 and CPL3 with IOPL=3 (%s mode)', async (mode) => {
    const run = await runGuest32('io-breakpoint', mode, { vendor });
    const seq: Expect[] = ['io_1', 'io_2', 'io_4'].map((rip) => ({ vec: VEC_DB, rip, dr6: DR6_INIT | DR6_B0, dr7: DR7, rf: 0 as const, tf: 0 as const }));
    expectRun(run, [...atCpl(seq, CS32_KERNEL), ...atCpl(seq, CS32_USER)]);
  });
});
