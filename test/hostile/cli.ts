// Helpers for the hostile-client and hostile-guest tests (issue 18): the real CLI (dist/, built by
// `npm run build`) in a child process, and a raw RSP client on a real TCP socket. The server runs in its own
// process so that a stalled event loop there cannot also stall the test's clock and clients.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import net from 'node:net';
import { join, resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '..', '..');
export const BIN = join(ROOT, 'bin', 'dbstub.js');
export const hostileGuest = (name: string): string => join(ROOT, 'build', 'guests', 'hostile', `${name}.elf`);

export function rspChecksum(p: string): string {
  let s = 0;
  for (let i = 0; i < p.length; i++) s = (s + p.charCodeAt(i)) & 0xff;
  return s.toString(16).padStart(2, '0');
}
export const frame = (p: string): string => `$${p}#${rspChecksum(p)}`;

export async function until(pred: () => boolean, ms: number, what: string): Promise<void> {
  const t0 = Date.now();
  while (!pred()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** A child `node bin/dbstub.js ...` with its output collected. */
export class Cli {
  stdout = '';
  stderr = '';
  exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  readonly child: ChildProcessWithoutNullStreams;
  constructor(args: string[], env: NodeJS.ProcessEnv = {}) {
    this.child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: { ...process.env, ...env } });
    this.child.stdout.on('data', (d: Buffer) => (this.stdout += d.toString()));
    this.child.stderr.on('data', (d: Buffer) => (this.stderr += d.toString()));
    this.child.on('exit', (code, signal) => (this.exit = { code, signal }));
  }
  async exited(ms = 30_000): Promise<number | null> {
    await until(() => this.exit !== undefined, ms, `dbstub ${this.child.spawnargs.slice(2).join(' ')} to exit; stderr: ${this.stderr}`);
    return this.exit!.code;
  }
  kill(): void {
    if (this.exit === undefined) this.child.kill('SIGKILL');
  }
}

/** `dbstub serve GUEST --port 0 ...`; resolves with the port it printed. */
export async function serve(guest: string, extra: string[] = [], env: NodeJS.ProcessEnv = {}): Promise<{ cli: Cli; port: number }> {
  const cli = new Cli(['serve', guest, '--port', '0', ...extra], env);
  let port = 0;
  await until(
    () => {
      const m = /gdb server on \S+:(\d+)/.exec(cli.stderr);
      if (m) port = Number(m[1]);
      return port !== 0 || cli.exit !== undefined;
    },
    30_000,
    'the server to listen',
  );
  if (port === 0) throw new Error(`serve exited: ${cli.stderr}`);
  return { cli, port };
}

/** A raw RSP client: what gdb's remote.c does on the wire, and what a hostile client does instead. */
export class RawClient {
  data = '';
  closed = false;
  error: Error | undefined;
  constructor(readonly sock: net.Socket) {
    sock.on('data', (d: Buffer) => (this.data += d.toString('latin1')));
    sock.on('close', () => (this.closed = true));
    sock.on('error', (e) => (this.error = e));
  }
  static connect(port: number, host = '127.0.0.1'): Promise<RawClient> {
    return new Promise((res, rej) => {
      const s = net.connect(port, host, () => {
        s.off('error', rej);
        res(new RawClient(s));
      });
      s.on('error', rej);
    });
  }
  send(t: string | Buffer): void {
    this.sock.write(typeof t === 'string' ? Buffer.from(t, 'latin1') : t);
  }
  /** Send a packet (acked mode: the reply is preceded by '+'). */
  packet(p: string): void {
    this.send(frame(p));
  }
  async until(pred: (d: string) => boolean, ms = 10_000, what = 'a reply'): Promise<string> {
    await until(() => pred(this.data) || this.closed, ms, `${what}; got ${JSON.stringify(this.data.slice(-200))}`);
    if (!pred(this.data)) throw new Error(`connection closed before ${what}; got ${JSON.stringify(this.data.slice(-200))}`);
    return this.data;
  }
  /** Send a packet and wait for its reply payload (acks stripped). */
  async request(p: string, ms = 10_000): Promise<string> {
    const from = this.data.length;
    this.packet(p);
    const d = await this.until((x) => /\$([^#]*)#[0-9a-f]{2}/.test(x.slice(from)), ms, `the reply to ${p}`);
    const m = /\$([^#]*)#[0-9a-f]{2}/.exec(d.slice(from))!;
    this.send('+');
    return m[1]!;
  }
  async waitClosed(ms = 10_000): Promise<void> {
    await until(() => this.closed, ms, 'the server to close the connection');
  }
  close(): void {
    this.sock.destroy();
  }
}
