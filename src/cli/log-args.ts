// The logger a command's --log-* flags ask for. Apart from options.ts because it loads the logger (pino): the
// command-line checks in options.ts run on `dbstub serve`'s path to its port, the logger only after it.

import { createLogger, type LogFormat, type Logger, type LogLevel } from '../log.js';
import { checkLogFile } from './options.js';

export function loggerFromArgv(argv: Record<string, unknown>, defaultLevel: LogLevel = 'warn'): Logger {
  checkLogFile(argv);
  return createLogger({
    level: (argv['log-level'] as LogLevel | undefined) ?? defaultLevel,
    file: argv['log-file'] as string | undefined,
    format: (argv['log-format'] as LogFormat | undefined) ?? (argv['log-pretty'] === true ? 'pretty' : undefined),
  });
}
