// Memory faults (SDM Vol. 3 6.15): #PF reports the first missing byte in CR2 and W/R in the error
// code and leaves no partial store behind; REP string instructions fault mid-way with RCX/RSI/RDI
// describing the finished iterations; a non-canonical address is #SS(0) when formed from RSP/RBP
// and #GP(0) otherwise (SDM Vol. 3 "Interrupt 12", "Interrupt 13"). The window ends at 0x102000,
// the first byte of a page that is not present (scripts/diff-harness/layout.ts).
import { describe, it } from 'vitest';
import { CODE_ADDR, defaultGpr, expectRun, runAll, SCRATCH_ADDR } from '../support/helpers.js';

const W = BigInt(SCRATCH_ADDR);
const END = 0x102000n;
const P = 1, WR = 2; // error code bits (SDM Vol. 3 Figure 5-12); U/S differs by design (host CPL 3)
const NC = 1n << 63n;

describe('memory faults', () => {
  it('a store crossing into a missing page: #PF, CR2 = first missing byte, W/R=1, nothing written', () => {
    const rs = runAll([
      { code: 'mov qword ptr [rbx], rax', regs: { rbx: END - 4n, rax: 0x1111111111111111n } },
      { code: 'mov dword ptr [rbx], 1', regs: { rbx: END - 2n } },
      { code: 'mov rax, qword ptr [rbx]', regs: { rbx: END - 1n } },
      { code: 'add qword ptr [rbx], rax', regs: { rbx: END } }, // RMW fully inside the missing page
      { code: 'push rax', regs: { rsp: END + 8n } },
    ]);
    expectRun(rs[0]!, { vector: 14, rip: BigInt(CODE_ADDR), cr2: END, errorCode: { mask: P | WR, value: WR }, regs: { rbx: END - 4n } });
    expectRun(rs[1]!, { vector: 14, cr2: END, errorCode: { mask: P | WR, value: WR } });
    expectRun(rs[2]!, { vector: 14, cr2: END, errorCode: { mask: P | WR, value: 0 }, regs: { rax: defaultGpr(0) } });
    expectRun(rs[3]!, { vector: 14, cr2: END, errorCode: { mask: P | WR, value: WR } });
    expectRun(rs[4]!, { vector: 14, cr2: END, errorCode: { mask: P | WR, value: WR }, regs: { rsp: END + 8n } });
  });

  it('REP STOS/MOVS fault in the middle with the completed iterations reflected in RCX/RSI/RDI', () => {
    const rs = runAll([
      { code: 'rep stosq', regs: { rdi: END - 24n, rcx: 10n, rax: 0x5an } },
      { code: 'rep movsb', regs: { rsi: END - 3n, rdi: W + 0x40n, rcx: 8n } },
    ]);
    expectRun(rs[0]!, { vector: 14, rip: BigInt(CODE_ADDR), cr2: END, regs: { rdi: END, rcx: 7n }, mem: { off: 0x1e8, bytes: [0x5a, 0, 0, 0, 0, 0, 0, 0] } });
    expectRun(rs[1]!, { vector: 14, cr2: END, regs: { rsi: END, rdi: W + 0x43n, rcx: 5n } });
  });

  it('non-canonical addresses: #SS(0) from RSP/RBP, #GP(0) otherwise', () => {
    const rs = runAll([
      { code: 'mov rax, [rbp]', regs: { rbp: NC } },
      { code: 'mov rax, [rsp+8]', regs: { rsp: NC } },
      { code: 'push rax', regs: { rsp: NC } },
      { code: 'mov rax, [rbx]', regs: { rbx: NC } },
      { code: 'mov rax, [rbx+rbp]', regs: { rbx: NC, rbp: 0n } }, // base RBX: #GP
      { code: 'bt qword ptr [rbx], rcx', regs: { rbx: W, rcx: 1n << 62n } },
    ]);
    for (const i of [0, 1, 2]) expectRun(rs[i]!, { vector: 12, errorCode: { mask: 0xffff, value: 0 } });
    for (const i of [3, 4, 5]) expectRun(rs[i]!, { vector: 13, errorCode: { mask: 0xffff, value: 0 } });
  });
});
