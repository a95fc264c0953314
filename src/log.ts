// One pino logger factory for the whole program. JSON lines to stderr by default (machine-readable, safe
// next to a guest's serial output on stdout); an optional file destination; pretty output only when the
// caller asks for it on a TTY and pino-pretty happens to be installed (it is not a dependency).
//
// Event names are stable and documented in README.md ("Event reference"); every log line carries
// `event: <name>` so tools can filter without parsing messages.

import { createRequire } from 'node:module';
import { pino, type Logger, type DestinationStream } from 'pino';

export type { Logger } from 'pino';

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
export const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/** Stable event names. Add new ones here and in README's event reference; never rename. */
export const EV = {
  /** A line (or flushed fragment) the guest wrote to COM1. data: { text } */
  GUEST_SERIAL: 'guest.serial',
  /** The guest wrote to isa-debug-exit. data: { value, code } */
  GUEST_EXIT: 'guest.exit',
  /** A guest-fatal condition (triple fault, HLT with IF=0 forever). data: { kind, detail } */
  GUEST_FAULT: 'guest.fault',
  /** The CPU raised #UD for an opcode it does not implement. data: { rip, bytes } */
  CPU_UD: 'cpu.ud',
  /** A #DB raised by the CPU. data: { payload, causes, rip, dr6Before, dr6After, intercepted } */
  DB_EVENT: 'db.event',
  /** How a #DB was routed (debugger / guest / both) and why. */
  DB_ROUTE: 'db.route',
  /** One RSP packet in or out (debug level). */
  RSP_PACKET: 'rsp.packet',
  /** Access to an I/O port no device claims (logged once per port). data: { port, dir, size } */
  IO_UNCLAIMED: 'io.unclaimed',
  /** A device feature the guest used that is not modelled, once per feature (src/devices/device-log.ts).
   *  data: { device, feature, detail, ...register values } */
  DEVICE_UNSUPPORTED: 'device.unsupported',
  /** ELF loaded. data: { path, entry, segments } */
  LOADER_LOADED: 'loader.loaded',
  /** Machine reset to its entry state. */
  MACHINE_RESET: 'machine.reset',
  /** Run summary at the end of `dbstub run`. data: { result, instructions, seconds, mips } */
  RUN_SUMMARY: 'run.summary',
  /** Anything the CPU reports through CpuHooks.onLog without a more specific name. */
  CPU_LOG: 'cpu.log',
} as const;
export type EventName = (typeof EV)[keyof typeof EV];

export interface LoggerOptions {
  level?: LogLevel;
  /** Write JSON lines to this file instead of stderr. */
  file?: string;
  /** Ask for human-readable output; honoured only on a TTY and only if pino-pretty is installed. */
  pretty?: boolean;
  /** Custom destination (tests). Wins over `file`. */
  destination?: DestinationStream;
}

function tryPretty(): DestinationStream | undefined {
  try {
    const req = createRequire(import.meta.url);
    const mod = req('pino-pretty') as (o: Record<string, unknown>) => DestinationStream;
    return mod({ destination: 2, colorize: true });
  } catch {
    return undefined; // not installed: plain JSON lines
  }
}

export function createLogger(opts: LoggerOptions = {}): Logger {
  const level = opts.level ?? 'info';
  let dest: DestinationStream;
  if (opts.destination) dest = opts.destination;
  else if (opts.file) dest = pino.destination({ dest: opts.file, sync: true, mkdir: true });
  else if (opts.pretty && process.stderr.isTTY) dest = tryPretty() ?? pino.destination({ dest: 2, sync: true });
  else dest = pino.destination({ dest: 2, sync: true });
  return pino({ level, base: { name: 'dbstub' } }, dest);
}

/** A logger that drops everything (library default, tests). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
