// Run the dbstub CLI in-process (src/cli/main.ts's main(argv), the same code bin/dbstub.js runs from dist/)
// and capture what it writes to stdout/stderr and its exit status. gdb's output in `session` is forwarded
// through process.stdout/stderr.write, so it is captured too.
import { main } from '../../src/cli/main.js';

export interface CliResult {
  status: number;
  stdout: string;
  stderr: string;
}

export async function dbstub(args: string[]): Promise<CliResult> {
  const out: string[] = [];
  const err: string[] = [];
  const ow = process.stdout.write;
  const ew = process.stderr.write;
  const savedExit = process.exitCode;
  process.exitCode = undefined;
  process.stdout.write = ((c: string | Uint8Array) => (out.push(typeof c === 'string' ? c : Buffer.from(c).toString('utf8')), true)) as typeof process.stdout.write;
  process.stderr.write = ((c: string | Uint8Array) => (err.push(typeof c === 'string' ? c : Buffer.from(c).toString('utf8')), true)) as typeof process.stderr.write;
  // yargs prints --help through console.log, which vitest intercepts before process.stdout.
  const cl = console.log;
  const ce = console.error;
  console.log = (...a: unknown[]) => void out.push(a.join(' ') + '\n');
  console.error = (...a: unknown[]) => void err.push(a.join(' ') + '\n');
  let status: number;
  try {
    status = await main(args);
  } finally {
    console.log = cl;
    console.error = ce;
    process.stdout.write = ow;
    process.stderr.write = ew;
    process.exitCode = savedExit;
  }
  return { status, stdout: out.join(''), stderr: err.join('') };
}

/** A README command line ("dbstub run GUEST --flag v" / "node bin/dbstub.js ...") as argv for main(). */
export function argvOf(command: string): string[] {
  const words = command.trim().split(/\s+/);
  if (words[0] === 'node' && words[1] === 'bin/dbstub.js') return words.slice(2);
  if (words[0] === 'dbstub') return words.slice(1);
  throw new Error(`not a dbstub command: ${command}`);
}
