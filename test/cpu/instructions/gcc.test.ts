// gcc -O0..-O3/-Os output of a freestanding integer workload runs to the same result as the host build.
import { describe, it, expect } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeMachine, reg, haltedVector, CODE } from '../support/harness.js';

const src = join(__dirname, '..', 'support', 'c', 'work.c');
const dir = mkdtempSync(join(tmpdir(), 'dbstub-gcc-'));
execFileSync('gcc', ['-O2', '-DNATIVE', '-o', join(dir, 'native'), src]);
const expected = BigInt(execFileSync(join(dir, 'native')).toString().trim());

describe('gcc-compiled freestanding C', () => {
  for (const opt of ['-O0', '-O1', '-O2', '-O3', '-Os']) {
    it(`${opt} matches the host`, () => {
      const elf = join(dir, `w${opt}.elf`), bin = join(dir, `w${opt}.bin`);
      execFileSync('gcc', [opt, '-ffreestanding', '-nostdlib', '-fno-pic', '-no-pie', '-mno-red-zone', '-static', '-fno-stack-protector',
        '-fcf-protection=full', '-Wl,-Ttext=0x10000', '-Wl,--build-id=none', '-e', '_start', '-o', elf, src, '-lgcc']);
      execFileSync('objcopy', ['-O', 'binary', '-j', '.text', '-j', '.rodata', '-j', '.data', elf, bin]);
      const m = makeMachine();
      m.mem.writePhys(CODE, new Uint8Array(readFileSync(bin)));
      m.cpu.setGpr(4 as never, 0x7fff8n);
      m.cpu.setRip(readFileSync(elf).readBigUInt64LE(0x18)); // e_entry
      const r = m.cpu.run(50_000_000);
      expect(r.kind).toBe('hlt');
      expect(haltedVector(m)).toBe(-1);
      expect(reg(m, 0)).toBe(expected);
    });
  }
});
