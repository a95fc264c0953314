// Issue 18 item 4 (a guest's repeated events are rate-limited, with a count of what was suppressed) and issue
// 17's log format (human-readable on a terminal, JSON otherwise or with --log-format json; serial once).
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BIN, Cli, ROOT, RawClient, hostileGuest, serve, until } from './cli.js';

const clis: Cli[] = [];
afterEach(() => {
  for (const c of clis.splice(0)) c.kill();
});
const jsonLines = (s: string) =>
  s
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);

describe('rate limit of repeated guest events', () => {
  it('50,000 #UDs on an unmodelled opcode: a bounded number of cpu.ud lines and the rest counted', async () => {
    const cli = new Cli(['run', hostileGuest('ud-loop'), '--log-level', 'info', '--log-format', 'json']);
    clis.push(cli);
    expect(await cli.exited(230_000)).toBe(1); // the guest's own exit(0): every #UD was delivered to it
    const lines = jsonLines(cli.stderr);
    const ud = lines.filter((l) => l.event === 'cpu.ud');
    const suppressed = lines.filter((l) => l.event === 'log.suppressed');
    const summary = lines.find((l) => l.event === 'run.summary')!;
    // At most 10 per second of the run (plus one window), instead of one per #UD.
    expect(ud.length).toBeGreaterThan(0);
    expect(ud.length).toBeLessThanOrEqual(10 * (Math.ceil(summary.seconds as number) + 1));
    const counted = suppressed.reduce((n, l) => n + ((l.suppressed as Record<string, number>)['cpu.ud:undefined-opcode'] ?? 0), 0);
    expect(ud.length + counted).toBe(50_000);
  }, 240_000);
});

describe('log format', () => {
  it('stderr not a TTY: JSON lines; --log-format pretty: human-readable lines', async () => {
    const a = await serve(join(ROOT, 'examples', 'prebuilt', 'hello.elf'));
    clis.push(a.cli);
    await until(() => a.cli.stderr.includes('rsp.listen'), 10_000, 'the listen log line');
    expect(jsonLines(a.cli.stderr).some((l) => l.event === 'rsp.listen')).toBe(true);
    const b = await serve(join(ROOT, 'examples', 'prebuilt', 'hello.elf'), ['--log-format', 'pretty']);
    clis.push(b.cli);
    await until(() => b.cli.stderr.includes('gdb server ready'), 10_000, 'the listen log line');
    expect(b.cli.stderr).toMatch(/INFO.*gdb server ready on 127\.0\.0\.1:\d+/);
    expect(b.cli.stderr).not.toMatch(/^\{"level"/m);
  });

  it('on a terminal (`npm start` style): human-readable lines and the guest serial output once', async () => {
    // script(1) gives the server a pseudo-terminal; its output is the terminal's. The guest prints once it runs.
    const cmd = `${process.execPath} ${BIN} serve ${join(ROOT, 'examples', 'prebuilt', 'hello.elf')} --port 0`;
    const out: Buffer[] = [];
    const p = spawn('script', ['-qfec', cmd, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'] });
    p.stdout.on('data', (d: Buffer) => out.push(d));
    const exited = new Promise<void>((res) => p.on('exit', () => res()));
    let port = 0;
    await until(
      () => {
        const m = /gdb server on \S+:(\d+)/.exec(Buffer.concat(out).toString());
        if (m) port = Number(m[1]);
        return port !== 0;
      },
      60_000,
      'the server on the terminal to listen',
    );
    const c = await RawClient.connect(port);
    c.packet('c');
    await c.until((d) => /\$W/.test(d), 30_000, 'the guest to exit');
    c.close();
    await new Promise((r) => setTimeout(r, 300));
    p.kill('SIGINT');
    await exited;
    const run = Promise.resolve(Buffer.concat(out).toString());
    const tty = await run;
    expect(tty).toMatch(/INFO.*gdb connected from/);
    expect(tty).not.toMatch(/\{"level":/);
    const hello = tty.split('\n').filter((l) => l.includes('Hello from a dbstub guest!'));
    expect(hello).toHaveLength(1);
  });
});
