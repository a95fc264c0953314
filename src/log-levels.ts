// The log levels and formats, apart from the logger itself (log.ts, which loads pino): the CLI's command-line
// checks use them on `dbstub serve`'s path to its port, which loads no more than it must (cli/listen.ts).

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
export const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
export type LogFormat = 'pretty' | 'json';
export const LOG_FORMATS: readonly LogFormat[] = ['pretty', 'json'];
