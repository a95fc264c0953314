// Debug-register width in compatibility mode. Rules: Intel SDM Vol. 3 19.2.6 (in 16/32-bit modes, protected and
// compatibility, writes to a debug register zero its upper 32 bits and reads return the lower 32 bits; 64-bit mode
// accesses all 64 bits); AMD APM Vol. 2 13.1.1 (debug registers are 64 bits in long mode).
import { describe, expect, it } from 'vitest';
import { expectRun, hex64, MODES, runGuest32, VENDORS } from './harness.js';

describe.each(VENDORS)('compatibility mode: 32-bit MOV DR on 64-bit debug registers (%s)', (vendor) => {
  it.each(MODES)('read returns the low half, write zero-extends (%s mode)', async (mode) => {
    const run = await runGuest32('compat-dr-width', mode, { vendor });
    expectRun(run, []);
    expect(run.marks.map((m) => [m.tag, hex64(m.value)])).toEqual([
      [0x30, hex64(0x00abcdefn)],
      [0x40, hex64(0x1234567800abcdefn)],
      [0x41, hex64(0x00c0ffeen)],
    ]);
  });
});
