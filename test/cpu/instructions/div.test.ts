// DIV/IDIV edge cases (SDM Vol. 2 DIV, IDIV; Vol. 3 6.15 "Interrupt 0 - Divide Error Exception"):
// #DE for a zero divisor and for a quotient that does not fit, delivered as a fault (RIP at the
// instruction, nothing written); results and remainders in the right halves otherwise.
import { describe, expect, it } from 'vitest';
import { IST_TOP } from '../../../scripts/diff-harness/sim.js';
import { ARITH, CODE_ADDR, defaultGpr, expectRun, lo, run1, runAll, SCRATCH_ADDR, sim, type Snip, withLow } from '../support/helpers.js';

const ALL = ARITH;
const unchanged = (s: Snip): Record<string, bigint> => {
  const names = ['rax', 'rcx', 'rdx', 'rbx', 'rsp', 'rbp', 'rsi', 'rdi', 'r8', 'r9', 'r10', 'r11', 'r12', 'r13', 'r14', 'r15'];
  return Object.fromEntries(names.map((n, i) => [n, s.regs?.[n] ?? defaultGpr(i)]));
};
const de = (s: Snip) => ({ vector: 0, rip: BigInt(CODE_ADDR), regs: unchanged(s), set: s.flags ?? 0, clear: ALL & ~(s.flags ?? 0) });

