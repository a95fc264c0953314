// The instruction count and the virtual clock of a guest do not depend on how its run is sliced (src/cpu/rep-chunk.ts):
// a REP string instruction retires one instruction per 4096 iterations of its count, wherever the VMM's slices,
// gdb's stepi or --max-insns cut the run. Before, a run that began in the middle of a REP started a new chunk
// there, and a chunk cut by the run's REP allowance retired nothing: stepping the hostile rep-movsb guest one
// instruction at a time gave twice the retired instructions per byte that a single run gave.
import { describe, expect, it } from 'vitest';
import { Machine } from '../../src/machine/machine.js';
import { registerIndex, Vmm } from '../../src/vmm/index.js';
import { hostileGuest } from '../hostile/cli.js';

/** Past the guest's start-up (~4,100 instructions) and ~900 chunks into its first copy. */
const TOTAL = 5000;
const REGS = ['rip', 'rcx', 'rsi', 'rdi'] as const;

/** Run the guest for exactly `total` instructions in runs of at most `slice`; the state gdb would see then. */
async function stateAfter(guest: string, mode: 'bare' | 'kvm', total: number, slice: number): Promise<Record<string, string>> {
  const machine = Machine.fromFile(hostileGuest(guest), { config: { mode } });
  const vmm = new Vmm(machine);
  const start = machine.cpu.instructionsRetired;
  let runs = 0;
  for (;;) {
    const done = machine.cpu.instructionsRetired - start;
    if (done >= total) break;
    const r = await vmm.runToCompletion(Math.min(slice, total - done));
    expect(r.result.kind).toBe('budget');
    runs++;
  }
  const out: Record<string, string> = {};
  for (const name of REGS) out[name] = '0x' + vmm.readRegister(registerIndex(name)).toString(16);
  out.retired = String(machine.cpu.instructionsRetired - start);
  out.clock = String(machine.cpu.clock);
  expect(runs).toBeGreaterThanOrEqual(Math.ceil(total / slice));
  return out;
}

describe('REP string instructions: the count does not depend on the slicing', () => {
  for (const mode of ['bare', 'kvm'] as const)
    for (const guest of ['rep-movsb', 'rep-stosb'])
      it(`${mode}, ${guest}: 5000 instructions in one run, in 97-instruction runs and in single steps give the same state`, async () => {
        const whole = await stateAfter(guest, mode, TOTAL, 1_000_000);
        // Deep inside the copy (4096 iterations per instruction): RCX is neither the start nor zero.
        expect(BigInt(whole.rcx!)).toBeGreaterThan(0n);
        expect(BigInt(whole.rcx!) % 4096n).toBe(0n);
        expect(await stateAfter(guest, mode, TOTAL, 97)).toEqual(whole);
        expect(await stateAfter(guest, mode, TOTAL, 1)).toEqual(whole);
      });
});
