// `--kernel FILE` on run, serve and session (issue 16: QEMU's -kernel): the flag becomes the guest positional before
// parsing, so every command (and serve's fast path) sees one guest; a second guest is a usage error. Then a real run:
// `dbstub run --kernel GUEST` boots the file exactly as the positional does (here a guest that powers off through
// ACPI, status 0).
import { describe, expect, it } from 'vitest';
import { VALUE_FLAGS } from '../../src/cli/main.js';
import { kernelAsPositional } from '../../src/cli/kernel-flag.js';
import { CliError } from '../../src/cli/exit-codes.js';
import { dbstub } from './cli-inproc.js';

const rewrite = (...a: string[]): string[] => kernelAsPositional(a, VALUE_FLAGS);
const usage = (...a: string[]): number => {
  try {
    rewrite(...a);
    return 0;
  } catch (e) {
    return e instanceof CliError ? e.exitCode : -1;
  }
};

describe('--kernel FILE', () => {
  it('is the guest positional of run, serve and session', () => {
    expect(rewrite('run', '--kernel', 'bzImage', '--initrd', 'i.cpio', '--append', 'console=ttyS0')).toEqual(['run', 'bzImage', '--initrd', 'i.cpio', '--append', 'console=ttyS0']);
    expect(rewrite('serve', '--port', '1234', '--kernel=bzImage', '--run')).toEqual(['serve', 'bzImage', '--port', '1234', '--run']);
    expect(rewrite('session', '--kernel', 'bzImage', 'script.gdb', '--append', 'x')).toEqual(['session', 'bzImage', 'script.gdb', '--append', 'x']);
    // A flag's value is not a positional: --append's value here is not a second guest.
    expect(rewrite('run', '--append', 'a.out', '--kernel', 'k')).toEqual(['run', 'k', '--append', 'a.out']);
    expect(rewrite('seed', '--kernel', 'k')).toEqual(['seed', '--kernel', 'k']);
    expect(rewrite('run', 'guest.elf')).toEqual(['run', 'guest.elf']);
  });

  it('with a guest positional too, or twice: usage error (64)', () => {
    expect(usage('run', 'g.elf', '--kernel', 'k')).toBe(64);
    expect(usage('serve', '--kernel', 'k', 'g.elf')).toBe(64);
    expect(usage('session', '--kernel', 'k', 'g.elf', 's.gdb')).toBe(64);
    expect(usage('run', '--kernel', 'a', '--kernel', 'b')).toBe(64);
  });

  it('dbstub run --kernel boots the file as the positional does', async () => {
    const r = await dbstub(['run', '--kernel', 'build/guests/devices/acpi-pci.elf', '--mode', 'bare']);
    expect(r.stdout).toContain('00.0-id 0x12378086');
    expect(r.stderr).toContain('guest powered off (ACPI S5) -> status 0');
    expect(r.status).toBe(0);
  });
});
