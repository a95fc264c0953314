// The block compiler's translation threshold (--jit-threshold, config jitThreshold): an entry point is interpreted
// that many times before its region is translated. The state after a run does not depend on it; only how much of
// the run was compiled does.
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config/config.js';
import { JIT_THRESHOLD_DEFAULT } from '../../../src/cpu/index.js';
import { JitEngine } from '../../../src/cpu/jit/engine.js';
import { Machine } from '../../../src/machine/machine.js';
import { registerIndex, Vmm } from '../../../src/vmm/index.js';
import { hostileGuest } from '../../hostile/cli.js';

const TOTAL = 200_000;
const REGS = ['rip', 'rax', 'rbx', 'rcx', 'rdx', 'rsi', 'rdi', 'rsp', 'eflags'] as const;

async function run(jitThreshold: number): Promise<{ state: Record<string, string>; blocks: number }> {
  const machine = Machine.fromFile(hostileGuest('serial-flood'), { config: { engine: 'jit', jitThreshold } });
  const vmm = new Vmm(machine);
  const r = await vmm.runToCompletion(TOTAL);
  expect(r.result.kind).toBe('budget');
  const state: Record<string, string> = {};
  for (const name of REGS) state[name] = '0x' + vmm.readRegister(registerIndex(name)).toString(16);
  state.retired = String(r.instructions);
  const jit = (machine.cpu as unknown as { jit: JitEngine }).jit;
  return { state, blocks: jit.stats.blocks };
}

describe('--jit-threshold', () => {
  it('parses as a config key within 1-65535; the default comes from the engine', () => {
    expect(parseConfig({ 'jit-threshold': '8' }).jitThreshold).toBe(8);
    expect(() => parseConfig({ 'jit-threshold': '0' })).toThrow(/jit-threshold|jitThreshold/);
    expect(() => parseConfig({ 'jit-threshold': '65536' })).toThrow(/jit-threshold|jitThreshold/);
    // DBSTUB_JIT_THRESHOLD (set by .ci/run's block-compiler pass) sets the config default.
    const env = process.env.DBSTUB_JIT_THRESHOLD;
    expect(parseConfig({}).jitThreshold).toBe(env === undefined ? JIT_THRESHOLD_DEFAULT : Number(env));
    expect(new JitEngine().hot).toBe(JIT_THRESHOLD_DEFAULT);
  });

  it('serial-flood, 200k instructions: 8 translates regions, 65535 none, and both end in the same state', async () => {
    const low = await run(8);
    const high = await run(65535);
    expect(low.blocks).toBeGreaterThan(0);
    expect(high.blocks).toBe(0);
    expect(high.state).toEqual(low.state);
  });
});
