// dbstub command-line entry: bin/dbstub.js imports the compiled dist/cli/main.js and calls main(argv),
// which resolves to the process exit status (importing this module has no side effects).
// Commands live in src/cli/commands/ (see index.ts); this file only wires yargs and maps errors to
// the exit statuses of exit-codes.ts.

import { statSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { CONFIG_SCHEMA, ConfigError, type MachineConfig } from '../config/config.js';
import { ElfError, InputFileError, LinuxBootError, MultibootError } from '../loader/errors.js';
import type { ServeArgs } from './commands/serve.js';
import { CliError, EXIT } from './exit-codes.js';
import { kernelAsPositional } from './kernel-flag.js';
import { fastArgv } from './fast-argv.js';
import { checkServeAddress, holdStopSignals, openEarlyListener, serveBanner, type HeldSignals, type OpenedPort } from './listen.js';
import { checkLogFile, configFromArgv } from './options.js';

export type { CliCommand } from './commands/index.js';
export { EXIT, CliError } from './exit-codes.js';

/** open(2) failures that mean "this path names no file we can read" (the user's input, exit 66), not a bug:
 *  a symlink loop, a path through a regular file, a name too long, ... */
const FILE_ACCESS_ERRORS = new Set(['ENOENT', 'EACCES', 'EISDIR', 'ELOOP', 'ENOTDIR', 'ENAMETOOLONG', 'EPERM']);

/** Map any error thrown by a command to [message, exit status]. */
export function classifyError(err: unknown): [string, number] {
  if (err instanceof CliError) return [err.message, err.exitCode];
  if (err instanceof ConfigError) return [err.message, EXIT.USAGE];
  if (err instanceof ElfError) return [`bad ELF: ${err.message}`, EXIT.BAD_ELF];
  if (err instanceof MultibootError) return [`bad Multiboot kernel: ${err.message}`, EXIT.BAD_ELF];
  if (err instanceof LinuxBootError) return [`cannot boot this Linux kernel: ${err.message}`, EXIT.BAD_ELF];
  if (err instanceof InputFileError) return [err.message, err.exitCode];
  // yargs' own parse errors are usage errors, whatever path they take out of it.
  if (err instanceof Error && err.name === 'YError') return [err.message, EXIT.USAGE];
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code !== undefined && FILE_ACCESS_ERRORS.has(code)) {
    return [`cannot read ${(err as NodeJS.ErrnoException).path ?? 'file'}: ${code === 'ENOENT' ? 'no such file' : code}`, EXIT.NO_INPUT];
  }
  // A message, never a stack trace (the brief's rule for internal errors); DBSTUB_DEBUG=1 shows the stack.
  const detail = process.env.DBSTUB_DEBUG ? ((err as Error)?.stack ?? String(err)) : err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  return [`internal error (a dbstub bug; DBSTUB_DEBUG=1 shows where): ${detail}`, EXIT.INTERNAL];
}

/** Flags that take a value. A value that starts with '-' (`--append "-foo"`, issue 15) would be parsed by
 *  yargs as more flags; such a value is joined to its flag (`--append=-foo`) unless it is itself one of our
 *  flags, so a forgotten value still gets yargs' "Not enough arguments" message. */
export const VALUE_FLAGS = new Set([
  ...Object.values(CONFIG_SCHEMA).filter((k) => k.type !== 'bool').map((k) => k.flag),
  'config', 'log-file', 'log-level', 'log-format', 'host', 'port', 'gdb', 'max-insns', 'success-code', 'kernel',
]);
const KNOWN_FLAGS = new Set([...VALUE_FLAGS, ...Object.values(CONFIG_SCHEMA).map((k) => k.flag), 'help', 'version', 'run', 'serial', 'progress', 'log-pretty', 'detach-paused']);

export function joinDashValues(args: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--') {
      // POSIX: what follows `--` is operands only. yargs fills no command positional from there, so an operand is
      // passed on as one (a guest file named "-x.elf" as "./-x.elf", the same file; no flag starts with '.').
      for (const rest of args.slice(i + 1)) out.push(rest.startsWith('-') ? `./${rest}` : rest);
      break;
    }
    const next = args[i + 1];
    const m = /^--([a-z0-9-]+)$/.exec(a);
    if (m && VALUE_FLAGS.has(m[1]!) && next !== undefined && next.startsWith('-') && next !== '-') {
      const named = /^--?(?:no-)?([a-zA-Z0-9-]+)(=.*)?$/.exec(next);
      if (!(named && (KNOWN_FLAGS.has(named[1]!) || next === '-h'))) {
        out.push(`${a}=${next}`);
        i++;
        continue;
      }
    }
    out.push(a);
  }
  return out;
}

