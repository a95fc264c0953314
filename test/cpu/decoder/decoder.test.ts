// Decoder records checked against iced-x86 (oracle): instruction length for every instruction of
// gcc -O2 output and a table of hand-picked encodings (prefixes, REX, SIB, RIP-relative, moffs, imm64).
import { describe, it, expect } from 'vitest';
import { createRequire } from 'node:module';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decode, Insn, DEC_OK } from '../../../src/cpu/decoder.js';
import { opUndefined } from '../../../src/cpu/ops.js';
import { installHandlers } from '../../../src/cpu/handlers.js';
import { asm } from '../support/asm.js';

const require = createRequire(import.meta.url);
// eslint-disable-next-line @typescript-eslint/no-require-imports
const iced = require('iced-x86') as { Decoder: new (b: number, d: Uint8Array, o: number) => { ip: bigint; position: number; canDecode: boolean; decode(): { length: number; free(): void } ; free(): void }; DecoderOptions: { None: number } };

installHandlers();
function ours(bytes: Uint8Array): { r: number; len: number; i: Insn } {
  const buf = new Uint8Array(16); buf.set(bytes.subarray(0, 15));
  const src = { buf, avail: Math.min(15, bytes.length), extend() { throw new Error('past end'); } };
  const i = new Insn();
  const r = decode(src, i, opUndefined);
  return { r, len: i.len, i };
}
function icedLengths(code: Uint8Array): { off: number; len: number }[] {
  const d = new iced.Decoder(64, code, iced.DecoderOptions.None);
  const out: { off: number; len: number }[] = [];
  while (d.canDecode) { const off = d.position; const ins = d.decode(); out.push({ off, len: ins.length }); ins.free(); }
  d.free();
  return out;
}

describe('decoder vs iced-x86', () => {
  it('lengths of every instruction in gcc -O2 output', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dbstub-dec-'));
    const elf = join(dir, 'w.elf'), bin = join(dir, 'w.bin');
    execFileSync('gcc', ['-O2', '-ffreestanding', '-nostdlib', '-fno-pic', '-no-pie', '-static', '-fcf-protection=full', '-Wl,-Ttext=0x10000', '-e', '_start', '-o', elf, join(__dirname, '..', 'support', 'c', 'work.c'), '-lgcc']);
    execFileSync('objcopy', ['-O', 'binary', '-j', '.text', elf, bin]);
    const code = new Uint8Array(readFileSync(bin));
    let checked = 0;
    for (const { off, len } of icedLengths(code)) {
      const o = ours(code.subarray(off, off + 15));
      expect(o.r, `offset ${off}`).toBe(DEC_OK);
      expect(o.len, `offset ${off} bytes ${Array.from(code.subarray(off, off + len)).map((b) => b.toString(16)).join(' ')}`).toBe(len);
      checked++;
    }
    expect(checked).toBeGreaterThan(200);
  });
  it('hand-picked encodings', () => {
    const code = asm(`
      movabs $0x1122334455667788, %r9
      movabs 0x1122334455667788, %al
      movabs %rax, 0x1122334455667788
      lock addl $0x12345678, %fs:0x10(%r12,%r13,8)
      mov 0x12345678(%rip), %r15w
      addr32 mov (%eax), %ebx
      rep movsq
      xchg %r8, %rax
      test $0x1234, %si
      testb $7, (%rbx)
      imul $-3, %r10, %r11
      enter $16, $0
      shld $3, %rax, (%rdi)
      cmpxchg16b (%rsi)
      mov %cr3, %rax
      mov %rax, %dr7
      bt $5, %ecx
      pushq $-1
      push $0x12345
      jmp .+0x100
      ret $8
      movzwl (%rax), %ecx
      movsbq %al, %rdx
      movslq %eax, %rdx
      endbr64
      nopw 0x0(%rax,%rax,1)
      pxor %xmm8, %xmm9
      movdqu %xmm0, (%rdi)
      movq %xmm1, %rax
      popcnt %rax, %rbx
      int $0x80
      out %eax, $0x80
      in (%dx), %ax
      swapgs
      sysretq
      iretq
    `);
    const lens = icedLengths(code);
    expect(lens.length).toBe(36);
    for (const { off, len } of lens) {
      const o = ours(code.subarray(off, off + 15));
      expect(o.r, `offset ${off}`).toBe(DEC_OK);
      expect(o.len, `offset ${off}`).toBe(len);
    }
  });
  it('record fields: SIB/disp/REX/segment/immediates', () => {
    const o = ours(asm('lock addl $0x12345678, %fs:-0x10(%r12,%r13,8)'));
    expect(o.i).toMatchObject({ base: 12, index: 13, scale: 3, disp: -16, seg: 4, imm: 0x12345678, lock: true, osz: 4, mem: true, reg: 0 });
    const m = ours(asm('movabs $-2, %r9'));
    expect(m.i).toMatchObject({ rm: 9, osz: 8, imm: -2, immHi: -1 });
    const t = ours(new Uint8Array(16).fill(0x66));
    expect(t.r).not.toBe(DEC_OK); // more than 15 bytes of prefixes
  });
});
