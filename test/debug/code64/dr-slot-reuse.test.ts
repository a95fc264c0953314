// One DR slot reused with new addresses and types between #DBs, in the order Linux's perf breakpoints
// write them for ptrace (Linux 6.1 arch_install_hw_breakpoint / arch_uninstall_hw_breakpoint; the
// breakpoints selftest breakpoint_test moves one ptrace breakpoint after another through hardware slot 0).
// The debug unit's precomputed match state must follow every MOV DRn / MOV DR7 (SDM Vol. 3 19.2.4: the
// breakpoint is DRn's current address under DR7's current fields): the slot's previous address is no hit,
// a disabled DR0 address does nothing, and DR6 shows the slot that matched (19.2.3). Guest: main.S.
import { describe, expect, it } from 'vitest';
import { atCpl, CS_USER, DR6_B0, DR6_B3, DR6_INIT, expectRun, runGuest, VEC_DB, VENDORS, type Expect } from './harness.js';

/** DR7 as the handler reads it: what the phase wrote plus bit 10, which reads as 1 (SDM 19.2.4). */
const dr7 = (v: number) => BigInt((v | 0x400) >>> 0);

describe.each(VENDORS)('DR slot reuse, Linux hw_breakpoint order (%s)', (vendor) => {
  it('each #DB matches only the slot\'s current address and type', async () => {
    const run = await runGuest('dr-slot-reuse', { vendor });
    const b0 = DR6_INIT | DR6_B0;
    const expected: Expect[] = atCpl([
      { vec: VEC_DB, rip: 'f_exec', dr6: b0, dr7: dr7(0x202) },
      { vec: VEC_DB, rip: 'w0_hit', dr6: b0, dr7: dr7(0x10202) },
      { vec: VEC_DB, rip: 'w1_hit', dr6: b0, dr7: dr7(0x10202) },
      { vec: VEC_DB, rip: 'w2_hit', dr6: b0, dr7: dr7(0x50202) },
      { vec: VEC_DB, rip: 'r3_hit', dr6: b0, dr7: dr7(0xf0202) },
      { vec: VEC_DB, rip: 'f_exec', dr6: b0, dr7: dr7(0x202) },
      { vec: VEC_DB, rip: 'w0_dr3_hit', dr6: DR6_INIT | DR6_B3, dr7: dr7(0x90000280) },
    ], CS_USER);
    expectRun(run, expected);
    expect(run.marks.map((m) => [m.tag, Number(m.value)])).toEqual([
      [1, 0x202], [2, 0x10202], [3, 0x10202], [4, 0x50202], [5, 0xf0202], [6, 0x202], [7, 0x90000280],
    ]);
  });
});
