// The `serve` and `run` fast path (src/cli/fast-argv.ts) must hand the command's handler exactly the argv yargs
// would, and leave every line it does not fully understand to yargs.
import yargs from 'yargs';
import { describe, expect, it } from 'vitest';
import { runCommand } from '../../src/cli/commands/run.js';
import { serveCommand } from '../../src/cli/commands/serve.js';
import { joinDashValues } from '../../src/cli/main.js';
import { fastArgv } from '../../src/cli/fast-argv.js';
import { dbstub } from './cli-inproc.js';

/** The argv yargs gives the command's handler for `args` (main.ts's setup: strict, the same builders). */
function yargsArgv(args: string[]): Record<string, unknown> {
  let got: Record<string, unknown> | undefined;
  const y = yargs(args)
    .parserConfiguration({ 'duplicate-arguments-array': false })
    .strict()
    .exitProcess(false)
    .fail((msg, err) => {
      throw err ?? new Error(msg);
    });
  for (const c of [serveCommand, runCommand]) {
    y.command(c.command, c.describe, c.builder, (argv) => {
      got = argv as Record<string, unknown>;
    });
  }
  y.parse();
  if (got === undefined) throw new Error('handler not called');
  return got;
}

const ACCEPTED: string[][] = [
  ['serve', 'g.elf'],
  // npm run bench's line
  ['serve', 'g.elf', '--port', '0', '--no-serial', '--log-level', 'warn', '--mode', 'kvm', '--memory', '64'],
  ['serve', '--port=4000', 'g.elf', '--run', '--detach-paused', '--host', '::1', '--vendor', 'amd', '--config', 'c.yaml', '--log-format', 'json', '--log-file', 'x.log', '--rtm', '--no-bus-lock-detect', '--host-debugctl', '0x4', '--engine=jit'],
  ['serve', 'g.elf', '--append', '-foo', '--initrd', 'a b,c'],
  ['serve', 'g.elf', '--host', ''],
  ['serve', 'g.elf', '--memory', '-5', '--port', '99999'],
  // kvm-unit-tests' runner (scripts/kvm-unit-tests.mjs) and the README's lines
  ['run', 'x.flat', '--boot', 'multiboot', '--mode', 'kvm', '--vendor', 'amd', '--no-bus-lock-detect', '--memory', '512', '--append=cpuid'],
  ['run', 'g.elf'],
  ['run', 'g.elf', '--max-insns', '200000000', '--success-code', '1', '--no-serial', '--progress', '--engine', 'jit', '--jit-threshold', '8'],
  ['run', 'g.elf', '--max-insns=5', '--no-progress', '--initrd', 'i.cpio', '--append', '-- a b'],
];

const REFUSED: string[][] = [
  ['serve', '--help'],
  ['serve', 'g.elf', '-h'],
  ['serve', 'g.elf', '--version'],
  ['serve', 'g.elf', '--port'],
  ['serve', 'g.elf', '--port', 'abc'],
  ['serve', 'g.elf', '--vendor', 'via'],
  ['serve', 'g.elf', '--log-level', 'loud'],
  ['serve', 'a.elf', 'b.elf'],
  ['serve'],
  ['serve', 'g.elf', '--run', 'false'],
  ['serve', 'g.elf', '--run=false'],
  ['serve', 'g.elf', '--port', '1', '--port', '2'],
  ['serve', 'g.elf', '--detachPaused'],
  ['serve', 'g.elf', '--bogus'],
  ['serve', 'g.elf', '--no-port'],
  ['serve', 'g.elf', '--', '--run'],
  ['run', 'g.elf', '--max-insns', '0x10'],
  ['run', 'g.elf', '--max-insns', '1e9'],
  ['run', 'g.elf', '--success-code', 'abc'],
  ['run', 'g.elf', '--max-insns'],
  ['run', 'g.elf', '--port', '1'],
  ['run', 'g.elf', '--serial', 'false'],
  ['run', 'g.elf', '--maxInsns', '5'],
  ['run'],
  ['seed', '000'],
];

