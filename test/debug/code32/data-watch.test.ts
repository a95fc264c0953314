// Data watchpoints in 32-bit protected mode. Rules: Intel SDM Vol. 3 19.2.4 (R/Wn 01 = writes, 11 = reads or
// writes; LENn 00/01/11 = 1/2/4 bytes), 19.2.5 (DRn aligned to LEN; the low address bits are ignored, so a
// misaligned DRn watches the aligned range that contains it), 19.3.1.2 (trap-class #DB after the access,
// EIP = next instruction, Bn set, pushed RF = 0); AMD APM Vol. 2 13.1.1. LEN=10b (8 bytes) is left out: the SDM
// (19.2.5 note) defines it only for some processor families and the APM for long mode.
import { describe, expect, it } from 'vitest';
import {
  DR7_RW_WRITE, dr7Local, atCpl, CS32_KERNEL, CS32_USER, DR6_B1, DR6_BS, DR6_INIT, expectRun, MODES, runGuest32, VEC_DB, VENDORS, type Expect,
} from './harness.js';

const LENS = [1, 2, 4] as const;
const h8 = (v: number) => '0x' + v.toString(16).padStart(8, '0');

describe.each(VENDORS)('32-bit data watchpoint (%s)', (vendor) => {
  it.each(MODES)('W and RW, LEN 1/2/4, preset BS, unaligned DR1; CPL0 and CPL3 (%s mode)', async (mode) => {
    const run = await runGuest32('data-watch', mode, { vendor });
    const expected: Expect[] = [];
    const phases: Array<[number, string]> = [];
    for (const user of [0, 1]) {
      const cs = user ? CS32_USER : CS32_KERNEL;
      for (const bs of [0, 1]) {
        for (const rw of [1, 3]) {
          for (const len of LENS) {
            phases.push([len * 0x100 + rw * 0x10 + bs, h8(user * 3)]);
            const dr6 = DR6_INIT | DR6_B1 | (bs ? DR6_BS : 0n);
            const dr7 = dr7Local(1, rw, len);
            // write-only: the in-range write and the straddling write; read/write: also the two reads.
            const hits = rw === 1 ? ['wb_1', 'wb_5'] : ['wb_1', 'wb_3', 'wb_5', 'wb_6'];
            expected.push(...atCpl(hits.map((rip) => ({ vec: VEC_DB, rip, dr6, dr7, rf: 0 as const, tf: 0 as const })), cs));
          }
        }
      }
      for (const len of [2, 4]) {
        phases.push([0xa00 + len, h8(user * 3)]);
        const dr7 = dr7Local(1, DR7_RW_WRITE, len);
        expected.push({ vec: VEC_DB, rip: 'wa_1', dr6: DR6_INIT | DR6_B1, dr7, cs, rf: 0, why: `DR1 = base+${len - 1}, LEN ${len}: low bits ignored, base hits` });
      }
    }
    expectRun(run, expected);
    expect(run.marks.map((m) => [m.tag, h8(Number(m.value))])).toEqual(phases);
  });
});
