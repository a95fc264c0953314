// `npm run bench`: the figures of issue 8, each the median of several runs, printed as a table and written
// as JSON under bench/results/ (latest.json and run-<time>.json, both git-ignored; `--record NAME` also
// writes NAME.json to be committed). Speed is only ever reported here, never asserted in tests.
//
// Options: --runs N (default 5)  --quick (3 runs, smaller counts)  --skip-qemu  --skip-gdb  --skip-mips
//          --stepi N (default 2000)  --watch-every N iterations (default 100)  --watch-hits N (default 500)
//          --sortcrc-words N (default 262144 = 1 MiB)  --record NAME

import { cpus, hostname, loadavg } from 'node:os';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildBenchGuests, sameCode } from './guests.js';
import { measureMips, runGuestOnce, type MipsFigure } from './mips.js';
import { attachTime, GDB, peakRss, rateOf, runGdbScript, gdbScript, startDbstub, startQemuUser, stepiBody, watchBody, type GdbRate, type Server } from './gdb.js';
import { findQemu, qemuRate, startQemuSystem, type QemuRate } from './qemu.js';
import { fmt, median, ROOT, timed } from './util.js';

const argv = process.argv.slice(2);
const flag = (n: string) => argv.includes(`--${n}`);
const opt = (n: string, d: number) => {
  const i = argv.indexOf(`--${n}`);
  return i >= 0 ? Number(argv[i + 1]) : d;
};
const optStr = (n: string) => {
  const i = argv.indexOf(`--${n}`);
  return i >= 0 ? argv[i + 1] : undefined;
};

const quick = flag('quick');
const RUNS = opt('runs', quick ? 3 : 5);
const STEPI = opt('stepi', quick ? 500 : 2000);
const WATCH_EVERY = opt('watch-every', 100);
const WATCH_HITS = opt('watch-hits', quick ? 100 : 500);
const LOOP_ITERS = quick ? 500_000 : 2_000_000;
const SORT_WORDS = opt('sortcrc-words', quick ? 65536 : 262144);
/** Work multiplier of the `--engine jit` MIPS rows (loop iterations, sortcrc repetitions). */
const JIT_SCALE = 6;
const FOREVER = 1_000_000_000_000; // iterations for the gdb runs: never finishes
const SKIPPED = 'QEMU not installed: skipped';

interface Row {
  section: string;
  what: string;
  value: string;
  unit: string;
  note?: string;
}
const rows: Row[] = [];
const json: Record<string, unknown> = {};
const row = (section: string, what: string, value: string, unit: string, note?: string) => {
  rows.push({ section, what, value, unit, note });
  console.log(`  ${what.padEnd(58)} ${value.padStart(10)} ${unit}${note ? `   (${note})` : ''}`);
};

/** One target of a real-gdb figure: how to start it, the ELF gdb loads, and the script body (given the
 *  server's pid so the loop can read its CPU time). */
interface Contender {
  name: string;
  start: () => Promise<Server>;
  elf: string;
  body: (serverPid: number) => string[];
  mustSee?: RegExp;
}

type GdbFigure = GdbRate & { runs: number[]; cpuRuns: number[]; cpuPerOpMedian?: number; warmRuns: number[]; rateWarmMedian?: number; cpuWarmRuns: number[]; cpuPerOpWarmMedian?: number };

/**
 * Run every contender once per round, `rounds` times, in turn (A B C A B C ...), rather than all runs of one
 * then all of the next: on a machine shared with other work the load drifts over minutes, and interleaving
 * spreads that drift over all contenders, so their ratios (computed per round) are fair even when the absolute
 * rates move. A contender that fails once is dropped from later rounds.
 */
