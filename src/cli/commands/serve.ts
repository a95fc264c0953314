// `dbstub serve GUEST [--port 1234] [--host 127.0.0.1] [--run]`: load a guest and serve the gdb remote
// protocol on TCP. Like `qemu -s -S`, the guest waits at its entry point until gdb continues it; with --run it
// starts at once and is paused when gdb attaches (QEMU also stops the VM when a debugger connects).
// Owned by the gdbstub helper; registered in index.ts by the integrator.

import type { Argv } from 'yargs';
import { isIP } from 'node:net';
import { resolve } from 'node:path';
import { Machine } from '../../machine/index.js';
import { Vmm } from '../../vmm/index.js';
import { startGdbServer, type GdbServer, type StopEvent } from '../../gdbstub/index.js';
import type { MachineConfig } from '../../config/config.js';
import type { Logger } from '../../log.js';
import { CliError, EXIT } from '../exit-codes.js';
import { batchedSerial } from '../serial-out.js';
import { COMMON_EXIT_HELP, configFromArgv, loggerFromArgv, withMachineOptions } from '../options.js';
import type { CliCommand } from './index.js';
import { KERNEL_FLAG_HELP } from '../kernel-flag.js';

interface ServeArgs {
  guest: string;
  port: number;
  host: string;
  run: boolean;
  serial: boolean;
  detachPaused: boolean;
  [k: string]: unknown;
}

export function describeStop(ev: StopEvent): string {
  if (ev.kind === 'exited') return `guest exited with code ${ev.code}`;
  return `guest stopped with signal ${ev.signal}${ev.detail ? `: ${ev.detail}` : ''}`;
}

export interface ServeOptions {
  guest: string;
  port: number;
  host: string;
  /** Start the guest before any debugger attaches (it is paused when one does). */
  run: boolean;
  config: MachineConfig;
  logger: Logger;
  onSerial?: (text: string) => void;
  /** Stops of the --run execution, or after a gdb `detach`, that happen with no debugger attached. */
  onStop?: (ev: StopEvent) => void;
  /** A gdb `detach` leaves the guest paused instead of letting it run on (QEMU's and gdbserver's behaviour). */
  detachPaused?: boolean;
}

/** The machine, its VMM and the gdb server, as `dbstub serve` runs them (exported for tests and embedding). */
export async function startServe(o: ServeOptions): Promise<{ machine: Machine; vmm: Vmm; server: GdbServer; stop(): Promise<void> }> {
  // Serial lines echoed to stdout are logged at debug only: at info they would show twice on a terminal.
  const machine = Machine.fromFile(o.guest, { config: o.config, logger: o.logger, serialLogLevel: o.onSerial ? 'debug' : 'info' });
  if (o.onSerial) machine.onSerial(o.onSerial);
  const vmm = new Vmm(machine, o.config, o.logger);
  vmm.pauseOnDetach = o.detachPaused ?? false;
  vmm.onUnattendedStop = o.onStop;
  let server: GdbServer;
  try {
    server = await startGdbServer({ target: vmm, host: o.host, port: o.port, logger: o.logger });
  } catch (e) {
    throw listenError(e, o.host, o.port);
  }
  if (o.run) vmm.resume({ kind: 'continue' }, (ev) => o.onStop?.(ev));
  return {
    machine,
    vmm,
    server,
    stop: async () => {
      if (vmm.running) vmm.interrupt();
      await server.close();
    },
  };
}

/** A listen failure as the user error it is: what went wrong and how to fix it (issue 18 item 10). */
export function listenError(e: unknown, host: string, port: number): Error {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'EADDRINUSE':
      return new CliError(`port ${port} on ${host} is in use (another dbstub, gdbserver or QEMU -s?); choose another with --port N, or --port 0 for a free one`, EXIT.UNAVAILABLE);
    case 'EADDRNOTAVAIL':
      return new CliError(`--host ${host} is not an address of this machine; use 127.0.0.1 (the default) or one of its interfaces' addresses`, EXIT.USAGE);
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EAI_FAIL':
    case 'EAI_NONAME':
      return new CliError(`--host ${host}: no such host name (cannot resolve it); give an address such as 127.0.0.1`, EXIT.USAGE);
    case 'EACCES':
    case 'EPERM':
      return new CliError(`not allowed to listen on port ${port} (ports below 1024 need privileges); use --port 1234, or --port 0 for a free one`, EXIT.USAGE);
    default:
      return e instanceof Error ? e : new Error(String(e));
  }
}

