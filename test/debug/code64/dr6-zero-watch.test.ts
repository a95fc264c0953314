// DR6 written as 0 (Linux 6.1 cpu_init's clear_all_debug_regs), then data-breakpoint #DBs at CPL3.
// DR6.BLD (bit 11) is active-low; where software can write it (Intel with bus-lock detect) the 0
// sticks, and a #DB that is not a bus lock leaves BLD unmodified (SDM Vol. 3 19.2.3; AMD APM Vol. 2
// 13.1.3.6 "All other #DB exceptions leave DR6[BLD] unmodified"): the first #DB after the write
// reads 0xFFFF07F1, which Linux 6.1's exc_debug_user reports as "took a bus_lock trap" (the false
// warning upstream commit 5f465c148c61, "x86/traps: Initialize DR6 by writing its architectural
// reset value", v6.16, fixed in the kernel). The handler then writes 0xFFFF0FF0 and the second #DB
// reads 0xFFFF0FF1. Where BLD is not writable (no bus-lock detect; AMD with DEBUGCTL bit 2 clear)
// the write of 0 leaves it 1 and both #DBs read 0xFFFF0FF1.
import { describe, it } from 'vitest';
import { CS_USER, DR6_B0, DR6_BLD, DR6_INIT, expectRun, runGuest, VEC_DB, VENDORS } from './harness.js';

describe.each(VENDORS)('DR6 = 0 then a data breakpoint (%s)', (vendor) => {
  it.each([true, false])('busLockDetect=%s: BLD stays as written until the handler resets DR6', async (busLockDetect) => {
    const run = await runGuest('dr6-zero-watch', { vendor, busLockDetect });
    const bldWritable = busLockDetect && vendor === 'intel';
    const first = bldWritable ? (DR6_INIT & ~DR6_BLD) | DR6_B0 : DR6_INIT | DR6_B0;
    expectRun(run, [
      { vec: VEC_DB, rip: 'dz_1', dr6: first, cs: CS_USER, rf: 0, why: bldWritable ? '0xFFFF07F1: BLD left 0 by the write' : '0xFFFF0FF1' },
      { vec: VEC_DB, rip: 'dz_2', dr6: DR6_INIT | DR6_B0, cs: CS_USER, rf: 0, why: 'after the handler wrote 0xFFFF0FF0' },
    ]);
  });
});
