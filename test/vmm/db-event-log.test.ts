// The machine's `db.event` log record (README, "Logging and event reference"): one per #DB at debug level, none
// below it. (machine.ts builds the record only when debug is enabled: every stepi and watchpoint hit is a #DB.)
import { describe, expect, it } from 'vitest';
import pino from 'pino';
import { Machine } from '../../src/machine/machine.js';
import { Vmm } from '../../src/vmm/index.js';
import type { StopEvent } from '../../src/gdbstub/target.js';
import { watchGuest } from '../gdb/guest.js';

describe('db.event', () => {
  it('one record per single-step #DB at debug level; none at info', async () => {
    const collect = async (level: 'debug' | 'info') => {
      const records: Record<string, unknown>[] = [];
      const logger = pino({ level }, { write: (line: string) => void records.push(JSON.parse(line)) });
      const vmm = new Vmm(Machine.fromFile(watchGuest(), { config: { mode: 'kvm' }, logger }));
      for (let i = 0; i < 3; i++) await new Promise<StopEvent>((res) => vmm.resume({ kind: 'step' }, res));
      return records.filter((r) => r.event === 'db.event');
    };
    const debug = await collect('debug');
    expect(debug).toHaveLength(3);
    for (const r of debug) {
      expect(r.kind).toBe('trap');
      expect(r.intercepted).toBe(true); // kvm mode: KVM takes the single-step #DB for the debugger
      expect(r.rip).toMatch(/^0x[0-9a-f]+$/);
      expect(r.dr6After ?? r.dr6Before).toMatch(/^0x[0-9a-f]+$/);
    }
    expect(await collect('info')).toHaveLength(0);
  });
});
