// Assemble x86 snippets with the system toolchain (as, ld for the origin, objcopy -O binary), cached by
// source hash. 64-bit code assembles as ELF64 (as --64, ld -m elf_x86_64); 32- and 16-bit code as ELF32
// (as --32, ld -m elf_i386), which is what test/cpu/support/asm32.ts uses.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, existsSync, mkdirSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const cacheDir = join(tmpdir(), 'dbstub-cpu-asm-cache');
if (!existsSync(cacheDir)) mkdirSync(cacheDir, { recursive: true });

/** Assemble AT&T source (GNU as syntax) as .code16/.code32/.code64 placed at `origin`; returns the raw bytes. */
export function assemble(source: string, origin: number, bits: 16 | 32 | 64): Uint8Array {
  const text = `.code${bits}\n.text\n${source}\n`;
  const key = createHash('sha1').update(origin.toString(16) + '\n' + text).digest('hex');
  const cached = join(cacheDir, key + '.bin');
  if (existsSync(cached)) return new Uint8Array(readFileSync(cached));
  const elf64 = bits === 64;
  const dir = mkdtempSync(join(tmpdir(), 'dbstub-asm-'));
  const s = join(dir, 'a.s'), o = join(dir, 'a.o'), e = join(dir, 'a.elf'), b = join(dir, 'a.bin');
  writeFileSync(s, text);
  execFileSync('as', [elf64 ? '--64' : '--32', '-o', o, s]);
  execFileSync('ld', ['-m', elf64 ? 'elf_x86_64' : 'elf_i386', '-Ttext=0x' + origin.toString(16), '-e', '0',
    '--no-warn-rwx-segments', '-o', e, o], { stdio: 'pipe' });
  execFileSync('objcopy', ['-O', 'binary', '-j', '.text', e, b]);
  const out = readFileSync(b);
  writeFileSync(cached, out);
  return new Uint8Array(out);
}

/** Assemble 64-bit AT&T source placed at `origin`. */
export function asm(source: string, origin = 0): Uint8Array {
  return assemble(source, origin, 64);
}
