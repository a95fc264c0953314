// Assembles many small snippets with one `as --64` (or `as --32`) run (GNU as is the independent encoder: the
// simulator decodes with its own decoder, so encodings come from a third party). Each snippet gets
// a label; `nm` gives the offsets and `objcopy -O binary` the bytes. Results are cached by text hash.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CACHE_DIR } from './native.js';

/** Each entry: Intel syntax (noprefix), several instructions separated by ';' or newlines. */
export function assembleMany(snippets: readonly string[], bits: 16 | 32 | 64 = 64): Uint8Array[] {
  const lines = ['.intel_syntax noprefix', `.code${bits}`, '.text'];
  snippets.forEach((s, i) => {
    lines.push(`s${i}:`);
    for (const part of s.split(/[;\n]/)) if (part.trim()) lines.push(`  ${part.trim()}`);
  });
  lines.push(`s${snippets.length}:`, '  nop', '');
  const text = lines.join('\n');
  const hash = createHash('sha256').update(text).digest('hex').slice(0, 20);
  mkdirSync(CACHE_DIR, { recursive: true });
  const binPath = join(CACHE_DIR, `asm-${hash}.bin`);
  const offPath = join(CACHE_DIR, `asm-${hash}.json`);
  if (!existsSync(binPath) || !existsSync(offPath)) {
    const tag = `${hash}.${process.pid}`;
    const sPath = join(CACHE_DIR, `asm-${tag}.s`);
    const oPath = join(CACHE_DIR, `asm-${tag}.o`);
    writeFileSync(sPath, text);
    try {
      execFileSync('as', [bits === 64 ? '--64' : '--32', '-o', oPath, sPath], { stdio: ['ignore', 'ignore', 'pipe'] });
    } catch (e) {
      const err = String((e as { stderr?: Buffer }).stderr ?? e);
      throw new Error(`as failed:\n${err.split('\n').slice(0, 20).join('\n')}\n(source ${sPath})`);
    }
    const nm = execFileSync('nm', ['-n', oPath], { encoding: 'utf8', maxBuffer: 1 << 30 });
    const offsets = new Array<number>(snippets.length + 1).fill(-1);
    for (const line of nm.split('\n')) {
      const m = /^([0-9a-f]+) t s(\d+)$/.exec(line.trim());
      if (m) offsets[Number(m[2])] = parseInt(m[1]!, 16);
    }
    if (offsets.some((o) => o < 0)) throw new Error('nm did not list every snippet label');
    execFileSync('objcopy', ['-O', 'binary', '-j', '.text', oPath, `${binPath}.${process.pid}`]);
    writeFileSync(`${offPath}.${process.pid}`, JSON.stringify(offsets));
    renameSync(`${binPath}.${process.pid}`, binPath);
    renameSync(`${offPath}.${process.pid}`, offPath);
    rmSync(sPath, { force: true });
    rmSync(oPath, { force: true });
  }
  const bin = readFileSync(binPath);
  const offsets = JSON.parse(readFileSync(offPath, 'utf8')) as number[];
  const out: Uint8Array[] = [];
  for (let i = 0; i < snippets.length; i++) out.push(new Uint8Array(bin.subarray(offsets[i]!, offsets[i + 1]!)));
  return out;
}
