// HLT with TF=1 (issue 15): the single-step trap after HLT is delivered and the CPU leaves the halt
// state, as any event delivery does (SDM Vol. 2A HLT: a debug exception resumes execution; SDM Vol. 3
// 19.3.1.4: single-step is a trap after the instruction, RIP = the next one). AMD: APM Vol. 3 HLT,
// same (an exception other than a reset ends the halt). Before the fix, bare mode halted again at the
// handler's first instruction and the run ended "HLT forever".
import { describe, it } from 'vitest';
import { CS_KERNEL, DR6_BS, DR6_INIT, expectRun, runGuest, VEC_DB, VENDORS } from './harness.js';

const BS = DR6_INIT | DR6_BS;

describe.each(VENDORS)('single-step over HLT (%s)', (vendor) => {
  it('HLT with IF=0 and TF=1: #DB after it at the next instruction, then execution continues', async () => {
    const run = await runGuest('hlt-step', { vendor });
    expectRun(run, [
      { vec: VEC_DB, rip: 'hs_after', dr6: BS, cs: CS_KERNEL, rf: 0, tf: 1, why: 'HLT began with TF=1: trap after it, halt ended' },
      { vec: VEC_DB, rip: 'hs_pop', dr6: BS, cs: CS_KERNEL, rf: 0, tf: 1, why: 'the handler ran and returned: stepping goes on' },
      { vec: VEC_DB, rip: 'hs_end', dr6: BS, cs: CS_KERNEL, rf: 0, tf: 0, why: 'POPF clearing TF still traps' },
    ]);
  });
});
