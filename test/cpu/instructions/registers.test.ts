// Register-width rules in 64-bit mode (SDM Vol. 1 3.4.1.1): 32-bit destinations are zero-extended
// to 64 bits; 8- and 16-bit destinations keep the other bits; without REX, byte registers 4-7 are
// AH, CH, DH, BH, with any REX prefix they are SPL, BPL, SIL, DIL (SDM Vol. 2 2.2.1.2, Table 3-1).
import { describe, it } from 'vitest';
import { defaultGpr, expectRun, runAll, type Snip, withLow, ZF } from '../support/helpers.js';

const NAMES = ['rax', 'rcx', 'rdx', 'rbx', 'rsp', 'rbp', 'rsi', 'rdi'];

describe('register widths', () => {
  it('INC r/m8 (FE /0) names AL..BH without REX and AL..DIL with REX 0x40', () => {
    const snips: Snip[] = [];
    for (let rm = 0; rm < 8; rm++) {
      snips.push({ code: [0xfe, 0xc0 | rm] });
      snips.push({ code: [0x40, 0xfe, 0xc0 | rm] });
      snips.push({ code: [0x41, 0xfe, 0xc0 | rm] }); // REX.B: R8B..R15B
    }
    runAll(snips).forEach((r, i) => {
      const rm = i / 3 | 0;
      const kind = i % 3;
      if (kind === 0 && rm >= 4) {
        const reg = rm - 4; // AH, CH, DH, BH: bits 15:8 of RAX..RBX
        const v = defaultGpr(reg);
        const hi = (((v >> 8n) & 0xffn) + 1n) & 0xffn;
        expectRun(r, { regs: { [NAMES[reg]!]: (v & ~0xff00n) | (hi << 8n), [NAMES[rm]!]: defaultGpr(rm) } });
      } else {
        const reg = kind === 2 ? rm + 8 : rm;
        const name = kind === 2 ? `r${reg}` : NAMES[reg]!;
        const v = defaultGpr(reg);
        expectRun(r, { regs: { [name]: withLow(v, 8, v + 1n) } });
      }
    });
  });

  it('ADD AH, BH (00 FC) vs ADD SPL, DIL (40 00 FC)', () => {
    const [a, b] = runAll([{ code: [0x00, 0xfc] }, { code: [0x40, 0x00, 0xfc] }]);
    const rax = defaultGpr(0), rbx = defaultGpr(3), rsp = defaultGpr(4), rdi = defaultGpr(7);
    const ah = ((rax >> 8n) + (rbx >> 8n)) & 0xffn;
    expectRun(a!, { regs: { rax: (rax & ~0xff00n) | (ah << 8n), rsp } });
    expectRun(b!, { regs: { rsp: withLow(rsp, 8, rsp + rdi), rax } });
  });

  it('32-bit destinations zero-extend, including CMOVcc whose condition is false and XCHG EAX, EAX (87 C0)', () => {
    const rs = runAll([
      { code: 'add eax, ebx' },
      { code: 'mov eax, ebx' },
      { code: 'movzx eax, bl' },
      { code: 'cmovz eax, ebx', flags: 0 }, // false: EAX is still written
      { code: 'cmovnz eax, ebx', flags: 0 },
      { code: 'xchg eax, ecx' },
      { code: [0x87, 0xc0] }, // xchg eax, eax
      { code: [0x90] }, // NOP (not XCHG EAX, EAX): nothing changes
      { code: 'not eax' },
      { code: 'lea eax, [rbx+rcx]' },
      { code: 'imul eax, ebx, 3', undef: 0xd4 },
      { code: 'bswap eax' },
      { code: 'xadd eax, ecx' },
    ]);
    const rax = defaultGpr(0), rbx = defaultGpr(3), rcx = defaultGpr(1);
    const z = (v: bigint): bigint => v & 0xffffffffn;
    expectRun(rs[0]!, { regs: { rax: z(rax + rbx) } });
    expectRun(rs[1]!, { regs: { rax: z(rbx) } });
    expectRun(rs[2]!, { regs: { rax: rbx & 0xffn } });
    expectRun(rs[3]!, { regs: { rax: z(rax) } });
    expectRun(rs[4]!, { regs: { rax: z(rbx) } });
    expectRun(rs[5]!, { regs: { rax: z(rcx), rcx: z(rax) } });
    expectRun(rs[6]!, { regs: { rax: z(rax) } });
    expectRun(rs[7]!, { regs: { rax } });
    expectRun(rs[8]!, { regs: { rax: z(~rax) } });
    expectRun(rs[9]!, { regs: { rax: z(rbx + rcx) } });
    expectRun(rs[10]!, { regs: { rax: z(rbx * 3n) } });
    const b = z(rax);
    const sw = ((b & 0xffn) << 24n) | (((b >> 8n) & 0xffn) << 16n) | (((b >> 16n) & 0xffn) << 8n) | (b >> 24n);
    expectRun(rs[11]!, { regs: { rax: sw } });
    expectRun(rs[12]!, { regs: { rax: z(rax + rcx), rcx: z(rax) } });
  });

  it('8- and 16-bit destinations keep the rest of the register', () => {
    const rs = runAll([
      { code: 'add ax, bx' },
      { code: 'mov ax, bx' },
      { code: 'movzx ax, bl' },
      { code: 'cmovz ax, bx', flags: 0 },
      { code: 'xchg ax, cx' },
      { code: 'lea ax, [rbx+rcx]' },
      { code: 'add al, bl' },
      { code: 'setz al', flags: ZF },
      { code: 'movsx cx, al' },
    ]);
    const rax = defaultGpr(0), rbx = defaultGpr(3), rcx = defaultGpr(1);
    expectRun(rs[0]!, { regs: { rax: withLow(rax, 16, rax + rbx) } });
    expectRun(rs[1]!, { regs: { rax: withLow(rax, 16, rbx) } });
    expectRun(rs[2]!, { regs: { rax: withLow(rax, 16, rbx & 0xffn) } });
    expectRun(rs[3]!, { regs: { rax } });
    expectRun(rs[4]!, { regs: { rax: withLow(rax, 16, rcx), rcx: withLow(rcx, 16, rax) } });
    expectRun(rs[5]!, { regs: { rax: withLow(rax, 16, rbx + rcx) } });
    expectRun(rs[6]!, { regs: { rax: withLow(rax, 8, rax + rbx) } });
    expectRun(rs[7]!, { regs: { rax: withLow(rax, 8, 1n) } });
    const al = rax & 0xffn;
    expectRun(rs[8]!, { regs: { rcx: withLow(rcx, 16, al >= 0x80n ? 0xff00n | al : al) } });
  });
});
