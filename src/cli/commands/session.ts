// `dbstub session GUEST SCRIPT.gdb`: one scripted debugging session. Starts the gdb server on a free local
// port, runs `gdb -nx -batch` with the connection commands (file GUEST, target remote) followed by -x SCRIPT,
// passes gdb's output through, and exits with gdb's exit status. Owned by the gdbstub helper.

import type { Argv } from 'yargs';
import { spawn } from 'node:child_process';
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { Machine } from '../../machine/index.js';
import { Vmm } from '../../vmm/index.js';
import { startGdbServer } from '../../gdbstub/index.js';
import { CliError, EXIT } from '../exit-codes.js';
import { batchedSerial } from '../serial-out.js';
import { COMMON_EXIT_HELP, configFromArgv, withMachineOptions } from '../options.js';
import { loggerFromArgv } from '../log-args.js';
import type { CliCommand } from './index.js';
import { KERNEL_FLAG_HELP } from '../kernel-flag.js';

interface SessionArgs {
  guest: string;
  script: string;
  gdb: string;
  serial: boolean;
  [k: string]: unknown;
}

/** The commands that connect gdb to our server before the user's script runs. */
export function sessionPrelude(guest: string, host: string, port: number): string[] {
  return ['set pagination off', 'set confirm off', 'set width 0', 'set architecture i386:x86-64', `file ${resolve(guest)}`, `target remote ${host}:${port}`];
}

export const sessionCommand: CliCommand = {
  command: 'session <guest> <script>',
  describe: 'run a gdb command script against a guest (gdb -batch, connected for you) and exit with gdb’s status',
  builder: (y: Argv) =>
    withMachineOptions(
      y
        .positional('guest', { type: 'string', describe: 'guest: an ELF64 executable (linked at 1 MiB, see docs/boot.md) or a Multiboot kernel as for qemu-system-x86_64 -kernel (ELF32, or any file with the a.out kludge)', demandOption: true })
        .positional('script', { type: 'string', describe: 'gdb command file (see examples/gdb/*.gdb)', demandOption: true })
        .option('gdb', { type: 'string', default: 'gdb', describe: 'gdb binary to run', requiresArg: true })
        .option('kernel', { type: 'string', describe: KERNEL_FLAG_HELP, requiresArg: true })
        .option('serial', { type: 'boolean', default: false, describe: 'echo guest serial output (COM1) to stderr' })
        .epilog(`Exit status: gdb's exit status (0 when the script ran to its end); ${EXIT.NO_INPUT} also when the script or the gdb binary cannot be found; ${COMMON_EXIT_HELP}`),
    ),
  handler: async (raw) => {
    const argv = raw as SessionArgs;
    checkScript(argv.script);
    const config = configFromArgv(argv);
    const log = loggerFromArgv(argv);
    const machine = Machine.fromFile(argv.guest, { config, logger: log });
    const serial = batchedSerial((text) => void process.stderr.write(text));
    if (argv.serial) machine.onSerial(serial);
    const vmm = new Vmm(machine, config, log);
    const server = await startGdbServer({ target: vmm, host: '127.0.0.1', port: 0, logger: log });
    const args = ['-nx', '-batch', ...sessionPrelude(argv.guest, server.host, server.port).flatMap((c) => ['-ex', c]), '-x', resolve(argv.script)];
    try {
      const status = await new Promise<number>((done, fail) => {
        // Piped and forwarded (not inherited) so an in-process caller of main() that replaces
        // process.stdout/stderr.write (the example tests) sees gdb's output too.
        const child = spawn(argv.gdb, args, { stdio: ['ignore', 'pipe', 'pipe'] });
        child.stdout.on('data', (d: Buffer) => void process.stdout.write(d));
        child.stderr.on('data', (d: Buffer) => void process.stderr.write(d));
        child.on('error', (e) => fail(new CliError(`cannot run ${argv.gdb}: ${e.message}`, EXIT.NO_INPUT)));
        child.on('close', (code, signal) => done(code ?? (signal ? 128 + 2 : EXIT.INTERNAL)));
      });
      process.exitCode = status;
    } finally {
      if (vmm.running) vmm.interrupt();
      await server.close();
      serial.flush();
    }
  },
};

/** The gdb script must be a file gdb can read, checked before the machine starts: statSync's errno errors (a
 *  missing file, a symlink loop, ...) reach main.ts's classifyError, which words them as for a guest. */
function checkScript(path: string): void {
  if (!statSync(path).isFile()) throw new CliError(`cannot read ${path}: not a regular file`, EXIT.NO_INPUT);
}