describe('dbstub serve and run fast path', () => {
  it.each(ACCEPTED.map((l) => [l.join(' '), l] as const))('gives the handler what yargs gives it: %s', (_, line) => {
    const args = joinDashValues([...line]);
    const got = fastArgv(args);
    expect(got?.command).toBe(line[0]);
    const fast = got?.argv;
    const slow = yargsArgv(args);
    for (const [k, v] of Object.entries(fast!)) expect([k, slow[k]]).toEqual([k, v]);
    // Every dashed or lower-case key yargs sets (not the camelCase twins, $0 and _) is in the fast argv.
    for (const k of Object.keys(slow)) if (k !== '$0' && k !== '_' && !/[A-Z]/.test(k)) expect(fast).toHaveProperty([k]);
  });

  it.each(REFUSED.map((l) => [l.join(' '), l] as const))('leaves the line to yargs: %s', (_, line) => {
    expect(fastArgv(joinDashValues([...line]))).toBeUndefined();
  });

  it('a refused line still gets yargs\u2019 usage error and status 64', async () => {
    const r = await dbstub(['serve', 'g.elf', '--vendor', 'via']);
    expect(r.status).toBe(64);
    expect(r.stderr).toMatch(/Invalid values:[\s\S]*vendor/);
  });

  it('an option given twice takes its last value (yargs path), for every kind of option', async () => {
    const hello = 'examples/prebuilt/hello.elf';
    // --max-insns 5 alone stops the guest (72); given last, 10^8 lets it run to its exit (status 1).
    expect((await dbstub(['run', hello, '--max-insns', '5'])).status).toBe(72);
    expect((await dbstub(['run', hello, '--max-insns', '5', '--max-insns', '100000000'])).status).toBe(1);
    expect((await dbstub(['run', hello, '--max-insns', '100000000', '--max-insns', '5'])).status).toBe(72);
    // --log-level twice used to reach pino as an array: an internal error (70).
    const levels = await dbstub(['run', hello, '--log-level', 'warn', '--log-level', 'error', '--mode', 'kvm', '--mode', 'bare', '--memory', '64', '--memory', '32']);
    expect(levels.status).toBe(1);
    expect(levels.stderr).not.toMatch(/internal error|invalid value/);
    expect(levels.stderr).not.toContain('#DB routing (kvm mode'); // bare mode prints no KVM routing summary
    expect((await dbstub(['run', hello, '--mode', 'bare', '--mode', 'kvm'])).stderr).toContain('#DB routing (kvm mode');
  });

  it('--max-insns and --success-code that are not numbers are usage errors that say so', async () => {
    const hello = 'examples/prebuilt/hello.elf';
    const insns = await dbstub(['run', hello, '--max-insns', 'abc']);
    expect([insns.status, insns.stderr]).toEqual([64, 'dbstub: --max-insns must be a positive integer, got something that is not a number\n']);
    const code = await dbstub(['run', hello, '--success-code', 'one']);
    expect([code.status, code.stderr]).toEqual([64, 'dbstub: --success-code must be an integer, got something that is not a number\n']);
    expect((await dbstub(['run', hello, '--success-code', '1'])).status).toBe(0); // hello exits with status 1
  });

  it('a --port that is not a port number is a usage error that says so', async () => {
    const word = await dbstub(['serve', 'examples/prebuilt/hello.elf', '--port', 'abc']);
    expect([word.status, word.stderr]).toEqual([64, 'dbstub: --port must be a number 0..65535, got something that is not a number\n']);
    const big = await dbstub(['serve', 'examples/prebuilt/hello.elf', '--port', '70000']);
    expect([big.status, big.stderr]).toEqual([64, 'dbstub: --port must be a number 0..65535, got 70000\n']);
  });

  it('an accepted line with a bad value fails as the handler says (no such guest: exit 66)', async () => {
    const r = await dbstub(['serve', '/nonexistent/guest.elf', '--port', '0']);
    expect(r.status).toBe(66);
    expect(r.stderr).toContain('/nonexistent/guest.elf');
  });
});
