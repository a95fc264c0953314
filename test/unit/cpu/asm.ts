// Assemble x86-64 snippets with the system toolchain (as --64, ld for the origin, objcopy -O binary).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, existsSync, mkdirSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const cacheDir = join(tmpdir(), 'dbstub-cpu-asm-cache');
if (!existsSync(cacheDir)) mkdirSync(cacheDir, { recursive: true });

/** Assemble AT&T source (GNU as syntax) placed at `origin`; returns the raw bytes. */
export function asm(source: string, origin = 0): Uint8Array {
  const text = `.code64\n.text\n${source}\n`;
  const key = createHash('sha1').update(origin.toString(16) + '\n' + text).digest('hex');
  const cached = join(cacheDir, key + '.bin');
  if (existsSync(cached)) return new Uint8Array(readFileSync(cached));
  const dir = mkdtempSync(join(tmpdir(), 'dbstub-asm-'));
  const s = join(dir, 'a.s'), o = join(dir, 'a.o'), e = join(dir, 'a.elf'), b = join(dir, 'a.bin');
  writeFileSync(s, text);
  execFileSync('as', ['--64', '-o', o, s]);
  execFileSync('ld', ['-m', 'elf_x86_64', '-Ttext=0x' + origin.toString(16), '-e', '0', '--no-warn-rwx-segments', '-o', e, o], { stdio: 'pipe' });
  execFileSync('objcopy', ['-O', 'binary', '-j', '.text', e, b]);
  const out = readFileSync(b);
  writeFileSync(cached, out);
  return new Uint8Array(out);
}
