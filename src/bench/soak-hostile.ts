// `npm run soak -- --hostile` (issue 18 "Proof"): hostile guests and hostile clients against `dbstub serve`
// child processes, reporting server RSS and Ctrl-C latency. The server runs in its own process so a stall
// there cannot also stall this process's clock: every latency is measured at the client, from the write of
// the 0x03 byte to the arrival of the stop reply.
//
// Phases (each a fresh server):
//  - REP-heavy guests: rep-movsb (16 MiB REP MOVSB in a loop, kvm mode) and rep-stosb (48 MiB REP STOSB,
//    bare mode); continue, Ctrl-C after a random 20-120 ms, repeated --rounds times.
//  - Log-heavy guests: ud-loop (an unmodelled opcode in a loop, every #UD logged at warn) and serial-flood
//    (COM1 lines as fast as the guest can write them), served at --log-level info; the same Ctrl-C rounds.
//  - The same guests in this process, the server's own share of a Ctrl-C: time (CPU and wall) between two
//    event-loop turns while the guest runs (--slices, default 300).
//  - Hostile clients against one server: a slow reader (sends 60,000 `m` reads of 4000 bytes and never
//    reads a reply), idle holders (connect and say nothing; send 15 stray bytes), a reconnect storm
//    (connect, `?`, close, at once, --storm times), then a well-behaved client; RSS sampled throughout.
// Results go to bench/results/soak-hostile-<date>.json; docs/reliability.md quotes a run.

import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync, writeFileSync, writeSync } from 'node:fs';
import net from 'node:net';
import { loadavg } from 'node:os';
import { PerformanceObserver } from 'node:perf_hooks';
import { join } from 'node:path';
import { DBSTUB_BIN, fmt, median, procStatusKb, ROOT } from './util.js';

interface Latencies {
  guest: string;
  mode: string;
  /** Rounds measured; endedAfter: the guest exited by itself during that round (its remaining rounds not run). */
  rounds: number;
  endedAfter?: number;
  ms: number[];
  maxMs: number;
  medianMs: number;
  rssKb: { first: number; peak: number; end: number };
}

