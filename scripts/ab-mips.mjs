#!/usr/bin/env node
// Interleaved A/B of the interpreter's speed between two builds of dbstub, for changes that must not make it
// slower (docs/performance.md). Both builds' `runGuestOnce` (dist/bench/mips.js) run in this one process,
// alternating A B, B A, ... per round, on the workloads and parameters of `npm run bench`'s `loop` and `sortcrc`
// MIPS rows. The figure compared is MIPS per second of this process's CPU time (user + system): on the shared
// build machine the wall clock follows the load of other work, the CPU time much less.
//
// usage: node scripts/ab-mips.mjs DIST_A DIST_B [ROUNDS=6] [MODES=bare,armed,kvm]
//   DIST_A, DIST_B: the dist/ directories of two checkouts built with `npm run build` (the bench guests are
//   built by DIST_B's src/bench/guests.js into its checkout's build/guests/bench).

import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const [distA, distB, roundsArg, modesArg] = process.argv.slice(2);
if (!distA || !distB) {
  console.error('usage: node scripts/ab-mips.mjs DIST_A DIST_B [ROUNDS] [MODES]');
  process.exit(2);
}
const rounds = Number(roundsArg ?? 6);
const modes = (modesArg ?? 'bare,armed,kvm').split(',');
const load = (dist, file) => import(pathToFileURL(resolve(dist, file)).href);
const A = await load(distA, 'bench/mips.js');
const B = await load(distB, 'bench/mips.js');
const guests = (await load(distB, 'bench/guests.js')).buildBenchGuests();
/** The `npm run bench` parameters (src/bench/run.ts: LOOP_ITERS, SORT_WORDS with one repetition). */
const workloads = [['loop', guests.loop, [2_000_000, 0]], ['sortcrc', guests.sortcrc, [262144, 1]]];

const median = (v) => {
  const s = [...v].sort((x, y) => x - y);
  const n = s.length;
  return n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
};

async function once(build, elf, mode, params) {
  const c0 = process.cpuUsage();
  const r = await build.runGuestOnce(elf, mode, params);
  const c = process.cpuUsage(c0);
  return { wall: r.instructions / r.seconds / 1e6, cpu: r.instructions / ((c.user + c.system) / 1e6) / 1e6 };
}

for (const [name, elf, params] of workloads) {
  for (const mode of modes) {
    await once(A, elf, mode, params); // warm-up of both builds
    await once(B, elf, mode, params);
    const a = [];
    const b = [];
    const ratio = [];
    for (let i = 0; i < rounds; i++) {
      // Alternate which build goes first, so a load change within a round does not favour one side.
      if (i % 2 === 0) { a.push(await once(A, elf, mode, params)); b.push(await once(B, elf, mode, params)); }
      else { b.push(await once(B, elf, mode, params)); a.push(await once(A, elf, mode, params)); }
      ratio.push(b[i].cpu / a[i].cpu);
    }
    const f = (v) => median(v).toFixed(1);
    console.log(`${name} ${mode}: A ${f(a.map((x) => x.cpu))} / B ${f(b.map((x) => x.cpu))} MIPS per CPU second ` +
      `(wall ${f(a.map((x) => x.wall))} / ${f(b.map((x) => x.wall))}); B/A per round: median ${median(ratio).toFixed(3)} ` +
      `[${ratio.map((x) => x.toFixed(2)).join(' ')}]`);
  }
}
