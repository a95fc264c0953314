// docs/semantics.md §7.10 / §4 defect 3 with the real gdb: seed 000's patch as posted (qemu-db-routing=bld-patch,
// one flag away from the default corrected) tests DR6.BLD on #BP exits too, where KVM leaves kvm_run->debug.arch.dr6 unwritten. On a fresh
// vCPU that field is 0 (the kvm_run page is allocated zeroed), so the first `break` hit is claimed by gdb AND
// queued to the guest as a #BP. `corrected` adds the exception == #DB check and the session is clean.
import { afterEach, describe, expect, it } from 'vitest';
import type { QemuDbRouting } from '../../src/config/config.js';
import { startGdbServer, type GdbServer } from '../../src/gdbstub/server.js';
import { Machine } from '../../src/machine/machine.js';
import { Vmm } from '../../src/vmm/index.js';
import { runGdb } from '../gdb/gdb-runner.js';
import { watchGuest } from '../gdb/guest.js';

const servers: GdbServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});

async function session(qemuDbRouting: QemuDbRouting): Promise<{ out: string; vmm: Vmm; machine: Machine }> {
  const elf = watchGuest();
  const machine = Machine.fromFile(elf, { config: { mode: 'kvm', qemuDbRouting } });
  const vmm = new Vmm(machine);
  const server = await startGdbServer({ target: vmm, port: 0 });
  servers.push(server);
  const res = await runGdb(server.port, ['break main', 'continue', 'monitor info db', 'continue'], { file: elf });
  return { out: res.stdout + res.stderr, vmm, machine };
}

describe('real gdb: first software breakpoint on a fresh vCPU (stale kvm_run dr6)', () => {
  it('bld-patch queues a spurious #BP to the guest (flagged by monitor info db); corrected does not', async () => {
    const bad = await session('bld-patch');
    expect(bad.out).toMatch(/Breakpoint 1, (0x[0-9a-f]+ in )?main \(\)/);
    // The decision as `monitor info db` shows it: a #BP exit with the zeroed dr6, claimed and re-injected.
    expect(bad.out).toMatch(/#1 qemu exc=3 pc=0x[0-9a-f]+ dr6=0x00000000 .*routing=bld-patch .*claim=sw-breakpoint -> both reinject\(vec=3\)/);
    expect(bad.out).toContain('!! spurious #BP');
    // On continue the guest takes a #BP it never executed: its runtime reports the unexpected vector and exits.
    expect(bad.out).not.toContain('exited with code 017');
    // The guest's #BP frame points just past the int3 gdb had planted at main (soft-exception re-injection).
    const main = bad.machine.symbol('main');
    expect(bad.machine.serialOutput).toContain(`unhandled exception #BP err=0x0 rip=0x${(main + 1n).toString(16)}`);
    expect(bad.out).toMatch(/exited with code 0[0-7]+\]/);

    const good = await session('corrected');
    expect(good.out).toMatch(/Breakpoint 1, (0x[0-9a-f]+ in )?main \(\)/);
    expect(good.out).toMatch(/#1 qemu exc=3 pc=0x[0-9a-f]+ dr6=0x00000000 .*routing=corrected .*claim=sw-breakpoint -> debugger/);
    expect(good.out).not.toContain('spurious');
    expect(good.out).toContain('[Inferior 1 (Remote target) exited with code 017]');
  });
});
