// Bus lock detection. Rules: Intel SDM Vol. 3 (bus-lock detection: IA32_DEBUGCTL bit 2
// BUS_LOCK_DETECT, enumerated by CPUID.(EAX=7,ECX=0):ECX[24]; a bus lock at CPL>0 raises a trap-like
// #DB after the instruction, DR6.BLD (bit 11) cleared; other #DBs leave BLD unchanged); AMD APM Vol. 2
// 13.1.3.6 Bus Lock Trap (DEBUGCTL bit 2 BLCKDB, same CPUID bit, "the processor indicates that this
// #DB was caused by a bus lock by clearing DR6[BLD]", "all other #DB exceptions leave DR6[BLD]
// unmodified"; quoted in seed 001); seeds 000/001. A LOCKed RMW or XCHG with memory whose operand
// crosses a 64-byte line is a bus lock; the access completes either way; nothing at CPL0 or with the
// bit clear. WRMSR setting bit 2 without the feature is #GP(0) (reserved MSR bit).
// Guest (main.S): phase A DEBUGCTL=0 at CPL0 and CPL3; WRMSR DEBUGCTL=4; phase B at CPL0 and CPL3;
// phase C at CPL3 with the handler leaving DR6 alone: a bus lock, then a single-step #DB.
import { describe, expect, it } from 'vitest';
import {
  CS_KERNEL, CS_USER, DR6_BLD, DR6_BS, DR6_INIT, expectRun, hex64, marks, runGuest, VEC_DB, VEC_GP, VENDORS, type Expect,
} from './harness.js';

const BLD_HIT = DR6_INIT & ~DR6_BLD; // 0xFFFF07F0
const VAL = hex64(0x1122334455667788n);

describe.each(VENDORS)('bus lock (%s)', (vendor) => {
  describe.each([true, false])('busLockDetect=%s', (feature) => {
    it('trap after the split locked instruction only at CPL3 with DEBUGCTL bit 2; BLD sticky; #GP without the feature', async () => {
      const run = await runGuest('bus-lock', { vendor, busLockDetect: feature });
      const exp: Expect[] = [];
      if (!feature) exp.push({ vec: VEC_GP, rip: 'bl_wrmsr', err: 0n, cs: CS_KERNEL, why: 'DEBUGCTL bit 2 reserved without CPUID.7.0:ECX[24]' });
      if (feature) {
        // phase B, CPL3 only: one trap per split locked access, RIP after it.
        exp.push({ vec: VEC_DB, rip: 'bl_1', dr6: BLD_HIT, cs: CS_USER, rf: 0, tf: 0, why: 'LOCK ADD across the line' });
        exp.push({ vec: VEC_DB, rip: 'bl_2', dr6: BLD_HIT, cs: CS_USER, rf: 0, tf: 0, why: 'XCHG across the line (implicit lock)' });
        // phase C: bus lock, then single-step with BLD left clear by the handler: BS added, BLD stays 0.
        exp.push({ vec: VEC_DB, rip: 'bls_1', dr6: BLD_HIT, cs: CS_USER, rf: 0, tf: 0 });
        exp.push({ vec: VEC_DB, rip: 'bls_3', dr6: BLD_HIT | DR6_BS, cs: CS_USER, rf: 0, tf: 1, why: 'BLD sticky across a BS #DB: 0xFFFF47F0' });
      } else {
        exp.push({ vec: VEC_DB, rip: 'bls_3', dr6: DR6_INIT | DR6_BS, cs: CS_USER, rf: 0, tf: 1 });
      }
      expectRun(run, exp);
      expect(marks(run)).toEqual([
        [0xa0, hex64(1n)], [0xa1, VAL], // phase A CPL0: the locked ops completed
        [0xa0, hex64(2n)], [0xa1, VAL], // phase A CPL3
        [0x1d9, hex64(feature ? 4n : 0n)], // DEBUGCTL read back
        [0xa0, hex64(3n)], [0xa1, VAL], // phase B CPL0 (no #DB at CPL0)
        [0xa0, hex64(4n)], [0xa1, VAL], // phase B CPL3
        [0x66, hex64(DR6_INIT)], // writing 0xFFFF0FF0 sets BLD back (writable while the trap is on)
      ]);
    });
  });
});
