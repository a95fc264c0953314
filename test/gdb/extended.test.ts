// Real gdb in extended-remote mode (`target extended-remote`, as gdbserver --multi users work): `run` restarts the
// machine (vRun, or R with no reply of its own), `kill` keeps the connection, and both work repeatedly in one
// session. And `detach` lets the guest run on, as QEMU and gdbserver do.
import { describe, expect, it } from 'vitest';
import { waitFor } from './gdb-runner.js';
import { watchGuest } from './guest.js';
import { gdbBatch, printed, useRigs } from './rig.js';

describe.each(['kvm', 'bare'] as const)('extended-remote and detach through real gdb, %s mode', (mode) => {
  const rig = useRigs();

  it('run, run again, kill, run, continue to the exit, run after the exit: one session, no desync', async () => {
    const r = await rig(mode, watchGuest());
    const out = await gdbBatch(r, [
      'hbreak bump',
      'run', 'p counter', 'set var counter = 5', 'continue', 'p counter',
      'run', 'p counter',
      'kill', 'info inferiors',
      'run', 'p counter', 'p/x $pc',
      'delete', 'continue',
      'run',
    ], { extended: true, debugRemote: true });
    expect(out).not.toMatch(/Malformed response|reply is too long|Remote communication error|Ignoring packet error/);
    expect(out.match(/\nBreakpoint 1, (0x[0-9a-f]+ in )?bump \(\)/g)).toHaveLength(4);
    // 100 at the first bump; our 5 + 1 at the second; a fresh image (counter = 100) after each run.
    expect(printed(out).slice(0, 4)).toEqual(['100', '6', '100', '100']);
    expect(BigInt(printed(out)[4])).toBe(r.machine.symbol('bump'));
    expect(out).toMatch(/Sending packet: \$vRun;#/);
    expect(out).toMatch(/Sending packet: \$vKill;/);
    expect(out.match(/\[Inferior 1 \(process 1\) exited with code 017\]|\[Inferior 1 \(Remote target\) exited with code 017\]/g)).toHaveLength(2);
    expect(out).toMatch(/<null>|\* 1\s+<null>/); // after kill: no process, gdb still connected
  });

  it('an R packet (gdb with vRun off) restarts with no reply of its own (remote.c sends `R0` and reads nothing) and gdb stays in step', async () => {
    const r = await rig(mode, watchGuest());
    const out = await gdbBatch(r, [
      'set remote run-packet off',
      'hbreak bump', 'run', 'p counter', 'set var counter = 9',
      'run', 'p counter', 'info registers rip',
    ], { extended: true, debugRemote: true });
    expect(out).toMatch(/Sending packet: \$R0#/);
    expect(out).not.toMatch(/Malformed response|reply is too long|Remote communication error/);
    expect(printed(out)).toEqual(['100', '100']);
    expect(out).toMatch(new RegExp(`^rip\\s+0x${r.machine.symbol('bump').toString(16)}\\s`, 'm'));
  });

  it('detach lets the guest run on; the next gdb pauses it where it is and finishes it', async () => {
    const r = await rig(mode, watchGuest());
    const first = await gdbBatch(r, ['set var spin_enabled = 1', 'hbreak spin', 'continue', 'delete', 'detach']);
    expect(first).toContain('[Inferior 1 (Remote target) detached]');
    await waitFor(() => !r.server.attached);
    expect(r.vmm.running).toBe(true);
    const sink = r.machine.symbol('sink');
    const read = () => Buffer.from(r.vmm.readMemory(sink, 8)!).readBigUInt64LE();
    const s0 = read();
    await waitFor(() => read() > s0 + 1000n); // spinning with no debugger attached
    const second = await gdbBatch(r, ['p $pc >= spin && $pc < spin + 0x30', 'set var stop_spin = 1', 'continue']);
    expect(printed(second)[0]).toBe('1');
    expect(second).toContain('exited with code 017');
  });
});
