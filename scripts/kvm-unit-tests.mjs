#!/usr/bin/env node
// Run upstream kvm-unit-tests (x86) under dbstub, as issue 15 asks: the suite hypervisor engineers use to
// check a virtual x86 machine. kvm-unit-tests is not ours to vendor; point this at a checkout of it:
//
//   npm run kut -- /path/to/kvm-unit-tests [options]
//
// It builds the suite out of tree (its own ./configure --arch=x86_64 and --arch=i386, then make), reads
// x86/unittests.cfg, runs every test of each build under `dbstub run --boot multiboot` in each mode (bare,
// kvm) and vendor (intel, amd) with a timeout, classifies each run from the guest's isa-debug-exit status
// and its "PASS:/FAIL:/SKIP:" report lines, and prints a table (plus a QEMU TCG column when
// qemu-system-x86_64 is installed, run as kvm-unit-tests' x86/run does: -nodefaults, pc-testdev,
// isa-debug-exit at 0xf4, serial on stdio, -kernel). Options:
//   --build-dir DIR    where the two builds go (default: $TMPDIR/dbstub-kut-build)
//   --no-build         use the builds already in --build-dir
//   --timeout S        per run, seconds, for every section (as kvm-unit-tests' TIMEOUT variable); default: the
//                      section's own `timeout`, else 90 s, as kvm-unit-tests' scripts/runtime.bash
//   --jobs N           runs in parallel (default 2)
//   --only a,b         only these cfg sections
//   --modes bare,kvm   --vendors intel,amd   --no-qemu
//   --json FILE        every run's outcome and report counts (rewritten after each run)
//   --prior FILE       a --json file of an earlier (interrupted) run: its results are kept, not re-run
//   --src-commit ID    the kvm-unit-tests commit to print (when SRC is not a git checkout)
//   --dbstub CMD       the dbstub entry (default: bin/dbstub.js of this checkout; run `npm run build` first)
//   --engine E         dbstub's --engine (interp, jit, reference; default: dbstub's own, i.e. DBSTUB_ENGINE
//                      or interp)
// Mapping of a cfg section to dbstub: `test_args` -> --append (a `command` in it replaced by its output, as
// kvm-unit-tests' scripts/runtime.bash evals the command line); `-m N` in qemu_params -> --memory N (else
// 128, QEMU's default); `-cpu ...,+rtm` -> --rtm; `vendor=` in -cpu -> --vendor (the section then runs as
// that vendor in both vendor columns); BUS_LOCK_DETECT off unless -cpu asks for it (QEMU's models do not
// advertise it; with it, writing 0 to DR6 clears the writable DR6.BLD, as on silicon). dbstub models one CPU: `smp` is not mapped (the
// SMP parts of a test then fail or skip as they would on a 1-CPU QEMU). Everything else in qemu_params
// (other -cpu flags, -device, -machine) has no dbstub counterpart and is listed with the result.

import { execFile, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

// kvm-unit-tests' exit convention (lib/report.c report_summary, QEMU isa-debug-exit): the guest writes
// v to port 0xf4 and the VMM exits with (v << 1) | 1: 0 (all passed) -> 1, failures -> 3, all skipped
// (77 >> 1) -> 77.
const STATUS_PASS = 1;
const STATUS_FAIL = 3;
const STATUS_SKIP = 77;
// dbstub's own statuses (README "Exit codes").
const DBSTUB_STATUS = { 64: 'usage', 65: 'bad image', 66: 'no input', 70: 'internal error', 71: 'triple fault', 72: 'budget', 73: 'HLT forever', 74: 'unsupported mode (real/v8086)', 130: 'interrupted' };

function parseArgs(argv) {
  const o = { src: undefined, buildDir: join(tmpdir(), 'dbstub-kut-build'), build: true, timeout: undefined, jobs: 2, only: undefined,
    modes: ['bare', 'kvm'], vendors: ['intel', 'amd'], qemu: true, json: undefined, dbstub: join(ROOT, 'bin', 'dbstub.js') };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => { const v = argv[++i]; if (v === undefined) throw new Error(`${a} needs a value`); return v; };
    if (a === '--build-dir') o.buildDir = resolve(val());
    else if (a === '--no-build') o.build = false;
    else if (a === '--timeout') o.timeout = Number(val());
    else if (a === '--jobs') o.jobs = Math.max(1, Number(val()));
    else if (a === '--only') o.only = new Set(val().split(','));
    else if (a === '--modes') o.modes = val().split(',');
    else if (a === '--vendors') o.vendors = val().split(',');
    else if (a === '--no-qemu') o.qemu = false;
    else if (a === '--json') o.json = resolve(val());
    else if (a === '--prior') o.prior = resolve(val());
    else if (a === '--dbstub') o.dbstub = resolve(val());
    else if (a === '--src-commit') o.srcCommit = val();
    else if (a === '--engine') o.engine = val();
    else if (a === '-h' || a === '--help') { o.help = true; }
    else if (a.startsWith('-')) throw new Error(`unknown option ${a}`);
    else o.src = resolve(a);
  }
  return o;
}

