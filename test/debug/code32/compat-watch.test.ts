// Data watchpoints in IA-32e compatibility mode. Rules: Intel SDM Vol. 3 19.2.4-19.2.5 (R/W 01/11, LEN 1/2/4),
// 19.3.1.2 (trap-class, RIP = next instruction, Bn, pushed RF=0); AMD APM Vol. 2 13.1.1.
import { describe, expect, it } from 'vitest';
import {
  dr7Local, atCpl, CS_COMPAT_KERNEL, CS_COMPAT_USER, DR6_B1, DR6_INIT, expectRun, hex64, MODES, runGuest32, VEC_DB, VENDORS, type Expect,
} from './harness.js';


describe.each(VENDORS)('compatibility-mode data watchpoint (%s)', (vendor) => {
  it.each(MODES)('W and RW, LEN 1/2/4; CPL0 and CPL3 (%s mode)', async (mode) => {
    const run = await runGuest32('compat-watch', mode, { vendor });
    const expected: Expect[] = [];
    const phases: Array<[number, string]> = [];
    for (const user of [0, 1]) {
      for (const rw of [1, 3]) {
        for (const len of [1, 2, 4]) {
          phases.push([len * 0x100 + rw * 0x10, hex64(BigInt(user * 3))]);
          const dr7 = dr7Local(1, rw, len);
          const hits = rw === 1 ? ['cw_1', 'cw_5'] : ['cw_1', 'cw_3', 'cw_5', 'cw_6'];
          expected.push(...atCpl(hits.map((rip) => ({ vec: VEC_DB, rip, dr6: DR6_INIT | DR6_B1, dr7, rf: 0 as const, tf: 0 as const })), user ? CS_COMPAT_USER : CS_COMPAT_KERNEL));
        }
      }
    }
    expectRun(run, expected);
    expect(run.marks.map((m) => [m.tag, hex64(m.value)])).toEqual(phases);
  });
});
