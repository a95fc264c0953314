// One machine + Vmm + RSP server on port 0 per test, for the real-client tests (gdb, gdb/MI, lldb). useRigs()
// registers the afterEach that stops and closes every rig the test started.
import { afterEach } from 'vitest';
import { Machine } from '../../src/machine/machine.js';
import { Vmm } from '../../src/vmm/index.js';
import { startGdbServer, type GdbServer } from '../../src/gdbstub/server.js';
import { runGdb } from './gdb-runner.js';

export interface Rig {
  machine: Machine;
  vmm: Vmm;
  server: GdbServer;
  port: number;
  elf: string;
}

export type Mode = 'kvm' | 'bare';

export function useRigs(): (mode: Mode, elf: string, serverOpts?: Partial<Parameters<typeof startGdbServer>[0]>) => Promise<Rig> {
  const rigs: Rig[] = [];
  afterEach(async () => {
    for (const r of rigs.splice(0)) {
      if (r.vmm.running) r.vmm.interrupt();
      await r.server.close();
    }
  });
  return async (mode, elf, serverOpts = {}) => {
    // kvm mode with qemu-db-routing=corrected, as in gdb.test.ts (the bld-patch spurious #BP is tested apart).
    const machine = Machine.fromFile(elf, { config: mode === 'kvm' ? { mode, qemuDbRouting: 'corrected' } : { mode } });
    const vmm = new Vmm(machine);
    const server = await startGdbServer({ target: vmm, port: 0, ...serverOpts });
    const r = { machine, vmm, server, port: server.port, elf };
    rigs.push(r);
    return r;
  };
}

/** Values gdb printed as "$N = value", in order. */
export function printed(out: string): string[] {
  return [...out.matchAll(/^\$\d+ = (.*)$/gm)].map((m) => m[1]!);
}

/** Run a gdb batch script against the rig (with its ELF loaded); throws unless gdb exits 0. gdb 13 ends a
 *  sourced script at the first error (no `ignore-errors` yet), so `lastMayFail` lets the last command fail. */
export async function gdbBatch(r: Rig, commands: string[], opts: Parameters<typeof runGdb>[2] & { lastMayFail?: boolean } = {}): Promise<string> {
  const res = await runGdb(r.port, commands, { file: r.elf, ...opts });
  const all = res.stdout + res.stderr;
  if (res.code !== 0 && !(opts.lastMayFail && res.code === 1)) throw new Error(`gdb exited ${res.code}\n${all}`);
  return all;
}

