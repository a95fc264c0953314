// The logging surface the stub needs. A pino Logger satisfies it structurally (src/log.ts builds one), so the
// protocol core depends on no logging library and the tests can pass a recorder.

export interface RspLogger {
  debug(obj: Record<string, unknown>, msg?: string): void;
  info(obj: Record<string, unknown>, msg?: string): void;
  warn(obj: Record<string, unknown>, msg?: string): void;
  error(obj: Record<string, unknown>, msg?: string): void;
  /** pino's: lets hot paths skip building debug-only fields (packet renderings) when debug is off. */
  isLevelEnabled?(level: string): boolean;
}

/** True when `log.debug` records anything (loggers without isLevelEnabled are assumed to). */
export function debugEnabled(log: RspLogger): boolean {
  return typeof log.isLevelEnabled === 'function' ? log.isLevelEnabled('debug') : log !== silentLogger;
}

export const silentLogger: RspLogger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
};

/** Printable, bounded rendering of a packet for the log (non-ASCII bytes as \xNN). */
export function renderPacket(b: Uint8Array | string, max = 200): string {
  let s = '';
  const n = Math.min(b.length, max);
  for (let i = 0; i < n; i++) {
    const c = typeof b === 'string' ? b.charCodeAt(i) : b[i];
    s += c >= 0x20 && c < 0x7f ? String.fromCharCode(c) : '\\x' + c.toString(16).padStart(2, '0');
  }
  if (b.length > max) s += `...(${b.length} bytes)`;
  return s;
}
