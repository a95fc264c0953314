// `dbstub serve GUEST [--port 1234] [--host 127.0.0.1] [--run]`: load a guest and serve the gdb remote
// protocol on TCP. Like `qemu -s -S`, the guest waits at its entry point until gdb continues it; with --run it
// starts at once and is paused when gdb attaches (QEMU also stops the VM when a debugger connects).
// Owned by the gdbstub helper; registered in index.ts by the integrator.

import type { Argv } from 'yargs';
import { resolve } from 'node:path';
import { Machine } from '../../machine/machine.js';
import { Vmm } from '../../vmm/index.js';
import { startGdbServer } from '../../gdbstub/server.js';
import type { StopEvent } from '../../gdbstub/target.js';
import { CliError, EXIT } from '../exit-codes.js';
import { configFromArgv, loggerFromArgv, withMachineOptions } from '../options.js';
import type { CliCommand } from './index.js';

interface ServeArgs {
  guest: string;
  port: number;
  host: string;
  run: boolean;
  serial: boolean;
  [k: string]: unknown;
}

export function describeStop(ev: StopEvent): string {
  if (ev.kind === 'exited') return `guest exited with code ${ev.code}`;
  return `guest stopped with signal ${ev.signal}${ev.detail ? `: ${ev.detail}` : ''}`;
}

export const serveCommand: CliCommand = {
  command: 'serve <guest>',
  describe: 'load a guest and wait for gdb (target remote HOST:PORT); the guest waits at its entry until gdb continues',
  builder: (y: Argv) =>
    withMachineOptions(
      y
        .positional('guest', { type: 'string', describe: 'guest ELF64 executable', demandOption: true })
        .option('port', { type: 'number', default: 1234, describe: 'TCP port (0 picks a free one)', requiresArg: true })
        .option('host', { type: 'string', default: '127.0.0.1', describe: 'address to listen on (the protocol has no authentication: keep it local)', requiresArg: true })
        .option('run', { type: 'boolean', default: false, describe: 'start the guest now instead of waiting for gdb to continue it' })
        .option('serial', { type: 'boolean', default: true, describe: 'echo guest serial output (COM1) to stdout' }),
    ),
  handler: async (raw) => {
    const argv = raw as ServeArgs;
    if (!Number.isInteger(argv.port) || argv.port < 0 || argv.port > 65535) throw new CliError(`--port must be 0..65535, got ${argv.port}`, EXIT.USAGE);
    const config = configFromArgv(argv);
    const log = loggerFromArgv(argv, 'info');
    const machine = Machine.fromFile(argv.guest, { config, logger: log });
    if (argv.serial) machine.onSerial((text) => void process.stdout.write(text));
    const vmm = new Vmm(machine, config, log);
    const server = await startGdbServer({ target: vmm, host: argv.host, port: argv.port, logger: log });
    process.stderr.write(
      `dbstub: gdb server on ${server.host}:${server.port}, guest ${argv.run ? 'running' : 'halted at its entry'}\n` +
        `dbstub: connect with: gdb -ex 'target remote ${server.host}:${server.port}' ${resolve(argv.guest)}\n`,
    );
    if (argv.run) vmm.resume({ kind: 'continue' }, (ev) => process.stderr.write(`dbstub: ${describeStop(ev)}\n`));
    await new Promise<void>((done) => {
      const stop = () => {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        done();
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });
    if (vmm.running) vmm.interrupt();
    await server.close();
    process.stderr.write('dbstub: server closed\n');
  },
};
