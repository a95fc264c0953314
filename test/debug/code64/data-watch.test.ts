// Data breakpoints on DR1 (SDM Vol. 3 19.2.4-19.2.5, 19.3.1.2; AMD APM Vol. 2 13.1.1): trap-like
// #DB after the instruction that accessed the watched range (RIP = next instruction), DR6.B1 set.
// R/W=01 breaks on data writes only, R/W=11 on reads or writes; LEN 00/01/11/10 = 1/2/4/8 bytes,
// DR1 aligned to it; an access hits when any of its bytes falls inside [DR1, DR1+len).
// Guest body per phase (see main.S): wb_0 write last byte in range, wb_1 write first byte past it,
// wb_2 read in range, wb_3 read past, wb_4 2-byte write straddling DR1, wb_5 8-byte read overlapping
// the first 4 bytes. With "BS preset" the handler keeps DR6.BS set (DR6 rewritten to 0xFFFF4FF0),
// and BS is never cleared by the processor (19.2.3), so the #DB shows BS|B1 = 0xFFFF4FF2.
import { describe, expect, it } from 'vitest';
import { dr7Local, atCpl, CS_KERNEL, CS_USER, DR6_B1, DR6_BS, DR6_INIT, expectRun, runGuest, VEC_DB, VENDORS, type Expect } from './harness.js';

const LENS = [1, 2, 4, 8] as const;

describe.each(VENDORS)('data watchpoint (%s)', (vendor) => {
  it('write and read/write, LEN 1/2/4/8, with and without preset BS, CPL0 and CPL3', async () => {
    const run = await runGuest('data-watch', { vendor });
    const expected: Expect[] = [];
    const phases: Array<[number, string]> = [];
    for (const user of [0, 1]) {
      for (const bs of [0, 1]) {
        for (const rw of [1, 3]) {
          for (const len of LENS) {
            phases.push([len * 0x100 + rw * 0x10 + bs, '0x' + (user * 3).toString(16).padStart(16, '0')]);
            const dr6 = DR6_INIT | DR6_B1 | (bs ? DR6_BS : 0n);
            const dr7 = dr7Local(1, rw, len);
            // write-only: the in-range write and the straddling write; read/write: also both reads.
            const hits = rw === 1 ? ['wb_1', 'wb_5'] : ['wb_1', 'wb_3', 'wb_5', 'wb_6'];
            expected.push(...atCpl(hits.map((rip) => ({ vec: VEC_DB, rip, dr6, dr7, rf: 0 as const })), user ? CS_USER : CS_KERNEL));
          }
        }
      }
    }
    expectRun(run, expected);
    expect(run.marks.map((m) => [m.tag, '0x' + m.value.toString(16).padStart(16, '0')])).toEqual(phases);
  });
});
