// `dbstub serve` without yargs, for the command lines users and IDEs launch a stub with (issue 17: spawn ->
// gdb prompt). Loading yargs costs ~70 ms of module loading, and yargs renders the whole serve help text
// (~40 ms: every machine flag, wrapped) right after the command handler starts, before the server listens
// (yargs command.js caches it for a later showHelp()). Both delay the first `target remote`.
//
// The rule: this parser accepts only what it understands exactly as yargs would, and returns undefined for
// anything else (help, version, unknown or repeated flags, short flags, `--`, a boolean followed by
// true/false, a value outside its choices, a missing value...), so main.ts hands that line to yargs, whose
// messages and exit statuses stay the one source of truth for bad usage. test/cli/serve-fast.test.ts checks
// that both parsers give the handler the same argv for the lines this one takes.

import { CONFIG_SCHEMA } from '../config/config.js';
import { LOG_FORMATS, LOG_LEVELS } from '../log.js';

type Opt = { kind: 'bool' } | { kind: 'string'; choices?: readonly string[] } | { kind: 'port' };

/** serve's own flags, the logging flags and one per MachineConfig key (options.ts builds the same for yargs). */
function serveOptions(): Map<string, Opt> {
  const m = new Map<string, Opt>([
    ['port', { kind: 'port' }],
    ['host', { kind: 'string' }],
    ['run', { kind: 'bool' }],
    ['detach-paused', { kind: 'bool' }],
    ['serial', { kind: 'bool' }],
    ['config', { kind: 'string' }],
    ['log-level', { kind: 'string', choices: LOG_LEVELS }],
    ['log-file', { kind: 'string' }],
    ['log-format', { kind: 'string', choices: LOG_FORMATS }],
    ['log-pretty', { kind: 'bool' }],
  ]);
  for (const k of Object.values(CONFIG_SCHEMA)) m.set(k.flag, k.type === 'bool' ? { kind: 'bool' } : k.type === 'enum' ? { kind: 'string', choices: k.values } : { kind: 'string' });
  return m;
}

/** The argv yargs would hand serve's handler for `args` (after main.ts's joinDashValues), or undefined when
 *  yargs must parse the line itself. */
export function fastServeArgv(args: readonly string[]): Record<string, unknown> | undefined {
  if (args[0] !== 'serve') return undefined;
  const opts = serveOptions();
  // yargs' defaults for serve (serve.ts builder).
  const argv: Record<string, unknown> = { port: 1234, host: '127.0.0.1', run: false, 'detach-paused': false, serial: true };
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
    } else {
      if (opt.choices !== undefined && !opt.choices.includes(value as string)) return undefined;
      argv[name] = value;
    }
  }
  if (guest === undefined) return undefined;
  argv.guest = guest;
  // yargs also sets each dashed key's camelCase twin; the handler reads detachPaused.
  argv.detachPaused = argv['detach-paused'];
  return argv;
}
