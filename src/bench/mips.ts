// Simulated instruction rate (MIPS = instructions retired / wall second / 1e6) of the compute-bound bench
// guests, the way `dbstub run` and the debugger run them:
//  - bare:  Machine.runToCompletion(), debug unit idle (DR7 at its reset value);
//  - armed: the same with DR0-DR3 armed from the host (cpu.setDr) as 8-byte read/write data breakpoints on
//           addresses the guest never touches, so they never hit;
//  - kvm:   through the Vmm in kvm mode (KvmVcpu between the VMM and the CPU), no debugger attached;
//  - jit, jit-armed: bare and armed with the block compiler (`--engine jit`, src/cpu/jit); the other modes
//           run the interpreter whatever DBSTUB_ENGINE says.
// Each figure is the median of `runs` timed runs after one untimed warm-up run (JIT).

import { DR_CONTROL, DR_COUNT, DR_STATUS, DR6_BMASK, DR7_RESET, DR7_RW_RW, dr7Breakpoint } from '../cpu/index.js';
import { Machine } from '../machine/index.js';
import { Vmm } from '../vmm/index.js';
import { median, now } from './util.js';

export type MipsMode = 'bare' | 'armed' | 'kvm' | 'jit' | 'jit-armed';

/** Far above any bench guest's code, data, bss and stack (the sortcrc guest's bss ends near 17 MiB). */
export const NEVER_HIT_BASE = 0x3c00000n;

/** Bytes each armed breakpoint covers (LENn = 8 bytes) and the distance between them. */
const ARMED_LEN = 8;
const ARMED_STRIDE = 64;

/** DR0-DR3 as local read/write breakpoints (R/Wn = 11b) of 8 bytes each. */
export function armFourDataBreakpoints(m: Machine): void {
  let dr7 = DR7_RESET;
  for (let n = 0; n < DR_COUNT; n++) {
    m.cpu.setDr(n, NEVER_HIT_BASE + BigInt(n * ARMED_STRIDE));
    dr7 |= dr7Breakpoint(n, DR7_RW_RW, ARMED_LEN, false);
  }
  m.cpu.setDr(DR_CONTROL, BigInt(dr7 >>> 0));
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
  const engine = mode === 'jit' || mode === 'jit-armed' ? 'jit' : 'interp';
  const armed = mode === 'armed' || mode === 'jit-armed';
  const m = Machine.fromFile(elf, { config: { mode: mode === 'kvm' ? 'kvm' : 'bare', memoryMiB, engine } });
  setParams(m, params[0], params[1]);
  if (armed) armFourDataBreakpoints(m);
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
  if (armed && (m.cpu.getDr(DR_STATUS) & BigInt(DR6_BMASK)) !== 0n) throw new Error('an armed "never hit" breakpoint hit: DR6.B0-B3 set');
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
