// MOV SS on a watched operand followed by SYSCALL with a non-canonical user RSP (Linux 6.1
// tools/testing/selftests/x86/mov_ss_trap.c "MOV SS; SYSCALL"; CVE-2018-8897). SDM Vol. 3 6.8.3: the
// held data-breakpoint #DB is delivered after SYSCALL's transfer, at the first kernel instruction,
// with the user's RSP still loaded; gate 1 names IST 1 so delivery works. The #DB handler's IRETQ
// must reload that RSP bit for bit (SDM Vol. 2A IRET checks only RIP for canonicality): the selftest's
// process returned from getpid with RSP's bits 10:0 rounded away and died in main's RET.
import { describe, expect, it } from 'vitest';
import { CS_KERNEL, DR6_B0, DR6_INIT, expectRun, marks, runGuest, VEC_DB, VENDORS, hex64 } from './harness.js';

const NONCANON_RSP = 0x8badf00d5aadc0den;

describe.each(VENDORS)('MOV SS; SYSCALL with a non-canonical RSP (%s)', (vendor) => {
  for (const mode of ['bare', 'kvm'] as const) {
    it(`the held #DB hits the SYSCALL entry; IRETQ restores the non-canonical RSP exactly (${mode})`, async () => {
      const run = await runGuest('movss-syscall', { vendor, mode });
      expectRun(run, [
        { vec: VEC_DB, rip: 'ms_entry', dr6: DR6_INIT | DR6_B0, cs: CS_KERNEL, rf: 0, why: 'deferred B0 at the first kernel instruction' },
      ]);
      const m = marks(run);
      expect(m.map(([t]) => t)).toEqual([1, 2, 3]);
      const userRsp = BigInt(m[0]![1]) ^ (1n << 63n);
      expect(userRsp >> 32n, 'user RSP after flipping bit 63 back is a canonical user stack address').toBe(0n);
      expect(m[1]![1], 'user RSP before SYSCALL XOR after').toBe(hex64(0n));
      expect(m[2]![1], 'IRETQ loads a non-canonical RSP image unchanged').toBe(hex64(NONCANON_RSP));
    });
  }
});
