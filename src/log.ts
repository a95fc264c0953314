// One pino logger factory for the whole program. On a terminal, human-readable lines (pino-pretty); JSON lines
// (machine-readable, safe next to a guest's serial output on stdout) when stderr is not a TTY, with
// --log-format json, or to --log-file -- as pino users expect (issue 17).
//
// Event names are stable and documented in README.md ("Event reference"); every log line carries
// `event: <name>` so tools can filter without parsing messages.
//
// Repeated events are rate-limited (issue 18 item 4: a guest looping over an unmodelled opcode wrote 333,328
// cpu.ud lines, 64.7 MB, per million instructions and ran ~100x slower): per event (and CPU diagnostic name),
// at most LOG_BURST lines per LOG_WINDOW_MS at info level and above; the rest are counted and reported in one
// `log.suppressed` line per window. Debug and trace are never limited (asking for them means asking for all),
// nor are the guest's own serial lines and the run summaries.

import { createRequire } from 'node:module';
import { pino, type Logger, type DestinationStream, type LoggerOptions as PinoOptions } from 'pino';
import type { LogFormat, LogLevel } from './log-levels.js';

export type { Logger } from 'pino';

export { LOG_FORMATS, LOG_LEVELS, type LogFormat, type LogLevel } from './log-levels.js';

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
  /** Anything the CPU reports through CpuObserver.onLog without a more specific name. */
  CPU_LOG: 'cpu.log',
  /** Lines of repeated events dropped by the rate limit in the last window. data: { suppressed: { key: count }, windowMs } */
  LOG_SUPPRESSED: 'log.suppressed',
} as const;
export type EventName = (typeof EV)[keyof typeof EV];

export interface LoggerOptions {
  level?: LogLevel;
  /** Write the log to this file instead of stderr (JSON unless format is 'pretty'). */
  file?: string;
  /** Default: pretty when writing to stderr and stderr is a TTY, else JSON. */
  format?: LogFormat;
  /** Custom destination (tests): JSON lines. Wins over `file`. */
  destination?: DestinationStream;
  /** Rate limit of repeated events (default LOG_BURST per LOG_WINDOW_MS); burst 0 turns it off. */
  rateLimit?: { burst: number; windowMs: number };
}

/** Lines per event key and window before the rest are counted instead of written. */
export const LOG_BURST = 10;
export const LOG_WINDOW_MS = 1000;
/** Never limited: the guest's own output and the one-off summaries. */
const UNLIMITED_EVENTS: ReadonlySet<string> = new Set([EV.GUEST_SERIAL, EV.RUN_SUMMARY, 'vmm.run.summary', EV.LOG_SUPPRESSED]);
/** pino's numeric level of `info`: limits apply from here up. */
const INFO_LEVEL = 30;

/** Per-key counters of one window; the report goes out through the logger itself (UNLIMITED_EVENTS). */
class RepeatLimiter {
  private readonly counts = new Map<string, number>();
  private readonly suppressed = new Map<string, number>();
  private windowStart = 0;
  private timer: NodeJS.Timeout | undefined;
  report: ((suppressed: Record<string, number>, windowMs: number) => void) | undefined;

  constructor(
    private readonly burst: number,
    private readonly windowMs: number,
  ) {}

  allow(key: string): boolean {
    const now = Date.now();
    if (now - this.windowStart >= this.windowMs) this.rollover(now);
    const n = (this.counts.get(key) ?? 0) + 1;
    this.counts.set(key, n);
    if (n <= this.burst) return true;
    this.suppressed.set(key, (this.suppressed.get(key) ?? 0) + 1);
    // Report when the window closes even if the guest stops producing the event (the timer fires between
    // the CPU's slices; unref'd so it never keeps the process alive).
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      this.rollover(Date.now());
    }, this.windowMs - (now - this.windowStart)).unref();
    return false;
  }

  /** Report what the closing window suppressed and start a new one. */
  rollover(now: number): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer); // this window's report goes out now: the timer must not cut the next one short
      this.timer = undefined;
    }
    if (this.suppressed.size > 0) {
      const out = Object.fromEntries(this.suppressed);
      this.suppressed.clear();
      this.report?.(out, this.windowMs);
    }
    this.counts.clear();
    this.windowStart = now;
  }
}

const limiters = new WeakMap<Logger, RepeatLimiter>();

/** Write the pending `log.suppressed` report now (end of a run, before the summary). */
export function flushSuppressed(log: Logger): void {
  limiters.get(log)?.rollover(Date.now());
}

function prettyStream(fd: number | string, colorize: boolean): DestinationStream | undefined {
  try {
    // pino-pretty is a dependency; loaded on demand so a JSON-only run (CI, --log-file) never pays for it,
    // and a trimmed install without it still logs (JSON).
    const req = createRequire(import.meta.url);
    const build = req('pino-pretty') as (o: Record<string, unknown>) => DestinationStream;
    return build({ destination: fd, sync: true, colorize, ignore: 'pid,hostname,name', translateTime: 'SYS:HH:MM:ss.l', singleLine: true });
  } catch {
    return undefined;
  }
}

export function createLogger(opts: LoggerOptions = {}): Logger {
  const level = opts.level ?? 'info';
  let dest: DestinationStream;
  if (opts.destination) dest = opts.destination;
  else if (opts.file) dest = (opts.format === 'pretty' ? prettyStream(opts.file, false) : undefined) ?? pino.destination({ dest: opts.file, sync: true, mkdir: true });
  else {
    const pretty = opts.format === 'pretty' || (opts.format === undefined && process.stderr.isTTY === true);
    dest = (pretty ? prettyStream(2, process.stderr.isTTY === true) : undefined) ?? pino.destination({ dest: 2, sync: true });
  }
  const rate = opts.rateLimit ?? { burst: LOG_BURST, windowMs: LOG_WINDOW_MS };
  const limiter = rate.burst > 0 ? new RepeatLimiter(rate.burst, rate.windowMs) : undefined;
  const options: PinoOptions = { level, base: { name: 'dbstub' } };
  if (limiter) {
    options.hooks = {
      logMethod(args, method, lvl) {
        const o = args[0] as unknown;
        if (lvl >= INFO_LEVEL && typeof o === 'object' && o !== null) {
          const ev = (o as { event?: unknown }).event;
          if (typeof ev === 'string' && !UNLIMITED_EVENTS.has(ev)) {
            const sub = (o as { cpuEvent?: unknown }).cpuEvent;
            if (!limiter.allow(typeof sub === 'string' ? `${ev}:${sub}` : ev)) return;
          }
        }
        method.apply(this, args as Parameters<typeof method>);
      },
    };
  }
  const log = pino(options, dest);
  if (limiter) {
    limiter.report = (suppressed, windowMs) =>
      log.warn({ event: EV.LOG_SUPPRESSED, suppressed, windowMs }, `repeated log lines suppressed: ${Object.entries(suppressed).map(([k, n]) => `${k} x${n}`).join(', ')}`);
    limiters.set(log, limiter);
  }
  return log;
}

/** A logger that drops everything (library default, tests). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
