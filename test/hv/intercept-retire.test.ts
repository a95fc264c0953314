// An instruction the KVM model intercepts (a VM exit: CPUID here, KVM's MSRs, XSETBV...) retires exactly once,
// whether the run that met it was long or one instruction. The CPU hands it to the host and returns without
// executing it (Cpu.intercept -> dropIntercepted: not retired, RIP on it); KVM then completes it and skips it
// (kvm_skip_emulated_instruction). So the state after N instructions does not depend on how the runs are cut,
// and there is one exit per CPUID executed: stepping one instruction at a time, every step retires exactly one
// instruction and the steps that start on a CPUID (0F A2) are as many as the exits.
import { describe, expect, it } from 'vitest';
import type { InterceptableInstruction } from '../../src/cpu/api.js';
import { Machine } from '../../src/machine/machine.js';
import { registerIndex, Vmm } from '../../src/vmm/index.js';
import { hostileGuest } from '../hostile/cli.js';

const TOTAL = 6000;
const REGS = ['rip', 'rax', 'rbx', 'rcx', 'rdx', 'rsp', 'eflags'] as const;

async function kvmRun(slice: number): Promise<{ state: Record<string, string>; exits: number; cpuidSteps: number }> {
  const machine = Machine.fromFile(hostileGuest('cpuid-loop'), { config: { mode: 'kvm' } });
  const vmm = new Vmm(machine);
  let exits = 0;
  const host = machine.cpu.host;
  const orig = host.interceptInstruction.bind(host);
  host.interceptInstruction = (kind: InterceptableInstruction, rip: bigint) => {
    const took = orig(kind, rip);
    if (took) exits++;
    return took;
  };
  const start = machine.cpu.instructionsRetired;
  let cpuidSteps = 0;
  for (;;) {
    const done = machine.cpu.instructionsRetired - start;
    if (done >= TOTAL) break;
    const n = Math.min(slice, TOTAL - done);
    const at = vmm.readMemory(vmm.readRegister(registerIndex('rip')), 2)!;
    const r = await vmm.runToCompletion(n);
    expect(r.result.kind).toBe('budget');
    expect(machine.cpu.instructionsRetired - start - done).toBe(n);
    if (slice === 1 && at[0] === 0x0f && at[1] === 0xa2) cpuidSteps++;
  }
  const state: Record<string, string> = {};
  for (const name of REGS) state[name] = '0x' + vmm.readRegister(registerIndex(name)).toString(16);
  state.retired = String(machine.cpu.instructionsRetired - start);
  state.clock = String(machine.cpu.clock);
  return { state, exits, cpuidSteps };
}

describe('intercepted instructions retire once (kvm mode)', () => {
  it('cpuid-loop: one run, 97-instruction runs and single steps give the same state and one exit per CPUID', async () => {
    const whole = await kvmRun(1_000_000);
    // A CPUID every few instructions: hundreds of VM exits in 6000 instructions.
    expect(whole.exits).toBeGreaterThan(200);
    const cut = await kvmRun(97);
    expect(cut.state).toEqual(whole.state);
    expect(cut.exits).toBe(whole.exits);
    const stepped = await kvmRun(1);
    expect(stepped.state).toEqual(whole.state);
    expect(stepped.exits).toBe(whole.exits);
    expect(stepped.cpuidSteps).toBe(whole.exits);
  });
});
