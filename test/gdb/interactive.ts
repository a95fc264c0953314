// Drive an interactive debugger (lldb, gdb --interpreter=mi) through its stdin: send a command, wait until the
// output since then matches what the command must print. Synchronisation is on output, never on sleeps; the
// deadline only turns a hang into a failure that shows the transcript.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';

export interface Interactive {
  readonly child: ChildProcess;
  /** Everything the tool printed so far (stdout and stderr interleaved). */
  transcript(): string;
  /** Write `command` + newline; resolve with the output after it once it matches `until`. */
  send(command: string, until: RegExp, timeoutMs?: number): Promise<string>;
  /** Wait for more output matching `until` (e.g. an asynchronous stop) after `from` characters of transcript. */
  expect(until: RegExp, from?: number, timeoutMs?: number): Promise<string>;
  close(): Promise<number | null>;
}

export function startInteractive(bin: string, args: string[]): Interactive {
  const child = spawn(bin, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((res) => child.on('close', (code) => res(code)));
  const expect = async (until: RegExp, from = 0, timeoutMs = 30_000): Promise<string> => {
    const t0 = Date.now();
    for (;;) {
      const seen = out.slice(from);
      if (until.test(seen)) return seen;
      if (child.exitCode !== null || Date.now() - t0 > timeoutMs)
        throw new Error(`${bin}: no ${until} within ${timeoutMs} ms (exit ${child.exitCode})\n--- transcript ---\n${out.slice(-6000)}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  };
  return {
    child,
    transcript: () => out,
    send: (command, until, timeoutMs) => {
      const from = out.length;
      child.stdin!.write(command + '\n');
      return expect(until, from, timeoutMs);
    },
    expect,
    close: async () => {
      child.stdin!.end();
      const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
      const code = await exited;
      clearTimeout(t);
      return code;
    },
  };
}

/** The first of `names` found in /usr/bin or /usr/local/bin (Debian's lldb package installs lldb and lldb-14). */
export function findTool(...names: string[]): string | undefined {
  for (const n of names) for (const d of ['/usr/bin', '/usr/local/bin']) if (existsSync(`${d}/${n}`)) return `${d}/${n}`;
  return undefined;
}
