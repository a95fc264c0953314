// DR6 reset value and fixed bits (seed 004, SDM Vol. 3 19.2.3; seed 001 / AMD APM 13.1.3.6).
// Writing 0 to DR6 and reading it back: bits 4-10, 12 (read 0), 17-31 are fixed; BLD (bit 11) and
// RTM (bit 16) are active-low and software-writable only where the feature exists, otherwise they
// read 1: 0xFFFF07F0 with bus-lock detect, 0xFFFF0FF0 without (seed 004); RTM adds 0xFFFE....
// On AMD, BLD is writable only while DEBUGCTL[BLCKDB] (bit 2) is 1 ("If BusLockTrap is disabled,
// DR6.BLD is reserved-to-1; any attempts to clear it by software are ignored", seed 001). Intel: no
// DEBUGCTL dependency (KVM's model, docs/semantics.md 1.1; writability follows CPUID only).
// WRMSR DEBUGCTL bit 2 without the feature is #GP(0).
import { describe, expect, it } from 'vitest';
import { CS_KERNEL, DR6_BLD, DR6_INIT, DR6_RTM, expectRun, hex64, runGuest, VEC_GP, type Expect } from './harness.js';

interface Case { vendor: 'intel' | 'amd'; busLockDetect: boolean; rtm: boolean }
const CASES: Case[] = [
  { vendor: 'intel', busLockDetect: true, rtm: false },
  { vendor: 'intel', busLockDetect: false, rtm: false },
  { vendor: 'intel', busLockDetect: true, rtm: true },
  { vendor: 'intel', busLockDetect: false, rtm: true },
  { vendor: 'amd', busLockDetect: true, rtm: false },
  { vendor: 'amd', busLockDetect: false, rtm: false },
];

describe.each(CASES)('DR6 reset value: $vendor busLockDetect=$busLockDetect rtm=$rtm', (c) => {
  it('write 0 / write 0xFFFF0FF0 and read back, before and after DEBUGCTL bit 2', async () => {
    const run = await runGuest('dr6-reset', { ...c });
    const rtmBit = c.rtm ? DR6_RTM : 0n;
    // value read after writing 0, given whether BLD is writable right now
    const zero = (bldWritable: boolean) => DR6_INIT & ~(bldWritable ? DR6_BLD : 0n) & ~rtmBit;
    const bldWithTrapOff = c.busLockDetect && c.vendor === 'intel';
    const bldWithTrapOn = c.busLockDetect;
    const exp: Expect[] = c.busLockDetect ? [] : [{ vec: VEC_GP, rip: 'dr6_wrmsr', err: 0n, cs: CS_KERNEL }];
    expectRun(run, exp);
    const m = new Map<number, bigint[]>();
    for (const x of run.marks) m.set(x.tag, [...(m.get(x.tag) ?? []), x.value]);
    expect(((m.get(0x700)?.[0] ?? 0n) >> 24n) & 1n, 'CPUID.(7,0):ECX[24]').toBe(c.busLockDetect ? 1n : 0n);
    expect(((m.get(0x701)?.[0] ?? 0n) >> 11n) & 1n, 'CPUID.(7,0):EBX[11] RTM').toBe(c.rtm ? 1n : 0n);
    const got = [0x600, 0x601, 0x1d9, 0x602, 0x603, 0x604, 0x606, 0x607].map((t) => [t.toString(16), hex64(m.get(t)?.[0] ?? -1n)]);
    expect(got).toEqual([
      ['600', hex64(zero(bldWithTrapOff))], // DEBUGCTL = 0
      ['601', hex64(DR6_INIT)],
      ['1d9', hex64(c.busLockDetect ? 4n : 0n)],
      ['602', hex64(zero(bldWithTrapOn))], // DEBUGCTL bit 2 set (if the WRMSR was legal)
      ['603', hex64(DR6_INIT)],
      ['604', hex64(zero(bldWithTrapOn))],
      ['606', hex64(zero(bldWithTrapOff))], // DEBUGCTL back to 0
      ['607', hex64(DR6_INIT)],
    ]);
  });
});
