// QEMU side of the comparison. Nothing here is required: when qemu-x86_64 / qemu-system-x86_64 are not on
// PATH the bench prints "QEMU not installed: skipped" for the rows that need them.
//
// Instruction rate under QEMU: QEMU reports no instruction count (Debian builds no TCG plugins), so the
// count comes from dbstub: every build compiles the same workload.c with the same flags (checked byte for
// byte, see guests.ts), and one unit of work (one int_loop iteration, one sort_crc repetition over the same
// input) retires the same instructions everywhere. The time is the difference between a long and a short
// run, which cancels QEMU's start-up (process, SeaBIOS, Multiboot loading) and the guest's own set-up.

import { spawn } from 'node:child_process';
import type { Server } from './gdb.js';
import { freePort, killChild, median, now, timed, which } from './util.js';

export interface QemuTools {
  user: string | undefined;
  system: string | undefined;
  version: string | undefined;
}

export function findQemu(): QemuTools {
  const user = which('qemu-x86_64');
  const system = which('qemu-system-x86_64');
  let version: string | undefined;
  const any = system ?? user;
  if (any) version = /version ([\d.]+[^\s]*)/.exec(timed(any, ['--version']).stdout)?.[1];
  return { user, system, version };
}

export const systemArgs = (kernel: string, append: string, memoryMiB = 128): string[] => [
  '-accel', 'tcg', '-m', String(memoryMiB), '-display', 'none', '-serial', 'stdio', '-monitor', 'none', '-no-reboot', '-nodefaults',
  '-device', 'isa-debug-exit,iobase=0xf4,iosize=4', '-kernel', kernel, '-append', append,
];

export type Workload = 'loop' | 'sortcrc';
/** native: the static Linux build run directly on the host (exe = the program). */
export type RateKind = 'user' | 'system' | 'native';

/** Seconds of one run of the workload (units: loop iterations or sortcrc repetitions). */
function runOnce(kind: RateKind, exe: string, image: string, w: Workload, p0: number, p1: number): number {
  const params = [w, String(p0), String(p1)];
  const args = kind === 'user' ? [image, ...params] : kind === 'native' ? params : systemArgs(image, params.join(' '));
  const r = timed(exe, args, { timeoutMs: 300_000 });
  // qemu-user: the program exits 0; qemu-system: isa-debug-exit value 0 -> status 1.
  const want = kind === 'system' ? 1 : 0;
  if (r.status !== want || !/(int_loop|sort_crc)=0x/.test(r.stdout)) throw new Error(`${exe} ${args.join(' ')}: status ${r.status}, output ${r.stdout.slice(0, 200)} ${r.stderr.slice(0, 300)}`);
  return r.seconds;
}

export interface QemuRate {
  mips: number;
  /** Median seconds of the short and long runs. */
  shortSeconds: number;
  longSeconds: number;
  instructions: number;
}

/** MIPS from (long - short) runs; insnsPerUnit from dbstub. Short/long are in units of the workload. */
export function qemuRate(kind: RateKind, exe: string, image: string, w: Workload, insnsPerUnit: number, short: [number, number], long: [number, number], runs: number): QemuRate {
  runOnce(kind, exe, image, w, ...short); // warm the page cache
  const s: number[] = [];
  const l: number[] = [];
  for (let i = 0; i < runs; i++) {
    s.push(runOnce(kind, exe, image, w, ...short));
    l.push(runOnce(kind, exe, image, w, ...long));
  }
  const units = w === 'loop' ? long[0] - short[0] : long[1] - short[1];
  const instructions = units * insnsPerUnit;
  return { mips: instructions / (median(l) - median(s)) / 1e6, shortSeconds: median(s), longSeconds: median(l), instructions };
}

/** qemu-system-x86_64 -S with its gdbstub on a TCP port, running the Multiboot image. */
export async function startQemuSystem(exe: string, image: string, append: string): Promise<Server> {
  const port = await freePort();
  const t0 = now();
  const child = spawn(exe, [...systemArgs(image, append), '-S', '-gdb', `tcp:127.0.0.1:${port}`], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.resume();
  child.stderr!.resume();
  await new Promise((r) => setTimeout(r, 500));
  return { child, port, listenSeconds: now() - t0, spawnedAt: t0, stop: () => killChild(child) };
}
