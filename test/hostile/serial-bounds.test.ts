// A guest that prints to COM1 forever (test/guest-src/hostile/serial-flood) must cost the server bounded memory
// and a bounded number of terminal writes (issue 18: Ctrl-C within 50 ms, RSS bound; docs/reliability.md).
import { describe, expect, it } from 'vitest';
import { batchedSerial } from '../../src/cli/serial-out.js';
import { Machine, SERIAL_KEEP_CHARS } from '../../src/machine/machine.js';
import { createLogger } from '../../src/log.js';
import { hostileGuest } from './cli.js';

describe('serial flood', () => {
  it('Machine.serialOutput keeps at most 2 x SERIAL_KEEP_CHARS, ending with the newest line', () => {
    const m = Machine.fromFile(hostileGuest('serial-flood'), { logger: createLogger({ level: 'silent' }) });
    let bytes = 0;
    let last = '';
    m.onSerial((t) => {
      bytes++;
      last = t === '\n' ? '' : last + t;
    });
    while (bytes < 2 * SERIAL_KEEP_CHARS + 100_000) expect(m.cpu.run(200_000).kind).toBe('budget');
    const out = m.serialOutput;
    expect(out.length).toBeLessThanOrEqual(2 * SERIAL_KEEP_CHARS + 4096);
    expect(out.length).toBeGreaterThanOrEqual(SERIAL_KEEP_CHARS);
    expect(out.endsWith(last)).toBe(true);
    // Whole lines of the guest's counter, in order, up to the newest.
    const lines = out.split('\n');
    const n = (l: string) => Number(/^serial-flood line (\d+)$/.exec(l)?.[1]);
    expect(n(lines[lines.length - 2]!) - n(lines[lines.length - 3]!)).toBe(1);
    m.reset();
    expect(m.serialOutput).toBe('');
  });

  it('the terminal sink writes once per event-loop turn, in order, and flush() writes what is pending', async () => {
    const writes: string[] = [];
    const sink = batchedSerial((t) => writes.push(t));
    for (const ch of 'hello\nworld') sink(ch);
    expect(writes).toEqual([]);
    await new Promise((r) => setImmediate(r));
    expect(writes).toEqual(['hello\nworld']);
    sink('a');
    sink('b');
    sink.flush();
    expect(writes).toEqual(['hello\nworld', 'ab']);
    await new Promise((r) => setImmediate(r));
    expect(writes).toHaveLength(2); // nothing left for the scheduled turn
    // A burst larger than the 64 KiB bound is written as it fills, not held.
    for (let i = 0; i < 70_000; i++) sink('x');
    expect(writes.length).toBe(3);
    expect(writes[2]!.length).toBe(64 * 1024);
  });
});
