// Drive the real /usr/bin/gdb in batch mode against a server port. Each run writes a command file and passes it
// with -x, after the connection commands, so the scripts read like a user's session.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const GDB = '/usr/bin/gdb';

export interface GdbRun {
  stdout: string;
  stderr: string;
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface GdbOptions {
  /** ELF with symbols to load with `file` before connecting. */
  file?: string;
  timeoutMs?: number;
  /** Called with the child and a function returning the output so far (for SIGINT tests). */
  onSpawn?: (child: ChildProcess, output: () => string) => void;
  /** `set debug remote 1` (packet log on stderr). */
  debugRemote?: boolean;
  /** `target extended-remote` (gdbserver --multi style: run/kill/run) instead of `target remote`. */
  extended?: boolean;
}

export function connectPrelude(port: number, opts: { file?: string; debugRemote?: boolean; extended?: boolean } = {}): string[] {
  return [
    'set pagination off',
    'set confirm off',
    'set width 0',
    'set height 0',
    'set architecture i386:x86-64',
    ...(opts.file ? [`file ${opts.file}`] : []),
    ...(opts.debugRemote ? ['set debug remote 1'] : []),
    `target ${opts.extended ? 'extended-remote' : 'remote'} 127.0.0.1:${port}`,
  ];
}

export function runGdb(port: number, commands: string[], opts: GdbOptions = {}): Promise<GdbRun> {
  const dir = mkdtempSync(join(tmpdir(), 'dbstub-gdb-'));
  const script = join(dir, 'session.gdb');
  writeFileSync(script, [...connectPrelude(port, opts), ...commands].join('\n') + '\n');
  return new Promise((resolve, reject) => {
    const child = spawn(GDB, ['-nx', '-batch', '-x', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`gdb timed out after ${opts.timeoutMs ?? 30000} ms\nstdout:\n${stdout}\nstderr:\n${stderr.slice(-4000)}`));
    }, opts.timeoutMs ?? 30000);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ stdout, stderr, code, signal });
    });
    opts.onSpawn?.(child, () => stdout);
  });
}

/** Wait until `pred(output())` holds (polling), for timing-free synchronisation with gdb's output. */
export async function waitFor(pred: () => boolean, timeoutMs = 20000): Promise<void> {
  const t0 = Date.now();
  while (!pred()) {
    if (Date.now() - t0 > timeoutMs) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}
