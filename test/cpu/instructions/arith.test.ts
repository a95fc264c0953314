// Arithmetic and bit-instruction edge cases (SDM Vol. 2, "Flags Affected" of each instruction).
import { describe, it } from 'vitest';
import { AF, CF, defaultGpr, expectRun, OF, PF, runAll, SCRATCH_ADDR, SF, withLow, ZF } from '../support/helpers.js';

const W = BigInt(SCRATCH_ADDR);

describe('arithmetic edge cases', () => {
  it('INC/DEC keep CF; NEG sets CF unless the operand is 0 and OF for the most negative value', () => {
    const rs = runAll([
      { code: 'inc eax', regs: { rax: 0xffffffffn }, flags: CF },
      { code: 'dec eax', regs: { rax: 0n }, flags: 0 },
      { code: 'inc al', regs: { rax: 0x7fn }, flags: CF },
      { code: 'neg rax', regs: { rax: 0n }, flags: CF },
      { code: 'neg rax', regs: { rax: 1n << 63n } },
      { code: 'neg bx', regs: { rbx: 0xabcd0001n } },
    ]);
    expectRun(rs[0]!, { regs: { rax: 0n }, set: CF | ZF | AF | PF, clear: OF | SF });
    expectRun(rs[1]!, { regs: { rax: 0xffffffffn }, set: SF | AF | PF, clear: CF | ZF | OF });
    expectRun(rs[2]!, { regs: { rax: 0x80n }, set: CF | OF | SF | AF, clear: ZF });
    expectRun(rs[3]!, { regs: { rax: 0n }, set: ZF | PF, clear: CF | OF });
    expectRun(rs[4]!, { regs: { rax: 1n << 63n }, set: CF | OF | SF });
    expectRun(rs[5]!, { regs: { rbx: 0xabcdffffn }, set: CF | SF | AF | PF, clear: OF | ZF });
  });

  it('ADC/SBB consume CF', () => {
    const rs = runAll([
      { code: 'adc eax, ebx', regs: { rax: 0xffffffffn, rbx: 0n }, flags: CF },
      { code: 'sbb eax, ebx', regs: { rax: 0n, rbx: 0n }, flags: CF },
      { code: 'adc al, 0x7f', regs: { rax: 0n }, flags: CF },
      { code: 'sbb rax, rbx', regs: { rax: 5n, rbx: 5n }, flags: 0 },
    ]);
    expectRun(rs[0]!, { regs: { rax: 0n }, set: CF | ZF | AF | PF, clear: SF | OF });
    expectRun(rs[1]!, { regs: { rax: 0xffffffffn }, set: CF | SF | AF | PF, clear: ZF | OF });
    expectRun(rs[2]!, { regs: { rax: 0x80n }, set: OF | SF | AF, clear: CF | ZF });
    expectRun(rs[3]!, { regs: { rax: 0n }, set: ZF | PF, clear: CF | SF });
  });

  it('MUL/IMUL set CF=OF exactly when the upper half is significant', () => {
    const u = SF | ZF | AF | PF; // SDM MUL/IMUL: undefined
    const rs = runAll([
      { code: 'mul bl', regs: { rax: 0x10n, rbx: 0x0fn }, undef: u },
      { code: 'mul bl', regs: { rax: 0x10n, rbx: 0x10n }, undef: u },
      { code: 'imul ecx, ebx, -1', regs: { rbx: 0x80000000n }, undef: u },
      { code: 'imul rcx, rbx', regs: { rcx: -1n & ((1n << 64n) - 1n), rbx: 5n }, undef: u },
      { code: 'imul bx', regs: { rax: 0x4000n, rbx: 2n }, undef: u },
      { code: 'mul rbx', regs: { rax: 1n << 63n, rbx: 4n }, undef: u },
    ]);
    expectRun(rs[0]!, { regs: { rax: 0xf0n }, clear: CF | OF });
    expectRun(rs[1]!, { regs: { rax: 0x100n }, set: CF | OF });
    expectRun(rs[2]!, { regs: { rcx: 0x80000000n }, set: CF | OF });
    expectRun(rs[3]!, { regs: { rcx: (-5n) & ((1n << 64n) - 1n) }, clear: CF | OF });
    expectRun(rs[4]!, { regs: { rax: withLow(0x4000n, 16, 0x8000n), rdx: withLow(defaultGpr(2), 16, 0n) }, set: CF | OF });
    expectRun(rs[5]!, { regs: { rax: 0n, rdx: 2n }, set: CF | OF });
  });

  it('BT* with a register offset address a bit string (negative offsets go below the operand); imm offsets wrap', () => {
    const u = OF | SF | AF | PF; // SDM BT: undefined
    const mem = { off: 0xfc, bytes: [0, 0, 0, 0x80, 0, 0, 0, 0] }; // bit 31 of the dword at 0xfc set
    const regs = { rsi: W + 0x100n };
    const rs = runAll([
      { code: 'bt dword ptr [rsi], ecx', regs: { ...regs, rcx: 0xffffffffn }, mem, undef: u }, // bit -1 -> 0xff bit 7
      { code: 'bts word ptr [rsi], cx', regs: { ...regs, rcx: 0xfff0n }, mem, undef: u }, // bit -16 -> word at 0xfe bit 0
      { code: 'btr qword ptr [rsi], rcx', regs: { ...regs, rcx: 70n }, mem, undef: u }, // qword at 0x108, bit 6
      { code: 'btc dword ptr [rsi-4], 63', regs, mem, undef: u }, // 63 mod 32 = bit 31 of the dword at 0xfc
      { code: 'bt ecx, 35', regs: { rcx: 8n }, undef: u }, // 35 mod 32 = 3
      { code: 'bts rcx, rbx', regs: { rcx: 0n, rbx: 65n }, undef: u }, // 65 mod 64 = 1
    ]);
    expectRun(rs[0]!, { set: CF });
    expectRun(rs[1]!, { clear: CF, mem: { off: 0xfe, bytes: [1, 0x80] } });
    expectRun(rs[2]!, { regs: { rcx: 70n } });
    expectRun(rs[3]!, { set: CF, mem: { off: 0xfc, bytes: [0, 0, 0, 0] } });
    expectRun(rs[4]!, { set: CF });
    expectRun(rs[5]!, { regs: { rcx: 2n }, clear: CF });
  });

  it('BSF/BSR: ZF=1 for a zero source, otherwise the index of the lowest/highest set bit', () => {
    const u = CF | OF | SF | AF | PF; // SDM BSF/BSR: undefined
    const rs = runAll([
      { code: 'bsf ecx, ebx', regs: { rbx: 0x00f00000n }, undef: u },
      { code: 'bsr rcx, rbx', regs: { rbx: 0x00f00000_00000001n }, undef: u },
      { code: 'bsf cx, bx', regs: { rbx: 0x10000n }, undef: u }, // low 16 bits zero
      { code: 'bsr ecx, dword ptr [rsi]', regs: { rsi: W + 0x100n }, mem: { off: 0x100, bytes: [1, 0, 0, 0] }, undef: u },
    ]);
    expectRun(rs[0]!, { regs: { rcx: 20n }, clear: ZF });
    expectRun(rs[1]!, { regs: { rcx: 55n }, clear: ZF });
    expectRun(rs[2]!, { set: ZF });
    expectRun(rs[3]!, { regs: { rcx: 0n }, clear: ZF });
  });

  it('SETcc/CMOVcc evaluate each condition from the flags', () => {
    const conds: [string, number, boolean][] = [
      ['o', OF, true], ['no', OF, false], ['b', CF, true], ['ae', 0, true], ['e', ZF, true], ['ne', ZF, false],
      ['be', CF, true], ['a', 0, true], ['s', SF, true], ['ns', SF, false], ['p', PF, true], ['np', 0, true],
      ['l', SF, true], ['l', SF | OF, false], ['ge', SF | OF, true], ['le', ZF, true], ['g', SF, false], ['g', SF | OF, true],
    ];
    const rs = runAll(conds.flatMap(([cc, flags]) => [{ code: `set${cc} cl`, flags }, { code: `cmov${cc} rcx, rbx`, flags }]));
    conds.forEach(([, , want], i) => {
      expectRun(rs[2 * i]!, { regs: { rcx: withLow(defaultGpr(1), 8, want ? 1n : 0n) } });
      expectRun(rs[2 * i + 1]!, { regs: { rcx: want ? defaultGpr(3) : defaultGpr(1) } });
    });
  });

  it('LEA with a 32-bit address size wraps at 4 GiB; RIP-relative LEA uses the next instruction address', () => {
    const rs = runAll([
      { code: 'lea rax, [ebx+ecx*2+16]', regs: { rbx: 0x12_ffffff00n, rcx: 0x80n } },
      { code: 'lea rax, [rip+0x10]' },
      { code: 'lea ax, [rbx-1]', regs: { rbx: 0n } },
    ]);
    expectRun(rs[0]!, { regs: { rax: 0x10n } });
    expectRun(rs[1]!, { regs: { rax: 0x200000n + 7n + 0x10n } });
    expectRun(rs[2]!, { regs: { rax: withLow(defaultGpr(0), 16, 0xffffn) } });
  });
});