const cs = (p: string): string => {
  let s = 0;
  for (let i = 0; i < p.length; i++) s = (s + p.charCodeAt(i)) & 0xff;
  return s.toString(16).padStart(2, '0');
};
const frame = (p: string): string => `$${p}#${cs(p)}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

class Server {
  port = 0;
  stderr = '';
  peakKb = 0;
  private timer: NodeJS.Timeout;
  constructor(readonly child: ChildProcess) {
    child.stderr!.on('data', (d: Buffer) => {
      // Keep only the head (the port line) and a tail: a log-heavy guest writes megabytes here.
      this.stderr = (this.stderr.length < 4096 ? this.stderr : this.stderr.slice(0, 2048) + this.stderr.slice(-2048)) + d.toString();
    });
    child.stdout!.resume();
    this.timer = setInterval(() => (this.peakKb = Math.max(this.peakKb, this.rssKb())), 100);
  }
  static async start(guest: string, args: string[]): Promise<Server> {
    const s = new Server(spawn(process.execPath, [DBSTUB_BIN, 'serve', guest, '--port', '0', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] }));
    const t0 = Date.now();
    while (s.port === 0) {
      const m = /gdb server on \S+:(\d+)/.exec(s.stderr);
      if (m) s.port = Number(m[1]);
      else if (Date.now() - t0 > 30_000 || s.child.exitCode !== null) throw new Error(`dbstub serve did not start: ${s.stderr.slice(-500)}`);
      else await sleep(10);
    }
    return s;
  }
  rssKb(): number {
    return procStatusKb(this.child.pid!, 'VmRSS') ?? 0;
  }
  stop(): void {
    clearInterval(this.timer);
    this.child.kill('SIGKILL');
  }
}

class Client {
  data = '';
  closed = false;
  constructor(readonly sock: net.Socket) {
    sock.on('data', (d: Buffer) => (this.data += d.toString('latin1')));
    sock.on('close', () => (this.closed = true));
    sock.on('error', () => {});
  }
  static connect(port: number): Promise<Client> {
    return new Promise((res, rej) => {
      const s = net.connect(port, '127.0.0.1', () => res(new Client(s)));
      s.once('error', rej);
    });
  }
  async until(pred: () => boolean, ms: number): Promise<boolean> {
    const t0 = Date.now();
    while (!pred()) {
      if (Date.now() - t0 > ms || this.closed) return pred();
      await sleep(1);
    }
    return true;
  }
  async request(p: string, ms = 10_000): Promise<string | undefined> {
    const from = this.data.length;
    this.sock.write(frame(p));
    const re = /\$([^#]*)#[0-9a-f]{2}/;
    if (!(await this.until(() => re.test(this.data.slice(from)), ms))) return undefined;
    this.sock.write('+');
    return re.exec(this.data.slice(from))![1];
  }
  close(): void {
    this.sock.destroy();
  }
}

/** Continue, wait a random 20-120 ms, Ctrl-C; the latency is write(0x03) -> '$T' received. */
async function ctrlCRounds(guest: string, mode: string, rounds: number, extra: string[] = []): Promise<Latencies> {
  const server = await Server.start(join(ROOT, 'build', 'guests', 'hostile', `${guest}.elf`), ['--mode', mode, ...extra]);
  const first = server.rssKb();
  const ms: number[] = [];
  let endedAfter: number | undefined;
  try {
    const c = await Client.connect(server.port);
    if ((await c.request('?')) === undefined) throw new Error(`${guest}: no reply to ?`);
    for (let i = 0; i < rounds; i++) {
      // From before the continue: a guest that exits during the sleep has already answered W.
      const from = c.data.length;
      c.sock.write(frame('c'));
      await sleep(20 + Math.random() * 100);
      const t0 = performance.now();
      c.sock.write('\x03');
      // A guest that ends by itself (ud-loop exits after 50,000 #UDs) answers the continue with W: that round
      // measured nothing, and the rounds for this guest end there (reported as `ended`).
      if (!(await c.until(() => c.data.includes('$T', from) || c.data.includes('$W', from), 60_000))) throw new Error(`${guest}: no stop reply to Ctrl-C within 60 s`);
      c.sock.write('+');
      if (!c.data.includes('$T', from)) { endedAfter = i; break; }
      ms.push(performance.now() - t0);
    }
    c.close();
  } finally {
    server.stop();
  }
  const sorted = [...ms].sort((a, b) => a - b);
  return { guest, mode, rounds: ms.length, ...(endedAfter !== undefined ? { endedAfter } : {}), ms, maxMs: sorted[sorted.length - 1]!, medianMs: median(ms), rssKb: { first, peak: server.peakKb, end: server.rssKb() || server.peakKb } };
}

interface SliceCost {
  guest: string;
  mode: string;
  slices: number;
  wallMs: { median: number; p99: number; max: number };
  cpuMs: { median: number; p99: number; max: number };
  gc: { pauses: number; maxMs: number; totalMs: number };
  /** Which slice had the largest CPU time (0 = the first, with V8 still compiling). */
  maxCpuSliceIndex: number;
}

const pct = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;

/** The server's own share of a Ctrl-C's latency: a Ctrl-C is served at the next event-loop turn, so what the
 *  server controls is the time between two turns while the guest runs. Measured in this process with the
 *  same code `dbstub serve` runs (Vmm/Machine runToCompletion, which yield between slices like a continue
 *  does): wall time and CPU time (process.cpuUsage) from one slice's end to the next. CPU time moves little
 *  with the machine's load; wall time includes preemption by other processes. */
async function sliceCosts(guest: string, mode: 'kvm' | 'bare', slices: number, logLevel: 'warn' | 'info'): Promise<SliceCost> {
  const [{ Machine }, { Vmm }, { createLogger }, { DEFAULT_CONFIG }, { batchedSerial }] = await Promise.all([
    import('../machine/index.js'),
    import('../vmm/index.js'),
    import('../log.js'),
    import('../config/config.js'),
    import('../cli/serial-out.js'),
  ]);
  const devNull = openSync('/dev/null', 'w');
  const logger = createLogger({ level: logLevel, destination: { write: (s: string) => void writeSync(devNull, s) } });
  const config = { ...DEFAULT_CONFIG, mode };
  // As `dbstub serve` runs it: serial echoed (batched) to stdout, here /dev/null.
  const m = Machine.fromFile(join(ROOT, 'build', 'guests', 'hostile', `${guest}.elf`), { config, logger, serialLogLevel: 'debug' });
  m.onSerial(batchedSerial((t) => void writeSync(devNull, t)));
  const wall: number[] = [];
  const cpu: number[] = [];
  // GC pauses in the same window: a slice's CPU spike that matches one is the collector, not the guest's work.
  const gcMs: number[] = [];
  const gcObs = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) gcMs.push(e.duration);
  });
  gcObs.observe({ entryTypes: ['gc'] });
  let t = performance.now();
  let c = process.cpuUsage();
  let n = 0;
  const onSlice = (): void => {
    const t2 = performance.now();
    const c2 = process.cpuUsage();
    wall.push(t2 - t);
    cpu.push((c2.user - c.user + c2.system - c.system) / 1000);
    t = t2;
    c = c2;
    if (++n >= slices) m.interrupt('soak');
  };
  if (mode === 'kvm') await new Vmm(m, config, logger).runToCompletion(Infinity, { onSlice });
  else await m.runToCompletion({ onSlice });
  closeSync(devNull);
  await new Promise((r) => setImmediate(r));
  gcObs.disconnect();
  const gs = [...gcMs].sort((a, b) => a - b);
  const ws = [...wall].sort((a, b) => a - b);
  const cs2 = [...cpu].sort((a, b) => a - b);
  return {
    guest,
    mode,
    slices: wall.length,
    wallMs: { median: median(wall), p99: pct(ws, 0.99), max: ws[ws.length - 1]! },
    cpuMs: { median: median(cpu), p99: pct(cs2, 0.99), max: cs2[cs2.length - 1]! },
    gc: { pauses: gs.length, maxMs: gs[gs.length - 1] ?? 0, totalMs: gs.reduce((a, b) => a + b, 0) },
    maxCpuSliceIndex: cpu.indexOf(cs2[cs2.length - 1]!),
  };
}

async function hostileClients(storm: number): Promise<Record<string, unknown>> {
  const server = await Server.start(join(ROOT, 'examples', 'prebuilt', 'hello.elf'), ['--log-level', 'warn']);
  const first = server.rssKb();
  const out: Record<string, unknown> = { rssFirstKb: first };
  try {
    // Slow reader: 60,000 4000-byte reads (480 MB of replies), never reading one.
    const slow = await Client.connect(server.port);
    await slow.request('QStartNoAckMode');
    slow.sock.pause();
    const batch = Buffer.from(frame('m100000,fa0').repeat(1000), 'latin1');
    for (let i = 0; i < 60; i++) {
      slow.sock.write(batch);
      await sleep(10);
    }
    await sleep(2000);
    out.slowReader = { requests: 60_000, rssKb: server.rssKb(), peakKb: server.peakKb };
    slow.close();
    await sleep(200);

    // Idle holders: one that says nothing, one with 15 stray bytes; then a client that should get the session.
    const idle = await Client.connect(server.port);
    const stray = await Client.connect(server.port);
    stray.sock.write('hello, not rsp!');
    await sleep(100);
    const t0 = performance.now();
    const c = await Client.connect(server.port);
    const r = await c.request('?', 10_000);
    out.idleHolders = { newClientServed: r !== undefined && r.startsWith('T'), msToFirstReply: performance.now() - t0 };
    c.close();
    idle.close();
    stray.close();

    // Reconnect storm.
    let failed = 0;
    const ts: number[] = [];
    for (let i = 0; i < storm; i++) {
      const a = performance.now();
      const k = await Client.connect(server.port).catch(() => undefined);
      const rr = k ? await k.request('?', 5000) : undefined;
      if (rr === undefined || !rr.startsWith('T')) failed++;
      ts.push(performance.now() - a);
      k?.close();
    }
    const sorted = [...ts].sort((a, b) => a - b);
    out.reconnectStorm = { cycles: storm, failed, medianMs: median(ts), maxMs: sorted[sorted.length - 1] };
    out.rssEndKb = server.rssKb();
    out.rssPeakKb = server.peakKb;
  } finally {
    server.stop();
  }
  return out;
}

export async function runHostileSoak(argv: string[]): Promise<void> {
  const opt = (n: string, d: string) => {
    const i = argv.indexOf(`--${n}`);
    return i >= 0 ? argv[i + 1]! : d;
  };
  const rounds = Number(opt('rounds', '40'));
  const storm = Number(opt('storm', '300'));
  const sliceCount = Number(opt('slices', '300'));
  execFileSync(process.execPath, [join(ROOT, 'scripts', 'build-guests.mjs'), '--quiet', 'hostile/rep-movsb', 'hostile/rep-stosb', 'hostile/ud-loop', 'hostile/serial-flood'], { cwd: ROOT, stdio: 'inherit' });
  const t0 = Date.now();
  const load = () => loadavg().map((x) => x.toFixed(1)).join(' ');
  console.log(`load average (1, 5, 15 min) at the start: ${load()}`);
  const guests: Latencies[] = [];
  for (const [g, mode, extra] of [
    ['rep-movsb', 'kvm', []],
    ['rep-movsb', 'bare', []],
    ['rep-stosb', 'kvm', []],
    ['rep-stosb', 'bare', []],
    ['ud-loop', 'kvm', ['--log-level', 'info']],
    ['serial-flood', 'kvm', ['--log-level', 'info']],
  ] as [string, string, string[]][]) {
    const l = await ctrlCRounds(g, mode, rounds, extra);
    guests.push(l);
    console.log(`${g.padEnd(13)} ${mode.padEnd(4)}: Ctrl-C -> stop reply over ${l.rounds} rounds${l.endedAfter !== undefined ? ' (then the guest exited by itself)' : ''}: median ${fmt(l.medianMs, 1)} ms, max ${fmt(l.maxMs, 1)} ms; server RSS ${fmt(l.rssKb.first / 1024)} -> peak ${fmt(l.rssKb.peak / 1024)} MiB`);
  }
  const slices: SliceCost[] = [];
  for (const [g, mode, level] of [
    ['rep-movsb', 'kvm', 'warn'],
    ['rep-movsb', 'bare', 'warn'],
    ['rep-stosb', 'kvm', 'warn'],
    ['rep-stosb', 'bare', 'warn'],
    ['ud-loop', 'kvm', 'info'],
    ['serial-flood', 'kvm', 'info'],
  ] as [string, 'kvm' | 'bare', 'warn' | 'info'][]) {
    const sc = await sliceCosts(g, mode, sliceCount, level);
    slices.push(sc);
    console.log(
      `${g.padEnd(13)} ${mode.padEnd(4)}: between event-loop turns over ${sc.slices} slices (in process): CPU median ${fmt(sc.cpuMs.median, 1)} ms, p99 ${fmt(sc.cpuMs.p99, 1)}, max ${fmt(sc.cpuMs.max, 1)}; wall median ${fmt(sc.wallMs.median, 1)} ms, p99 ${fmt(sc.wallMs.p99, 1)}, max ${fmt(sc.wallMs.max, 1)}; largest CPU in slice #${sc.maxCpuSliceIndex}; GC ${sc.gc.pauses} pauses, max ${fmt(sc.gc.maxMs, 1)} ms`,
    );
  }
  const clients = await hostileClients(storm);
  const sr = clients.slowReader as { rssKb: number; peakKb: number };
  const ih = clients.idleHolders as { newClientServed: boolean; msToFirstReply: number };
  const rs = clients.reconnectStorm as { cycles: number; failed: number; medianMs: number; maxMs: number };
  console.log(`slow reader (60,000 m reads, never read): server RSS ${fmt((clients.rssFirstKb as number) / 1024)} -> ${fmt(sr.rssKb / 1024)} MiB (peak ${fmt(sr.peakKb / 1024)} MiB)`);
  console.log(`idle holders (silent + 15 stray bytes): next client ${ih.newClientServed ? 'served' : 'NOT served'} in ${fmt(ih.msToFirstReply, 0)} ms`);
  console.log(`reconnect storm: ${rs.failed} of ${rs.cycles} connect/?/close cycles failed; median ${fmt(rs.medianMs, 1)} ms, max ${fmt(rs.maxMs, 1)} ms per cycle`);
  console.log(`server RSS at the end ${fmt((clients.rssEndKb as number) / 1024)} MiB, peak ${fmt((clients.rssPeakKb as number) / 1024)} MiB`);
  const all = guests.flatMap((g) => g.ms).sort((a, b) => a - b);
  console.log(`Ctrl-C over all guests: median ${fmt(median(all), 1)} ms, max ${fmt(all[all.length - 1]!, 1)} ms (${all.length} rounds, ${fmt((Date.now() - t0) / 1000, 0)} s)`);
  console.log(`load average at the end: ${load()}`);
  const result = { date: new Date().toISOString(), loadavg: loadavg(), rounds, guests, slices, clients, ctrlC: { medianMs: median(all), maxMs: all[all.length - 1] } };
  const dir = join(ROOT, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `soak-hostile-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, JSON.stringify(result, null, 2) + '\n');
  console.log(`results in ${file.slice(ROOT.length + 1)}`);
}
