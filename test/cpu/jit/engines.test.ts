// Differential test of the two engines (issue 14): the same random instruction streams (gen.ts) run on an
// interpreter-only CPU and on a CPU with the block compiler, in lockstep slices of random length (so blocks
// are entered with every budget, cut short and interpreted near the end of a slice), with random debug
// features armed: DR0-DR3 data and instruction breakpoints (the #DB handler returns with RF set), gdb-style
// external breakpoints and watchpoints (the stop is reported, then execution resumes past it), host
// single-step for some slices. After every slice both machines must agree on the stop reason, every
// register (RFLAGS materialised), instructions retired, DR6/DR7, the #DB events reported (payload, kind,
// RIP, DR6 before/after), the data area and the code page (which the streams modify).
import { describe, expect, it } from 'vitest';
import type { ExternalWatchpoint, GuestCpu } from '../../../src/cpu/api.js';
import { asm } from '../support/asm.js';
import { big, bytesDiffer, CODE, DATA, makeEngineMachine, snapshot } from './machine.js';
import { DATA_SPAN, loopForm, program, Rng, type Program } from './gen.js';

const SEEDS = Number(process.env.JIT_DIFF_SEEDS ?? 24);
const FIRST = Number(process.env.JIT_DIFF_SEED ?? 1);

/** Addresses of the first instructions the program executes (for instruction breakpoints). */
function visitedRips(code: Uint8Array, regs: bigint[], n: number): bigint[] {
  const m = makeEngineMachine('interp', code, regs);
  const out: bigint[] = [];
  for (let k = 0; k < n; k++) {
    out.push(m.cpu.getRip());
    if (m.cpu.run(1).kind !== 'budget') break;
  }
  return out;
}

type Arm = (cpu: GuestCpu) => void;

/** Random debug setup for one seed, applied identically to both CPUs. */
function randomArming(r: Rng, rips: bigint[]): { arm: Arm; what: string[] } {
  const what: string[] = [];
  let dr7 = 0x400;
  const drs: bigint[] = [0n, 0n, 0n, 0n];
  for (let n = 0; n < 4; n++) {
    if (!r.chance(0.5)) continue;
    if (r.chance(0.3) && rips.length) {
      drs[n] = r.pick(rips);
      dr7 |= 1 << (2 * n); // R/W = 00 (execute), LEN = 00
      what.push(`DR${n} exec 0x${drs[n]!.toString(16)}`);
    } else {
      const len = r.pick([1, 2, 4, 8]);
      drs[n] = BigInt(DATA + r.int(DATA_SPAN / len) * len);
      const rw = r.pick([1, 3]); // write, read/write
      const lenBits = { 1: 0, 2: 1, 4: 3, 8: 2 }[len]!;
      dr7 |= (1 << (2 * n)) | ((rw | (lenBits << 2)) << (16 + 4 * n));
      what.push(`DR${n} ${rw === 1 ? 'W' : 'RW'}${len} 0x${drs[n]!.toString(16)}`);
    }
  }
  const ext: bigint[] = [];
  if (r.chance(0.3) && rips.length) { ext.push(r.pick(rips)); what.push(`ext bp 0x${ext[0]!.toString(16)}`); }
  const wps: ExternalWatchpoint[] = [];
  if (r.chance(0.3)) {
    wps.push({ addr: BigInt(DATA + r.int(DATA_SPAN)), len: r.pick([1, 2, 4, 8]), kind: r.pick(['write', 'read', 'access'] as const) });
    what.push(`ext wp ${JSON.stringify(wps[0], big)}`);
  }
  const arm: Arm = (cpu) => {
    for (let n = 0; n < 4; n++) cpu.setDr(n, drs[n]!);
    cpu.setDr(7, BigInt(dr7));
    if (ext.length) cpu.setExternalBreakpoints(ext);
    if (wps.length) cpu.setExternalWatchpoints(wps);
  };
  return { arm, what };
}

