// `npm run soak` (issue 9): one gdb session against `dbstub serve` doing many mixed operations -- stepi,
// continue to a hardware watchpoint, register reads (register cache flushed each time so gdb really asks)
// and memory reads -- while the server's RSS is sampled from /proc/PID/status. Reports the drift: RSS at the
// end versus RSS once warmed up (after the first 10 % of the operations), and the peak.
//
// Options: --ops N (default 50000, about a minute here; --ops 100000 for the long run)  --mode kvm|bare
//          --hostile: hostile guests and clients instead (soak-hostile.ts; --rounds N, --storm N)
//          --sample-ms N (default 250)  --child (serve from a `dbstub serve` child instead of in-process)
// In-process (the default; `npm run soak` passes --expose-gc) the server is startServe() of the serve
// command, and every sample also records the V8 heap in use after a forced full GC: RSS alone moves in
// steps as V8 grows its heap, the post-GC heap says whether anything is really retained.

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildBenchGuests } from './guests.js';
import { runHostileSoak } from './soak-hostile.js';
import { gdbScript, runGdbScript, startDbstub } from './gdb.js';
import { startServe } from '../cli/commands/serve.js';
import { parseConfig } from '../config/config.js';
import { silentLogger } from '../log.js';
import { fmt, procStatusKb, ROOT } from './util.js';

const argv = process.argv.slice(2);
const opt = (n: string, d: string) => {
  const i = argv.indexOf(`--${n}`);
  return i >= 0 ? argv[i + 1]! : d;
};
const OPS = Number(opt('ops', '50000'));
const MODE = opt('mode', 'kvm') as 'kvm' | 'bare';
const SAMPLE_MS = Number(opt('sample-ms', '250'));
const CHILD = argv.includes('--child');
const gc = (globalThis as { gc?: () => void }).gc;

function body(ops: number): string[] {
  return [
    'set var bench_params[0]=1000000000000',
    'set var bench_params[1]=100',
    'hbreak int_loop',
    'continue',
    'delete',
    'watch bench_tick',
    'python',
    'import time',
    'inf = gdb.selected_inferior()',
    'params = int(gdb.parse_and_eval("(long)&bench_params"))',
    't0 = time.perf_counter()',
    'counts = {"stepi": 0, "continue": 0, "regs": 0, "mem": 0}',
    `N = ${ops}`,
    'for i in range(N):',
    '    k = i % 8',
    '    if k in (0, 1, 2):',
    '        gdb.execute("stepi", to_string=True); counts["stepi"] += 1',
    '    elif k == 3:',
    '        gdb.execute("continue", to_string=True); counts["continue"] += 1',
    '    elif k in (4, 5):',
    '        gdb.execute("maintenance flush register-cache", to_string=True)',
    '        gdb.execute("info registers", to_string=True); counts["regs"] += 1',
    '    else:',
    '        gdb.execute("maintenance flush dcache", to_string=True)',
    '        inf.read_memory(params if k == 6 else int(gdb.parse_and_eval("$pc")), 4096); counts["mem"] += 1',
    '    if (i + 1) % 1000 == 0:',
    '        print("SOAK ops=%d t=%f" % (i + 1, time.perf_counter() - t0), flush=True)',
    'print("SOAK done ops=%d t=%f stepi=%d continue=%d regs=%d mem=%d" % (N, time.perf_counter() - t0, counts["stepi"], counts["continue"], counts["regs"], counts["mem"]))',
    'end',
    'delete',
    'detach',
  ];
}