/** True for an address that only this machine can reach. */
export function isLoopback(address: string): boolean {
  if (address === 'localhost' || address === '::1' || address === '::ffff:127.0.0.1') return true;
  return isIP(address) === 4 && address.startsWith('127.');
}

/** What to type after `target remote` for a server bound to `address`:`port` (a wildcard address is reached
 *  through loopback; an IPv6 literal needs brackets in gdb's HOST:PORT syntax). */
export function connectHint(address: string, port: number): string {
  if (address === '0.0.0.0') return `127.0.0.1:${port}`;
  if (address === '::') return `[::1]:${port}`;
  return isIP(address) === 6 ? `[${address}]:${port}` : `${address}:${port}`;
}

export const serveCommand: CliCommand = {
  command: 'serve <guest>',
  describe: 'load a guest and wait for gdb (target remote HOST:PORT); the guest waits at its entry until gdb continues',
  builder: (y: Argv) =>
    withMachineOptions(
      y
        .positional('guest', { type: 'string', describe: 'guest: an ELF64 executable (linked at 1 MiB, see docs/boot.md) or a Multiboot kernel as for qemu-system-x86_64 -kernel (ELF32, or any file with the a.out kludge)', demandOption: true })
        .option('port', { type: 'number', default: 1234, describe: 'TCP port (0 picks a free one)', requiresArg: true })
        .option('host', { type: 'string', default: '127.0.0.1', describe: 'address to listen on (the protocol has no authentication: keep it local)', requiresArg: true })
        .option('kernel', { type: 'string', describe: KERNEL_FLAG_HELP, requiresArg: true })
        .option('run', { type: 'boolean', default: false, describe: 'start the guest now instead of waiting for gdb to continue it' })
        .option('detach-paused', { type: 'boolean', default: false, describe: 'a gdb detach leaves the guest paused (default: it runs on, as under QEMU and gdbserver)' })
        .option('serial', { type: 'boolean', default: true, describe: 'echo guest serial output (COM1) to stdout' })
        .epilog(`Exit status: 0 after Ctrl-C or SIGTERM closed the server; ${COMMON_EXIT_HELP}`),
      'info',
    ),
  handler: async (raw) => {
    const argv = raw as ServeArgs;
    if (!Number.isInteger(argv.port) || argv.port < 0 || argv.port > 65535) throw new CliError(`--port must be 0..65535, got ${argv.port}`, EXIT.USAGE);
    // An empty --host (an unset shell variable: --host "$HOST") would make Node listen on every interface.
    if (argv.host.trim() === '') throw new CliError('--host is empty (an unset shell variable?); give an address to listen on, e.g. --host 127.0.0.1 (the default)', EXIT.USAGE);
    const config = configFromArgv(argv);
    const log = loggerFromArgv(argv, 'info');
    const serial = batchedSerial((t) => void process.stdout.write(t));
    const served = await startServe({ guest: argv.guest, port: argv.port, host: argv.host, run: argv.run, detachPaused: argv.detachPaused, config, logger: log, onSerial: argv.serial ? serial : undefined, onStop: (ev) => process.stderr.write(`dbstub: ${describeStop(ev)}\n`) });
    const { server } = served;
    if (!isLoopback(server.host)) {
      const where = server.host === '0.0.0.0' || server.host === '::' ? 'every network interface' : server.host;
      process.stderr.write(
        `dbstub: WARNING: listening on ${where}: the gdb protocol has no authentication, so anyone who can reach this port can read and write guest memory and run the guest; use --host 127.0.0.1 unless you mean it\n`,
      );
    }
    process.stderr.write(
      `dbstub: gdb server on ${server.host}:${server.port}, guest ${argv.run ? 'running' : 'halted at its entry'}\n` +
        `dbstub: connect with: gdb -ex 'target remote ${connectHint(server.host, server.port)}' ${resolve(argv.guest)}\n`,
    );
    await new Promise<void>((done) => {
      const stop = () => {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        done();
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });
    await served.stop();
    serial.flush();
    process.stderr.write('dbstub: server closed\n');
  },
};
