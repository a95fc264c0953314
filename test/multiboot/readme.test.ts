// examples/multiboot/README.md: the gdb session it quotes (examples/multiboot/lm64.gdb through
// `dbstub session`) must still print its key lines, and the README must still show them.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dbstub } from '../cli/cli-inproc.js';
import { ROOT } from './transcript.js';

describe('examples/multiboot/README.md gdb session', () => {
  it('lm64.gdb prints what the README shows', async () => {
    const r = await dbstub(['session', 'build/guests/multiboot/lm64.elf', 'examples/multiboot/lm64.gdb', '--append', 'hello=world']);
    const all = r.stdout + r.stderr;
    expect(r.status, all).toBe(0);
    const readme = readFileSync(join(ROOT, 'examples', 'multiboot', 'README.md'), 'utf8');
    // Lines that do not depend on where the compiler put things.
    for (const line of [
      'Breakpoint 1, entry32_long_mode () at',
      '$1 = 0x11',
      '$2 = 0x0',
      'Temporary breakpoint 2, start64 () at',
      '$3 = 0x80010011',
      '$4 = 0x500',
      'cs             0x8                 8',
      'Breakpoint 3, kmain (magic=732803074, info=38144) at',
      'rdi            0x2badb002          732803074',
      'rsi            0x9500              38144',
    ]) {
      expect(all, line).toContain(line);
      expect(readme, line).toContain(line);
    }
  });
});
