// Process exit statuses of the dbstub CLI (documented in README.md "Exit codes"). The 64-78 range
// follows BSD sysexits.h so that scripts can tell a usage error from a bad input file.

export const EXIT = {
  /** Bad command line or invalid configuration (EX_USAGE). */
  USAGE: 64,
  /** The guest file is not a loadable ELF64 x86-64 executable or Multiboot kernel (EX_DATAERR). */
  BAD_ELF: 65,
  /** A named file does not exist or cannot be read (EX_NOINPUT). */
  NO_INPUT: 66,
  /** A service dbstub needs is unavailable: the --port is in use (EX_UNAVAILABLE). */
  UNAVAILABLE: 69,
  /** Internal error: a dbstub bug (EX_SOFTWARE). */
  INTERNAL: 70,
  /** The guest triple-faulted (shutdown). */
  TRIPLE_FAULT: 71,
  /** --max-insns ran out before the guest exited. */
  BUDGET: 72,
  /** The guest executed HLT and nothing can ever wake it (no interrupt source / IF=0). */
  HLT_FOREVER: 73,
  /** The guest entered a CPU mode dbstub does not model (real-address or virtual-8086 mode). */
  UNSUPPORTED_MODE: 74,
  /** Interrupted by SIGINT (Ctrl-C), as a shell reports 128 + 2. */
  INTERRUPTED: 130,
} as const;

/** A numeric option's value in a usage error: yargs reads a word given to a number option as NaN, which would
 *  only confuse ("got NaN"). */
export function shownValue(v: number): string {
  return Number.isNaN(v) ? 'something that is not a number' : String(v);
}

/** An error that carries the process exit status it should produce. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
    this.name = 'CliError';
  }
}
