// MOV SS on a watched operand followed by ICEBP, INT 1 and INT3. Rules: MOV SS/POP SS inhibit
// data breakpoints on the memory they read until the boundary after the next instruction (SDM
// Vol. 3 6.8.3); "if the instruction following the MOV to SS ... is an instruction like SYSCALL,
// SYSENTER, INT 3, etc. that transfers control to the operating system at CPL < 3, the debug
// exception is delivered after the transfer ... is complete" (the SDM statement behind
// CVE-2018-8897); when the #DB is finally delivered DR6 holds every accumulated cause (seed 003:
// bare metal reports B0 for MOV SS + ICEBP). DR0 = the selector variable, R/W0=11, LEN0=2.
//  - ICEBP: one #DB, RIP after ICEBP, DR6 = B0 (0xFFFF0FF1);
//  - INT 1: the software interrupt enters gate 1, then the deferred #DB hits the handler's first
//    instruction (exc_1, CS=0x08) with B0; the INT 1 entry logs next (RIP after INT 1, DR6 as reset);
//  - INT3: #BP enters gate 3, the deferred #DB hits exc_3 first, then the #BP entry logs.
import { describe, it } from 'vitest';
import { CS_KERNEL, CS_USER, DR6_B0, DR6_INIT, expectRun, runGuest, VEC_BP, VEC_DB, VENDORS, type Expect } from './harness.js';

const B0 = DR6_INIT | DR6_B0;

function seq(cs: number): Expect[] {
  return [
    { vec: VEC_DB, rip: 'msw_i2', dr6: B0, cs, rf: 0, why: 'ICEBP + deferred B0 merged' },
    { vec: VEC_DB, rip: 'exc_1', dr6: B0, cs: CS_KERNEL, rf: 0, why: 'deferred #DB before the first handler instruction' },
    { vec: VEC_DB, rip: 'msw_n2', dr6: DR6_INIT, cs, rf: 0, why: 'the INT 1 entry itself: no DR6 change' },
    { vec: VEC_DB, rip: 'exc_3', dr6: B0, cs: CS_KERNEL, rf: 0, why: 'deferred #DB on the #BP handler entry' },
    { vec: VEC_BP, rip: 'msw_b2', dr6: DR6_INIT, cs, rf: 0 },
  ];
}

describe.each(VENDORS)('MOV SS on a watched operand (%s)', (vendor) => {
  it('deferred B0 merged into ICEBP / delivered on the INT 1 and INT3 handler entry; CPL0 and CPL3', async () => {
    const run = await runGuest('movss-watch', { vendor });
    expectRun(run, [...seq(CS_KERNEL), ...seq(CS_USER)]);
  });
});
