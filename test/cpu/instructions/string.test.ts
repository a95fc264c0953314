// REP MOVS/STOS (SDM Vol. 2 MOVS, STOS, REP/REPE/REPNE): DF selects the direction, RCX counts
// elements (a count of 0 does nothing at all), RSI/RDI advance by the element size per element.
import { describe, it } from 'vitest';
import { ARITH, CF, DF, expectRun, runAll, SCRATCH_ADDR, ZF } from '../support/helpers.js';

const W = BigInt(SCRATCH_ADDR);
const SRC = 0x80, DST = 0x140;
const pattern = Array.from({ length: 64 }, (_, i) => (i * 7 + 3) & 0xff);

describe('string instructions', () => {
  it('REP MOVS with DF=0 copies upwards, with DF=1 downwards; RCX ends at 0', () => {
    const rs = runAll([
      { code: 'rep movsb', regs: { rsi: W + 0x80n, rdi: W + 0x140n, rcx: 5n }, mem: { off: SRC, bytes: pattern.slice(0, 8) } },
      { code: 'rep movsd', regs: { rsi: W + 0x88n, rdi: W + 0x148n, rcx: 3n }, flags: DF, mem: { off: SRC, bytes: pattern.slice(0, 8) } },
      { code: 'rep movsq', regs: { rsi: W + 0x80n, rdi: W + 0x140n, rcx: 1n }, mem: { off: SRC, bytes: pattern.slice(0, 8) } },
    ]);
    expectRun(rs[0]!, { regs: { rsi: W + 0x85n, rdi: W + 0x145n, rcx: 0n }, mem: { off: DST, bytes: pattern.slice(0, 5) } });
    // DF=1: elements at 0x88, 0x84, 0x80 go to 0x148, 0x144, 0x140.
    expectRun(rs[1]!, { regs: { rsi: W + 0x7cn, rdi: W + 0x13cn, rcx: 0n }, mem: { off: DST, bytes: pattern.slice(0, 8) }, set: DF });
    expectRun(rs[2]!, { regs: { rsi: W + 0x88n, rdi: W + 0x148n, rcx: 0n }, mem: { off: DST, bytes: pattern.slice(0, 8) } });
  });

  it('REP STOS stores the accumulator per element, both directions', () => {
    const rs = runAll([
      { code: 'rep stosw', regs: { rax: 0x1122334455667788n, rdi: W + 0x140n, rcx: 3n } },
      { code: 'rep stosq', regs: { rax: 0x1122334455667788n, rdi: W + 0x148n, rcx: 2n }, flags: DF },
    ]);
    expectRun(rs[0]!, { regs: { rdi: W + 0x146n, rcx: 0n }, mem: { off: DST, bytes: [0x88, 0x77, 0x88, 0x77, 0x88, 0x77] } });
    const q = [0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11];
    expectRun(rs[1]!, { regs: { rdi: W + 0x138n, rcx: 0n }, mem: { off: DST, bytes: [...q, ...q] } });
  });

  it('RCX = 0: nothing is read, written or updated and no flag changes', () => {
    const regs = { rsi: W + 0x80n, rdi: W + 0x140n, rcx: 0n, rax: 0n };
    const rs = runAll([
      { code: 'rep movsq', regs, flags: ARITH },
      { code: 'rep stosb', regs, flags: DF },
      { code: 'repe cmpsb', regs, flags: ARITH },
      { code: 'repne scasd', regs, flags: 0 },
      // A source pointer that would fault is not touched when RCX = 0.
      { code: 'rep movsb', regs: { ...regs, rsi: 0x7000000000n } },
    ]);
    expectRun(rs[0]!, { regs, set: ARITH });
    expectRun(rs[1]!, { regs, set: DF });
    expectRun(rs[2]!, { regs, set: ARITH });
    expectRun(rs[3]!, { regs, clear: ARITH });
    expectRun(rs[4]!, { regs: { rsi: 0x7000000000n, rcx: 0n } });
  });

  it('REPE CMPSB stops at the first difference with RCX counting the compared elements', () => {
    const same = [1, 2, 3, 4, 5, 6, 7, 8];
    const r = runAll([
      { code: 'repe cmpsb', regs: { rsi: W + 0x80n, rdi: W + 0x82n, rcx: 10n }, mem: { off: SRC, bytes: [1, 2, 1, 2, 9, 4, 5, 6] } },
      { code: 'repe cmpsb', regs: { rsi: W + 0x80n, rdi: W + 0x80n, rcx: 8n }, mem: { off: SRC, bytes: same } },
    ]);
    // 0x80 vs 0x82: 1=1, 2=2, 1 vs 9 differ (third element); 1 - 9 borrows.
    expectRun(r[0]!, { regs: { rsi: W + 0x83n, rdi: W + 0x85n, rcx: 7n }, set: CF, clear: ZF });
    expectRun(r[1]!, { regs: { rsi: W + 0x88n, rdi: W + 0x88n, rcx: 0n }, set: ZF });
  });

  it('MOVS without REP ignores RCX; 32-bit address size uses ESI/EDI/ECX', () => {
    const rs = runAll([
      { code: 'movsw', regs: { rsi: W + 0x80n, rdi: W + 0x140n, rcx: 0x55n }, mem: { off: SRC, bytes: pattern.slice(0, 8) } },
      // 67 F3 AA: rep stosb with a 32-bit address size; RCX[63:32] and RDI[63:32] are not part of the address/count.
      { code: [0x67, 0xf3, 0xaa], regs: { rax: 0xeen, rdi: 0xffffffff00000000n | (W + 0x140n), rcx: 0xabcdef0000000002n } },
    ]);
    expectRun(rs[0]!, { regs: { rsi: W + 0x82n, rdi: W + 0x142n, rcx: 0x55n }, mem: { off: DST, bytes: pattern.slice(0, 2) } });
    expectRun(rs[1]!, { mem: { off: DST, bytes: [0xee, 0xee] } });
  });
});