describe('DIV/IDIV', () => {
  it('a zero divisor raises #DE in every operand size, register or memory, leaving every register and flag intact', () => {
    const snips: Snip[] = [];
    for (const op of ['div', 'idiv']) {
      for (const [r, rcx] of [['cl', 0xabcdef00n], ['cx', 0xabcd0000n], ['ecx', 0xabcdef0000000000n], ['rcx', 0n]] as const)
        snips.push({ code: `${op} ${r}`, regs: { rcx, rax: 5n, rdx: 0n }, flags: ALL, undef: ALL });
      snips.push({ code: `${op} dword ptr [rsi]`, regs: { rsi: BigInt(SCRATCH_ADDR) + 0x100n }, mem: { off: 0x100, bytes: [0, 0, 0, 0] }, flags: 0, undef: ALL });
    }
    for (const r of runAll(snips)) expectRun(r, de(r.snip));
  });

  it('#DE is delivered through the IDT as a fault without an error code', () => {
    const r = run1({ code: 'div ecx', regs: { rcx: 0n } });
    expectRun(r, { vector: 0, rip: BigInt(CODE_ADDR) });
    // Interrupt frame on IST1: RIP, CS, RFLAGS, RSP, SS and no error code (SDM Vol. 3 Figure 7-9).
    expect(sim().cpu.getGpr(4)).toBe(BigInt(IST_TOP - 40));
    const frame = sim().cpu.readVirtual(BigInt(IST_TOP - 40), 40)!;
    const q = (i: number): bigint => new DataView(frame.buffer, frame.byteOffset).getBigUint64(i * 8, true);
    expect(q(0)).toBe(BigInt(CODE_ADDR));
    expect(q(1) & 0xffffn).toBe(0x08n);
    expect(q(3)).toBe(defaultGpr(4));
  });

  it('IDIV quotient overflow raises #DE, including the most negative dividend divided by -1', () => {
    const M = (1n << 64n) - 1n;
    const cases: Snip[] = [
      { code: 'idiv cl', regs: { rax: 0x8000n, rcx: 0xffn } }, // -32768 / -1
      { code: 'idiv cl', regs: { rax: 0xff80n, rcx: 0xffn } }, // -128 / -1 = 128 > 127
      { code: 'idiv cl', regs: { rax: 0x0080n, rcx: 0x01n } }, // 128 / 1 = 128 > 127
      { code: 'idiv cx', regs: { rdx: 0xffffn, rax: 0x8000n, rcx: 0xffffn } },
      { code: 'idiv ecx', regs: { rdx: 0xffffffffn, rax: 0x80000000n, rcx: 0xffffffffn } },
      { code: 'idiv rcx', regs: { rdx: M, rax: 1n << 63n, rcx: M } },
      { code: 'div ecx', regs: { rdx: 5n, rax: 0n, rcx: 5n } }, // quotient 2^32 does not fit
      { code: 'div rcx', regs: { rdx: 7n, rax: 0n, rcx: 7n } },
      { code: 'div cl', regs: { rax: 0x1000n, rcx: 0x10n } }, // 0x100 > 0xff
    ];
    for (const r of runAll(cases.map((c) => ({ ...c, flags: 0, undef: ALL })))) expectRun(r, de(r.snip));
  });

  it('largest quotients that still fit, and remainder signs (the remainder takes the dividend sign)', () => {
    const M = (1n << 64n) - 1n;
    const rs = runAll([
      { code: 'idiv cl', regs: { rax: 0xffffffffffffff81n, rcx: 0xffn }, undef: ALL }, // -127 / -1 = 127
      { code: 'idiv rcx', regs: { rdx: M, rax: 1n << 63n, rcx: 1n }, undef: ALL }, // -2^63 / 1
      { code: 'idiv ecx', regs: { rdx: 0xffffffffn, rax: 0xfffffff9n, rcx: 2n }, undef: ALL }, // -7 / 2
      { code: 'idiv ecx', regs: { rdx: 0n, rax: 7n, rcx: 0xfffffffen }, undef: ALL }, // 7 / -2
      { code: 'div ecx', regs: { rdx: 4n, rax: 0xffffffffn, rcx: 5n }, undef: ALL },
    ]);
    expectRun(rs[0]!, { regs: { rax: 0xffffffffffff007fn } });
    expectRun(rs[1]!, { regs: { rax: 1n << 63n, rdx: 0n } });
    // 32-bit results are zero-extended into RAX/RDX.
    expectRun(rs[2]!, { regs: { rax: 0xfffffffdn, rdx: 0xffffffffn } });
    expectRun(rs[3]!, { regs: { rax: 0xfffffffdn, rdx: 1n } });
    const n = (4n << 32n) | 0xffffffffn;
    expectRun(rs[4]!, { regs: { rax: n / 5n, rdx: n % 5n } });
  });

  it('places quotient and remainder per size: AL/AH, AX/DX (upper bits kept), EAX/EDX, RAX/RDX (128-bit dividend)', () => {
    const rax = 0x1122334455661234n, rdx = 0x99887766554433aan;
    const rs = runAll([
      { code: 'div bl', regs: { rax, rbx: 0x56n }, undef: ALL },
      { code: 'div bx', regs: { rax, rdx, rbx: 0xf000n }, undef: ALL },
      { code: 'div rbx', regs: { rax: 0x123456789abcdef0n, rdx: 6n, rbx: 7n }, undef: ALL },
      { code: 'idiv bx', regs: { rax: withLow(rax, 16, 0xfff9n), rdx: withLow(rdx, 16, 0xffffn), rbx: 2n }, undef: ALL },
    ]);
    // 0x1234 / 0x56 = 0x36 rem 0x10 -> AX = 0x1036
    expectRun(rs[0]!, { regs: { rax: withLow(rax, 16, 0x1036n) } });
    const d16 = (lo(rdx, 16) << 16n) | lo(rax, 16);
    expectRun(rs[1]!, { regs: { rax: withLow(rax, 16, d16 / 0xf000n), rdx: withLow(rdx, 16, d16 % 0xf000n) } });
    const d128 = (6n << 64n) | 0x123456789abcdef0n;
    expectRun(rs[2]!, { regs: { rax: d128 / 7n, rdx: d128 % 7n } });
    expectRun(rs[3]!, { regs: { rax: withLow(rax, 16, 0xfffdn), rdx: withLow(rdx, 16, 0xffffn) } });
  });
});
