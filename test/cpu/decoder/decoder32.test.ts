// The legacy-mode decoder (16/32-bit code segments) checked against iced-x86 as a length oracle, the twin
// of test/cpu/decoder/decoder.test.ts (64-bit): gcc -m32 and gcc -m16 output, hand-picked encodings of the
// opcodes that exist only outside 64-bit mode, and a fixed-seed sweep of random byte strings.
import { describe, it, expect } from 'vitest';
import { createRequire } from 'node:module';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decode, Insn, DEC_OK, MODE_DEF16, MODE_DEF32, MODE_LONG64, type DecodeMode } from '../../../src/cpu/decoder.js';
import { opUndefined } from '../../../src/cpu/ops.js';
import { installHandlers } from '../../../src/cpu/handlers.js';
import { asm32 } from '../support/asm32.js';

const require = createRequire(import.meta.url);
interface IcedInsn { length: number; code: number; free(): void }
interface IcedDecoder { position: number; canDecode: boolean; decode(): IcedInsn; free(): void }
// eslint-disable-next-line @typescript-eslint/no-require-imports
const iced = require('iced-x86') as { Decoder: new (b: number, d: Uint8Array, o: number) => IcedDecoder; DecoderOptions: { None: number } };

installHandlers();
function ours(bytes: Uint8Array, mode: DecodeMode): { r: number; len: number; i: Insn } {
  const buf = new Uint8Array(16); buf.set(bytes.subarray(0, 15));
  const src = { buf, avail: Math.min(15, bytes.length), extend() { throw new Error('past end'); } };
  const i = new Insn();
  const r = decode(src, i, opUndefined, mode);
  return { r, len: i.len, i };
}
/** iced's length of each instruction; code 0 = Code.INVALID. */
function icedDecode(bits: 16 | 32 | 64, code: Uint8Array): { off: number; len: number; valid: boolean }[] {
  const d = new iced.Decoder(bits, code, iced.DecoderOptions.None);
  const out: { off: number; len: number; valid: boolean }[] = [];
  while (d.canDecode) { const off = d.position; const ins = d.decode(); out.push({ off, len: ins.length, valid: ins.code !== 0 }); ins.free(); }
  d.free();
  return out;
}
function hex(b: Uint8Array): string { return Array.from(b).map((x) => x.toString(16).padStart(2, '0')).join(' '); }

function gccText(flag: '-m32' | '-m16'): Uint8Array {
  const dir = mkdtempSync(join(tmpdir(), 'dbstub-dec32-'));
  const o = join(dir, 'w.o'), bin = join(dir, 'w.bin');
  execFileSync('gcc', [flag, '-O2', '-ffreestanding', '-fno-pic', '-fno-stack-protector', '-c', '-o', o, join(__dirname, '..', 'support', 'c', 'work32.c')]);
  execFileSync('objcopy', ['-O', 'binary', '-j', '.text', o, bin]);
  return new Uint8Array(readFileSync(bin));
}

