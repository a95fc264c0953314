// `dbstub seed` drives each scenario's debugger side in process (the GdbTarget calls gdb's commands make). Issue 19
// asks for the seeds "through gdb where gdb can express them": here seed 000's scenarios run with the real gdb over
// TCP against the RSP server, from the same scenario script (src/seeds/scenarios.ts), and what gdb reports at each
// stop, what the guest's #DB handler printed and every routing decision must equal the `dbstub seed` record of the
// same configuration, line for line. Both vendors, every routing the seed compares.
import { describe, expect, it } from 'vitest';
import { startGdbServer } from '../../src/gdbstub/server.js';
import { runSeed, seedMachine, seedRecord, type GdbStep } from '../../src/seeds/driver.js';
import { findSeed } from '../../src/seeds/report.js';
import { runGdb } from './gdb-runner.js';

/** The scenario's steps as gdb commands; after every stop but the last (the guest exits there), the pc's symbol. */
function gdbScript(steps: readonly GdbStep[]): string[] {
  const numbers = new Map<string, number>();
  const out: string[] = [];
  steps.forEach((s, k) => {
    switch (s.op) {
      case 'break':
      case 'hbreak':
        numbers.set(`${s.op} ${s.at}`, numbers.size + 1);
        out.push(`${s.op} ${s.at}`);
        break;
      case 'delete':
        out.push(`delete ${numbers.get(`${s.kind} ${s.at}`)}`);
        break;
      case 'continue':
      case 'stepi':
        out.push(`echo @@${s.op}\\n`, s.op);
        if (k < steps.length - 1) out.push('printf "pc=%#lx\\n", $pc');
        break;
    }
  });
  return out;
}

/** gdb's session turned into the seed record's gdb lines ("continue: SIGTRAP hwbreak at 0x101234", "... guest exited
 *  (status 1)"): the signal and stop reason from the stop reply gdb received (its remote packet log), the pc from gdb. */
function gdbStops(stdout: string, packetLog: string): string[] {
  const replies = [...packetLog.matchAll(/Packet received: (T[0-9a-f]{2}[^\n]*|W[0-9a-f]{2}[^\n]*)/g)].map((m) => m[1]!);
  return stdout.split('@@').slice(1).map((chunk, k) => {
    const op = chunk.slice(0, chunk.indexOf('\n'));
    const exited = /\[Inferior \d+ \(.*\) exited (?:with code (\d+)|normally)\]/.exec(chunk);
    if (exited) return `${op}: guest exited (status ${Number.parseInt(exited[1] ?? '0', 8)})`;
    const reply = replies[k + 1] ?? ''; // replies[0] answers the `?` of the connection
    const sig = Number.parseInt(reply.slice(1, 3), 16);
    const reason = /(hwbreak|swbreak|watch|rwatch|awatch):([0-9a-f]*);/.exec(reply);
    const pc = /^pc=(0x[0-9a-f]+)$/m.exec(chunk)?.[1] ?? '?';
    return `${op}: SIG${sig === 5 ? 'TRAP' : sig}${reason ? ` ${reason[1]}${reason[2] ? ` 0x${BigInt(`0x${reason[2]}`).toString(16)}` : ''}` : ''} at ${pc}`;
  });
}

/** The record's "at name+0x3" pc as an address, so it compares with what gdb printed. */
function resolved(line: string, symbol: (name: string) => bigint): string {
  return line.replace(/ at ([A-Za-z_.$][\w.$]*)(?:\+0x([0-9a-f]+))?$/, (_m, name: string, off?: string) => ` at 0x${(symbol(name) + BigInt(`0x${off ?? '0'}`)).toString(16)}`);
}

describe('seed 000 through the real gdb over TCP: the same record as `dbstub seed 000`', () => {
  const seed = findSeed('000')!;
  for (const sc of seed.scenarios)
    for (const vendor of sc.vendors)
      it(`${sc.name}, ${vendor}: every --qemu-db-routing column`, { timeout: 120_000 }, async () => {
        for (const col of sc.columns) {
          const cfg = { ...sc.base, vendor, ...col.cfg };
          const want = await runSeed(sc.elf, cfg, sc.steps, sc.poke);
          const { machine, vmm } = seedMachine(sc.elf, cfg, sc.poke);
          const server = await startGdbServer({ target: vmm, port: 0 });
          try {
            const res = await runGdb(server.port, gdbScript(sc.steps), { file: sc.elf, timeoutMs: 60_000, debugRemote: true });
            const what = `${sc.name} ${vendor} ${col.label}\n${res.stdout}`;
            expect(gdbStops(res.stdout, res.stderr), what).toEqual(want.gdb.map((l) => resolved(l, (n) => machine.symbol(n))));
            const got = seedRecord(machine, vmm);
            expect(got.guest, what).toEqual(want.guest);
            expect(got.routing, what).toEqual(want.routing);
          } finally {
            if (vmm.running) vmm.interrupt();
            await server.close();
          }
        }
      });
});
