// `dbstub serve` as the CLI runs it (startServe), driven by the real gdb.
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../src/config/config.js';
import { createLogger } from '../../src/log.js';
import { startServe } from '../../src/cli/commands/serve.js';
import type { StopEvent } from '../../src/gdbstub/target.js';
import { runGdb, waitFor } from './gdb-runner.js';
import { watchGuest } from './guest.js';

const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const s of stops.splice(0)) await s();
});

const base = { port: 0, host: '127.0.0.1', config: { ...DEFAULT_CONFIG }, logger: createLogger({ level: 'silent' }) };

describe('dbstub serve', () => {
  it('holds the guest at its entry until gdb continues it (like qemu -s -S)', async () => {
    const elf = watchGuest();
    const s = await startServe({ ...base, guest: elf, run: false });
    stops.push(s.stop);
    await new Promise((r) => setTimeout(r, 50));
    expect(s.vmm.running).toBe(false);
    const res = await runGdb(s.server.port, ['p/x $pc', 'continue'], { file: elf });
    const out = res.stdout + res.stderr;
    expect(out).toContain(`$1 = 0x${s.machine.image.entry.toString(16)}`);
    expect(out).toContain('exited with code 017');
  });

  it('--run starts the guest at once; attaching gdb pauses it where it is; it runs on after gdb detaches', async () => {
    const elf = watchGuest();
    const seen: StopEvent[] = [];
    const s = await startServe({ ...base, guest: elf, run: true, onStop: (ev) => seen.push(ev) });
    stops.push(s.stop);
    // Before the first slice runs: make the guest spin so it is still running when gdb attaches.
    s.vmm.writeMemory(s.machine.symbol('spin_enabled'), Uint8Array.of(1));
    await waitFor(() => s.machine.cpu.instructionsRetired > 10_000);
    expect(s.vmm.running).toBe(true);
    const res = await runGdb(s.server.port, ['p $pc >= spin && $pc < spin + 0x30', 'p sink > 1000'], { file: elf });
    const out = res.stdout + res.stderr;
    expect(out).toMatch(/\$1 = 1\n/);
    expect(out).toMatch(/\$2 = 1\n/);
    expect(seen).toEqual([{ kind: 'signal', signal: 2 }]);
    // gdb -batch detaches when it quits, and the guest runs on (QEMU's handle_detach, gdbserver).
    await waitFor(() => !s.server.attached);
    expect(s.vmm.running).toBe(true);
  });

  it('the disconnect log line tells whether the guest runs on (detach) or stays paused (--detach-paused)', async () => {
    for (const detachPaused of [false, true]) {
      const lines: Record<string, unknown>[] = [];
      const sink = new Writable({
        write(chunk: Buffer, _enc, done) {
          for (const l of chunk.toString().split('\n')) if (l !== '') lines.push(JSON.parse(l) as Record<string, unknown>);
          done();
        },
      });
      const elf = watchGuest();
      const s = await startServe({ ...base, logger: createLogger({ level: 'info', destination: sink }), guest: elf, run: false, detachPaused });
      stops.push(s.stop);
      s.vmm.writeMemory(s.machine.symbol('spin_enabled'), Uint8Array.of(1));
      const res = await runGdb(s.server.port, ['hbreak spin', 'continue', 'delete', 'detach'], { file: elf });
      expect(res.stdout + res.stderr).toContain('[Inferior 1 (Remote target) detached]');
      await waitFor(() => !s.server.attached && lines.some((l) => l.event === 'rsp.disconnect'));
      const disc = lines.find((l) => l.event === 'rsp.disconnect')!;
      expect(s.vmm.running).toBe(!detachPaused);
      expect(disc.guest).toBe(detachPaused ? 'paused' : 'running');
      expect(disc.msg).toBe(detachPaused ? 'gdb disconnected; guest paused, waiting for the next attach' : 'gdb disconnected; guest runs on, waiting for the next attach');
    }
  });
});
