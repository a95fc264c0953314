// INT 1 (CD 01) is a software interrupt to vector 1, not a #DB (SDM Vol. 2 "INT n", Vol. 3 6.4.2):
// DR6 is not written (the preset 0xFFFF4FF2 comes through unchanged), RIP pushed = after the
// instruction, and the gate's DPL is checked against CPL: at CPL3 through the DPL0 gate 1 it is
// #GP with error code 1*8+2 = 0x0A (IDT flag set, EXT clear), a fault with RIP at the INT 1 and, on
// Intel, RF=1 in the pushed image (SDM 19.3.1.1: every fault-class exception other than an
// instruction-breakpoint #DB pushes RF=1). INT3 through the DPL3 gate 3 is #BP, RIP after it.
import { describe, it } from 'vitest';
import { CS_KERNEL, CS_USER, DR6_B1, DR6_BS, DR6_INIT, expectRun, runGuest, VEC_BP, VEC_DB, VEC_GP, VENDORS } from './harness.js';

const PRESET = DR6_INIT | DR6_BS | DR6_B1; // 0xFFFF4FF2

describe.each(VENDORS)('INT 1 is a software interrupt (%s)', (vendor) => {
  it('CPL0: vector 1 without DR6 change; CPL3: #GP(0x0A) via DPL0 gate, vector 1 via DPL3 gate; INT3 #BP', async () => {
    const run = await runGuest('int1', { vendor });
    expectRun(run, [
      { vec: VEC_DB, rip: 'int1_after', dr6: PRESET, cs: CS_KERNEL, rf: 0 },
      { vec: VEC_GP, rip: 'int1_at', err: 0x0an, cs: CS_USER, ...(vendor === 'intel' ? { rf: 1 as const } : {}), why: 'gate DPL0 < CPL3' },
      { vec: VEC_DB, rip: 'int1_after', dr6: PRESET, cs: CS_USER, rf: 0 },
      { vec: VEC_BP, rip: 'int3_after', dr6: PRESET, cs: CS_USER, rf: 0 },
    ]);
  });
});
