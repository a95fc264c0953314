// Small helpers shared by the bench and soak scripts: statistics, child processes, /proc readings.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Repository root (dist/bench/util.js -> ../..). */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const DBSTUB_BIN = join(ROOT, 'bin', 'dbstub.js');

export function median(xs: number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export const now = (): number => Number(process.hrtime.bigint()) / 1e9;

/** Absolute path of an executable on PATH, or undefined. */
export function which(cmd: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    const p = join(dir, cmd);
    if (dir && existsSync(p)) return p;
  }
  return undefined;
}

/** Fields of /proc/PID/status in kB (VmRSS, VmHWM). */
export function procStatusKb(pid: number, field: 'VmRSS' | 'VmHWM'): number | undefined {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

export interface RunOut {
  status: number | null;
  stdout: string;
  stderr: string;
  seconds: number;
}

/** Run a command to completion, timing it with the wall clock. */
export function timed(cmd: string, args: string[], opts: { timeoutMs?: number; input?: string } = {}): RunOut {
  const t0 = now();
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: opts.timeoutMs ?? 600_000, input: opts.input, maxBuffer: 64 << 20 });
  return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '', seconds: now() - t0 };
}

/** Same as timed() but asynchronous, so a server running in this process keeps being served. */
export function timedAsync(cmd: string, args: string[], opts: { timeoutMs?: number; keepLines?: RegExp } = {}): Promise<RunOut> {
  return new Promise((res, rej) => {
    const t0 = now();
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    // keepLines: keep only matching stdout lines (the soak must not grow its own heap with gdb's output).
    let partial = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      if (!opts.keepLines) return void (stdout += d);
      const lines = (partial + d).split('\n');
      partial = lines.pop()!;
      for (const l of lines) if (opts.keepLines.test(l)) stdout += l + '\n';
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 600_000);
    child.on('error', (e) => {
      clearTimeout(timer);
      rej(e);
    });
    child.on('close', (status) => {
      clearTimeout(timer);
      res({ status, stdout, stderr, seconds: now() - t0 });
    });
  });
}

/** Wait until `pattern` appears on the child's stream; resolves with the match and the time it was seen. */
export function waitFor(child: ChildProcess, stream: 'stdout' | 'stderr', pattern: RegExp, timeoutMs = 30_000): Promise<{ m: RegExpExecArray; t: number }> {
  return new Promise((res, rej) => {
    let buf = '';
    const s = child[stream]!;
    const timer = setTimeout(() => {
      s.off('data', on);
      rej(new Error(`timed out waiting for ${pattern} on ${stream}; got: ${buf.slice(-400)}`));
    }, timeoutMs);
    const on = (d: Buffer | string) => {
      buf += d.toString();
      const m = pattern.exec(buf);
      if (m) {
        clearTimeout(timer);
        s.off('data', on);
        res({ m, t: now() });
      }
    };
    s.on('data', on);
    child.once('exit', (code) => {
      clearTimeout(timer);
      s.off('data', on);
      rej(new Error(`process exited (${code}) before ${pattern}; got: ${buf.slice(-400)}`));
    });
  });
}

/** A free TCP port on 127.0.0.1 (bound then released; fine for a single-user bench). */
export async function freePort(): Promise<number> {
  const net = await import('node:net');
  return new Promise((res, rej) => {
    const s = net.createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      s.close(() => res(port));
    });
  });
}

export function killChild(child: ChildProcess): Promise<void> {
  return new Promise((res) => {
    if (child.exitCode !== null || child.signalCode !== null) return res();
    child.once('exit', () => res());
    child.kill('SIGTERM');
    setTimeout(() => child.kill('SIGKILL'), 3000).unref();
  });
}

export const fmt = (x: number | undefined, digits = 1): string => (x === undefined || Number.isNaN(x) ? 'n/a' : x.toFixed(digits));