async function interleavedGdb(rounds: number, contenders: Contender[], key: string): Promise<Map<string, GdbFigure>> {
  const rates = new Map<string, number[]>(contenders.map((c) => [c.name, []]));
  const cpu = new Map<string, number[]>(contenders.map((c) => [c.name, []]));
  const warm = new Map<string, number[]>(contenders.map((c) => [c.name, []]));
  const cpuWarm = new Map<string, number[]>(contenders.map((c) => [c.name, []]));
  const last = new Map<string, GdbRate>();
  const failed = new Set<string>();
  for (let i = 0; i < rounds; i++) {
    for (const c of contenders) {
      if (failed.has(c.name)) continue;
      const s = await c.start();
      try {
        const out = await runGdbScript(gdbScript(s.port, c.elf, c.body(s.child.pid!)));
        const r = rateOf(out, key, c.mustSee);
        last.set(c.name, r);
        if (!r.ok) {
          failed.add(c.name);
          continue;
        }
        rates.get(c.name)!.push(r.rate);
        if (r.cpuPerOp !== undefined) cpu.get(c.name)!.push(r.cpuPerOp);
        if (r.rateWarm !== undefined) warm.get(c.name)!.push(r.rateWarm);
        if (r.cpuPerOpWarm !== undefined) cpuWarm.get(c.name)!.push(r.cpuPerOpWarm);
      } finally {
        await s.stop();
      }
    }
  }
  const res = new Map<string, GdbFigure>();
  for (const c of contenders) {
    const l = last.get(c.name)!;
    const cr = cpu.get(c.name)!;
    const wr = warm.get(c.name)!;
    const cw = cpuWarm.get(c.name)!;
    const base = { runs: rates.get(c.name)!, cpuRuns: cr, warmRuns: wr, cpuWarmRuns: cw };
    const fig: GdbFigure = failed.has(c.name) ? { ...l, ...base } : { ...l, ...base, rate: median(rates.get(c.name)!) };
    if (cr.length) fig.cpuPerOpMedian = median(cr);
    if (wr.length) fig.rateWarmMedian = median(wr);
    if (cw.length) fig.cpuPerOpWarmMedian = median(cw);
    res.set(c.name, fig);
  }
  return res;
}

/** Median over rounds of a.runs[i] / b.runs[i] (same round = same machine load). */
function roundRatio(a: GdbFigure | undefined, b: GdbFigure | undefined, pick: (f: GdbFigure) => number[] = (f) => f.runs): number | undefined {
  if (!a?.ok || !b?.ok) return undefined;
  const ra = pick(a);
  const rb = pick(b);
  const n = Math.min(ra.length, rb.length);
  if (n === 0) return undefined;
  return median(Array.from({ length: n }, (_, i) => ra[i]! / rb[i]!));
}
const warmRuns = (f: GdbFigure): number[] => f.warmRuns;

const cpuNote = (f: GdbFigure | undefined, per: string): string | undefined => {
  if (f?.note !== undefined || f?.cpuPerOpMedian === undefined) return f?.note;
  const warm = f.rateWarmMedian !== undefined && f.cpuPerOpWarmMedian !== undefined ? `; second half ${fmt(f.rateWarmMedian, 0)}/s, ${fmt(f.cpuPerOpWarmMedian * 1e6, 0)} us` : '';
  return `server process CPU ${fmt(f.cpuPerOpMedian * 1e6, 0)} us per ${per}${warm}`;
};

