// STI shadow in 32-bit protected mode. Rules: Intel SDM Vol. 3 6.8.3 and Vol. 2 STI (the shadow blocks maskable
// interrupts only, not the single-step trap), 19.3.1.4; AMD APM Vol. 2 (interrupt shadow).
import { describe, it } from 'vitest';
import { atCpl, CS32_KERNEL, CS32_USER, DR6_BS, DR6_INIT, expectRun, MODES, runGuest32, VEC_DB, VENDORS, type Expect } from './harness.js';

const BS = DR6_INIT | DR6_BS;

describe.each(VENDORS)('32-bit STI shadow and single-step (%s)', (vendor) => {
  it.each(MODES)('#DB right after STI; CPL0 and CPL3 with IOPL=3 (%s mode)', async (mode) => {
    const run = await runGuest32('sti-blocking', mode, { vendor });
    const seq: Expect[] = [
      { vec: VEC_DB, rip: 'sti_1', dr6: BS, rf: 0, tf: 1, if: 1, why: 'trap after STI itself' },
      { vec: VEC_DB, rip: 'sti_2', dr6: BS, rf: 0, tf: 1, if: 1 },
      { vec: VEC_DB, rip: 'sti_3', dr6: BS, rf: 0, tf: 1, if: 1 },
      { vec: VEC_DB, rip: 'sti_4', dr6: BS, rf: 0, tf: 0, if: 0 },
    ];
    expectRun(run, [...atCpl(seq, CS32_KERNEL), ...atCpl(seq, CS32_USER)]);
  });
});
