// Harness of the #DB proof suite (issue 3): run one guest of test/guest-src/debug/<scenario>/ in the
// simulator (bare mode, no debugger, no hypervisor) and parse what its own exception handlers logged
// over COM1 (format documented in test/guest-src/debug/rt.inc):
//   E <vec> <rip> <dr6> <rflags> <cs> <err> <dr7>   one per exception, values from the frame / MOV from DRn
//   M <tag> <value>                                  a value the guest read itself
//   D | F                                            end of run (pass / runtime failure)
// Expectations are written in each test from the manuals; this file only runs and formats.

import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { Machine } from '../../../src/machine/index.js';
import { parseConfig } from '../../../src/config/config.js';
import * as A from '../../../src/cpu/index.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const SRC_DIR = join(ROOT, 'test/guest-src/debug');

// ---- architectural constants: the debug-register module's names (src/cpu/dr-fields.ts), as the 64-bit values
// the guests log ----
export const DR6_INIT = BigInt(A.DR6_RESET); // DR6 reset value, SDM Vol. 3 19.2.3 / 10.1.1
export const DR6_B0 = BigInt(A.DR6_B0);
export const DR6_B1 = BigInt(A.DR6_B1);
export const DR6_B2 = BigInt(A.DR6_B2);
export const DR6_B3 = BigInt(A.DR6_B3);
export const DR6_BLD = BigInt(A.DR6_BLD); // active-low bus-lock-detected
export const DR6_BD = BigInt(A.DR6_BD);
export const DR6_BS = BigInt(A.DR6_BS);
export const DR6_RTM = BigInt(A.DR6_RTM); // active-low
export const DR7_INIT = BigInt(A.DR7_RESET);
export const DR7_GD = BigInt(A.DR7_GD);
export const RFLAGS_TF = BigInt(A.RFLAGS_TF);
export const RFLAGS_IF = BigInt(A.RFLAGS_IF);
export const RFLAGS_RF = BigInt(A.RFLAGS_RF);
export const VEC_DB = A.VEC_DB;
export const VEC_BP = A.VEC_BP;
export const VEC_UD = A.VEC_UD;
export const VEC_GP = A.VEC_GP;
/** DR7 as the guests arm it: the reset value plus breakpoint n as a local breakpoint (Ln, R/Wn, LENn from bytes). */
export function dr7Local(n: number, rw: number, lenBytes: number): bigint {
  return BigInt((A.DR7_RESET | A.dr7Breakpoint(n, rw, lenBytes, false)) >>> 0);
}
export { DR7_RW_IO, DR7_RW_WRITE } from '../../../src/cpu/index.js';
export const CS_KERNEL = 0x08;
export const CS_USER = 0x23;

export interface ExcRecord {
  vec: number;
  rip: bigint;
  dr6: bigint;
  rflags: bigint;
  cs: number;
  err: bigint;
  dr7: bigint;
}
export interface Mark {
  tag: number;
  value: bigint;
}
export type LogLine = ({ kind: 'E'; index: number } & ExcRecord) | ({ kind: 'M'; index: number } & Mark);

export interface GuestRun {
  machine: Machine;
  lines: LogLine[];
  records: ExcRecord[];
  marks: Mark[];
  serial: string;
  /** 'D' when the guest reached its end, 'F' when its runtime failed, undefined otherwise. */
  end: 'D' | 'F' | undefined;
  result: Awaited<ReturnType<Machine['runToCompletion']>>;
  sym(name: string): bigint;
}

/** Guest ELF for a scenario: the one scripts/build-guests.mjs produced (build/guests/debug/<scenario>.elf) if it
 *  is up to date, else built here with gcc the same way (so a single test file can run on its own). */
export function guestElf(scenario: string): string {
  for (const name of [`debug/${scenario}`]) {
    const p = join(ROOT, 'build/guests', `${name}.elf`);
    if (existsSync(p) && statSync(p).mtimeMs >= newestSource(scenario)) return p;
  }
  const out = join(ROOT, 'build/guests-debug-local', `${scenario}.elf`);
  if (!existsSync(out) || statSync(out).mtimeMs < newestSource(scenario)) {
    mkdirSync(dirname(out), { recursive: true });
    execFileSync('gcc', [
      '-nostdlib', '-static', '-no-pie', '-Wl,-Ttext-segment=0x100000', '-Wl,--build-id=none',
      '-o', out, join(SRC_DIR, scenario, 'main.S'),
    ]);
  }
  return out;
}

function newestSource(scenario: string): number {
  return Math.max(statSync(join(SRC_DIR, 'rt.inc')).mtimeMs, statSync(join(SRC_DIR, scenario, 'main.S')).mtimeMs);
}

export async function runGuest(scenario: string, config: Record<string, unknown> = {}): Promise<GuestRun> {
  const machine = Machine.fromFile(guestElf(scenario), { config: parseConfig({ mode: 'bare', ...config }) });
  const result = await machine.runToCompletion({ maxInsns: 5_000_000 });
  return parseSerial(machine, machine.serialOutput, result);
}

/** The lines of the COM1 log format above (test/guest-src/debug/rt.inc; the 32-bit runtimes of
 *  test/guest-src/debug32 write the same format) as a GuestRun. */
