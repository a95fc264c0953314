// Prefix handling in 64-bit mode: CS/DS/ES/SS overrides are ignored (SDM Vol. 1 3.3.7.1), REX.W
// beats 66H (SDM Vol. 2 2.2.1.2), an instruction longer than 15 bytes is #GP(0) (SDM Vol. 2 2.3.11),
// and LEA only computes an address, so a non-canonical result is no fault (SDM Vol. 2 LEA).
import { describe, it } from 'vitest';
import { CODE_ADDR, defaultGpr, expectRun, runAll, SCRATCH_ADDR } from '../support/helpers.js';

const W = BigInt(SCRATCH_ADDR);
const M64 = (1n << 64n) - 1n;

describe('prefixes and instruction length', () => {
  it('15 bytes execute, 16 bytes raise #GP(0) at the first prefix', () => {
    const seg = (n: number): number[] => new Array<number>(n).fill(0x2e);
    const rs = runAll([{ code: [...seg(13), 0x01, 0xd8] }, { code: [...seg(14), 0x01, 0xd8] }, { code: [...seg(9), 0x48, 0x81, 0xc0, 1, 0, 0, 0] }]);
    expectRun(rs[0]!, { regs: { rax: (defaultGpr(0) + defaultGpr(3)) & 0xffffffffn } });
    expectRun(rs[1]!, { vector: 13, rip: BigInt(CODE_ADDR), regs: { rax: defaultGpr(0) } });
    expectRun(rs[2]!, { vector: 13, rip: BigInt(CODE_ADDR) });
  });

  it('segment overrides other than FS/GS do not change the address; REX.W wins over 66H', () => {
    const regs = { rsi: W + 0x100n };
    const mem = { off: 0x100, bytes: [1, 2, 3, 4, 5, 6, 7, 8] };
    const rs = runAll([
      { code: [0x2e, 0x48, 0x03, 0x06], regs, mem }, // add rax, cs:[rsi]
      { code: [0x26, 0x36, 0x48, 0x03, 0x06], regs, mem },
      { code: [0x66, 0x48, 0x01, 0xd8] }, // add rax, rbx
    ]);
    const q = 0x0807060504030201n;
    expectRun(rs[0]!, { regs: { rax: (defaultGpr(0) + q) & M64 } });
    expectRun(rs[1]!, { regs: { rax: (defaultGpr(0) + q) & M64 } });
    expectRun(rs[2]!, { regs: { rax: (defaultGpr(0) + defaultGpr(3)) & M64 } });
  });

  it('LEA with a non-canonical result (RSP/RBP base included) is no fault', () => {
    const rs = runAll([
      { code: 'lea rax, [rbx]', regs: { rbx: 1n << 63n } },
      { code: 'lea rax, [rsp+rbp*2]', regs: { rsp: 0x0000800000000000n, rbp: 8n } },
      { code: 'lea eax, [rbx+rcx]' }, // default registers: the 64-bit sum is non-canonical
    ]);
    expectRun(rs[0]!, { regs: { rax: 1n << 63n } });
    expectRun(rs[1]!, { regs: { rax: 0x0000800000000010n } });
    expectRun(rs[2]!, { regs: { rax: (defaultGpr(3) + defaultGpr(1)) & 0xffffffffn } });
  });
});
