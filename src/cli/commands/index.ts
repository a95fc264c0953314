// Command registry. To add a command (serve, session, ...): create src/cli/commands/<name>.ts exporting a
// CliCommand and append it to COMMANDS. Handlers report failure by throwing CliError (with its exit
// status) or by setting process.exitCode; main.ts maps ConfigError/ElfError/ENOENT to statuses.

import type { Argv } from 'yargs';
import { runCommand } from './run.js';
import { seedCommand } from './seed.js';
import { serveCommand } from './serve.js';
import { sessionCommand } from './session.js';

export interface CliCommand {
  /** yargs command string, e.g. 'run <guest>'. */
  command: string;
  describe: string;
  builder: (y: Argv) => Argv;
  handler: (argv: Record<string, unknown>) => Promise<void> | void;
}

export const COMMANDS: CliCommand[] = [runCommand, serveCommand, sessionCommand, seedCommand];