async function main(): Promise<void> {
  const g = buildBenchGuests();
  let port: number;
  let pid: number;
  let stop: () => Promise<void>;
  if (CHILD) {
    const server = await startDbstub(g.loop, { mode: MODE });
    port = server.port;
    pid = server.child.pid!;
    stop = server.stop;
  } else {
    const served = await startServe({ guest: g.loop, port: 0, host: '127.0.0.1', run: false, config: parseConfig({ mode: MODE }), logger: silentLogger() });
    port = served.server.port;
    pid = process.pid;
    stop = served.stop;
  }
  const samples: { t: number; rssKb: number; heapAfterGcKb?: number }[] = [];
  const t0 = Date.now();
  const timer = setInterval(() => {
    const rss = procStatusKb(pid, 'VmRSS');
    let heap: number | undefined;
    if (!CHILD && gc) {
      gc();
      heap = Math.round(process.memoryUsage().heapUsed / 1024);
    }
    if (rss !== undefined) samples.push({ t: (Date.now() - t0) / 1000, rssKb: rss, heapAfterGcKb: heap });
  }, SAMPLE_MS);
  let out;
  try {
    out = await runGdbScript(gdbScript(port, g.loop, body(OPS)), 3_600_000, /^SOAK /);
  } finally {
    clearInterval(timer);
  }
  const hwm = procStatusKb(pid, 'VmHWM');
  await stop();
  const done = /SOAK done ops=(\d+) t=([\d.]+) stepi=(\d+) continue=(\d+) regs=(\d+) mem=(\d+)/.exec(out.stdout);
  if (!done) {
    console.error(`soak: gdb session failed (status ${out.status})\n${out.stdout.slice(-1500)}\n${out.stderr.slice(-1500)}`);
    process.exit(1);
  }
  const elapsed = Number(done[2]);
  const startRss = samples[0]?.rssKb ?? NaN;
  const warmIdx = samples.findIndex((s) => s.t >= (samples[samples.length - 1]!.t * 0.1));
  const warm = samples[Math.max(0, warmIdx)]!.rssKb;
  const end = samples[samples.length - 1]!.rssKb;
  const peak = Math.max(...samples.map((s) => s.rssKb));
  const drift = end - warm;
  const heaps = samples.map((s) => s.heapAfterGcKb).filter((h): h is number => h !== undefined);
  const heap = heaps.length ? { warm: heaps[Math.max(0, warmIdx)]!, end: heaps[heaps.length - 1]!, min: Math.min(...heaps), max: Math.max(...heaps) } : undefined;
  const result = {
    date: new Date().toISOString(),
    mode: MODE,
    server: CHILD ? 'child process' : 'in-process (startServe)',
    heapAfterGcKb: heap,
    ops: Number(done[1]),
    mix: { stepi: Number(done[3]), continueToWatchpoint: Number(done[4]), registerReads: Number(done[5]), memoryReads4k: Number(done[6]) },
    seconds: elapsed,
    opsPerSecond: Number(done[1]) / elapsed,
    rssKb: { first: startRss, warm, end, peak, vmHwm: hwm, driftKb: drift, driftKbPer10kOps: (drift / Number(done[1])) * 10_000 },
    samples,
  };
  const dir = join(ROOT, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `soak-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, JSON.stringify(result, null, 2) + '\n');
  console.log(`soak (${MODE} mode, server ${result.server}): ${result.ops} ops in ${fmt(elapsed)} s (${fmt(result.opsPerSecond, 0)} ops/s): ${result.mix.stepi} stepi, ${result.mix.continueToWatchpoint} continue to watchpoint, ${result.mix.registerReads} register reads, ${result.mix.memoryReads4k} 4 KiB memory reads`);
  console.log(`RSS: first ${fmt(startRss / 1024)} MiB, after warm-up (10 %) ${fmt(warm / 1024)} MiB, end ${fmt(end / 1024)} MiB, peak ${fmt(peak / 1024)} MiB`);
  if (heap) console.log(`V8 heap after full GC: warm ${fmt(heap.warm / 1024, 2)} MiB, end ${fmt(heap.end / 1024, 2)} MiB (min ${fmt(heap.min / 1024, 2)}, max ${fmt(heap.max / 1024, 2)}): ${heap.end - heap.warm >= 0 ? '+' : ''}${fmt((heap.end - heap.warm) / 1024, 2)} MiB`);
  console.log(`drift: ${drift >= 0 ? '+' : ''}${fmt(drift / 1024, 2)} MiB over the run (${fmt(result.rssKb.driftKbPer10kOps, 0)} kB per 10k ops); samples in ${file.slice(ROOT.length + 1)}`);
}

(argv.includes('--hostile') ? runHostileSoak(argv) : main()).catch((e) => {
  console.error(`soak: ${e instanceof Error ? e.stack : e}`);
  process.exit(1);
});
