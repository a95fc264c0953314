// Profile the interpreter on a bench guest: `node dist/bench/profile.js [--guest loop|sortcrc]
// [--mode bare|armed|kvm] [--top N]`. Re-runs itself under `node --cpu-prof` (profile written to
// bench/results/, git-ignored) and prints the functions with the most self time, plus the totals by file.
//
// `--gdb stepi|watch [--n N] [--mode kvm|bare]` profiles the RSP path instead: `dbstub serve` runs under
// `node --cpu-prof` while real gdb does N stepi (or N continues to a hardware watchpoint on bench_tick written
// every 100 iterations) on the loop guest, as `npm run bench` does; the server's profile is analysed after
// SIGTERM closed it. `--gdb attach` profiles start-up: spawn, gdb's `target remote`, detach.

import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gdbScript, runGdbScript, startDbstub, stepiBody, watchBody, rateOf } from './gdb.js';
import { buildBenchGuests } from './guests.js';
import { runGuestOnce, type MipsMode } from './mips.js';
import { ROOT } from './util.js';

const argv = process.argv.slice(2);
const opt = (n: string, d: string) => {
  const i = argv.indexOf(`--${n}`);
  return i >= 0 ? argv[i + 1]! : d;
};
const guest = opt('guest', 'loop') as 'loop' | 'sortcrc';
const mode = opt('mode', 'bare') as MipsMode;
const top = Number(opt('top', '25'));
const gdbWhat = opt('gdb', '') as '' | 'stepi' | 'watch' | 'attach';
const gdbN = Number(opt('n', gdbWhat === 'stepi' ? '5000' : '2000'));
const DIR = join(ROOT, 'bench', 'results');

interface ProfNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

async function child(): Promise<void> {
  const g = buildBenchGuests();
  const elf = guest === 'loop' ? g.loop : g.sortcrc;
  const params: [number, number] = guest === 'loop' ? [3_000_000, 0] : [262144, 1];
  const r = await runGuestOnce(elf, mode, params);
  console.log(`${guest} (${mode}): ${r.instructions} instructions in ${r.seconds.toFixed(2)} s = ${(r.instructions / r.seconds / 1e6).toFixed(1)} MIPS (under the profiler)`);
}

function analyze(file: string): void {
  const prof = JSON.parse(readFileSync(file, 'utf8')) as { nodes: ProfNode[]; samples: number[]; timeDeltas: number[] };
  const byNode = new Map<number, number>();
  for (let i = 0; i < prof.samples.length; i++) byNode.set(prof.samples[i]!, (byNode.get(prof.samples[i]!) ?? 0) + (prof.timeDeltas[i] ?? 0));
  const total = [...byNode.values()].reduce((a, b) => a + b, 0);
  const byFn = new Map<string, number>();
  const byFile = new Map<string, number>();
  for (const n of prof.nodes) {
    const t = byNode.get(n.id) ?? 0;
    if (!t) continue;
    const url = n.callFrame.url.startsWith('file://') ? relative(ROOT, fileURLToPath(n.callFrame.url)) : n.callFrame.url || '(native)';
    const key = `${n.callFrame.functionName || '(anonymous)'}  ${url}:${n.callFrame.lineNumber + 1}`;
    byFn.set(key, (byFn.get(key) ?? 0) + t);
    byFile.set(url, (byFile.get(url) ?? 0) + t);
  }
  const pct = (t: number) => ((t / total) * 100).toFixed(1).padStart(5) + ' %';
  console.log(`\nself time by function (top ${top}), ${file.slice(ROOT.length + 1)}:`);
  for (const [k, t] of [...byFn].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`  ${pct(t)}  ${k}`);
  console.log('\nself time by file:');
  for (const [k, t] of [...byFile].sort((a, b) => b[1] - a[1]).slice(0, 12)) console.log(`  ${pct(t)}  ${k}`);
}

function newestProfile(since: number): string {
  const files = readdirSync(DIR)
    .filter((f) => f.endsWith('.cpuprofile'))
    .map((f) => join(DIR, f))
    .filter((f) => statSync(f).mtimeMs >= since)
    .sort((a, b) => statSync(a).mtimeMs - statSync(b).mtimeMs);
  if (!files.length) throw new Error('no profile written');
  return files[files.length - 1]!;
}

/** The server side of real-gdb stepi / watchpoint loops (or attach) under the profiler. */
async function profileGdb(): Promise<void> {
  const g = buildBenchGuests();
  const before = Date.now();
  const server = await startDbstub(g.loop, { mode: mode === 'bare' ? 'bare' : 'kvm', nodeArgs: ['--cpu-prof', '--cpu-prof-dir', DIR] });
  // The loop never finishes (bench_params[0] huge); bench_tick is written every 100 iterations.
  const setup = ['set var bench_params[0]=1000000000000', `set var bench_params[1]=${gdbWhat === 'watch' ? 100 : 0}`];
  const body = gdbWhat === 'stepi' ? stepiBody(gdbN, setup) : gdbWhat === 'watch' ? watchBody(gdbN, setup) : [];
  const out = await runGdbScript(gdbScript(server.port, g.loop, [...body, 'detach']));
  await server.stop();
  if (gdbWhat !== 'attach') {
    const r = rateOf(out, gdbWhat);
    console.log(`gdb ${gdbWhat} x${gdbN} (${mode === 'bare' ? 'bare' : 'kvm'} mode): ${r.ok ? `${r.rate.toFixed(0)}/s (under the profiler)` : r.note}`);
  }
  analyze(newestProfile(before));
}

if (gdbWhat !== '') {
  await profileGdb();
} else if (process.env.DBSTUB_BENCH_PROFILE_CHILD) {
  await child();
} else {
  const before = Date.now();
  const r = spawnSync(process.execPath, ['--cpu-prof', '--cpu-prof-dir', DIR, fileURLToPath(import.meta.url), ...argv], { stdio: 'inherit', env: { ...process.env, DBSTUB_BENCH_PROFILE_CHILD: '1' } });
  if (r.status !== 0) process.exit(r.status ?? 1);
  analyze(newestProfile(before));
}
