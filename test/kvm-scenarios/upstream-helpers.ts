// Boot the issue-19 guest (test/guest-src/kvm/upstream) with a scenario and read its #DB log; the log layout is the
// dbchain guest's, so dbLog/peek/poke/resume of ./helpers.js apply.
import { readFileSync } from 'node:fs';
import { parseConfig, type MachineConfig } from '../../src/config/config.js';
import type { Machine } from '../../src/machine/index.js';
import { Vmm } from '../../src/vmm/index.js';
import { poke } from './helpers.js';

export const UPSTREAM_ELF = 'build/guests/kvm/upstream.elf';
export const UP = { watch3: 1, ibp: 2, buslockTf: 3, icebpMovss: 4, selftest: 5 } as const;

export async function bootUpstream(cfg: Partial<MachineConfig>, scenario: number, vars: Record<string, bigint> = {}): Promise<{ machine: Machine; vmm: Vmm }> {
  const { Machine } = await import('../../src/machine/index.js');
  const bytes = readFileSync(UPSTREAM_ELF);
  const machine = new Machine(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), { config: parseConfig(cfg as Record<string, unknown>) });
  poke(machine, 'scenario', BigInt(scenario));
  for (const [k, v] of Object.entries(vars)) poke(machine, k, v);
  return { machine, vmm: new Vmm(machine, machine.config) };
}
