// DR4/DR5 aliasing (SDM Vol. 3 19.2.2): with CR4.DE=0, references to DR4/DR5 are aliased to DR6/DR7;
// with CR4.DE=1 they are reserved and a MOV referencing them is #UD (MOV DR exceptions: "#UD if
// CR4.DE = 1 and a MOV instruction is executed involving DR4 or DR5") - a fault, RIP at the MOV,
// RF=1 pushed on Intel (19.3.1.1). CPL0 only.
import { describe, expect, it } from 'vitest';
import { CS_KERNEL, DR6_B1, DR6_BS, DR6_INIT, expectRun, hex64, marks, runGuest, VEC_UD, VENDORS } from './harness.js';

describe.each(VENDORS)('DR4/DR5 aliasing (%s)', (vendor) => {
  it('CR4.DE=0: DR4=DR6, DR5=DR7; CR4.DE=1: #UD on all four MOV forms', async () => {
    const run = await runGuest('dr4-alias', { vendor });
    const rf = vendor === 'intel' ? { rf: 1 as const } : {};
    expectRun(run, ['de_0', 'de_1', 'de_2', 'de_3'].map((rip) => ({ vec: VEC_UD, rip, cs: CS_KERNEL, err: 0n, ...rf })));
    const dr6 = hex64(DR6_INIT | DR6_BS | DR6_B1);
    expect(marks(run)).toEqual([
      [0x46, dr6], // DR6 after MOV DR4 <- 0xFFFF4FF2
      [0x44, dr6], // MOV from DR4 reads DR6
      [0x57, hex64(0x10400n)], // DR7 after MOV DR5 <- 0x10400
      [0x55, hex64(0x10400n)],
      [0x66, hex64(DR6_INIT)], // MOV from DR6 itself is fine with CR4.DE=1
    ]);
  });
});
