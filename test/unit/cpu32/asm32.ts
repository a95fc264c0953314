// Assemble 32-bit (or 16-bit) snippets with the system toolchain: as --32, ld -m elf_i386 for the origin,
// objcopy -O binary. Cached by source hash like test/unit/cpu/asm.ts.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, existsSync, mkdirSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const cacheDir = join(tmpdir(), 'dbstub-cpu32-asm-cache');
if (!existsSync(cacheDir)) mkdirSync(cacheDir, { recursive: true });

/** Assemble AT&T source placed at `origin` in a .code32 (default) or .code16 section. */
export function asm32(source: string, origin = 0, bits: 16 | 32 = 32): Uint8Array {
  const text = `.code${bits}\n.text\n${source}\n`;
  const key = createHash('sha1').update(origin.toString(16) + '\n' + text).digest('hex');
  const cached = join(cacheDir, key + '.bin');
  if (existsSync(cached)) return new Uint8Array(readFileSync(cached));
  const dir = mkdtempSync(join(tmpdir(), 'dbstub-asm32-'));
  const s = join(dir, 'a.s'), o = join(dir, 'a.o'), e = join(dir, 'a.elf'), b = join(dir, 'a.bin');
  writeFileSync(s, text);
  execFileSync('as', ['--32', '-o', o, s]);
  execFileSync('ld', ['-m', 'elf_i386', '-Ttext=0x' + origin.toString(16), '-e', '0', '--no-warn-rwx-segments', '-o', e, o], { stdio: 'pipe' });
  execFileSync('objcopy', ['-O', 'binary', '-j', '.text', e, b]);
  const out = readFileSync(b);
  writeFileSync(cached, out);
  return new Uint8Array(out);
}