/** Returns the block compiler's statistics of the jit machine. */
function compareSeed(seed: number, armDebug: boolean, p: Program = program(seed, 40, 30)): { loops: number } {
  const code = asm(p.source, CODE);
  const r = new Rng(seed * 7919);
  const a = makeEngineMachine('interp', code, p.regs);
  const b = makeEngineMachine('jit', code, p.regs);
  // Half the seeds translate every entry at first sight (so code rewritten each iteration runs compiled too),
  // the others with the engine's default warm-up (interpreted first, compiled once hot).
  if (seed % 2 === 1) (b.cpu as unknown as { jit: { hot: number } }).jit.hot = 1;
  let what: string[] = [];
  if (armDebug) {
    const arming = randomArming(r, visitedRips(code, p.regs, 400));
    arming.arm(a.cpu); arming.arm(b.cpu);
    what = arming.what;
  }
  const ctx = (slice: number, extra: string): string => `seed ${seed}${armDebug ? ` armed [${what.join(', ')}]` : ''}, slice ${slice}: ${extra}`;
  for (let slice = 0; slice < 4000; slice++) {
    const budget = r.chance(0.3) ? 1 + r.int(8) : 1 + r.int(400);
    const step = armDebug && r.chance(0.05);
    if (step) { a.cpu.hostSingleStep = true; b.cpu.hostSingleStep = true; }
    const sa = a.cpu.run(budget), sb = b.cpu.run(budget);
    if (step) { a.cpu.hostSingleStep = false; b.cpu.hostSingleStep = false; }
    const ja = snapshot(a, sa), jb = snapshot(b, sb);
    if (ja !== jb) expect(jb, ctx(slice, 'state')).toBe(ja);
    const dm = bytesDiffer(a.mem.readPhys(DATA, DATA_SPAN + 16), b.mem.readPhys(DATA, DATA_SPAN + 16));
    if (dm >= 0) expect.fail(ctx(slice, `data byte ${dm} differs`));
    const cm = bytesDiffer(a.mem.readPhys(CODE, code.length), b.mem.readPhys(CODE, code.length));
    if (cm >= 0) expect.fail(ctx(slice, `code byte ${cm} differs`));
    if (sa.kind === 'ext-breakpoint') { a.cpu.suppressExternalBreakpointOnce(); b.cpu.suppressExternalBreakpointOnce(); continue; }
    if (sa.kind !== 'budget' && sa.kind !== 'ext-watchpoint') break;
  }
  return (b.cpu as unknown as { jit: { stats: { loops: number } } }).jit.stats;
}

describe('engines: jit vs interpreter on random instruction streams', () => {
  it(`${SEEDS} streams, debug unit idle: identical state after every slice`, { timeout: 300_000 }, () => {
    for (let s = FIRST; s < FIRST + SEEDS; s++) compareSeed(s, false);
  });
  it(`${SEEDS} streams with random DR0-DR3, gdb breakpoints/watchpoints and single-steps: identical, same #DB sequence`, { timeout: 300_000 }, () => {
    for (let s = FIRST; s < FIRST + SEEDS; s++) compareSeed(s + 100000, true);
  });
  // Short bodies without self-modifying code: the loop fits one region, which then iterates inside its function
  // (registers in locals across iterations, the budget checked per iteration); with CALL/RET, RDTSC and stack
  // and memory forms in the body.
  it(`${SEEDS} short loops (one looping region), idle and armed: identical`, { timeout: 300_000 }, () => {
    let loops = 0;
    for (let s = FIRST; s < FIRST + SEEDS; s++) {
      const len = 3 + (s % 9);
      loops += compareSeed(s + 200000, s % 2 === 0, program(s + 200000, len, 500, { form: loopForm, share: 0.4 }, false)).loops;
    }
    expect(loops, 'regions that loop inside their function').toBeGreaterThan(SEEDS / 2);
  });
});
