// `dbstub serve` opens its port before the machine's modules load (src/cli/listen.ts): a connection made in that
// window is held, unanswered, until the gdb server adopts the port, then served like any other; a guest that
// fails to load after the banner closes the port and exits with the loader's status; errors found before the
// port opens (command line, config, an unwritable --log-file, a missing guest) print no banner.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../src/config/config.js';
import { createLogger } from '../../src/log.js';
import { startServe } from '../../src/cli/commands/serve.js';
import { openEarlyListener } from '../../src/cli/listen.js';
import { EXIT } from '../../src/cli/exit-codes.js';
import { Cli, RawClient, ROOT, until } from '../hostile/cli.js';
import { runGdb } from '../gdb/gdb-runner.js';

const HELLO = join(ROOT, 'examples', 'prebuilt', 'hello.elf');
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('serve: the port opens before the machine is built', () => {
  it('holds a connection made before the server exists, then serves it and later debuggers', async () => {
    const port = await openEarlyListener('127.0.0.1', 0);
    const portNo = (port.server.address() as { port: number }).port;
    const early = await RawClient.connect(portNo);
    cleanups.push(() => early.close());
    early.packet('?');
    await new Promise((r) => setTimeout(r, 150));
    // Nothing answers before the machine exists: not even the ack.
    expect(early.data).toBe('');
    const s = await startServe({ guest: HELLO, port: 0, host: '127.0.0.1', run: false, config: { ...DEFAULT_CONFIG }, logger: createLogger({ level: 'silent' }), listener: port });
    cleanups.push(s.stop);
    expect(s.server.port).toBe(portNo);
    await early.until((d) => /\$[TS]05[^#]*#[0-9a-f]{2}/.test(d), 10_000, 'the stop reply to the held `?`');
    expect(early.data.startsWith('+$')).toBe(true);
    early.close();
    // The port is the server's now: a real gdb attaches through it and sees the guest at its entry.
    const res = await runGdb(portNo, ['p/x $pc'], { file: HELLO });
    expect(res.stdout + res.stderr).toContain(`$1 = 0x${s.machine.image.entry.toString(16)}`);
  });

  it('abandoning the port closes the connections it holds', async () => {
    const port = await openEarlyListener('127.0.0.1', 0);
    const c = await RawClient.connect((port.server.address() as { port: number }).port);
    cleanups.push(() => c.close());
    await until(() => port.server.listening, 1000, 'listening');
    await new Promise((r) => setTimeout(r, 50)); // let the server accept it
    port.abandon();
    await c.waitClosed(5000);
    expect(port.server.listening).toBe(false);
  });

  it('a guest that fails to load after the banner: its error, its status, the port closed, no hang', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dbstub-early-'));
    const bad = join(dir, 'garbage.bin');
    writeFileSync(bad, Buffer.alloc(4096, 0x5a));
    const cli = new Cli(['serve', bad, '--port', '0', '--no-serial']);
    cleanups.push(() => cli.kill());
    const status = await cli.exited(30_000);
    expect(cli.stderr).toMatch(/gdb server on 127\.0\.0\.1:\d+/);
    expect(cli.stderr).toMatch(/dbstub: bad (ELF|Multiboot kernel)/);
    expect(status).toBe(EXIT.BAD_ELF);
  });

  // `--detach-paused true` takes the yargs path, where the banner comes last (the handlers must precede it there too).
  for (const [signal, extra] of [['SIGTERM', []], ['SIGINT', []], ['SIGTERM', ['--detach-paused', 'true']]] as const)
    it(`${signal} the moment the banner appears closes the server cleanly${extra.length ? ' (yargs path)' : ' (the machine still loading)'}`, async () => {
      const cli = new Cli(['serve', HELLO, '--port', '0', '--no-serial', ...extra]);
      cleanups.push(() => cli.kill());
      await until(() => cli.stderr.includes('gdb server on') || cli.exit !== undefined, 30_000, 'the banner');
      cli.child.kill(signal);
      expect(await cli.exited()).toBe(0);
      expect(cli.exit!.signal).toBeNull();
      expect(cli.stderr).toContain('dbstub: server closed');
    });

  it('errors found before the port opens print no banner', async () => {
    const missing = new Cli(['serve', join(ROOT, 'no-such-guest.elf'), '--port', '0']);
    const usage = new Cli(['serve', HELLO, '--port', '0', '--memory', '3']);
    // A log path under a regular file cannot be created (pino alone would drop every line without a word).
    const notDir = join(mkdtempSync(join(tmpdir(), 'dbstub-early-')), 'file');
    writeFileSync(notDir, '');
    const badLog = join(notDir, 'x.log');
    const logFile = new Cli(['serve', HELLO, '--port', '0', '--log-file', badLog]);
    const logFileRun = new Cli(['run', HELLO, '--log-file', badLog]);
    cleanups.push(() => missing.kill(), () => usage.kill(), () => logFile.kill(), () => logFileRun.kill());
    expect(await missing.exited()).toBe(EXIT.NO_INPUT);
    expect(await usage.exited()).toBe(EXIT.USAGE);
    expect(await logFile.exited()).toBe(EXIT.USAGE);
    expect(await logFileRun.exited()).toBe(EXIT.USAGE);
    for (const c of [missing, usage, logFile]) expect(c.stderr).not.toContain('gdb server on');
    expect(missing.stderr).toMatch(/no such file/);
    for (const c of [logFile, logFileRun]) expect(c.stderr).toContain(`dbstub: cannot write --log-file ${badLog}: E`);
  });
});
