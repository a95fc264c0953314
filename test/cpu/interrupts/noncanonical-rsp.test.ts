// IRETQ and RETFQ load a 64-bit RSP that need not be canonical: neither instruction checks it (SDM Vol. 2
// IRET and RET, IA-32e-mode pseudo-code: only the return RIP is checked), a bad stack faults at its first
// use, and an interrupt from the outer level pushes the whole value. Linux 6.1's selftest sigreturn_64
// relies on it: it sigreturns with RSP = 0x8badf00d5aadc0de and reads RSP back from the int3 trampoline's
// SIGTRAP frame (the value has more significant bits than a double holds: a model that carries RSP
// through a JS number loses bits 9:0).
import { describe, expect, it } from 'vitest';
import { makeMachine, reg, runToHlt, haltedVector, RSP0, UCS, UDS } from '../support/harness.js';

const BAD_RSP = 0x8badf00d5aadc0den;
/** 32-bit user code segment of the harness GDT (0x18, DPL 3, D=1). */
const UCS32 = 0x18 | 3;
const VEC_BP = 3;

/** Kernel prologue: IRETQ to `user:` at CPL3 with RSP = `rsp` (RFLAGS = 2). */
const iretTo = (cs: number, rsp: bigint) => `
  push $${UDS}
  movabs $0x${rsp.toString(16)}, %rax
  push %rax
  push $0x2
  push $${cs}
  lea user(%rip), %rax
  push %rax
  iretq
`;

/** The #BP frame on TSS.RSP0 (INT3 from CPL3): RIP, CS, RFLAGS, RSP, SS. */
function bpFrameRsp(m: ReturnType<typeof makeMachine>): bigint {
  expect(haltedVector(m)).toBe(VEC_BP);
  const frame = Number(reg(m, 4));
  expect(frame).toBe(RSP0 - 40);
  return m.r64(frame + 24);
}

describe('a non-canonical RSP loaded by a return to CPL3', () => {
  it('IRETQ to 64-bit code: RSP holds all 64 bits, INT3 pushes them', () => {
    const m = makeMachine();
    m.load(`${iretTo(UCS, BAD_RSP)}
    user:
      mov %rsp, %rbx
      int3
    `);
    runToHlt(m);
    expect(reg(m, 3)).toBe(BAD_RSP);
    expect(bpFrameRsp(m)).toBe(BAD_RSP);
  });

  it('IRETQ to compatibility mode (32-bit CS, 32-bit SS): INT3 pushes the low 32 bits unchanged', () => {
    // sigreturn_64's "32-bit CS, 32-bit SS" case: only ESP is architecturally meaningful there, so the
    // selftest (and this test) require bits 31:0; what the upper half holds in compatibility mode is the
    // processor's business (SDM Vol. 1 3.4.1.1).
    const m = makeMachine();
    m.load(`${iretTo(UCS32, BAD_RSP)}
    user:
      int3
    `);
    runToHlt(m);
    expect(bpFrameRsp(m) & 0xffffffffn).toBe(BAD_RSP & 0xffffffffn);
  });

  it('RETFQ imm16 to CPL3: RSP = the popped value + imm16, carried across bit 32', () => {
    const popped = 0x8badf00dfffffff8n;
    const m = makeMachine();
    m.load(`
      push $${UDS}
      movabs $0x${popped.toString(16)}, %rax
      push %rax
      sub $16, %rsp
      push $${UCS}
      lea user(%rip), %rax
      push %rax
      lretq $16
    user:
      mov %rsp, %rbx
      int3
    `);
    runToHlt(m);
    expect(reg(m, 3)).toBe(popped + 16n);
    expect(bpFrameRsp(m)).toBe(popped + 16n);
  });
});
