// Issue 18 item 1, faults: a guest looping over a faulting instruction (an unmodelled opcode's #UD, as the
// hostile ud-loop guest does) retires almost nothing per fault, yet each delivery costs tens of
// microseconds. run() charges every delivered fault to the same work bound as REP iterations, so such a loop
// still hands the slice back after a bounded number of deliveries and the VMM serves Ctrl-C, signals and
// sockets (measured by `npm run soak -- --hostile`; here only the bound itself, by counting).
import { describe, expect, it } from 'vitest';
import { KCS, gate32, makeSys } from '../support/sys.js';

const UD = 6;
const HANDLER = 0x30000;
const COUNT = 0x50000; // #UD deliveries, counted by the handler

describe('a #UD loop is bounded by the run work budget', () => {
  it('ends run() with budget after a bounded number of deliveries, then resumes where it stopped', () => {
    const s = makeSys();
    s.intercept = false;
    s.setIdt32(UD, gate32(KCS, HANDLER, 0xe));
    // Skip the 2-byte UD2 and return (the fault pushed the EIP of the UD2 itself).
    s.load(`
.code32
  incl ${COUNT}
  addl $2, (%esp)
  iret`, HANDLER);
    s.load(`
.code32
1: ud2
  jmp 1b`);
    const first = s.cpu.run(1_000_000);
    expect(first.kind).toBe('budget');
    const faults = s.r32(COUNT);
    // Bounded by work, not by the 1,000,000 instructions asked for: 8192 work units at 64 per fault.
    expect(faults).toBeGreaterThan(0);
    expect(faults).toBeLessThanOrEqual(128);
    // Three instructions retire per fault (INCL, ADDL, IRET) plus the JMP.
    expect(s.cpu.instructionsRetired).toBeLessThan(faults * 4 + 4);
    // The next run() starts with a fresh budget and continues the loop.
    expect(s.cpu.run(1_000_000).kind).toBe('budget');
    expect(s.r32(COUNT)).toBeGreaterThan(faults);
  });
});
