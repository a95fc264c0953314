// `dbstub serve GUEST [--port 1234] [--host 127.0.0.1] [--run]`: load a guest and serve the gdb remote
// protocol on TCP. Like `qemu -s -S`, the guest waits at its entry point until gdb continues it; with --run it
// starts at once and is paused when gdb attaches (QEMU also stops the VM when a debugger connects).
// Owned by the gdbstub helper; registered in index.ts by the integrator.

import type { Argv } from 'yargs';
import { Machine } from '../../machine/index.js';
import { Vmm } from '../../vmm/index.js';
import { startGdbServer, type EarlyListener, type GdbServer, type StopEvent } from '../../gdbstub/index.js';
import type { MachineConfig } from '../../config/config.js';
import type { Logger } from '../../log.js';
import { batchedSerial } from '../serial-out.js';
import { COMMON_EXIT_HELP, configFromArgv, withMachineOptions } from '../options.js';
import { loggerFromArgv } from '../log-args.js';
import type { CliCommand } from './index.js';
import { KERNEL_FLAG_HELP } from '../kernel-flag.js';
import { checkServeAddress, listenError, serveBanner, type HeldSignals, type OpenedPort } from '../listen.js';

export interface ServeArgs {
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
  /** The port, opened already (listen.ts): `host` must be its address; `port` is ignored. */
  listener?: EarlyListener;
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
    server = await startGdbServer({ target: vmm, host: o.host, port: o.port, logger: o.logger, listener: o.listener });
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
  handler: (raw) => serve(raw as ServeArgs),
};

/** The serve command. Given `early` (main.ts's fast path: the port open, the banner printed, the config checked
 *  before either), it builds the machine and hands it the port; otherwise it checks, builds, listens, prints. */
export async function serve(argv: ServeArgs, early?: { port: OpenedPort; config: MachineConfig; signals: HeldSignals }): Promise<void> {
  if (!early) checkServeAddress(argv.port, argv.host);
  const config = early?.config ?? configFromArgv(argv);
  const log = loggerFromArgv(argv, 'info');
  const serial = batchedSerial((t) => void process.stdout.write(t));
  const served = await startServe({ guest: argv.guest, port: argv.port, host: argv.host, run: argv.run, detachPaused: argv.detachPaused, config, logger: log, onSerial: argv.serial ? serial : undefined, onStop: (ev) => process.stderr.write(`dbstub: ${describeStop(ev)}\n`), listener: early?.port });
  const { server } = served;
  // The handlers are in place before the banner is out: a script may send a signal the moment it reads it.
  const stopped = new Promise<void>((done) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      done();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    // A signal while the machine loaded (after the early banner) closes the server now.
    early?.signals.release();
    if (early?.signals.signalled) stop();
  });
  if (!early) process.stderr.write(serveBanner(server.host, server.port, argv.guest, argv.run));
  await stopped;
  await served.stop();
  serial.flush();
  process.stderr.write('dbstub: server closed\n');
}
