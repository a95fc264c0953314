// Profile the interpreter on a bench guest: `node dist/bench/profile.js [--guest loop|sortcrc]
// [--mode bare|armed|kvm] [--top N]`. Re-runs itself under `node --cpu-prof` (profile written to
// bench/results/, git-ignored) and prints the functions with the most self time, plus the totals by file.

import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
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

if (process.env.DBSTUB_BENCH_PROFILE_CHILD) {
  await child();
} else {
  const before = Date.now();
  const r = spawnSync(process.execPath, ['--cpu-prof', '--cpu-prof-dir', DIR, fileURLToPath(import.meta.url), ...argv], { stdio: 'inherit', env: { ...process.env, DBSTUB_BENCH_PROFILE_CHILD: '1' } });
  if (r.status !== 0) process.exit(r.status ?? 1);
  const files = readdirSync(DIR)
    .filter((f) => f.endsWith('.cpuprofile'))
    .map((f) => join(DIR, f))
    .filter((f) => statSync(f).mtimeMs >= before);
  if (!files.length) throw new Error('no profile written');
  analyze(files[files.length - 1]!);
}
