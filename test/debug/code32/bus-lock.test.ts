// Bus lock detection in 32-bit protected mode. Rules: Intel SDM Vol. 3 (IA32_DEBUGCTL bit 2 BUS_LOCK_DETECT,
// enumerated by CPUID.(EAX=7,ECX=0):ECX[24]; a bus lock at CPL>0 is a trap-like #DB with DR6.BLD (bit 11,
// active low) cleared); AMD APM Vol. 2 13.1.3.6 Bus Lock Trap; WRMSR of a reserved DEBUGCTL bit is #GP(0).
// A LOCKed RMW or XCHG with memory crossing a 64-byte line is a split lock; the access completes either way.
import { describe, expect, it } from 'vitest';
import { CS32_KERNEL, CS32_USER, DR6_BLD, DR6_INIT, expectRun, MODES, runGuest32, VEC_DB, VEC_GP, VENDORS, type Expect } from './harness.js';

const BLD_HIT = DR6_INIT & ~DR6_BLD; // 0xFFFF07F0
const h8 = (v: bigint) => '0x' + v.toString(16).padStart(8, '0');

describe.each(VENDORS)('32-bit bus lock (%s)', (vendor) => {
  describe.each([true, false])('busLockDetect=%s', (feature) => {
    it.each(MODES)('trap after the split locked instruction only at CPL3 with DEBUGCTL bit 2 (%s mode)', async (mode) => {
      const run = await runGuest32('bus-lock', mode, { vendor, busLockDetect: feature });
      const exp: Expect[] = feature
        ? [
            { vec: VEC_DB, rip: 'bl_1', dr6: BLD_HIT, cs: CS32_USER, rf: 0, tf: 0, why: 'LOCK ADD across the line' },
            { vec: VEC_DB, rip: 'bl_2', dr6: BLD_HIT, cs: CS32_USER, rf: 0, tf: 0, why: 'XCHG across the line (implicit lock)' },
          ]
        : [{ vec: VEC_GP, rip: 'bl_wrmsr', err: 0n, cs: CS32_KERNEL, why: 'DEBUGCTL bit 2 reserved without CPUID.7.0:ECX[24]' }];
      expectRun(run, exp);
      // Each run adds 1 to the split dword (XCHG then overwrites its upper half? no: XCHG is at +126, the dword at +62).
      expect(run.marks.map((m) => [m.tag, h8(m.value)])).toEqual([
        [0xa0, h8(1n)], [0xa0, h8(2n)], [0x1d9, h8(feature ? 4n : 0n)], [0xa0, h8(3n)], [0xa0, h8(4n)],
      ]);
    });
  });
});