describe('legacy decoder vs iced-x86', () => {
  for (const [flag, bits, mode] of [['-m32', 32, MODE_DEF32], ['-m16', 16, MODE_DEF16]] as const) {
    it(`lengths of every instruction of gcc ${flag} -O2 output (${bits}-bit code segment)`, () => {
      const code = gccText(flag);
      let checked = 0;
      for (const { off, len } of icedDecode(bits, code)) {
        const o = ours(code.subarray(off, off + 15), mode);
        const at = `offset ${off} bytes ${hex(code.subarray(off, off + len))}`;
        expect(o.r, at).toBe(DEC_OK);
        expect(o.len, at).toBe(len);
        checked++;
      }
      expect(checked).toBeGreaterThan(200);
    });
  }
  // Opcodes that exist only outside 64-bit mode, the 16-bit ModRM forms, overrides, moffs and far pointers.
  const common = `
      push %es; pop %es; push %cs; push %ss; pop %ss; push %ds; pop %ds; push %fs; pop %gs
      daa; das; aaa; aas; aam; aad; aam $16; aad $7
      pusha; popa; pushaw; popaw; pushal; popal
      arpl %dx, (%eax); arpl %ax, %cx
      into
      ljmp $0x08, $0x1000; lcall *(%eax); ljmp *4(%ebx)
      inc %eax; dec %edi; inc %si; dec %bp
      mov %es:(%ebp), %eax; mov %ss:4(%esi), %bl; mov %cs:(%eax,%ecx,4), %dx
      lea 0x10(,%ebp,2), %eax
      xlat; rep movsb; repne scasw; loop .
      push $0x12345678; pushw $0x1234; push $-1; ret $4; retw
      enter $8, $1; leave; pushf; popfw; iret; iretw
      mov %cr0, %eax; mov %eax, %cr3; mov %dr7, %ecx
      .byte 0x82, 0xc0, 0x01
      .byte 0xd6
  `;
  const only32 = `
      bound %eax, 8(%ebx); les 4(%esi), %ecx; lds (%ebx), %edx; lss (%eax), %esp; lfs 2(%eax), %eax; lgs (%ecx), %ebx
      lcall $0x10, $0x12345678
      mov 0x12345678, %eax; mov %al, 0x1234; addr16 mov 0x1234, %eax
      addr16 mov (%bx,%si), %eax; addr16 mov 0x12(%bp,%di), %ecx; addr16 mov 0x1234(%si), %edx; addr16 mov 0x1234, %ebx
      addr16 rep stosl; jecxz .; addr16 loopne .; call .+0x100; jmp .+0x200
  `;
  const only16 = `
      bound %ax, (%bx,%si); les 4(%si), %cx; lds (%bx), %dx; lss (%bp), %sp; lfs 2(%di), %ax; lgs (%bx,%di), %bx
      lcall $0x10, $0x1234
      mov 0x1234, %ax; mov %al, 0x1234; addr32 mov 0x12345678, %eax
      mov (%bx,%si), %eax; mov 0x12(%bp,%di), %ecx; mov 0x1234(%si), %edx; mov 0x1234, %ebx; mov -3(%bp), %al
      addr32 mov (%eax,%ebx,8), %cx; addr32 rep stosl; jcxz .; addr32 loopne .; call .+0x100; jmp .+0x200
  `;
  const legacyOnly = common + only32;
  it('hand-picked legacy-only encodings, 32-bit code segment', () => {
    const code = asm32(legacyOnly, 0x10000, 32);
    const list = icedDecode(32, code);
    expect(list.length).toBeGreaterThan(70);
    for (const { off, len } of list) {
      const o = ours(code.subarray(off, off + 15), MODE_DEF32);
      expect(o.len, `offset ${off} bytes ${hex(code.subarray(off, off + len))}`).toBe(len);
    }
  });
  it('hand-picked legacy-only encodings, 16-bit code segment', () => {
    const code = asm32(common + only16, 0x1000, 16);
    let n = 0;
    for (const { off, len } of icedDecode(16, code)) {
      const o = ours(code.subarray(off, off + 15), MODE_DEF16);
      expect(o.len, `offset ${off} bytes ${hex(code.subarray(off, off + len))}`).toBe(len);
      n++;
    }
    expect(n).toBeGreaterThan(70);
  });
  it('record fields: 16-bit ModRM base/index, default SS for BP, overrides, far pointer, moffs', () => {
    const bp = ours(asm32('mov 0x12(%bp,%di), %cx', 0, 16), MODE_DEF16).i;
    expect(bp).toMatchObject({ base: 5, index: 7, disp: 0x12, asz: 2, osz: 2, eseg: 2, mem: true });
    const bx = ours(asm32('mov %es:-2(%bx,%si), %eax', 0, 16), MODE_DEF16).i;
    expect(bx).toMatchObject({ base: 3, index: 6, disp: -2, asz: 2, osz: 4, eseg: 0, seg: 0 });
    const d16 = ours(asm32('mov 0x1234, %ax', 0, 16), MODE_DEF16).i;
    expect(d16).toMatchObject({ op: 0xa1, imm: 0x1234, len: 3 });
    const esp = ours(asm32('mov 4(%esp), %eax'), MODE_DEF32).i;
    expect(esp).toMatchObject({ base: 4, index: -1, disp: 4, eseg: 2, asz: 4, osz: 4 });
    const abs = ours(asm32('mov 0x1000, %ebx'), MODE_DEF32).i; // 8B 1D disp32: no RIP-relative outside 64-bit mode
    expect(abs).toMatchObject({ base: -1, index: -1, disp: 0x1000, leg: true, eseg: 3 });
    const far = ours(asm32('ljmp $0x08, $0x12345678'), MODE_DEF32).i;
    expect(far).toMatchObject({ op: 0xea, imm: 0x12345678, imm2: 8, len: 7 });
    const far16 = ours(asm32('ljmp $0x08, $0x1234', 0, 16), MODE_DEF16).i;
    expect(far16).toMatchObject({ op: 0xea, imm: 0x1234, imm2: 8, len: 5 });
    const inc = ours(new Uint8Array([0x41]), MODE_DEF32);
    expect(inc.r).toBe(DEC_OK);
    expect(inc.i).toMatchObject({ op: 0x41, len: 1, rex: 0 });
    expect(ours(new Uint8Array([0x41, 0x90]), MODE_LONG64).i.len).toBe(2); // REX + NOP in 64-bit mode
  });
  it('fixed-seed sweep of random byte strings (32-, 16- and 64-bit modes): where both decoders accept, lengths agree', () => {
    let s = 0x2545f491;
    const rnd = (): number => { s ^= s << 13; s ^= s >>> 17; s ^= s << 5; return s >>> 0; };
    const buf = new Uint8Array(15);
    let both = 0;
    const bad: string[] = [];
    for (const [bits, mode] of [[32, MODE_DEF32], [16, MODE_DEF16], [64, MODE_LONG64]] as const) {
      for (let n = 0; n < 20000; n++) {
        for (let k = 0; k < 15; k++) buf[k] = rnd() & 0xff;
        // Bias toward legacy opcodes: every fourth case starts with one of them.
        if ((n & 3) === 0 && bits !== 64) buf[0] = [0x06, 0x07, 0x27, 0x37, 0x40, 0x4f, 0x60, 0x61, 0x62, 0x63, 0x9a, 0xa1, 0xc4, 0xce, 0xd4, 0xd5, 0xd6, 0xea][rnd() % 18]!;
        const ic = icedDecode(bits, buf)[0]!;
        if (!ic.valid) continue;
        const o = ours(buf, mode);
        if (o.r !== DEC_OK) continue;
        // C4/C5/62 with mod=11 are VEX/EVEX prefixes in iced (AVX); they are #UD here (no AVX modelled).
        if (bits !== 64 && (buf[0] === 0xc4 || buf[0] === 0xc5 || buf[0] === 0x62) && (buf[1]! >> 6) === 3) continue;
        both++;
        if (o.len !== ic.len) bad.push(`${bits}-bit ${hex(buf.subarray(0, ic.len))}: ours ${o.len}, iced ${ic.len}`);
      }
    }
    expect(bad.slice(0, 10)).toEqual([]);
    expect(both).toBeGreaterThan(15000);
  });
});
