// Options shared by every command that builds a machine: one flag per MachineConfig key, generated from
// CONFIG_SCHEMA so a new switch appears on the CLI without touching this file, plus --config FILE and
// the logging flags.

import { closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import type { Argv, Options } from 'yargs';
import { CONFIG_SCHEMA, ConfigError, DEFAULT_CONFIG, parseConfig, type MachineConfig } from '../config/config.js';
import { InputFileError, readInputFile } from '../loader/guest-file.js';
import { LOG_FORMATS, LOG_LEVELS, type LogLevel } from '../log-levels.js';
import { CliError, EXIT } from './exit-codes.js';

/** The yaml package (~30 modules) is loaded only for a .yaml/.yml config: most runs have none, and every
 *  `dbstub serve` start-up would pay for it (issue 17: spawn -> gdb prompt). */
function parseYaml(text: string): unknown {
  const doc = (createRequire(import.meta.url)('yaml') as typeof import('yaml')).parseDocument(text);
  // yaml's parse() would print a warning (an unknown tag such as !!js/function, read as a plain string) as a Node
  // process warning on the terminal and go on; a config file with one is as wrong as one with an error.
  const problem = doc.errors[0] ?? doc.warnings[0];
  if (problem !== undefined) throw problem;
  return doc.toJS();
}

/** A config file is a few dozen keys; anything this large is not one. */
const CONFIG_FILE_MAX_BYTES = 1 << 20;

export const CONFIG_GROUP = 'Machine configuration (also keys of --config FILE):';
export const LOG_GROUP = 'Logging:';

/** yargs option definitions for every MachineConfig key. No yargs defaults: an absent flag must not
 *  override a value from --config; the default is shown in the description instead. */
export function configOptions(): Record<string, Options> {
  const out: Record<string, Options> = {};
  for (const [key, k] of Object.entries(CONFIG_SCHEMA)) {
    const def = (DEFAULT_CONFIG as unknown as Record<string, unknown>)[key];
    const desc = `${k.doc} [default: ${String(def)}]`;
    if (k.type === 'enum') out[k.flag] = { type: 'string', choices: [...k.values], describe: desc, group: CONFIG_GROUP };
    else if (k.type === 'bool') out[k.flag] = { type: 'boolean', describe: desc, group: CONFIG_GROUP };
    else if (k.type === 'string') out[k.flag] = { type: 'string', describe: `${k.doc} [default: ${def === '' ? 'none' : JSON.stringify(def)}]`, group: CONFIG_GROUP, requiresArg: true };
    else out[k.flag] = { type: 'string', describe: `${desc} (${k.min}..${k.max}, decimal or 0x hex)`, group: CONFIG_GROUP, requiresArg: true };
  }
  out.config = { type: 'string', describe: 'JSON or YAML (.yaml/.yml) file of config keys (camelCase or flag names); flags override it [default: none]', group: CONFIG_GROUP, requiresArg: true };
  return out;
}

export function logOptions(defaultLevel: LogLevel = 'warn'): Record<string, Options> {
  return {
    'log-level': { type: 'string', choices: [...LOG_LEVELS], describe: `log level [default: ${defaultLevel}]`, group: LOG_GROUP },
    'log-file': { type: 'string', describe: 'write the log to this file instead of stderr (JSON unless --log-format pretty) [default: stderr]', group: LOG_GROUP, requiresArg: true },
    'log-format': { type: 'string', choices: [...LOG_FORMATS], describe: 'pretty: human-readable lines; json: one JSON object per line [default: pretty when stderr is a TTY and there is no --log-file, else json]', group: LOG_GROUP },
    // Kept for scripts written against v1: the same as --log-format pretty.
    'log-pretty': { type: 'boolean', hidden: true, group: LOG_GROUP },
  };
}

/** `defaultLevel` must match what the command passes to loggerFromArgv (shown in --help). */
export function withMachineOptions<T>(y: Argv<T>, defaultLevel: LogLevel = 'warn'): Argv<T> {
  return y.options(configOptions()).options(logOptions(defaultLevel)) as unknown as Argv<T>;
}

/** Exit statuses every machine-building command shares (README "Exit codes"). */
export const COMMON_EXIT_HELP = `${EXIT.USAGE} bad command line or invalid configuration; ${EXIT.BAD_ELF} not a loadable ELF64 x86-64 executable or Multiboot kernel (bad checksum, ELF64 without the a.out kludge, bad addresses, outside RAM...); ${EXIT.NO_INPUT} a file (guest, --initrd module, --config) cannot be read; ${EXIT.INTERNAL} internal error.`;

/** Config from --config FILE, then each flag given on the command line. */
export function configFromArgv(argv: Record<string, unknown>): MachineConfig {
  let base: MachineConfig = { ...DEFAULT_CONFIG };
  const file = argv.config as string | undefined;
  if (file) {
    let text: string;
    try {
      // A regular file of at most 1 MiB: a FIFO or a device as --config must not block or grow forever (issue 18 item 8).
      text = readInputFile(file, '--config file', CONFIG_FILE_MAX_BYTES, 'a config file may hold').toString('utf8');
    } catch (e) {
      if (e instanceof InputFileError) throw new CliError(e.message, e.exitCode);
      throw new CliError(`cannot read config file ${file}: ${(e as Error).message}`, EXIT.NO_INPUT);
    }
    // docs/architecture.md: the config comes from a JSON or YAML file; .yaml/.yml go through the yaml package, the rest is JSON.
    const isYaml = /\.ya?ml$/i.test(file);
    const format = isYaml ? 'YAML' : 'JSON';
    let obj: unknown;
    try {
      obj = isYaml ? parseYaml(text) : JSON.parse(text);
    } catch (e) {
      throw new CliError(`config file ${file} is not valid ${format}: ${(e as Error).message}`, EXIT.USAGE);
    }
    if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) throw new CliError(`config file ${file} must hold a ${format} object`, EXIT.USAGE);
    try {
      base = parseConfig(obj as Record<string, unknown>);
    } catch (e) {
      if (e instanceof ConfigError) throw new CliError(`config file ${file}: ${e.message}`, EXIT.USAGE);
      throw e;
    }
  }
  const flags: Record<string, unknown> = {};
  for (const k of Object.values(CONFIG_SCHEMA)) if (argv[k.flag] !== undefined) flags[k.flag] = argv[k.flag];
  return parseConfig(flags, base);
}

/** A --log-file that cannot be written is a usage error, reported before anything runs (pino's file stream
 *  would otherwise drop every line without a word). Creates the file, and its directory, as pino would. */
export function checkLogFile(argv: Record<string, unknown>): void {
  const file = argv['log-file'];
  if (typeof file !== 'string' || file === '') return;
  try {
    // Missing directories one at a time: Node 20's recursive mkdirSync never returns for a path under /proc.
    const missing: string[] = [];
    for (let d = dirname(file); !existsSync(d) && dirname(d) !== d; d = dirname(d)) missing.unshift(d);
    for (const d of missing) mkdirSync(d);
    closeSync(openSync(file, 'a'));
  } catch (e) {
    throw new CliError(`cannot write --log-file ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, EXIT.USAGE);
  }
}
