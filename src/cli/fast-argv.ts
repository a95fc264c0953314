// `dbstub serve` and `dbstub run` without yargs, for the command lines users, IDEs and scripts launch them with
// (issue 17: spawn -> gdb prompt; a script running many guests). Loading yargs costs ~70 ms of module loading (more
// on a cold disk cache), and yargs renders the command's whole help text (~40-110 ms: every machine flag, wrapped)
// right after the handler starts (yargs command.js caches it for a later showHelp()): before serve listens, and in
// every `run`.
//
// The rule: this parser accepts only what it understands exactly as yargs would, and returns undefined for
// anything else (help, version, unknown or repeated flags, short flags, `--`, a boolean followed by
// true/false, a value outside its choices, a missing value, a number yargs would read differently...), so main.ts
// hands that line to yargs, whose messages and exit statuses stay the one source of truth for bad usage.
// test/cli/fast-argv.test.ts checks that both parsers give the handler the same argv for the lines this one takes.

import { CONFIG_SCHEMA } from '../config/config.js';
import { LOG_FORMATS, LOG_LEVELS } from '../log-levels.js';

type Opt = { kind: 'bool' } | { kind: 'string'; choices?: readonly string[] } | { kind: 'port' } | { kind: 'number' };
type Command = 'serve' | 'run';

interface CommandSpec {
  /** The command's own flags (serve.ts / run.ts builders). */
  own: [string, Opt][];
  /** yargs' defaults for them. */
  defaults: Record<string, unknown>;
}

const SPECS: Record<Command, CommandSpec> = {
  serve: {
    own: [['port', { kind: 'port' }], ['host', { kind: 'string' }], ['run', { kind: 'bool' }], ['detach-paused', { kind: 'bool' }], ['serial', { kind: 'bool' }]],
    defaults: { port: 1234, host: '127.0.0.1', run: false, 'detach-paused': false, serial: true },
  },
  run: {
    // --kernel never reaches here: main.ts turns it into the positional first (kernel-flag.ts).
    own: [['max-insns', { kind: 'number' }], ['success-code', { kind: 'number' }], ['serial', { kind: 'bool' }], ['progress', { kind: 'bool' }]],
    defaults: { serial: true },
  },
};

/** The command's flags, the logging flags and one per MachineConfig key (options.ts builds the same for yargs). */
function optionsOf(cmd: Command): Map<string, Opt> {
  const m = new Map<string, Opt>([
    ...SPECS[cmd].own,
    ['config', { kind: 'string' }],
    ['log-level', { kind: 'string', choices: LOG_LEVELS }],
    ['log-file', { kind: 'string' }],
    ['log-format', { kind: 'string', choices: LOG_FORMATS }],
    ['log-pretty', { kind: 'bool' }],
  ]);
  for (const k of Object.values(CONFIG_SCHEMA)) m.set(k.flag, k.type === 'bool' ? { kind: 'bool' } : k.type === 'enum' ? { kind: 'string', choices: k.values } : { kind: 'string' });
  return m;
}

/** yargs sets each dashed key's camelCase twin too; the handlers read some of them (detachPaused). */
const camel = (k: string): string => k.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

/** The command and the argv yargs would hand its handler for `args` (after main.ts's joinDashValues), or
 *  undefined when yargs must parse the line itself. */
export function fastArgv(args: readonly string[]): { command: Command; argv: Record<string, unknown> } | undefined {
  const command = args[0];
  if (command !== 'serve' && command !== 'run') return undefined;
  const opts = optionsOf(command);
  const argv: Record<string, unknown> = { ...SPECS[command].defaults };
  const seen = new Set<string>();
  let guest: string | undefined;
  for (let i = 1; i < args.length; i++) {
    const a = args[i]!;
    if (!a.startsWith('--')) {
      if (a.startsWith('-') || guest !== undefined) return undefined; // short flags, a second positional
      guest = a;
      continue;
    }
    const eq = a.indexOf('=');
    let name = eq < 0 ? a.slice(2) : a.slice(2, eq);
    let value: string | boolean | undefined = eq < 0 ? undefined : a.slice(eq + 1);
    let opt = opts.get(name);
    if (opt === undefined && name.startsWith('no-') && value === undefined) {
      name = name.slice(3);
      opt = opts.get(name);
      if (opt?.kind !== 'bool') return undefined;
      value = false;
    }
    if (opt === undefined || seen.has(name)) return undefined; // unknown (or camelCase, help, version), repeated
    seen.add(name);
    if (opt.kind === 'bool') {
      if (typeof value === 'string') return undefined; // --run=false: yargs' business
      const next = args[i + 1];
      if (next === 'true' || next === 'false') return undefined; // yargs would take it as the value
      argv[name] = value ?? true;
      continue;
    }
    if (value === undefined) {
      const next = args[i + 1];
      if (next === undefined || next.startsWith('-')) return undefined; // missing value: yargs says so
      value = next;
      i++;
    }
    if (opt.kind === 'port') {
      if (!/^\d{1,5}$/.test(value as string)) return undefined;
      argv[name] = Number(value);
    } else if (opt.kind === 'number') {
      // Plain decimal digits only; yargs also reads hex, exponents and signs, and turns junk into NaN.
      if (!/^\d{1,15}$/.test(value as string)) return undefined;
      argv[name] = Number(value);
    } else {
      if (opt.choices !== undefined && !opt.choices.includes(value as string)) return undefined;
      argv[name] = value;
    }
  }
  if (guest === undefined) return undefined;
  argv.guest = guest;
  for (const [k] of SPECS[command].own) if (k.includes('-') && k in argv) argv[camel(k)] = argv[k];
  return { command, argv };
}
