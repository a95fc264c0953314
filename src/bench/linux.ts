// `npm run linux` (issue 16): Debian's kernel with Linux's own selftests, side by side on dbstub (bare and kvm
// mode) and QEMU TCG booting the same kernel, initramfs and command line, one after another on this machine.
// Reports, per machine, the wall time from start to /init's first line (boot-to-/init) and to the power-off,
// dbstub's instructions, and each selftest's outcome with its own [FAIL]/"not ok" lines. Nothing here is a
// test: the CI suite boots once (test/linux/kernel-gdb.test.ts); this is the rest, for a person to read.
//
//   node dist/bench/linux.js [--runs bare,kvm,qemu,bare-jit,kvm-jit] [--vendor intel|amd] [--programs a,b,...] [--timeout S] [--json FILE]
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { buildSelftestsInitramfs, debianKernel, haveSelftestSources, hasCpio, selftestResults, SELFTESTS_64, type SelftestResult } from './linux-initramfs.js';
import { DBSTUB_BIN, now, which } from './util.js';

const argv = process.argv.slice(2);
const flag = (name: string, dflt: string): string => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && argv[i + 1] !== undefined ? argv[i + 1]! : dflt;
};
const RUNS = flag('runs', 'bare,kvm,qemu').split(',');
const VENDOR = flag('vendor', 'intel');
const PROGRAMS = flag('programs', [...SELFTESTS_64.map((t) => t.name), 'buslock'].join(',')).split(',');
const JSON_OUT = flag('json', '');
/** Per boot: a guest that hangs (QEMU TCG once hung in ldt_gdt_64's threads) is killed and reported. */
const TIMEOUT_S = Number(flag('timeout', '1200'));
const MEMORY_MIB = 256;
/** isa-debug-exit value 0x10 -> status 33, what /init writes after its programs. */
const INIT_EXIT_STATUS = 33;

interface Boot {
  machine: string;
  status: number | null;
  timedOut: boolean;
  bootToInitS: number | undefined;
  totalS: number;
  instructions: number | undefined;
  results: SelftestResult[];
  busLockWarnings: number;
}

function boot(machine: string, cmd: string, args: string[]): Promise<Boot> {
  return new Promise((resolve, reject) => {
    const t0 = now();
    let bootToInitS: number | undefined;
    let stdout = '';
    let stderr = '';
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let timedOut = false;
    const timer = setTimeout(() => { timedOut = true; child.kill('SIGKILL'); }, TIMEOUT_S * 1000);
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
      if (bootToInitS === undefined && stdout.includes('dbstub-init: pid 1')) bootToInitS = now() - t0;
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (status) => {
      clearTimeout(timer);
      const insns = /\(([\d,]+) instructions in/.exec(stderr)?.[1];
      resolve({
        machine,
        status,
        timedOut,
        bootToInitS,
        totalS: now() - t0,
        instructions: insns === undefined ? undefined : Number(insns.replace(/,/g, '')),
        results: selftestResults(stdout),
        busLockWarnings: (stdout.match(/took a bus_lock trap/g) ?? []).length,
      });
    });
  });
}

async function main(): Promise<void> {
  const kernel = debianKernel();
  if (kernel === undefined || !hasCpio() || !haveSelftestSources()) {
    console.error('npm run linux: needs Debian\'s kernel and linux-source-6.1 (node scripts/fetch-linux.mjs --selftests) and cpio');
    process.exit(69);
  }
  const initrd = buildSelftestsInitramfs();
  const append = `console=ttyS0 quiet -- ${PROGRAMS.map((p) => (p === 'buslock' ? p : `/st/${p}`)).join(' ')}`;
  const boots: Boot[] = [];
  for (const run of RUNS) {
    if (run === 'qemu') {
      const qemu = which('qemu-system-x86_64');
      if (qemu === undefined) { console.log('qemu-system-x86_64 not installed: no QEMU column'); continue; }
      // -cpu max: what QEMU offers TCG guests (the kvm-unit-tests table uses the same); isa-debug-exit at 0xF4 as dbstub.
      boots.push(await boot('qemu-tcg', qemu, ['-M', 'pc', '-accel', 'tcg', '-cpu', 'max', '-m', String(MEMORY_MIB), '-nographic', '-no-reboot',
        '-kernel', kernel, '-initrd', initrd, '-append', append, '-device', 'isa-debug-exit,iobase=0xf4,iosize=0x04']));
    } else {
      // bare, kvm, or either with the block compiler: bare-jit, kvm-jit.
      const [mode, engine = 'interp'] = run.split('-');
      boots.push(await boot(`dbstub-${run}`, process.execPath, [DBSTUB_BIN, 'run', kernel, '--mode', mode!, '--engine', engine, '--vendor', VENDOR, '--memory', String(MEMORY_MIB),
        '--initrd', initrd, '--append', append, '--max-insns', '40000000000']));
    }
    const b = boots[boots.length - 1]!;
    console.log(`${b.machine}: ${b.timedOut ? `killed after ${TIMEOUT_S} s, ` : ''}exit ${b.status}${b.status === INIT_EXIT_STATUS ? ' (init powered off)' : ''}, boot-to-/init ${b.bootToInitS?.toFixed(1) ?? '-'} s, total ${b.totalS.toFixed(1)} s${b.instructions !== undefined ? `, ${b.instructions.toLocaleString('en-US')} instructions` : ''}`);
  }
  console.log(`\n${'selftest'.padEnd(24)}${boots.map((b) => b.machine.padEnd(34)).join('')}`);
  for (const p of PROGRAMS.filter((p) => p !== 'buslock')) {
    const cells = boots.map((b) => {
      const r = b.results.find((x) => x.name === p);
      return (r === undefined ? 'not run' : `${r.status}, ${r.passes} ok, ${r.failures.length} fail`).padEnd(34);
    });
    console.log(`${p.padEnd(24)}${cells.join('')}`);
  }
  if (PROGRAMS.includes('buslock')) console.log(`${'bus-lock warnings'.padEnd(24)}${boots.map((b) => String(b.busLockWarnings).padEnd(34)).join('')}`);
  for (const b of boots) for (const r of b.results) for (const f of r.failures.slice(0, 5)) console.log(`  ${b.machine} ${r.name}: ${f}`);
  if (JSON_OUT) writeFileSync(JSON_OUT, JSON.stringify({ vendor: VENDOR, append, boots }, null, 2));
}

main().catch((e: unknown) => {
  console.error(`npm run linux: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(70);
});
