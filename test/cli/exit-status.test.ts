// `dbstub run` through a real child process: exit statuses and messages (README "Exit codes").
// The CLI is compiled into a private directory so this test never races another test's build of dist/.
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

const OUT = resolve('build/cli-test-dist');
const TMP = resolve('build/cli-test-tmp');

beforeAll(() => {
  try {
    execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.json', '--outDir', OUT], { stdio: 'pipe' });
  } catch {
    // Type errors elsewhere in the tree still emit JavaScript; only a missing entry point is fatal.
  }
  if (!existsSync(join(OUT, 'cli/main.js'))) throw new Error('CLI did not compile');
  mkdirSync(TMP, { recursive: true });
});

function dbstubIn(cwd: string, ...args: string[]) {
  const entry = `import(${JSON.stringify(join(OUT, 'cli/main.js'))}).then(async (m) => { process.exitCode = await m.main(process.argv.slice(1)); })`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', entry, '--', ...args], { encoding: 'utf8', timeout: 60_000, cwd });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
const dbstub = (...args: string[]) => dbstubIn(process.cwd(), ...args);

describe('dbstub run', () => {
  it('prints the guest serial output and exits with its isa-debug-exit status', () => {
    const r = dbstub('run', 'build/guests/hello.elf');
    expect(r.stdout).toMatch(/^Hello from a dbstub guest!\n/);
    expect(r.stdout).toContain('all checks passed');
    expect(r.stderr).toMatch(/isa-debug-exit value 0 -> status 1/);
    expect(r.status).toBe(1);
  });

  it('passes the crc guest status through and --success-code maps it to 0', () => {
    const r = dbstub('run', 'build/guests/crc.elf', '--no-serial');
    expect(r.stdout).toBe('');
    const status = r.status!;
    expect(status % 2).toBe(1);
    expect(dbstub('run', 'build/guests/crc.elf', '--no-serial', '--success-code', String(status)).status).toBe(0);
  });

  it('exits 71 on a triple fault', () => {
    const r = dbstub('run', 'build/guests/triple.elf');
    expect(r.status).toBe(71);
    expect(r.stderr).toMatch(/triple fault/);
  });

  it('exits 72 when --max-insns runs out', () => {
    const r = dbstub('run', 'build/guests/crc.elf', '--max-insns', '1000');
    expect(r.status).toBe(72);
    expect(r.stderr).toMatch(/instruction budget exhausted/);
  });

  it('exits 65 for a file that is not an ELF, with the reason', () => {
    const f = join(TMP, 'not-elf.bin');
    writeFileSync(f, 'hello\n');
    const r = dbstub('run', f);
    expect(r.status).toBe(65);
    expect(r.stderr).toMatch(/bad ELF: not an ELF file/);
  });

  it('exits 66 for a missing file', () => {
    const r = dbstub('run', join(TMP, 'nope.elf'));
    expect(r.status).toBe(66);
    expect(r.stderr).toMatch(/no such file/);
  });

  it('a guest file whose name starts with "-" is given after `--`, as POSIX tools take operands', () => {
    copyFileSync(resolve('examples/prebuilt/hello.elf'), join(TMP, '-dash.elf'));
    const r = dbstubIn(TMP, 'run', '--no-serial', '--', '-dash.elf');
    expect([r.status, r.stderr]).toEqual([1, expect.stringContaining('guest exited: isa-debug-exit value 0 -> status 1')]);
    // Without `--` it is taken for a flag, as before.
    expect(dbstubIn(TMP, 'run', '-dash.elf').status).toBe(64);
  });

  it('exits 66, not 70, for a path no file can be read through: a symlink loop, a path through a file, a name too long', () => {
    const a = join(TMP, 'loop-a');
    const b = join(TMP, 'loop-b');
    rmSync(a, { force: true });
    rmSync(b, { force: true });
    symlinkSync(b, a);
    symlinkSync(a, b);
    const file = join(TMP, 'plain.txt');
    writeFileSync(file, 'x');
    for (const [path, code] of [[a, 'ELOOP'], [join(file, 'guest.elf'), 'ENOTDIR'], [join(TMP, 'n'.repeat(300)), 'ENAMETOOLONG']] as const) {
      for (const cmd of ['run', 'serve']) {
        const r = dbstub(cmd, path, ...(cmd === 'serve' ? ['--port', '0'] : []));
        expect([cmd, path.slice(-20), r.status, r.stderr]).toEqual([cmd, path.slice(-20), 66, `dbstub: cannot read ${path}: ${code}\n`]);
      }
      // The same path as a session's gdb script (it said "no such file" for all of them).
      const s = dbstub('session', resolve('examples/prebuilt/hello.elf'), path);
      expect([path.slice(-20), s.status, s.stderr]).toEqual([path.slice(-20), 66, `dbstub: cannot read ${path}: ${code}\n`]);
    }
    const dir = dbstub('session', resolve('examples/prebuilt/hello.elf'), TMP);
    expect([dir.status, dir.stderr]).toEqual([66, `dbstub: cannot read ${TMP}: not a regular file\n`]);
  });

  it('exits 64 for bad usage and invalid config values, naming the valid ones', () => {
    expect(dbstub().status).toBe(64);
    expect(dbstub('frobnicate').status).toBe(64);
    const bad = dbstub('run', 'build/guests/hello.elf', '--vendor', 'via');
    expect(bad.status).toBe(64);
    expect(bad.stderr).toMatch(/intel/);
    expect(bad.stderr).toMatch(/amd/);
    const mem = dbstub('run', 'build/guests/hello.elf', '--memory', '3');
    expect(mem.status).toBe(64);
    expect(mem.stderr).toMatch(/16\.\.4096/);
  });

  it('reads --config FILE and lets flags override it', () => {
    const cfg = join(TMP, 'cfg.json');
    writeFileSync(cfg, JSON.stringify({ vendor: 'amd', memoryMiB: 32 }));
    expect(dbstub('run', 'build/guests/hello.elf', '--config', cfg, '--no-serial').status).toBe(1);
    writeFileSync(cfg, JSON.stringify({ vendor: 'cyrix' }));
    const r = dbstub('run', 'build/guests/hello.elf', '--config', cfg);
    expect(r.status).toBe(64);
    expect(r.stderr).toMatch(/valid values: intel, amd/);
    writeFileSync(cfg, JSON.stringify({ noSuchKey: 1 }));
    expect(dbstub('run', 'build/guests/hello.elf', '--config', cfg).stderr).toMatch(/unknown config key "noSuchKey"/);
    // Memory too small for the guest (loaded at 1 MiB, fine in 16 MiB) still works at the minimum size.
    expect(dbstub('run', 'build/guests/hello.elf', '--memory', '16', '--no-serial').status).toBe(1);
  });

  it('writes JSON log lines with stable event names to --log-file', async () => {
    const log = join(TMP, 'run.log');
    const r = dbstub('run', 'build/guests/hello.elf', '--log-level', 'debug', '--log-file', log);
    expect(r.status).toBe(1);
    const { readFileSync } = await import('node:fs');
    const events = readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(l).event);
    expect(events).toContain('guest.serial');
    expect(events).toContain('guest.exit');
    expect(events).toContain('run.summary');
  });

  it('top-level --help lists the commands', () => {
    const r = dbstub('--help');
    expect(r.status).toBe(0);
    for (const c of ['dbstub run', 'dbstub serve', 'dbstub session']) expect(r.stdout).toContain(c);
  });

  it('--help lists every config switch as a flag', () => {
    const r = dbstub('run', '--help');
    expect(r.status).toBe(0);
    for (const flag of ['--vendor', '--bus-lock-detect', '--memory', '--mode', '--host-debugctl', '--qemu-db-routing', '--vmx-merge-pending-dbg', '--exception-payload', '--config', '--log-level', '--log-file', '--max-insns']) {
      expect(r.stdout).toContain(flag);
    }
  });
});
