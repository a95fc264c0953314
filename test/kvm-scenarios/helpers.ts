// Run the dbchain guest (test/guest-src/kvm/dbchain) under the Vmm and read what its #DB handler logged.
import { readFileSync } from 'node:fs';
import { parseConfig, type MachineConfig } from '../../src/config/config.js';
import { BreakpointType, type StopEvent } from '../../src/gdbstub/target.js';
import type { Machine } from '../../src/machine/index.js';
import { registerIndex, Vmm } from '../../src/vmm/index.js';

export const ELF = 'build/guests/kvm/dbchain.elf';
export const SC = { buslock: 1, tf: 2, gd: 3, codebp: 4, movss: 5, dr6zero: 6, buslockThenTf: 7, int3: 8, readDr6: 9, cpuid: 10, tfThenB1: 11 } as const;

export interface DbRec { rip: bigint; dr6: number; dr7: number; rflags: bigint }

export async function boot(cfg: Partial<MachineConfig>, scenario: number, vars: Record<string, bigint> = {}): Promise<{ machine: Machine; vmm: Vmm }> {
  // Imported lazily so this file loads before the CPU exists.
  const { Machine } = await import('../../src/machine/index.js');
  const bytes = readFileSync(ELF);
  const machine = new Machine(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), { config: parseConfig(cfg as Record<string, unknown>) });
  poke(machine, 'scenario', BigInt(scenario));
  for (const [k, v] of Object.entries(vars)) poke(machine, k, v);
  const vmm = new Vmm(machine, machine.config);
  return { machine, vmm };
}

export function poke(m: Machine, name: string, v: bigint): void {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, v, true);
  if (!m.cpu.writeVirtual(m.symbol(name), b)) throw new Error(`cannot write ${name}`);
}

export function peek(m: Machine, name: string): bigint {
  return new DataView(m.readSymbol(name, 8).slice().buffer).getBigUint64(0, true);
}

export function dbLog(m: Machine): DbRec[] {
  const n = Number(peek(m, 'db_count'));
  const raw = m.readSymbol('db_log', 16 * 32).slice();
  const dv = new DataView(raw.buffer);
  const out: DbRec[] = [];
  for (let i = 0; i < Math.min(n, 16); i++) {
    out.push({ rip: dv.getBigUint64(i * 32, true), dr6: Number(dv.getBigUint64(i * 32 + 8, true)), dr7: Number(dv.getBigUint64(i * 32 + 16, true)), rflags: dv.getBigUint64(i * 32 + 24, true) });
  }
  return out;
}

export const hx = (v: number | bigint) => '0x' + v.toString(16);

/** Act like gdb: continue until the guest exits; at a hardware/software breakpoint stop, remove it,
 *  step once and put it back (gdb's step-over), recording every stop. */
export async function gdbContinue(vmm: Vmm, bps: { type: BreakpointType; addr: bigint; kind: number }[], maxStops = 20): Promise<StopEvent[]> {
  const stops: StopEvent[] = [];
  for (const b of bps) {
    const r = vmm.insertBreakpoint(b.type, b.addr, b.kind);
    if (r !== 'ok') throw new Error(`insert ${b.type}@${hx(b.addr)}: ${r}`);
  }
  for (let i = 0; i < maxStops; i++) {
    const ev = await resume(vmm, 'continue');
    stops.push(ev);
    if (ev.kind === 'exited') return stops;
    if (ev.kind === 'signal' && ev.reason && (ev.reason.type === 'hwbreak' || ev.reason.type === 'swbreak')) {
      const rip = vmm.readRegister(registerIndex('rip'));
      const here = bps.filter((b) => b.addr === rip && (b.type === BreakpointType.Hardware || b.type === BreakpointType.Software));
      for (const b of here) vmm.removeBreakpoint(b.type, b.addr, b.kind);
      stops.push(await resume(vmm, 'step'));
      for (const b of here) vmm.insertBreakpoint(b.type, b.addr, b.kind);
    }
  }
  return stops;
}

export function resume(vmm: Vmm, kind: 'continue' | 'step'): Promise<StopEvent> {
  return new Promise((res) => vmm.resume({ kind }, res));
}
