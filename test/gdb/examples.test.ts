// The copyable scripted sessions in examples/gdb, run against the bundled guest exactly as
// `dbstub session examples/prebuilt/hello.elf examples/gdb/NAME.gdb` runs them, plus the session command itself.
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Machine } from '../../src/machine/machine.js';
import { Vmm } from '../../src/vmm/index.js';
import { startGdbServer, type GdbServer } from '../../src/gdbstub/server.js';
import { sessionCommand, sessionPrelude } from '../../src/cli/commands/session.js';
import { runGdb } from './gdb-runner.js';

const HELLO = 'examples/prebuilt/hello.elf';
const servers: GdbServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});

async function runExample(name: string): Promise<{ out: string; machine: Machine }> {
  const machine = Machine.fromFile(HELLO);
  const server = await startGdbServer({ target: new Vmm(machine), port: 0 });
  servers.push(server);
  const script = readFileSync(join('examples/gdb', name), 'utf8').split('\n').filter((l) => l.trim() && !l.startsWith('#'));
  const res = await runGdb(server.port, script, { file: HELLO });
  expect(res.code).toBe(0);
  return { out: res.stdout + res.stderr, machine };
}

describe('examples/gdb scripts', () => {
  it('break-step.gdb', async () => {
    const { out, machine } = await runExample('break-step.gdb');
    expect(out).toMatch(/Breakpoint 1, (0x[0-9a-f]+ in )?main \(\)/);
    expect(out).toMatch(/^=> 0x[0-9a-f]+ <main(\+\d+)?>:/m);
    expect(out).toMatch(/^dr7\s+0x/m);
    expect(machine.serialOutput).toContain('Hello from a dbstub guest!');
    expect(out).toContain('[Inferior 1 (Remote target) exited with code 01]');
  });
  it('watch.gdb', async () => {
    const { out } = await runExample('watch.gdb');
    // hello.c seeds its xorshift32 state with 2463534242 and stores it back after 16 steps.
    let x = 2463534242;
    for (let i = 0; i < 16; i++) {
      x ^= x << 13; x >>>= 0;
      x ^= x >>> 17;
      x ^= x << 5; x >>>= 0;
    }
    expect(out).toMatch(new RegExp(`Hardware watchpoint 2: xorshift_state\\n\\nOld value = 2463534242\\nNew value = ${x}\\n`));
    expect(out).toContain('exited with code 01]');
  });
  it('debug-registers.gdb', async () => {
    const { out } = await runExample('debug-registers.gdb');
    expect(out).toMatch(/\nBreakpoint 1, (0x[0-9a-f]+ in )?exit \(/);
    expect(out).toMatch(/^dr6\s+0x/m);
    expect(out).toContain('exited with code 01]');
  });
});

describe('dbstub session', () => {
  it('connects gdb for the script and exits with gdb’s status', async () => {
    expect(sessionPrelude(HELLO, '127.0.0.1', 4321).at(-1)).toBe('target remote 127.0.0.1:4321');
    const dir = mkdtempSync(join(tmpdir(), 'dbstub-session-'));
    const script = join(dir, 's.gdb');
    writeFileSync(script, 'monitor help\nquit 3\n');
    const saved = process.exitCode;
    try {
      await sessionCommand.handler({ guest: HELLO, script, gdb: '/usr/bin/gdb', serial: false });
      expect(process.exitCode).toBe(3);
    } finally {
      process.exitCode = saved;
    }
  });
});
