// Run a guest file to its exit in one mode and engine, as the engine-comparing feature tests do: kvm mode through
// the Vmm (every exit goes through the KVM model), bare mode on the Machine. The jit cases translate a region
// after 8 executions (these guests are short; the default threshold would leave them interpreted).
import type { Vendor } from '../../../src/cpu/index.js';
import { Machine } from '../../../src/machine/machine.js';
import { Vmm } from '../../../src/vmm/index.js';

export type Mode = 'bare' | 'kvm';
export type Engine = 'interp' | 'jit';

/** The mode/engine pairs the feature tests run each guest under. */
export const MODE_ENGINES = [['bare', 'interp'], ['kvm', 'interp'], ['bare', 'jit']] as const;

export async function runGuestFile(file: string, mode: Mode, engine: Engine, maxInsns: number, vendor?: Vendor): Promise<{ m: Machine; result: unknown }> {
  const m = Machine.fromFile(file, { config: { mode, engine, jitThreshold: 8, ...(vendor && { vendor }) } });
  const result = mode === 'kvm' ? (await new Vmm(m).runToCompletion(maxInsns)).result : await m.runToCompletion({ maxInsns });
  return { m, result };
}