/** The sections of x86/unittests.cfg: { name, file, arch, smp, qemu_params, test_args, timeout, accel, groups }. */
export function parseCfg(text) {
  const tests = [];
  let cur;
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\s+$/, '');
    if (line === '' || line.startsWith('#')) continue;
    const sec = /^\[(.+)\]$/.exec(line);
    if (sec) { cur = { name: sec[1] }; tests.push(cur); continue; }
    const kv = /^(\w+)\s*=\s*(.*)$/.exec(line);
    if (kv && cur) cur[kv[1]] = kv[2].replace(/^'(.*)'$/, '$1').replace(/^"(.*)"$/, '$1');
  }
  return tests;
}

/** A section's test_args as kvm-unit-tests' own runner passes them: scripts/runtime.bash builds the command line
 *  and `eval`s it, so a command substitution such as kvmclock_test's `date +%s` becomes its output. */
export function expandTestArgs(args) {
  return args.replace(/`([^`]*)`/g, (_, cmd) => execFileSync('sh', ['-c', cmd], { encoding: 'utf8' }).trim());
}

/** The builds a section runs in: an explicit arch, else x86_64 (the build kvm-unit-tests' CI runs). */
function buildsOf(t) {
  return [t.arch === 'i386' ? 'i386' : 'x86_64'];
}

async function build(src, dir, arch) {
  mkdirSync(dir, { recursive: true });
  if (!existsSync(join(dir, 'config.mak'))) {
    process.stderr.write(`kut: configure --arch=${arch} in ${dir}\n`);
    await run(join(src, 'configure'), [`--arch=${arch}`], { cwd: dir, maxBuffer: 1 << 26 });
  }
  process.stderr.write(`kut: make (${arch})\n`);
  await run('make', ['-j2'], { cwd: dir, maxBuffer: 1 << 28 });
}

/** QEMU's -m size in MiB: a number is MiB, a k/M/G/T suffix scales it (QEMU qemu_opt_get_size; svm's `-m 4g`). */
export function qemuMiB(v) {
  const m = /^(\d+(?:\.\d+)?)([kKmMgGtT]?)[bB]?$/.exec(v ?? '');
  if (!m) return Number.NaN;
  const scale = { '': 1, k: 1 / 1024, m: 1, g: 1024, t: 1024 * 1024 }[m[2].toLowerCase()];
  return Math.round(Number(m[1]) * scale);
}

/** The dbstub flags a cfg section maps to, and what of its qemu_params has no counterpart. */
function dbstubArgs(t) {
  const args = [];
  const ignored = [];
  const q = (t.qemu_params ?? '').split(/\s+/).filter(Boolean);
  let memory = 128;
  let vendor;
  let busLock = false;
  for (let i = 0; i < q.length; i++) {
    if (q[i] === '-m') memory = qemuMiB(q[++i]);
    else if (q[i] === '-cpu') {
      const spec = q[++i];
      if (/(^|,)\+rtm(,|$)/.test(spec)) args.push('--rtm');
      if (/(^|,)\+bus-lock-detect(,|$)/.test(spec)) busLock = true;
      if (/vendor=AuthenticAMD/.test(spec)) vendor = 'amd';
      if (/vendor=GenuineIntel/.test(spec)) vendor = 'intel';
      ignored.push(`-cpu ${spec}`);
    } else ignored.push(q[i]);
  }
  // QEMU's CPU models (qemu64 by default) do not advertise BUS_LOCK_DETECT; dbstub does by default.
  if (!busLock) args.push('--no-bus-lock-detect');
  args.push('--memory', String(memory));
  if (t.test_args) args.push(`--append=${expandTestArgs(t.test_args)}`);
  if (t.smp && t.smp !== '1') ignored.push(`smp=${t.smp}`);
  return { args, ignored, vendor };
}

function spawnTimed(cmd, args, timeoutS) {
  return new Promise((res) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let out = '', err = '';
    child.stdout.on('data', (d) => { if (out.length < 4 << 20) out += d; });
    child.stderr.on('data', (d) => { if (err.length < 1 << 20) err += d; });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try { process.kill(-child.pid, 'SIGKILL'); } catch { /* gone */ }
    }, timeoutS * 1000);
    child.on('close', (code, signal) => { clearTimeout(timer); res({ code, signal, timedOut, out, err }); });
  });
}

/** Outcome of one run: PASS / FAIL / SKIP from the guest's status, else why it did not finish. */
export function classify(r) {
  const pass = (r.out.match(/^PASS: /gm) ?? []).length;
  const fail = (r.out.match(/^FAIL: /gm) ?? []).length;
  const skip = (r.out.match(/^SKIP: /gm) ?? []).length;
  const summary = /^SUMMARY: .*$/m.exec(r.out)?.[0];
  let outcome;
  if (r.timedOut) outcome = 'TIMEOUT';
  else if (r.code === STATUS_PASS) outcome = 'PASS';
  else if (r.code === STATUS_FAIL) outcome = 'FAIL';
  else if (r.code === STATUS_SKIP) outcome = 'SKIP';
  else outcome = `ABORT(${r.code ?? r.signal}${DBSTUB_STATUS[r.code] ? ' ' + DBSTUB_STATUS[r.code] : ''})`;
  return { outcome, pass, fail, skip, summary };
}

async function runDbstub(o, flat, t, mode, vendor) {
  const { args, ignored, vendor: forced } = dbstubArgs(t);
  // A section that names the vendor in -cpu (syscall: AuthenticAMD, msr: GenuineIntel) runs as that
  // vendor in both vendor columns, as it would under QEMU.
  if (forced !== undefined && forced !== vendor) ignored.push(`vendor forced to ${forced}`);
  const timeout = timeoutOf(o, t);
  const r = await spawnTimed(process.execPath, [o.dbstub, 'run', flat, '--boot', 'multiboot', '--mode', mode, '--vendor', forced ?? vendor,
    ...(o.engine ? ['--engine', o.engine] : []), ...args], timeout);
  const lastErr = r.err.trim().split('\n').filter((l) => l.startsWith('dbstub:')).pop() ?? '';
  return { ...classify(r), ignored, detail: lastErr };
}

/** Seconds a section may run: --timeout for all (kvm-unit-tests' TIMEOUT), else the cfg's own, else 90
 *  (scripts/runtime.bash: `timeout=${TIMEOUT:-${11:-90s}}`). */
const DEFAULT_TIMEOUT_S = 90;
function timeoutOf(o, t) {
  if (o.timeout !== undefined) return o.timeout;
  return (t.timeout ? parseInt(t.timeout, 10) : NaN) || DEFAULT_TIMEOUT_S;
}

async function runQemu(o, flat, t) {
  const q = (t.qemu_params ?? '').split(/\s+/).filter(Boolean).map((a) => a.replace(/^host(,|$)/, 'max$1'));
  const args = ['--no-reboot', '-nodefaults', '-device', 'pc-testdev', '-device', 'isa-debug-exit,iobase=0xf4,iosize=0x4',
    '-display', 'none', '-serial', 'stdio', '-device', 'pci-testdev', '-machine', 'accel=tcg', '-kernel', flat,
    '-smp', t.smp ?? '1', ...q];
  if (t.test_args) args.push('-append', expandTestArgs(t.test_args));
  const timeout = timeoutOf(o, t);
  return { ...classify(await spawnTimed('qemu-system-x86_64', args, timeout)), ignored: [], detail: '' };
}

async function hasQemu() {
  try { await run('qemu-system-x86_64', ['--version']); return true; } catch { return false; }
}

async function pool(jobs, n, fn) {
  let next = 0;
  await Promise.all(Array.from({ length: jobs }, async () => { for (;;) { const i = next++; if (i >= n) return; await fn(i); } }));
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  if (o.help || !o.src) {
    process.stderr.write(readFileSync(fileURLToPath(import.meta.url), 'utf8').split("\n").slice(1, 30).map((l) => l.replace(/^\/\/ ?/, '')).join('\n') + '\n');
    process.exit(o.help ? 0 : 64);
  }
  const cfgPath = join(o.src, 'x86', 'unittests.cfg');
  if (!existsSync(cfgPath)) throw new Error(`${cfgPath} not found: give the kvm-unit-tests source directory`);
  let commit = o.srcCommit ?? 'unknown';
  if (!o.srcCommit) try { commit = (await run('git', ['-C', o.src, 'rev-parse', '--short=8', 'HEAD'])).stdout.trim(); } catch { /* a tarball */ }
  let ours = 'unknown';
  try { ours = (await run('git', ['-C', ROOT, 'rev-parse', '--short=8', 'HEAD'])).stdout.trim(); } catch { /* not a checkout */ }
  const tests = parseCfg(readFileSync(cfgPath, 'utf8')).filter((t) => t.file && (!o.only || o.only.has(t.name)));
  const archs = [...new Set(tests.flatMap(buildsOf))];
  if (o.build) for (const a of archs) await build(o.src, join(o.buildDir, a), a);
  const qemu = o.qemu && (await hasQemu());
  const columns = [];
  for (const mode of o.modes) for (const vendor of o.vendors) columns.push({ key: `${mode}/${vendor}`, mode, vendor });
  if (qemu) columns.push({ key: 'qemu-tcg', qemu: true });

  const jobsList = [];
  for (const t of tests) for (const a of buildsOf(t)) for (const c of columns) jobsList.push({ t, a, c });
  const results = new Map(); // name -> column -> result
  const prior = o.prior ? JSON.parse(readFileSync(o.prior, 'utf8')).tests : {};
  for (const [name, cols] of Object.entries(prior)) results.set(name, { ...cols });
  const saveJson = () => {
    if (!o.json) return;
    const obj = { kvmUnitTests: commit, dbstub: ours, timeout: o.timeout, columns: columns.map((c) => c.key), tests: Object.fromEntries(tests.map((t) => [t.name, results.get(t.name) ?? {}])) };
    writeFileSync(o.json, JSON.stringify(obj, null, 1) + '\n');
  };
  const todo = jobsList.filter(({ t, c }) => results.get(t.name)?.[c.key] === undefined);
  jobsList.length = 0;
  jobsList.push(...todo);
  let done = 0;
  await pool(o.jobs, jobsList.length, async (i) => {
    const { t, a, c } = jobsList[i];
    const flat = join(o.buildDir, a, 'x86', t.file);
    const r = !existsSync(flat) ? { outcome: 'NOT BUILT', pass: 0, fail: 0, skip: 0, ignored: [], detail: '' }
      : c.qemu ? await runQemu(o, flat, t) : await runDbstub(o, flat, t, c.mode, c.vendor);
    if (!results.has(t.name)) results.set(t.name, {});
    results.get(t.name)[c.key] = r;
    saveJson();
    done++;
    process.stderr.write(`kut: [${done}/${jobsList.length}] ${t.name} ${c.key}: ${r.outcome} (${r.pass} pass, ${r.fail} fail, ${r.skip} skip)${r.detail ? ' ' + r.detail : ''}\n`);
  });

  // Table: one row per test, one column per configuration; then the totals.
  const keys = columns.map((c) => c.key);
  const cell = (r) => (r ? `${r.outcome}${r.pass + r.fail + r.skip ? ` ${r.pass}/${r.fail}/${r.skip}` : ''}` : '-');
  const lines = [];
  lines.push(`kvm-unit-tests ${commit}, dbstub ${ours}${o.engine ? ` (--engine ${o.engine})` : ''}, timeout ${o.timeout !== undefined ? `${o.timeout} s` : `each section's own, else ${DEFAULT_TIMEOUT_S} s`}; cells: outcome pass/fail/skip report lines`);
  lines.push('');
  lines.push(`| test | ${keys.join(' | ')} |`);
  lines.push(`|---|${keys.map(() => '---').join('|')}|`);
  for (const t of tests) {
    const row = results.get(t.name) ?? {};
    lines.push(`| ${t.name} | ${keys.map((k) => cell(row[k])).join(' | ')} |`);
  }
  const count = (k, what) => tests.filter((t) => results.get(t.name)?.[k]?.outcome === what).length;
  lines.push(`| **runs ending in PASS** | ${keys.map((k) => `**${count(k, 'PASS')}**`).join(' | ')} |`);
  lines.push(`| runs ending in SKIP | ${keys.map((k) => count(k, 'SKIP')).join(' | ')} |`);
  lines.push(`| runs ending in FAIL | ${keys.map((k) => count(k, 'FAIL')).join(' | ')} |`);
  lines.push(`| timeouts | ${keys.map((k) => count(k, 'TIMEOUT')).join(' | ')} |`);
  lines.push(`| other (abort) | ${keys.map((k) => tests.filter((t) => /^ABORT|NOT BUILT/.test(results.get(t.name)?.[k]?.outcome ?? '')).length).join(' | ')} |`);
  process.stdout.write(lines.join('\n') + '\n');
  saveJson();
}

main().catch((e) => {
  process.stderr.write(`kut: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
