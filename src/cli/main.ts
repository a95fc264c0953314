// dbstub command-line entry: bin/dbstub.js imports the compiled dist/cli/main.js and calls main(argv),
// which resolves to the process exit status (importing this module has no side effects).
// Commands live in src/cli/commands/ (see index.ts); this file only wires yargs and maps errors to
// the exit statuses of exit-codes.ts.

import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { ConfigError } from '../config/config.js';
import { ElfError } from '../loader/elf.js';
import { MultibootError } from '../loader/multiboot.js';
import { COMMANDS } from './commands/index.js';
import { CliError, EXIT } from './exit-codes.js';

export { COMMANDS, type CliCommand } from './commands/index.js';
export { EXIT, CliError } from './exit-codes.js';

/** Map any error thrown by a command to [message, exit status]. */
export function classifyError(err: unknown): [string, number] {
  if (err instanceof CliError) return [err.message, err.exitCode];
  if (err instanceof ConfigError) return [err.message, EXIT.USAGE];
  if (err instanceof ElfError) return [`bad ELF: ${err.message}`, EXIT.BAD_ELF];
  if (err instanceof MultibootError) return [`bad Multiboot kernel: ${err.message}`, EXIT.BAD_ELF];
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT' || code === 'EACCES' || code === 'EISDIR') {
    return [`cannot read ${(err as NodeJS.ErrnoException).path ?? 'file'}: ${code === 'ENOENT' ? 'no such file' : code}`, EXIT.NO_INPUT];
  }
  return [`internal error: ${(err as Error)?.stack ?? String(err)}`, EXIT.INTERNAL];
}

export async function main(args: string[] = hideBin(process.argv)): Promise<number> {
  let usageError: string | undefined;
  let thrown: unknown;
  const cli = yargs(args)
    .scriptName('dbstub')
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
      if (err) thrown = err;
      else usageError = msg ?? 'bad usage';
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
  if (thrown !== undefined) {
    const [msg, status] = classifyError(thrown);
    process.stderr.write(`dbstub: ${msg}\n`);
    return status;
  }
  return typeof process.exitCode === 'number' ? process.exitCode : 0;
}
