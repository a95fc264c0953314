// Real-gdb figures: /usr/bin/gdb in batch mode against `dbstub serve` (a child process, as users run it)
// and against QEMU's gdbstub (qemu-x86_64 -g PORT on the static Linux build of the same workload).
// Timing is taken inside gdb (Python time.perf_counter around the loop of commands), so gdb's own start-up,
// symbol loading and connection are excluded from the rates.

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DBSTUB_BIN, freePort, killChild, now, procStatusKb, timedAsync, waitFor, type RunOut } from './util.js';

export const GDB = '/usr/bin/gdb';

export interface Server {
  child: ChildProcess;
  port: number;
  /** Seconds from spawn to the "gdb server on" line. */
  listenSeconds: number;
  spawnedAt: number;
  stop(): Promise<void>;
}

export async function startDbstub(elf: string, opts: { mode?: 'kvm' | 'bare'; memoryMiB?: number; extra?: string[]; nodeArgs?: string[] } = {}): Promise<Server> {
  const t0 = now();
  const args = [...(opts.nodeArgs ?? []), DBSTUB_BIN, 'serve', elf, '--port', '0', '--no-serial', '--log-level', 'warn', '--mode', opts.mode ?? 'kvm', '--memory', String(opts.memoryMiB ?? 64), ...(opts.extra ?? [])];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.resume();
  const { m, t } = await waitFor(child, 'stderr', /gdb server on [^:\s]+:(\d+)/);
  child.stderr!.resume();
  return { child, port: Number(m[1]), listenSeconds: t - t0, spawnedAt: t0, stop: () => killChild(child) };
}

/** qemu-x86_64 with its gdbstub; the program waits for gdb before its first instruction. */
export async function startQemuUser(qemu: string, prog: string, args: string[]): Promise<Server> {
  const port = await freePort();
  const t0 = now();
  const child = spawn(qemu, ['-g', String(port), prog, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.resume();
  child.stderr!.resume();
  // qemu-user opens its listening socket before it loads the program; give it a moment rather than probe
  // (a probing connection would be taken as the debugger).
  await new Promise((r) => setTimeout(r, 300));
  return { child, port, listenSeconds: now() - t0, spawnedAt: t0, stop: () => killChild(child) };
}

export function gdbScript(port: number, file: string | undefined, body: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'dbstub-bench-'));
  const script = join(dir, 'bench.gdb');
  writeFileSync(
    script,
    ['set pagination off', 'set confirm off', 'set width 0', 'set height 0', 'set architecture i386:x86-64', ...(file ? [`file ${file}`] : []), `target remote 127.0.0.1:${port}`, ...body].join('\n') + '\n',
  );
  return script;
}

export async function runGdbScript(script: string, timeoutMs = 300_000, keepLines?: RegExp): Promise<RunOut> {
  return timedAsync(GDB, ['-nx', '-batch', '-x', script], { timeoutMs, keepLines });
}

/** `BENCH key=value ...` lines printed by the Python parts of the scripts. */
export function benchValues(out: RunOut): Record<string, number> {
  const vals: Record<string, number> = {};
  for (const m of out.stdout.matchAll(/^BENCH (.*)$/gm)) {
    for (const kv of m[1]!.split(/\s+/)) {
      const [k, v] = kv.split('=');
      if (k && v !== undefined) vals[k] = Number(v);
    }
  }
  return vals;
}

/** Python loop timing `n` repetitions of a gdb command; prints BENCH <key>_s=SECONDS <key>_n=N, and with
 *  `serverPid` also <key>_cpu=SECONDS: the CPU time (user + system, from /proc/PID/stat) the server process
 *  spent during the loop. Wall time on a shared machine moves with the load of other processes; the server's
 *  own CPU time per round trip moves far less, so it is the figure to compare before/after a change. */
export function timedLoop(key: string, command: string, n: number, serverPid?: number): string[] {
  const cpu = serverPid === undefined ? [] : [`def server_cpu():`, `    f = open("/proc/${serverPid}/stat").read().rsplit(")", 1)[1].split()`, `    return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")`];
  const half = Math.floor(n / 2);
  // The second half is timed on its own too: a fresh server spends its first few hundred operations warming up
  // V8 (docs/performance.md), so the second-half rate is the warm figure.
  return [
    'python',
    'import time, os',
    ...cpu,
    serverPid === undefined ? 'server_cpu = lambda: 0.0' : '',
    'c0 = server_cpu()',
    't0 = time.perf_counter()',
    `for i in range(${half}):`,
    `    gdb.execute(${JSON.stringify(command)}, to_string=True)`,
    'c1 = server_cpu()',
    't1 = time.perf_counter()',
    `for i in range(${n - half}):`,
    `    gdb.execute(${JSON.stringify(command)}, to_string=True)`,
    't2 = time.perf_counter()',
    serverPid === undefined
      ? `print("BENCH ${key}_s=%f ${key}_n=%d ${key}_s2=%f ${key}_n2=%d" % (t2 - t0, ${n}, t2 - t1, ${n - half}))`
      : `print("BENCH ${key}_s=%f ${key}_n=%d ${key}_s2=%f ${key}_n2=%d ${key}_cpu=%f ${key}_cpu2=%f" % (t2 - t0, ${n}, t2 - t1, ${n - half}, server_cpu() - c0, server_cpu() - c1))`,
    'end',
  ].filter((l) => l !== '');
}

