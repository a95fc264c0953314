// 8-byte data breakpoints (LENn = 10b) outside 64-bit mode, Intel: SDM Vol. 3 19.2.6 "Break point conditions for
// 8-byte memory read/writes are supported in all modes" (Intel 64 processors); 19.2.5 (an access hits when any of
// its bytes lies in [DRn, DRn+8)); 19.3.1.2 (trap after the access). AMD's APM describes the 8-byte length for
// long mode; its legacy-mode meaning is not asserted here (see the debug32 report).
import { describe, expect, it } from 'vitest';
import {
  dr7Local, atCpl, CS32_KERNEL, CS32_USER, CS_COMPAT_KERNEL, CS_COMPAT_USER, DR6_B1, DR6_INIT, expectRun, MODES, runGuest32, VEC_DB, type Expect,
} from './harness.js';

const KINDS = [
  ['watch-len8', CS32_KERNEL, CS32_USER, 'protected mode'],
  ['compat-watch-len8', CS_COMPAT_KERNEL, CS_COMPAT_USER, 'compatibility mode'],
] as const;

describe.each(KINDS)('%s: LEN=8 data breakpoint, Intel', (scenario, csK, csU, what) => {
  it.each(MODES)(`W and RW over 8 bytes in ${what}; CPL0 and CPL3 (%s mode)`, async (mode) => {
    const run = await runGuest32(scenario, mode, { vendor: 'intel' });
    const expected: Expect[] = [];
    for (const cs of [csK, csU])
      for (const rw of [1, 3]) {
        const dr7 = dr7Local(1, rw, 8);
        const hits = rw === 1 ? ['q8_1', 'q8_5'] : ['q8_1', 'q8_3', 'q8_5'];
        expected.push(...atCpl(hits.map((rip) => ({ vec: VEC_DB, rip, dr6: DR6_INIT | DR6_B1, dr7, rf: 0 as const })), cs));
      }
    expectRun(run, expected);
    expect(run.marks.map((m) => [m.tag, Number(m.value)])).toEqual([[1, 0], [3, 0], [1, 3], [3, 3]]);
  });
});