/** The exit status for an error a command threw, its message on stderr. */
function reportError(thrown: unknown): number {
  const [msg, status] = classifyError(thrown);
  process.stderr.write(`dbstub: ${msg}\n`);
  return status;
}

export async function main(args: string[] = process.argv.slice(2)): Promise<number> {
  let joined: string[];
  try {
    joined = kernelAsPositional(joinDashValues(args), VALUE_FLAGS);
  } catch (e) {
    return reportError(e);
  }
  // `serve` and `run` with a plain command line skip yargs (fast-argv.ts: start-up time); anything else goes
  // through it. The commands' modules (the machine and everything under it) load only once a command runs.
  const fast = fastArgv(joined);
  if (fast !== undefined) {
    try {
      if (fast.command === 'serve') await serveEarly(fast.argv as ServeArgs);
      else await (await import('./commands/run.js')).runCommand.handler(fast.argv);
    } catch (e) {
      return reportError(e);
    }
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  }
  return mainYargs(joined);
}

/** `dbstub serve` with its port open before the machine's modules load (listen.ts says why): the command line
 *  and the config are checked first, so their errors come as before, with no banner; so is the guest file's
 *  existence (a guest that is not a regular file takes the ordinary path, which reports it). A guest
 *  that fails to load is reported after the banner, and the port closes. */
async function serveEarly(argv: ServeArgs): Promise<void> {
  checkServeAddress(argv.port, argv.host);
  const config = configFromArgv(argv);
  checkLogFile(argv);
  let early: { port: OpenedPort; config: MachineConfig; signals: HeldSignals } | undefined;
  if (isRegularFile(argv.guest)) {
    const port = await openEarlyListener(argv.host, argv.port);
    // Signals are held before the banner is out: a script may send one the moment it reads the banner.
    early = { port, config, signals: holdStopSignals() };
    process.stderr.write(serveBanner(argv.host, (port.server.address() as AddressInfo).port, argv.guest, argv.run));
  }
  try {
    const { serve } = await import('./commands/serve.js');
    await serve(argv, early);
  } catch (e) {
    // The banner promised a server that will not come: close the port and the connections it holds, or they
    // would keep the process (and a gdb waiting on them) alive.
    early?.port.abandon();
    early?.signals.release();
    throw e;
  }
}

function isRegularFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

async function mainYargs(joined: string[]): Promise<number> {
  // Loaded here, not at the top: a fast-path `serve` never pays for yargs or the other commands' modules.
  const [{ default: yargs }, { COMMANDS }] = await Promise.all([import('yargs'), import('./commands/index.js')]);
  let usageError: string | undefined;
  let thrown: unknown;
  const cli = yargs(joined)
    .scriptName('dbstub')
    // An option given twice takes its last value (getopt's rule, and what a script that appends an override to a
    // shared command line means); yargs' default makes it an array, which every scalar option then rejected with
    // a confusing message, and --log-level turned into an internal error.
    .parserConfiguration({ 'duplicate-arguments-array': false })
    .usage('$0 <command> [options]\n\ngdb RSP stub in front of a simulated x86-64 machine')
    .strict()
    .demandCommand(1, 'name a command (see the list above)')
    .recommendCommands()
    .exitProcess(false)
    .help()
    .alias('h', 'help')
    .version()
    .wrap(Math.min(120, process.stdout.columns || 100))
    .epilog(
      `Exit codes: guest isa-debug-exit status (value<<1|1); ${EXIT.USAGE} usage/config; ${EXIT.BAD_ELF} bad ELF or Multiboot kernel; ${EXIT.NO_INPUT} file not found; ` +
        `${EXIT.INTERNAL} internal error; ${EXIT.TRIPLE_FAULT} triple fault; ${EXIT.BUDGET} --max-insns exhausted; ${EXIT.HLT_FOREVER} HLT forever; ${EXIT.UNSUPPORTED_MODE} unsupported CPU mode (real/virtual-8086); ${EXIT.INTERRUPTED} SIGINT.`,
    )
    .fail((msg, err) => {
      // yargs' own errors (YError: "Not enough arguments following: ...") are usage errors like msg ones.
      if (err && err.name !== 'YError') thrown = err;
      else usageError = msg ?? err?.message ?? 'bad usage';
    });
  for (const c of COMMANDS) {
    cli.command(c.command, c.describe, c.builder, async (argv) => {
      await c.handler(argv as Record<string, unknown>);
    });
  }
  try {
    await cli.parseAsync();
  } catch (e) {
    thrown = e;
  }
  if (usageError !== undefined) {
    process.stderr.write(`${await cli.getHelp()}\n\ndbstub: ${usageError}\n`);
    return EXIT.USAGE;
  }
  if (thrown !== undefined) return reportError(thrown);
  return typeof process.exitCode === 'number' ? process.exitCode : 0;
}
