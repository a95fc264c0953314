// The debug32 kernels under qemu-system-x86_64 (TCG, default qemu64 CPU = AuthenticAMD) next to dbstub in bare
// mode (vendor amd). QEMU's TCG is NOT the reference for the debug unit (the SDM is: the other debug32 tests hold
// the SDM-derived expectations); this file records where TCG agrees with dbstub byte for byte and pins each place
// it deviates, so a QEMU upgrade that changes any of it shows up. Skips visibly when QEMU is absent.
// The runtimes poll LSR.THRE before each byte, so QEMU's UART loses nothing.
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { DR6_B0, DR6_INIT, guestElf, runGuest32, VEC_DB, VEC_UD, type GuestRun } from './harness.js';

const QEMU = process.env.DBSTUB_QEMU ?? 'qemu-system-x86_64';
const hasQemu = ((): boolean => {
  try {
    execFileSync(QEMU, ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
const SKIP = hasQemu ? '' : ` (skipped: ${QEMU} not found)`;
if (!hasQemu) console.warn(`test/debug/code32/qemu-compare.test.ts: ${QEMU} not found: the QEMU comparisons are skipped`);

const run = promisify(execFile);

interface Rec { vec: number; rip: bigint; dr6: bigint; rflags: bigint; cs: number; err: bigint; dr7: bigint }
interface Log { lines: string[]; records: Rec[]; marks: Array<[number, bigint]> }

/** Serial lines with every hex field normalised (QEMU and dbstub print the same widths; this only guards). */
function parseLog(text: string): Log {
  const lines = text.replace(/\r/g, '').split('\n').filter((l) => l !== '');
  const records: Rec[] = [];
  const marks: Array<[number, bigint]> = [];
  for (const l of lines) {
    const f = l.split(' ');
    if (f[0] === 'E' && f.length === 8) {
      const n = f.slice(1).map((x) => BigInt('0x' + x));
      records.push({ vec: Number(n[0]), rip: n[1]!, dr6: n[2]!, rflags: n[3]!, cs: Number(n[4]), err: n[5]!, dr7: n[6]! });
    } else if (f[0] === 'M' && f.length === 3) marks.push([parseInt(f[1]!, 16), BigInt('0x' + f[2])]);
  }
  return { lines, records, marks };
}

async function qemuLog(scenario: string): Promise<Log> {
  const args = ['-kernel', guestElf(scenario), '-m', '64', '-serial', 'stdio', '-display', 'none', '-no-reboot',
    '-device', 'isa-debug-exit,iobase=0xf4,iosize=0x04'];
  // isa-debug-exit makes QEMU exit with a non-zero status: the output is what matters.
  const out = await run(QEMU, args, { timeout: 30_000 }).then((r) => r.stdout, (e: { stdout?: string }) => e.stdout ?? '');
  return parseLog(out);
}

async function both(scenario: string): Promise<{ q: Log; d: Log; dbstub: GuestRun }> {
  const dbstub = await runGuest32(scenario, 'bare', { vendor: 'amd', busLockDetect: false });
  return { q: await qemuLog(scenario), d: parseLog(dbstub.serial), dbstub };
}

describe('debug32 kernels: QEMU TCG next to dbstub (bare, amd)', () => {
  for (const scenario of ['ibp', 'io-breakpoint', 'compat-ibp', 'compat-watch', 'watch-len8', 'compat-watch-len8', 'step-far', 'rf-semantics', 'compat-dr-width'])
    it.skipIf(!hasQemu)(`${scenario}: identical COM1 log${SKIP}`, async () => {
      const { q, d } = await both(scenario);
      expect(q.lines).toEqual(d.lines);
      expect(d.lines.at(-1)).toBe('D');
    });

  it.skipIf(!hasQemu)(`data-watch: identical except TCG ignores the LEN alignment of an unaligned DR1 (SDM 19.2.5 masks the low bits)${SKIP}`, async () => {
    const { q, d, dbstub } = await both('data-watch');
    const wa1 = dbstub.sym('wa_1');
    const wa2 = dbstub.sym('wa_2');
    // dbstub: the write to the aligned base hits (trap at wa_1); TCG watches [DR1, DR1+len) literally and
    // reports the write past the base instead (trap at wa_2).
    expect(d.records.filter((r) => r.rip === wa1)).toHaveLength(4);
    expect(q.records.filter((r) => r.rip === wa1)).toHaveLength(0);
    expect(q.records.filter((r) => r.rip === wa2)).toHaveLength(4);
    const strip = (l: Log) => l.records.filter((r) => r.rip !== wa1 && r.rip !== wa2);
    expect(strip(q)).toEqual(strip(d));
    expect(q.marks).toEqual(d.marks);
  });

  it.skipIf(!hasQemu)(`general-detect: TCG never raises the GD #DB and leaves DR7.GD set${SKIP}`, async () => {
    const { q, d } = await both('general-detect');
    expect(d.records.filter((r) => r.vec === VEC_DB)).toHaveLength(5);
    expect(q.records).toHaveLength(0);
    expect(q.marks[0]).toEqual([0x70, 0x2400n]); // DR7 read back with GD still set
  });

  it.skipIf(!hasQemu)(`btf: TCG does not keep DEBUGCTL.BTF (reads back 0), so TF steps every instruction${SKIP}`, async () => {
    const { q, d } = await both('btf');
    expect(d.marks[0]).toEqual([0xb0, 2n]);
    expect(q.marks[0]).toEqual([0xb0, 0n]);
    expect(q.records.length).toBeGreaterThan(d.records.length);
  });

  it.skipIf(!hasQemu)(`single-step and compat-step: TCG takes no step trap at the entry of a handler reached by INT n${SKIP}`, async () => {
    for (const [scenario, handler] of [['single-step', 'si_handler'], ['compat-step', 'csi_handler']] as const) {
      const { q, d, dbstub } = await both(scenario);
      const at = dbstub.sym(handler);
      expect(d.records.filter((r) => r.rip === at)).toHaveLength(2);
      expect(q.records.filter((r) => r.rip === at)).toHaveLength(0);
      const strip = (l: Log) => l.records.filter((r) => r.rip !== at).map((r) => [r.vec, r.rip, r.dr6, r.cs]);
      expect(strip(q)).toEqual(strip(d));
    }
  });

  it.skipIf(!hasQemu)(`icebp-int: TCG raises #UD for ICEBP (0xF1) where the SDM defines a trap-like #DB${SKIP}`, async () => {
    const { q, d, dbstub } = await both('icebp-int');
    expect(d.records[0]).toMatchObject({ vec: VEC_DB, rip: dbstub.sym('ib_icebp_after') });
    expect(q.records[0]).toMatchObject({ vec: VEC_UD, rip: dbstub.sym('ib_icebp') });
  });

  it.skipIf(!hasQemu)(`movss-popss: TCG delivers the MOV SS data breakpoint at once instead of after the next instruction${SKIP}`, async () => {
    const { q, d, dbstub } = await both('movss-popss');
    expect(d.records[0]).toMatchObject({ vec: VEC_DB, rip: dbstub.sym('msw_i2'), dr6: DR6_INIT | DR6_B0 });
    expect(q.records[0]).toMatchObject({ vec: VEC_DB, rip: dbstub.sym('msw_i1'), dr6: DR6_INIT | DR6_B0 });
  });

  it.skipIf(!hasQemu)(`sti-blocking: TCG suppresses the single-step trap after STI (the STI shadow blocks interrupts only)${SKIP}`, async () => {
    const { q, d, dbstub } = await both('sti-blocking');
    const sti1 = dbstub.sym('sti_1');
    expect(d.records.filter((r) => r.rip === sti1)).toHaveLength(2);
    expect(q.records.filter((r) => r.rip === sti1)).toHaveLength(0);
    expect(q.records.map((r) => r.rip)).toEqual(d.records.filter((r) => r.rip !== sti1).map((r) => r.rip));
  });

  it.skipIf(!hasQemu)(`task-switch: TCG raises no #DB for the TSS T flag (DR7 L0 is cleared as on silicon)${SKIP}`, async () => {
    const { q, d } = await both('task-switch');
    expect(d.records.map((r) => r.dr6)).toEqual([0xffff8ff0n, 0xffff8ff0n]);
    expect(q.records).toHaveLength(0);
    expect(q.marks).toEqual(d.marks);
  });

  it.skipIf(!hasQemu)(`bus-lock: qemu64 has no DEBUGCTL bus-lock detect and ignores the WRMSR (dbstub without the feature: #GP)${SKIP}`, async () => {
    const { q, d } = await both('bus-lock');
    expect(q.records).toHaveLength(0);
    expect(q.marks.find((m) => m[0] === 0x1d9)).toEqual([0x1d9, 0n]);
    expect(d.records.map((r) => [r.vec, r.err])).toEqual([[13, 0n]]);
  });
});