export function parseSerial(machine: Machine, serial: string, result: GuestRun['result']): GuestRun {
  const lines: LogLine[] = [];
  let end: 'D' | 'F' | undefined;
  for (const raw of serial.split('\n')) {
    const f = raw.trim().split(/\s+/);
    if (f[0] === 'E' && f.length === 8) {
      lines.push({
        kind: 'E', index: lines.length, vec: parseInt(f[1]!, 16), rip: BigInt('0x' + f[2]), dr6: BigInt('0x' + f[3]),
        rflags: BigInt('0x' + f[4]), cs: parseInt(f[5]!, 16), err: BigInt('0x' + f[6]), dr7: BigInt('0x' + f[7]),
      });
    } else if (f[0] === 'M' && f.length === 3) {
      lines.push({ kind: 'M', index: lines.length, tag: parseInt(f[1]!, 16), value: BigInt('0x' + f[2]) });
    } else if (f[0] === 'D' || f[0] === 'F') {
      end = f[0];
    }
  }
  return {
    machine, lines, serial, end, result,
    records: lines.filter((l): l is Extract<LogLine, { kind: 'E' }> => l.kind === 'E'),
    marks: lines.filter((l): l is Extract<LogLine, { kind: 'M' }> => l.kind === 'M'),
    sym: (n) => machine.symbol(n),
  };
}

/** What a test expects of one logged exception; only the given fields are compared. */
export interface Expect {
  vec: number;
  /** A guest symbol name or an address. */
  rip: string | bigint;
  dr6?: bigint;
  cs?: number;
  err?: bigint;
  dr7?: bigint;
  /** Value of RF / TF / IF in the RFLAGS image pushed by the CPU. */
  rf?: 0 | 1;
  tf?: 0 | 1;
  if?: 0 | 1;
  /** Why (manual rule); shown in the diff. */
  why?: string;
}

const VNAME: Record<number, string> = { 1: '#DB', 3: '#BP', 6: '#UD', 13: '#GP' };
const h = (v: bigint, w = 8) => '0x' + v.toString(16).padStart(w, '0');

function symName(run: GuestRun, addr: bigint): string {
  let best: string | undefined;
  for (const [name, s] of run.machine.symbols) {
    if (s.value === addr && (best === undefined || name.length < best.length)) best = name;
  }
  return best ?? h(addr, 16);
}

function fmt(run: GuestRun, r: ExcRecord, e: Expect | undefined): string {
  const keys = e ?? { vec: 0, rip: '', dr6: 0n, cs: 0 };
  const parts = [`${VNAME[r.vec] ?? 'v' + r.vec} rip=${symName(run, r.rip)}`];
  if (keys.dr6 !== undefined) parts.push(`dr6=${h(r.dr6)}`);
  if (keys.cs !== undefined) parts.push(`cs=${h(BigInt(r.cs), 2)}`);
  if (keys.err !== undefined) parts.push(`err=${h(r.err, 2)}`);
  if (keys.dr7 !== undefined) parts.push(`dr7=${h(r.dr7)}`);
  if (keys.rf !== undefined) parts.push(`rf=${(r.rflags & RFLAGS_RF) ? 1 : 0}`);
  if (keys.tf !== undefined) parts.push(`tf=${(r.rflags & RFLAGS_TF) ? 1 : 0}`);
  if (keys.if !== undefined) parts.push(`if=${(r.rflags & RFLAGS_IF) ? 1 : 0}`);
  return parts.join(' ');
}

function fmtExpect(run: GuestRun, e: Expect): string {
  const rip = typeof e.rip === 'string' ? run.sym(e.rip) : e.rip;
  const rec: ExcRecord = {
    vec: e.vec, rip, dr6: e.dr6 ?? 0n, cs: e.cs ?? 0, err: e.err ?? 0n, dr7: e.dr7 ?? 0n,
    rflags: (e.rf ? RFLAGS_RF : 0n) | (e.tf ? RFLAGS_TF : 0n) | (e.if ? RFLAGS_IF : 0n),
  };
  return fmt(run, rec, e);
}

/** The run ended through the guest's own success path, and the logged exceptions are exactly `expected`. */
export function expectRun(run: GuestRun, expected: Expect[]): void {
  const got = run.records.map((r, i) => fmt(run, r, expected[i]));
  const want = expected.map((e) => fmtExpect(run, e));
  expect(got, `serial log:\n${run.serial}`).toEqual(want);
  expect(run.end, `guest did not reach its end (result ${JSON.stringify(run.result)})\n${run.serial}`).toBe('D');
  expect(run.result).toEqual({ kind: 'exit', code: 1, value: 0 });
}

/** Marks in order, as [tag, value]. */
export function marks(run: GuestRun): Array<[number, string]> {
  return run.marks.map((m) => [m.tag, h(m.value, 16)]);
}
export const hex64 = (v: bigint) => h(v, 16);

/** For scenarios run at CPL0 and then CPL3: the same list with cs = kernel or user code selector
 *  (entries that already name a cs, e.g. a #DB taken on a CPL0 handler's first instruction, keep it). */
export function atCpl(list: Expect[], cs: number): Expect[] {
  return list.map((e) => ({ cs, ...e }));
}

export const VENDORS = ['intel', 'amd'] as const;
