// Runs one seed scenario (examples/seeds/<id>/, built into build/guests/seeds/) in one configuration and records what
// the guest's #DB handler printed, what the debugger was told (the stop replies the RSP server would send gdb, from
// the same GdbTarget calls gdb's commands make), and every #DB routing decision. The seed command (dbstub seed)
// runs each scenario once per switch value and prints the records side by side.

import type { MachineConfig } from '../config/config.js';
import { parseConfig } from '../config/config.js';
import { BreakpointType, type StopEvent } from '../gdbstub/index.js';
import { Machine } from '../machine/index.js';
import { hex32 } from '../hv/index.js';
import { createLogger, type Logger } from '../log.js';
import { REGISTERS, Vmm, type DbRoute } from '../vmm/index.js';

/** A gdb command of the scenario's script, as the GdbTarget calls it turns into. */
export type GdbStep =
  | { op: 'break' | 'hbreak'; at: string }
  | { op: 'continue' }
  | { op: 'stepi' }
  | { op: 'delete'; at: string; kind: 'break' | 'hbreak' };

export interface SeedRun {
  /** Lines of the guest's #DB/#BP handler and its result lines ("guest #DB 1: at ...", "004: ..."). */
  guest: string[];
  /** One line per stop gdb would see: signal, reason, pc as a symbol. */
  gdb: string[];
  /** One line per #DB/#BP routing decision (`monitor info db` fields that matter here). */
  routing: string[];
  /** Warnings the run logged (one line each). */
  warnings: string[];
}

/** The handler's lines (seed.h), the runtime's unhandled-exception report, seed 004's read-backs. */
const GUEST_LINE = /^(guest #|guest saw|unhandled exception|004: DR6)/;
const MAX_INSNS = 20_000_000;
/** rip in the target description's register numbering (gdb's amd64 layout, src/vmm/registers.ts). */
const RIP_REGNUM = REGISTERS.findIndex((r) => r.name === 'rip');

export async function runSeed(elf: string, cfg: Partial<MachineConfig>, steps: readonly GdbStep[], poke: Record<string, bigint> = {}): Promise<SeedRun> {
  const warnings: string[] = [];
  const logger = quietLogger((msg) => warnings.push(msg));
  const { machine, vmm } = seedMachine(elf, cfg, poke, logger);
  const gdb: string[] = [];
  const where = symbolizer(machine);
  if (steps.length === 0) {
    await vmm.runToCompletion(MAX_INSNS);
  } else {
    for (const s of steps) {
      switch (s.op) {
        case 'break':
        case 'hbreak': {
          const r = vmm.insertBreakpoint(s.op === 'break' ? BreakpointType.Software : BreakpointType.Hardware, machine.symbol(s.at), 1);
          if (r !== 'ok') throw new Error(`${s.op} ${s.at}: ${r}`);
          break;
        }
        case 'delete':
          vmm.removeBreakpoint(s.kind === 'break' ? BreakpointType.Software : BreakpointType.Hardware, machine.symbol(s.at), 1);
          break;
        case 'continue':
        case 'stepi': {
          const ev = await new Promise<StopEvent>((res) => vmm.resume({ kind: s.op === 'stepi' ? 'step' : 'continue' }, res));
          gdb.push(`${s.op}: ${describeStop(ev, where(vmm.readRegister(RIP_REGNUM)))}`);
          break;
        }
      }
    }
  }
  return { ...seedRecord(machine, vmm), gdb, warnings };
}

/** The seed's machine with the scenario's configuration and pokes, and its Vmm (what `dbstub seed` drives in
 *  process, and what a test serves to a real gdb). */
export function seedMachine(elf: string, cfg: Partial<MachineConfig>, poke: Record<string, bigint> = {}, logger?: Logger): { machine: Machine; vmm: Vmm } {
  const config = parseConfig(cfg as Record<string, unknown>);
  const machine = Machine.fromFile(elf, { config, logger });
  for (const [name, v] of Object.entries(poke)) {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigUint64(0, v, true);
    if (!machine.cpu.writeVirtual(machine.symbol(name), b)) throw new Error(`${elf}: cannot write ${name}`);
  }
  return { machine, vmm: new Vmm(machine, config, logger) };
}

/** What the guest's handler printed and every #DB routing decision, after a run. */
export function seedRecord(machine: Machine, vmm: Vmm): Pick<SeedRun, 'guest' | 'routing'> {
  const where = symbolizer(machine);
  const guest = machine.serialOutput.split('\n').filter((l) => GUEST_LINE.test(l));
  const routing = vmm.routes.filter((r) => r.by !== 'bare').map((r) => describeRoute(r, where));
  return { guest, routing };
}

function describeStop(ev: StopEvent, pc: string): string {
  if (ev.kind === 'exited') return `guest exited (status ${ev.code})`;
  const reason = ev.reason ? ` ${ev.reason.type}${'addr' in ev.reason ? ` 0x${ev.reason.addr.toString(16)}` : ''}` : '';
  return `SIG${ev.signal === 5 ? 'TRAP' : ev.signal}${reason} at ${pc}`;
}

function describeRoute(r: DbRoute, where: (a: bigint) => string): string {
  const head = r.by === 'qemu' ? `QEMU exc=${r.exception} dr6=${hex32(r.dr6)}` : `KVM ${r.source ?? ''} payload=${hex32(r.dr6)}`;
  const claim = r.claim ? ` claim=${r.claim}` : '';
  const ri = r.reinject ? ` reinject(vec=${r.reinject.vector}${r.reinject.hasPayload ? ` ${hex32(r.reinject.payload)}` : ''})` : '';
  const g = r.guestDr6 !== undefined ? ` guest DR6=${hex32(r.guestDr6)}` : '';
  return `${head} at ${where(r.pc)}${claim} -> ${r.outcome}${ri}${g}`;
}

/** pc -> "name" or "name+0x3" for the guest's nearest preceding function/label symbol. */
function symbolizer(m: Machine): (a: bigint) => string {
  const syms = [...m.symbols.entries()].filter(([n, s]) => n !== '' && !n.startsWith('.') && s.value !== 0n).map(([n, s]) => [n, s.value] as const).sort((a, b) => (a[1] < b[1] ? -1 : 1));
  return (a) => {
    let best: readonly [string, bigint] | undefined;
    for (const s of syms) if (s[1] <= a && (!best || s[1] >= best[1])) best = s;
    if (!best || a - best[1] > 0x1000n) return '0x' + a.toString(16);
    return a === best[1] ? best[0] : `${best[0]}+0x${(a - best[1]).toString(16)}`;
  };
}

/** A warn-level logger whose lines are kept (the msg of each), for the one-line defect warnings. */
function quietLogger(onWarn: (msg: string) => void): Logger {
  return createLogger({
    level: 'warn',
    destination: {
      write(line: string) {
        try {
          onWarn(String((JSON.parse(line) as { msg?: unknown }).msg ?? ''));
        } catch {
          onWarn(line.trim());
        }
      },
    },
  });
}
