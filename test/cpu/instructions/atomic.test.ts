// CMPXCHG/XADD/XCHG and the LOCK prefix (SDM Vol. 2 CMPXCHG, XADD, LOCK): CMPXCHG compares the
// accumulator with the destination, on equality stores the source (ZF=1) and otherwise loads the
// destination into the accumulator (ZF=0); flags as CMP. LOCK is allowed only on ADD, ADC, AND,
// BTC, BTR, BTS, CMPXCHG, CMPXCH8B/16B, DEC, INC, NEG, NOT, OR, SBB, SUB, XOR, XADD, XCHG with a
// memory destination; everything else is #UD (a fault at the prefix, nothing changed).
import { describe, it } from 'vitest';
import { CF, CODE_ADDR, defaultGpr, expectRun, runAll, SCRATCH_ADDR, type Snip, withLow, ZF } from '../support/helpers.js';

const W = BigInt(SCRATCH_ADDR);
const le = (v: bigint, n: number): number[] => Array.from({ length: n }, (_, i) => Number((v >> BigInt(8 * i)) & 0xffn));

describe('CMPXCHG, XADD, LOCK', () => {
  it('CMPXCHG register forms: equal stores the source, unequal loads the accumulator', () => {
    const rs = runAll([
      { code: 'cmpxchg ecx, ebx', regs: { rax: 0xffffffff00001234n, rcx: 0xaaaaaaaa00001234n } }, // equal
      { code: 'cmpxchg ecx, ebx', regs: { rax: 0xffffffff00001234n, rcx: 0xaaaaaaaa00005678n } }, // unequal
      { code: 'cmpxchg rcx, rbx', regs: { rax: 5n, rcx: 5n } },
      { code: 'cmpxchg cl, bl', regs: { rax: 0x1111n, rcx: 0x2222n } }, // 0x11 vs 0x22 unequal
      { code: 'cmpxchg cx, bx', regs: { rax: 0x99990042n, rcx: 0x77770042n } },
    ]);
    const rbx = defaultGpr(3);
    expectRun(rs[0]!, { regs: { rcx: rbx & 0xffffffffn }, set: ZF });
    expectRun(rs[1]!, { regs: { rax: 0x5678n }, set: CF, clear: ZF });
    expectRun(rs[2]!, { regs: { rcx: rbx, rax: 5n }, set: ZF });
    expectRun(rs[3]!, { regs: { rax: 0x1122n, rcx: 0x2222n }, clear: ZF, set: CF });
    expectRun(rs[4]!, { regs: { rcx: withLow(0x77770042n, 16, rbx), rax: 0x99990042n }, set: ZF });
  });

  it('CMPXCHG memory forms (with and without LOCK): memory written only on equality', () => {
    const mem = { off: 0x100, bytes: le(0x1122334455667788n, 8) };
    const regs = { rsi: W + 0x100n, rbx: 0xcafef00dn };
    const rs = runAll([
      { code: 'lock cmpxchg qword ptr [rsi], rbx', regs: { ...regs, rax: 0x1122334455667788n }, mem },
      { code: 'cmpxchg qword ptr [rsi], rbx', regs: { ...regs, rax: 0n }, mem },
      { code: 'lock cmpxchg dword ptr [rsi], ebx', regs: { ...regs, rax: 0xffffffff55667788n }, mem },
      { code: 'lock cmpxchg word ptr [rsi+2], bx', regs: { ...regs, rax: 0xffff0000n }, mem },
    ]);
    expectRun(rs[0]!, { set: ZF, mem: { off: 0x100, bytes: le(0xcafef00dn, 8) } });
    expectRun(rs[1]!, { clear: ZF, regs: { rax: 0x1122334455667788n }, mem });
    expectRun(rs[2]!, { set: ZF, regs: { rax: 0xffffffff55667788n }, mem: { off: 0x100, bytes: [0x0d, 0xf0, 0xfe, 0xca, 0x44, 0x33, 0x22, 0x11] } });
    expectRun(rs[3]!, { clear: ZF, regs: { rax: 0xffff5566n }, mem });
  });

  it('XADD exchanges then adds; LOCK XADD/XCHG/BTS/NOT/NEG on memory execute normally', () => {
    const mem = { off: 0x100, bytes: le(0x10n, 8) };
    const regs = { rsi: W + 0x100n, rbx: 3n };
    const rs = runAll([
      { code: 'xadd ecx, ebx', regs: { rcx: 0xffffffff00000001n, rbx: 0xffffffff00000002n } },
      { code: 'lock xadd qword ptr [rsi], rbx', regs, mem },
      { code: 'lock xchg qword ptr [rsi], rbx', regs, mem },
      { code: 'lock bts qword ptr [rsi], rbx', regs, mem, undef: 0x894 },
      { code: 'lock not qword ptr [rsi]', regs, mem },
      { code: 'lock neg qword ptr [rsi]', regs, mem },
      { code: 'lock add dword ptr [rsi], ebx', regs, mem },
    ]);
    expectRun(rs[0]!, { regs: { rcx: 3n, rbx: 1n } });
    expectRun(rs[1]!, { regs: { rbx: 0x10n }, mem: { off: 0x100, bytes: le(0x13n, 8) } });
    expectRun(rs[2]!, { regs: { rbx: 0x10n }, mem: { off: 0x100, bytes: le(3n, 8) } });
    expectRun(rs[3]!, { clear: CF, mem: { off: 0x100, bytes: le(0x18n, 8) } });
    expectRun(rs[4]!, { mem: { off: 0x100, bytes: le(~0x10n, 8) } });
    expectRun(rs[5]!, { set: CF, mem: { off: 0x100, bytes: le(-0x10n, 8) } });
    expectRun(rs[6]!, { mem: { off: 0x100, bytes: le(0x13n, 8) } });
  });

  it('LOCK on a register destination or a non-lockable instruction is #UD with nothing changed', () => {
    const regs = { rbx: W + 0x100n };
    const ud: number[][] = [
      [0xf0, 0x01, 0xd8], // lock add eax, ebx
      [0xf0, 0xff, 0xc0], // lock inc eax
      [0xf0, 0x0f, 0xc1, 0xc8], // lock xadd eax, ecx
      [0xf0, 0x0f, 0xb1, 0xc8], // lock cmpxchg eax, ecx
      [0xf0, 0x0f, 0xab, 0xc8], // lock bts eax, ecx
      [0xf0, 0x87, 0xc8], // lock xchg eax, ecx
      [0xf0, 0x89, 0x03], // lock mov [rbx], eax (MOV is not lockable)
      [0xf0, 0x39, 0x03], // lock cmp [rbx], eax (CMP is not lockable)
      [0xf0, 0x0f, 0xa3, 0x03], // lock bt [rbx], eax (BT is not lockable)
      [0xf0, 0x03, 0x03], // lock add eax, [rbx] (memory is the source)
      [0xf0, 0x90], // lock nop
      [0xf0, 0x8d, 0x03], // lock lea eax, [rbx]
    ];
    const snips: Snip[] = ud.map((code) => ({ code, regs, flags: CF | ZF }));
    for (const r of runAll(snips)) {
      const all = Object.fromEntries(['rax', 'rcx', 'rdx', 'rbx'].map((n, i) => [n, i === 3 ? W + 0x100n : defaultGpr(i)]));
      expectRun(r, { vector: 6, rip: BigInt(CODE_ADDR), regs: all, set: CF | ZF });
    }
  });
});
