// lldb 14 (gdb-remote) against the server, as lldb users attach: register read, a breakpoint, si, a write
// watchpoint, process interrupt of a spinning guest, detach. lldb is driven interactively (Debian's lldb-14 has
// no working Python for `script`, and `process interrupt` needs a prompt while the guest runs). Skipped, and
// shown as skipped, only where lldb is not installed (.ci/run installs it).
import { describe, expect, it } from 'vitest';
import { waitFor } from './gdb-runner.js';
import { watchGuest } from './guest.js';
import { findTool, startInteractive } from './interactive.js';
import { useRigs } from './rig.js';

const LLDB = findTool('lldb', 'lldb-14', 'lldb-15', 'lldb-16');
/** lldb reading a pipe prints no prompt of its own (it echoes each command as `(lldb) command`), so every
 *  command is followed by waiting for the output it must produce. */
const FRAME = /frame #0: 0x[0-9a-f]+ .*\n/;

describe.skipIf(LLDB === undefined).each(['kvm', 'bare'] as const)('lldb (gdb-remote), %s mode', (mode) => {
  const rig = useRigs();

  it('attach, register read, breakpoint, si, write watchpoint, process interrupt, detach', async () => {
    const r = await rig(mode, watchGuest());
    const sym = (n: string) => '0x' + r.machine.symbol(n).toString(16).padStart(16, '0');
    const lldb = startInteractive(LLDB!, ['--no-lldbinit', r.elf]);
    try {
      await lldb.expect(/Current executable set to/);
      await lldb.send(`gdb-remote 127.0.0.1:${r.port}`, /Process 1 stopped[\s\S]*frame #0: 0x[0-9a-f]+ .*\n/);
      const regs = await lldb.send('register read rip rsp cr0 dr7', /dr7 = 0x[0-9a-f]+\n/);
      expect(regs).toContain(`rip = 0x${r.machine.image.entry.toString(16).padStart(16, '0')}`);
      expect(regs).toMatch(/dr7 = 0x0000000000000400/);
      expect(regs).toMatch(/cr0 = 0x0000000080010033/);

      await lldb.send('breakpoint set -n bump', /Breakpoint 1: where = watch\.elf`bump.*\n/);
      const hit = await lldb.send('process continue', new RegExp('stop reason = breakpoint 1\\.1\\n\\s+' + FRAME.source));
      expect(hit).toMatch(/frame #0: 0x[0-9a-f]+ watch\.elf`bump/);
      expect(await lldb.send('register read rip', /rip = .*\n/)).toContain(`rip = ${sym('bump')}`);

      const stepped = await lldb.send('si', new RegExp('stop reason = instruction step into\\n\\s+' + FRAME.source));
      const rip = BigInt(/frame #0: (0x[0-9a-f]+)/.exec(stepped)![1]);
      expect(rip).toBeGreaterThan(r.machine.symbol('bump'));
      expect(r.vmm.readRegister(r.vmm.registers.findIndex((d) => d.name === 'rip'))).toBe(rip);

      await lldb.send('breakpoint delete 1', /1 breakpoints deleted/);
      const wset = await lldb.send('watchpoint set variable -w write counter', /Watchpoint created: Watchpoint 1: addr = 0x[0-9a-f]+ size = 8 state = enabled type = w\n/);
      expect(BigInt(/addr = (0x[0-9a-f]+)/.exec(wset)![1])).toBe(r.machine.symbol('counter'));
      const watch = await lldb.send('process continue', new RegExp('stop reason = watchpoint 1\\n\\s+' + FRAME.source));
      expect(watch).toMatch(/old value: 100\s+new value: 101/);
      await lldb.send('watchpoint delete 1', /1 watchpoints deleted/);

      // Spin with no stop in sight; interrupt it from the prompt.
      await lldb.send('expression spin_enabled = 1', /\$\d+ = 1\n/);
      await lldb.send('process continue', /Process 1 resuming/);
      await waitFor(() => r.vmm.running);
      const sink = r.machine.symbol('sink');
      await waitFor(() => Buffer.from(r.vmm.readMemory(sink, 8)!).readBigUInt64LE() > 1000n);
      const intr = await lldb.send('process interrupt', new RegExp('stop reason = signal SIGINT\\n\\s+' + FRAME.source));
      expect(intr).toMatch(/frame #0: 0x[0-9a-f]+ watch\.elf`spin/);
      expect(r.vmm.running).toBe(false);

      await lldb.send('detach', /Process 1 detached/);
      await waitFor(() => !r.server.attached);
      // lldb's detach is gdb's `D`: the guest runs on (spinning) with nothing attached.
      expect(r.vmm.running).toBe(true);
    } finally {
      await lldb.close();
    }
  });
});
