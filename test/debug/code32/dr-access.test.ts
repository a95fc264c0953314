// Debug-register access in 32-bit protected mode. Rules: Intel SDM Vol. 3 19.2.2 (DR4/DR5 alias DR6/DR7 when
// CR4.DE=0; #UD when CR4.DE=1), Vol. 2 "MOV - Move to/from Debug Registers" (#GP(0) if CPL > 0); AMD APM Vol. 2
// 13.1.1.2. On Intel a fault other than #DB pushes RF=1 (SDM Vol. 3 19.3.1.1); not asserted for AMD.
import { describe, expect, it } from 'vitest';
import { CS32_KERNEL, CS32_USER, DR6_B1, DR6_BS, DR6_INIT, expectRun, MODES, runGuest32, VEC_GP, VEC_UD, VENDORS } from './harness.js';

const h8 = (v: bigint) => '0x' + v.toString(16).padStart(8, '0');

describe.each(VENDORS)('32-bit DR4/DR5 aliasing and MOV DR at CPL3 (%s)', (vendor) => {
  it.each(MODES)('CR4.DE=0: DR4=DR6, DR5=DR7; CR4.DE=1: #UD; CPL3: #GP(0) (%s mode)', async (mode) => {
    const run = await runGuest32('dr-access', mode, { vendor });
    const rf = vendor === 'intel' ? { rf: 1 as const } : {};
    expectRun(run, [
      ...['de_0', 'de_1', 'de_2', 'de_3'].map((rip) => ({ vec: VEC_UD, rip, cs: CS32_KERNEL, err: 0n, ...rf })),
      ...['mdu_0', 'mdu_1', 'mdu_2', 'mdu_3'].map((rip) => ({ vec: VEC_GP, rip, cs: CS32_USER, err: 0n, ...rf })),
    ]);
    const dr6 = h8(DR6_INIT | DR6_BS | DR6_B1);
    expect(run.marks.map((m) => [m.tag, h8(m.value)])).toEqual([
      [0x46, dr6], [0x44, dr6], [0x57, h8(0x10400n)], [0x55, h8(0x10400n)], [0x66, h8(DR6_INIT)],
    ]);
  });
});
