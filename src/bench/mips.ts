// Simulated instruction rate (MIPS = instructions retired / wall second / 1e6) of the compute-bound bench
// guests, the way `dbstub run` and the debugger run them:
//  - bare:  Machine.runToCompletion(), debug unit idle (DR7 = 0x400);
//  - armed: the same with DR0-DR3 armed from the host (cpu.setDr) as 8-byte read/write data breakpoints on
//           addresses the guest never touches, so they never hit;
//  - kvm:   through the Vmm in kvm mode (KvmVcpu between the VMM and the CPU), no debugger attached.
// Each figure is the median of `runs` timed runs after one untimed warm-up run (JIT).

import { Machine } from '../machine/machine.js';
import { Vmm } from '../vmm/index.js';
import { median, now } from './util.js';

export type MipsMode = 'bare' | 'armed' | 'kvm';

/** Far above any bench guest's code, data, bss and stack (the sortcrc guest's bss ends near 17 MiB). */
export const NEVER_HIT_BASE = 0x3c00000n;

// DR7 fields (SDM Vol. 3 18.2.4): Ln = bit 2n, R/Wn at 16+4n (11b = read or write), LENn at 18+4n
// (10b = 8 bytes); bit 10 reads as 1.
const DR7_FIXED1 = 0x400;
const DR7_RW_READ_WRITE = 3;
const DR7_LEN_8 = 2;

export function armFourDataBreakpoints(m: Machine): void {
  let dr7 = DR7_FIXED1;
  for (let n = 0; n < 4; n++) {
    m.cpu.setDr(n, NEVER_HIT_BASE + BigInt(n * 64));
    dr7 |= 1 << (2 * n);
    dr7 |= (DR7_RW_READ_WRITE | (DR7_LEN_8 << 2)) << (16 + 4 * n);
  }
  m.cpu.setDr(7, BigInt(dr7 >>> 0));
}

/** Overwrite the guest's `bench_params` (two u64) before it runs. */
export function setParams(m: Machine, p0: number, p1: number): void {
  const addr = Number(m.symbol('bench_params'));
  const b = new Uint8Array(16);
  const dv = new DataView(b.buffer);
  dv.setBigUint64(0, BigInt(p0), true);
  dv.setBigUint64(8, BigInt(p1), true);
  m.memory.writePhys(addr, b);
}

export interface GuestRun {
  seconds: number;
  instructions: number;
  output: string;
}

export async function runGuestOnce(elf: string, mode: MipsMode, params: [number, number], memoryMiB = 64): Promise<GuestRun> {
  const m = Machine.fromFile(elf, { config: { mode: mode === 'kvm' ? 'kvm' : 'bare', memoryMiB } });
  setParams(m, params[0], params[1]);
  if (mode === 'armed') armFourDataBreakpoints(m);
  let t0: number;
  let result: string;
  if (mode === 'kvm') {
    const vmm = new Vmm(m, m.config);
    t0 = now();
    const r = await vmm.runToCompletion();
    result = r.result.kind;
  } else {
    t0 = now();
    const r = await m.runToCompletion();
    result = r.kind;
  }
  const seconds = now() - t0;
  if (result !== 'exit' || m.exitCode !== 1) throw new Error(`${elf} (${mode}) did not exit cleanly: ${result}, code ${m.exitCode}; serial: ${m.serialOutput}`);
  if (mode === 'armed' && (m.cpu.getDr(6) & 0xfn) !== 0n) throw new Error('an armed "never hit" breakpoint hit: DR6.B0-B3 set');
  return { seconds, instructions: m.cpu.instructionsRetired, output: m.serialOutput.trim() };
}

export interface MipsFigure {
  guest: string;
  mode: MipsMode;
  instructions: number;
  secondsMedian: number;
  mips: number;
  runs: number[];
}

export async function measureMips(guest: string, elf: string, mode: MipsMode, params: [number, number], runs: number): Promise<MipsFigure> {
  await runGuestOnce(elf, mode, params); // warm-up
  const rates: number[] = [];
  const secs: number[] = [];
  let instructions = 0;
  for (let i = 0; i < runs; i++) {
    const r = await runGuestOnce(elf, mode, params);
    instructions = r.instructions;
    secs.push(r.seconds);
    rates.push(r.instructions / r.seconds / 1e6);
  }
  return { guest, mode, instructions, secondsMedian: median(secs), mips: median(rates), runs: rates };
}