async function main(): Promise<void> {
  const t0 = Date.now();
  const cpuModel = cpus()[0]?.model ?? 'unknown';
  const qemu = flag('skip-qemu') ? { user: undefined, system: undefined, version: undefined } : findQemu();
  json.env = {
    date: new Date().toISOString(),
    host: hostname(),
    cpu: cpuModel,
    cores: cpus().length,
    node: process.version,
    gdb: /GNU gdb .*$/m.exec(timed(GDB, ['--version']).stdout)?.[0],
    qemu: qemu.version,
    loadavgStart: loadavg(),
    // The figures depend on the CPU interpreter, which changes under other helpers: say which tree was measured.
    commit: timed('git', ['-C', ROOT, 'rev-parse', '--short', 'HEAD']).stdout.trim(),
    dirtySrcFiles: timed('git', ['-C', ROOT, 'status', '--porcelain', 'src']).stdout.split('\n').filter(Boolean).length,
    runs: RUNS,
  };
  console.log(`dbstub bench: ${cpuModel} x${cpus().length}, node ${process.version}, ${RUNS} runs per figure (medians), load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);

  const g = buildBenchGuests();
  const codeSame = {
    int_loop: sameCode([g.loop, g.linux, ...(g.multiboot ? [g.multiboot.replace(/\.bin$/, '.elf')] : [])], 'int_loop'),
    sort_crc: sameCode([g.sortcrc, g.linux, ...(g.multiboot ? [g.multiboot.replace(/\.bin$/, '.elf')] : [])], 'sort_crc'),
  };
  json.workloadCodeIdentical = codeSame;

  // Instructions per unit of work, counted by dbstub (the same machine code runs under QEMU and natively).
  // (Two non-zero counts: int_loop(0, ...) returns before its prologue.)
  const loop1 = await runGuestOnce(g.loop, 'bare', [1000, 0]);
  const loopN = await runGuestOnce(g.loop, 'bare', [LOOP_ITERS, 0]);
  const perIter = (loopN.instructions - loop1.instructions) / (LOOP_ITERS - 1000);
  const sort0 = await runGuestOnce(g.sortcrc, 'bare', [SORT_WORDS, 0]);
  const sort1 = await runGuestOnce(g.sortcrc, 'bare', [SORT_WORDS, 1]);
  const perRep = sort1.instructions - sort0.instructions;
  json.instructionsPerUnit = { int_loop_iteration: perIter, sort_crc_repetition: perRep, sortcrcWords: SORT_WORDS };

  // ---------------- MIPS ----------------
  if (!flag('skip-mips')) {
    console.log('\nSimulated instruction rate (MIPS, higher is better)');
    const figs: MipsFigure[] = [];
    for (const [name, elf, params] of [
      ['loop', g.loop, [LOOP_ITERS, 0]],
      ['sortcrc', g.sortcrc, [SORT_WORDS, 1]],
    ] as const) {
      const byMode: Record<string, MipsFigure> = {};
      for (const mode of ['bare', 'armed', 'kvm', 'jit', 'jit-armed'] as const) {
        // The block compiler runs the same work ~7x faster: give it JIT_SCALE times the work so its timed runs last
        // about as long as the interpreter's (~0.5 s, not 0.07 s, where V8's first compiles moved the median by a
        // third between runs). The rate is per instruction, so the rows stay comparable (QEMU is timed on long runs too).
        const scaled: [number, number] = mode === 'jit' || mode === 'jit-armed'
          ? (name === 'loop' ? [params[0] * JIT_SCALE, params[1]] : [params[0], params[1] * JIT_SCALE])
          : [params[0], params[1]];
        const f = await measureMips(name, elf, mode, scaled, RUNS);
        figs.push(f);
        byMode[mode] = f;
        const label = {
          bare: 'bare, debug unit idle', armed: 'bare, 4 armed DR0-DR3 data bps (never hit)', kvm: 'kvm mode through the Vmm, no debugger',
          jit: '--engine jit, bare, debug unit idle', 'jit-armed': '--engine jit, bare, 4 armed DR0-DR3 data bps (never hit)',
        }[mode];
        row('mips', `${name}: dbstub ${label}`, fmt(f.mips), 'MIPS', `${(f.instructions / 1e6).toFixed(1)} M insns, ${f.secondsMedian.toFixed(2)} s`);
      }
      const loss = (1 - byMode.armed!.mips / byMode.bare!.mips) * 100;
      row('mips', `${name}: loss with 4 armed breakpoints`, fmt(loss), '%', 'target <= 10 %');
      (json as Record<string, unknown>)[`armedLossPct_${name}`] = loss;
      const jitLoss = (1 - byMode['jit-armed']!.mips / byMode.jit!.mips) * 100;
      row('mips', `${name}: --engine jit, loss with 4 armed breakpoints`, fmt(jitLoss), '%', 'target <= 10 %');
      row('mips', `${name}: --engine jit / interpreter (bare)`, fmt(byMode.jit!.mips / byMode.bare!.mips, 2), 'x', `issue 14 target: ${name === 'loop' ? 400 : 300} MIPS`);
      (json as Record<string, unknown>)[`jitArmedLossPct_${name}`] = jitLoss;
      // QEMU and native on the same machine code.
      const units = name === 'loop' ? perIter : perRep;
      const short: [number, number] = name === 'loop' ? [1_000_000, 0] : [SORT_WORDS, 1];
      const long: [number, number] = name === 'loop' ? [201_000_000, 0] : [SORT_WORDS, 11];
      const w = name === 'loop' ? 'loop' : 'sortcrc';
      const qr: Record<string, QemuRate | string> = {};
      if (qemu.user) {
        qr.user = qemuRate('user', qemu.user, g.linux, w, units, short, long, RUNS);
        row('mips', `${name}: qemu-x86_64 (user mode, TCG), static Linux build`, fmt((qr.user as QemuRate).mips, 0), 'MIPS', 'time of long run - short run');
      } else row('mips', `${name}: qemu-x86_64`, '-', '', SKIPPED);
      if (qemu.system && g.multiboot) {
        qr.system = qemuRate('system', qemu.system, g.multiboot, w, units, short, long, RUNS);
        row('mips', `${name}: qemu-system-x86_64 -accel tcg, Multiboot image`, fmt((qr.system as QemuRate).mips, 0), 'MIPS', 'time of long run - short run');
        row('mips', `${name}: dbstub --engine jit / qemu-system-x86_64 TCG`, fmt(byMode.jit!.mips / (qr.system as QemuRate).mips, 3), 'x', 'fraction of the TCG rate, same run');
      } else row('mips', `${name}: qemu-system-x86_64 -accel tcg`, '-', '', SKIPPED);
      qr.native = qemuRate('native', g.linux, g.linux, w, units, short, long, RUNS);
      row('mips', `${name}: native on the host CPU (same static build)`, fmt((qr.native as QemuRate).mips, 0), 'MIPS', 'reference');
      (json as Record<string, unknown>)[`qemu_${name}`] = qr;
    }
    json.mips = figs;
  }

  // ---------------- gdb ----------------
  if (!flag('skip-gdb')) {
    console.log('\nReal gdb against the stubs (higher is better)');
    const loopSetup = (every: number) => [`set var bench_params[0]=${FOREVER}`, `set var bench_params[1]=${every}`];
    const gj: Record<string, unknown> = {};
    // stepi: dbstub (kvm, bare) and QEMU's gdbstubs, interleaved round by round.
    const stepiC: Contender[] = [
      { name: 'dbstubKvm', start: () => startDbstub(g.loop, { mode: 'kvm' }), elf: g.loop, body: (pid) => stepiBody(STEPI, loopSetup(0), pid) },
      { name: 'dbstubBare', start: () => startDbstub(g.loop, { mode: 'bare' }), elf: g.loop, body: (pid) => stepiBody(STEPI, loopSetup(0), pid) },
    ];
    if (qemu.user) stepiC.push({ name: 'qemuUser', start: () => startQemuUser(qemu.user!, g.linux, ['loop', String(FOREVER), '0']), elf: g.linux, body: (pid) => stepiBody(STEPI, [], pid) });
    if (qemu.system && g.multiboot) stepiC.push({ name: 'qemuSystem', start: () => startQemuSystem(qemu.system!, g.multiboot!, `loop ${FOREVER} 0`), elf: g.multiboot.replace(/\.bin$/, '.elf'), body: (pid) => stepiBody(STEPI, [], pid) });
    const st = await interleavedGdb(RUNS, stepiC, 'stepi');
    row('gdb', `stepi round trips: dbstub serve (kvm mode), ${STEPI} stepi`, fmt(st.get('dbstubKvm')!.rate, 0), '/s', cpuNote(st.get('dbstubKvm'), 'stepi'));
    row('gdb', `stepi round trips: dbstub serve (bare mode)`, fmt(st.get('dbstubBare')!.rate, 0), '/s', cpuNote(st.get('dbstubBare'), 'stepi'));
    if (qemu.user) row('gdb', `stepi round trips: qemu-x86_64 -g (user mode)`, fmt(st.get('qemuUser')!.rate, 0), '/s', cpuNote(st.get('qemuUser'), 'stepi'));
    else row('gdb', 'stepi round trips: qemu-x86_64 -g', '-', '', SKIPPED);
    if (st.has('qemuSystem')) row('gdb', `stepi round trips: qemu-system-x86_64 -gdb (TCG)`, fmt(st.get('qemuSystem')!.rate, 0), '/s', cpuNote(st.get('qemuSystem'), 'stepi'));
    else row('gdb', 'stepi round trips: qemu-system-x86_64', '-', '', SKIPPED);
    const stepiRatio = roundRatio(st.get('dbstubKvm'), st.get('qemuSystem'));
    const stepiWarm = roundRatio(st.get('dbstubKvm'), st.get('qemuSystem'), warmRuns);
    if (stepiRatio !== undefined) row('gdb', 'stepi: dbstub kvm / qemu-system (median of per-round ratios)', fmt(stepiRatio, 2), 'x', `target >= 1; second halves ${fmt(stepiWarm, 2)}x`);
    gj.stepi = { ...Object.fromEntries(st), ratioKvmToQemuSystem: stepiRatio, ratioKvmToQemuSystemSecondHalf: stepiWarm };

    // Continue to a hardware watchpoint. qemu-x86_64's gdbstub has no watchpoints (Z2 unsupported in user
    // mode): one try, reported as n/a.
    const hw = /Hardware watchpoint 2: bench_tick/;
    const watchC: Contender[] = [
      { name: 'dbstubKvm', start: () => startDbstub(g.loop, { mode: 'kvm' }), elf: g.loop, body: (pid) => watchBody(WATCH_HITS, loopSetup(WATCH_EVERY), pid), mustSee: hw },
      { name: 'dbstubBare', start: () => startDbstub(g.loop, { mode: 'bare' }), elf: g.loop, body: (pid) => watchBody(WATCH_HITS, loopSetup(WATCH_EVERY), pid), mustSee: hw },
    ];
    if (qemu.system && g.multiboot) watchC.push({ name: 'qemuSystem', start: () => startQemuSystem(qemu.system!, g.multiboot!, `loop ${FOREVER} ${WATCH_EVERY}`), elf: g.multiboot.replace(/\.bin$/, '.elf'), body: (pid) => watchBody(WATCH_HITS, [], pid), mustSee: hw });
    const wt = await interleavedGdb(RUNS, watchC, 'watch');
    row('gdb', `watchpoint hits (every ${WATCH_EVERY} iterations = ${WATCH_EVERY * perIter} insns): dbstub kvm`, fmt(wt.get('dbstubKvm')!.rate, 0), 'hits/s', cpuNote(wt.get('dbstubKvm'), 'hit'));
    row('gdb', `watchpoint hits: dbstub bare`, fmt(wt.get('dbstubBare')!.rate, 0), 'hits/s', cpuNote(wt.get('dbstubBare'), 'hit'));
    const wj: Record<string, unknown> = { everyIterations: WATCH_EVERY, ...Object.fromEntries(wt) };
    if (qemu.user) {
      const r = (await interleavedGdb(1, [{ name: 'qemuUser', start: () => startQemuUser(qemu.user!, g.linux, ['loop', String(FOREVER), String(WATCH_EVERY)]), elf: g.linux, body: (pid) => watchBody(WATCH_HITS, [], pid), mustSee: hw }], 'watch')).get('qemuUser')!;
      row('gdb', `watchpoint hits: qemu-x86_64 -g (user mode)`, r.ok ? fmt(r.rate, 0) : 'n/a', r.ok ? 'hits/s' : '', r.ok ? undefined : 'qemu-user gdbstub has no watchpoints (Z2 unsupported)');
      wj.qemuUser = r;
    }
    if (wt.has('qemuSystem')) row('gdb', `watchpoint hits: qemu-system-x86_64 -gdb (TCG)`, fmt(wt.get('qemuSystem')!.rate, 0), 'hits/s', cpuNote(wt.get('qemuSystem'), 'hit'));
    else row('gdb', 'watchpoint hits: qemu-system-x86_64', '-', '', SKIPPED);
    const watchRatio = roundRatio(wt.get('dbstubKvm'), wt.get('qemuSystem'));
    const watchWarm = roundRatio(wt.get('dbstubKvm'), wt.get('qemuSystem'), warmRuns);
    if (watchRatio !== undefined) row('gdb', 'watchpoint hits: dbstub kvm / qemu-system (median of per-round ratios)', fmt(watchRatio, 2), 'x', `second halves ${fmt(watchWarm, 2)}x`);
    wj.ratioKvmToQemuSystem = watchRatio;
    wj.ratioKvmToQemuSystemSecondHalf = watchWarm;
    gj.watch = wj;

    const att = [];
    for (let i = 0; i < RUNS; i++) att.push(await attachTime(g.loop));
    const a = { total: median(att.map((x) => x.total)), listen: median(att.map((x) => x.listen)), gdbConnect: median(att.map((x) => x.gdbConnect)), gdbAlone: median(att.map((x) => x.gdbAlone)) };
    row('gdb', 'spawn `dbstub serve` -> gdb prompt after `target remote`', fmt(a.total * 1000, 0), 'ms', `server listening ${fmt(a.listen * 1000, 0)} ms + gdb start & connect ${fmt(a.gdbConnect * 1000, 0)} ms (gdb alone ${fmt(a.gdbAlone * 1000, 0)} ms)`);
    gj.attach = a;

    const rss: Record<string, number | undefined> = {};
    for (const mib of [64, 1024]) {
      const v: number[] = [];
      for (let i = 0; i < Math.min(RUNS, 3); i++) {
        const r = await peakRss(g.sortcrc, mib);
        if (r.vmHwmKb !== undefined && r.gdbOk) v.push(r.vmHwmKb);
      }
      rss[`memory${mib}MiB`] = v.length ? median(v) : undefined;
      row('gdb', `peak RSS of dbstub serve --memory ${mib} (gdb runs sortcrc to exit)`, fmt(v.length ? median(v) / 1024 : undefined), 'MiB', 'VmHWM');
    }
    gj.peakRssKb = rss;
    json.gdb = gj;
  }

  (json.env as Record<string, unknown>).loadavgEnd = loadavg();
  json.rows = rows;
  json.seconds = (Date.now() - t0) / 1000;
  const dir = join(ROOT, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const text = JSON.stringify(json, null, 2) + '\n';
  writeFileSync(join(dir, 'latest.json'), text);
  writeFileSync(join(dir, `run-${new Date().toISOString().replace(/[:.]/g, '-')}.json`), text);
  const rec = optStr('record');
  if (rec) writeFileSync(join(dir, `${rec}.json`), text);
  console.log(`\nworkload code identical across builds: int_loop ${codeSame.int_loop}, sort_crc ${codeSame.sort_crc}; ${perIter} insns/iteration, ${perRep} insns/sortcrc repetition`);
  console.log(`wrote bench/results/latest.json${rec ? ` and bench/results/${rec}.json` : ''} (${json.seconds} s)`);
}

main().catch((e) => {
  console.error(`bench: ${e instanceof Error ? e.stack : e}`);
  process.exit(1);
});