/** Steps: stop at int_loop (so both stubs step the same code), then n stepi. */
export function stepiBody(n: number, setup: string[] = [], serverPid?: number): string[] {
  return [...setup, 'hbreak int_loop', 'continue', 'delete', ...timedLoop('stepi', 'stepi', n, serverPid)];
}

/** Hardware watchpoint on bench_tick, which the guest writes every tickEvery iterations; n continues. */
export function watchBody(n: number, setup: string[] = [], serverPid?: number): string[] {
  return [...setup, 'hbreak int_loop', 'continue', 'delete', 'watch bench_tick', 'info watchpoints', ...timedLoop('watch', 'continue', n, serverPid)];
}

export interface GdbRate {
  rate: number;
  seconds: number;
  n: number;
  /** Server CPU seconds per operation (user + system), when the loop measured it. */
  cpuPerOp?: number;
  /** The same two figures over the second half of the loop only (a warmed-up server). */
  rateWarm?: number;
  cpuPerOpWarm?: number;
  ok: boolean;
  note?: string;
}

export function rateOf(out: RunOut, key: string, mustSee?: RegExp): GdbRate {
  const v = benchValues(out);
  const s = v[`${key}_s`];
  const n = v[`${key}_n`];
  if (s === undefined || n === undefined) return { rate: NaN, seconds: NaN, n: 0, ok: false, note: `no BENCH line (gdb status ${out.status}): ${(out.stderr || out.stdout).slice(-300)}` };
  if (mustSee && !mustSee.test(out.stdout)) return { rate: n / s, seconds: s, n, ok: false, note: `expected ${mustSee} in gdb output` };
  const cpu = v[`${key}_cpu`];
  const s2 = v[`${key}_s2`];
  const n2 = v[`${key}_n2`];
  const cpu2 = v[`${key}_cpu2`];
  return {
    rate: n / s,
    seconds: s,
    n,
    ok: true,
    ...(cpu === undefined ? {} : { cpuPerOp: cpu / n }),
    ...(s2 === undefined || !n2 ? {} : { rateWarm: n2 / s2 }),
    ...(cpu2 === undefined || !n2 ? {} : { cpuPerOpWarm: cpu2 / n2 }),
  };
}

/** Spawn-to-prompt: dbstub serve spawned at t0; gdb connects as soon as the port is printed; the figure is
 *  the time until gdb prints a marker after `target remote` returned (its first prompt). */
export async function attachTime(elf: string): Promise<{ total: number; listen: number; gdbConnect: number; gdbAlone: number }> {
  const server = await startDbstub(elf);
  try {
    const gdb = spawn(GDB, ['-nx', '-batch', '-ex', 'set confirm off', '-ex', `target remote 127.0.0.1:${server.port}`, '-ex', 'echo BENCH-READY\\n', '-ex', 'detach'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const tg = now();
    gdb.stderr!.resume();
    const { t } = await waitFor(gdb, 'stdout', /BENCH-READY/);
    await new Promise((r) => gdb.once('close', r));
    // gdb's own start-up, for scale: the same command line without a target.
    const alone = spawn(GDB, ['-nx', '-batch', '-ex', 'echo BENCH-READY\\n'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const ta = now();
    const a = await waitFor(alone, 'stdout', /BENCH-READY/);
    await new Promise((r) => alone.once('close', r));
    return { total: t - server.spawnedAt, listen: server.listenSeconds, gdbConnect: t - tg, gdbAlone: a.t - ta };
  } finally {
    await server.stop();
  }
}

/** Peak RSS (VmHWM) of `dbstub serve --memory MIB` after gdb attached and ran the guest to its exit. */
export async function peakRss(elf: string, memoryMiB: number): Promise<{ vmHwmKb: number | undefined; gdbOk: boolean }> {
  const server = await startDbstub(elf, { memoryMiB });
  try {
    const script = gdbScript(server.port, elf, ['continue', 'detach']);
    const out = await runGdbScript(script);
    return { vmHwmKb: procStatusKb(server.child.pid!, 'VmHWM'), gdbOk: /exited normally|exited with code/.test(out.stdout) };
  } finally {
    await server.stop();
  }
}

// `hbreak`, not `break`, to reach int_loop: qemu-system loads the Multiboot image after gdb attaches, which would
// overwrite a software breakpoint (and under --qemu-db-routing bld-patch dbstub reproduces QEMU's stale-DR6
// defect and re-injects the debugger's int3 into the guest as a #BP).
