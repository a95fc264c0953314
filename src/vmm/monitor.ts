// `monitor ...` commands (gdb's qRcmd), in the spirit of QEMU's HMP command table (hmp-commands.hx): one
// entry per command in MONITOR_COMMANDS, each a function of the host and its arguments. Adding a command
// is adding one entry; `help` lists the table.

import { DR_CONTROL } from '../cpu/index.js';
import { formatConfig, QEMU_DB_ROUTINGS, type MachineConfig, type QemuDbRouting } from '../config/config.js';
import type { GdbTarget } from '../gdbstub/index.js';
import { hex32 } from '../hv/index.js';
import type { HwBreakpoint } from './handle-debug.js';
import type { DbRouteLog } from './route-log.js';
import { qemuDisassemble } from './monitor-disas.js';
import { codeBits, parseDumpFormat, qemuInfoMem, type DumpFormat, qemuInfoRegisters, qemuInfoTlb, qemuMemoryDump, type PagingView, type QemuCpuView } from './monitor-qemu.js';

/** The debugger's side of the debug registers, as the accelerator holds it. */
export type DebuggerDebugView =
  | {
      /** KVM: QEMU's table as KVM_SET_GUEST_DEBUG receives it, and what the hardware holds while the guest runs. */
      kind: 'kvm';
      control: number;
      debugreg: readonly bigint[];
      slots: readonly (HwBreakpoint | undefined)[];
      swBreakpoints: readonly bigint[];
      hardware: { dr: readonly (readonly [number, bigint])[]; debugctl: bigint };
    }
  | {
      /** Bare: breakpoints outside the architecture, like QEMU TCG. */
      kind: 'bare';
      breakpoints: readonly bigint[];
      watchpoints: readonly { kind: string; addr: bigint; len: number }[];
    };

/** Everything `monitor info dr` shows. */
export interface DebugRegisterView {
  /** Where the guest's values live ("hardware", "KVM's virtual vcpu->arch registers"). */
  guestSource: string;
  guest: { db: readonly bigint[]; dr6: bigint; dr7: bigint; debugctl: bigint };
  debugger: DebuggerDebugView;
}

/** What a monitor command may use: the gdb-facing target (registers, memory) plus the VMM's own state. */
export interface MonitorHost extends Pick<GdbTarget, 'registers' | 'readRegister' | 'readMemory'> {
  readonly config: MachineConfig;
  readonly routeLog: DbRouteLog;
  debugRegisterView(): DebugRegisterView;
  /** Change how QEMU's kvm_handle_debug routes the next #DB exits (kvm mode). */
  setQemuDbRouting(routing: QemuDbRouting): void;
  /** Reset the machine to its entry state (the debugger's breakpoints are gdb's to re-insert). */
  reset(): void;
  /** The CPU state QEMU's `info registers` prints. */
  qemuCpuView(): QemuCpuView;
  /** Paging registers and guest-physical reads, for `info tlb` / `info mem`. */
  pagingView(): PagingView;
  /** Guest-physical memory (`xp`); undefined outside RAM. */
  readPhysical(addr: bigint, len: number): Uint8Array | undefined;
  /** The guest-physical address of a virtual one (`gva2gpa`); undefined when unmapped. */
  translate(addr: bigint): bigint | undefined;
}

export interface MonitorCommand {
  /** The words that select the command ("info db"); the longest matching name wins. */
  name: string;
  /** Argument synopsis for `help` ("[N]"). */
  args?: string;
  help: string;
  run(host: MonitorHost, args: readonly string[]): string;
}

/** `info db` without N. */
const INFO_DB_DEFAULT = 16;
/** Column where `help` starts a command's description. */
const HELP_NAME_WIDTH = 14;

export const MONITOR_COMMANDS: readonly MonitorCommand[] = [
  { name: 'help', help: 'this text', run: () => helpText() },
  { name: 'info dr', help: "the guest's debug registers and the debugger's (KVM_SET_GUEST_DEBUG) table", run: (h) => infoDr(h.debugRegisterView()) },
  {
    name: 'info db',
    args: '[N]',
    help: `the last N #DB routing decisions (default ${INFO_DB_DEFAULT})`,
    run: (h, args) => h.routeLog.format(Number(args[0] ?? INFO_DB_DEFAULT) || INFO_DB_DEFAULT),
  },
  { name: 'config', help: 'the machine configuration', run: (h) => formatConfig(h.config) + '\n' },
  {
    name: 'qemu-db-routing',
    args: `[${QEMU_DB_ROUTINGS.join('|')}]`,
    help: "show or change QEMU's #DB routing (seed 000) from the next #DB exit on, kvm mode",
    run: (h, args) => qemuDbRouting(h, args),
  },
  // QEMU's HMP commands (hmp-commands.hx, hmp-commands-info.hx) with QEMU 7.2's output (monitor-qemu.ts).
  { name: 'info registers', help: 'the CPU registers (QEMU format)', run: (h) => qemuInfoRegisters(h.qemuCpuView()) },
  { name: 'x', args: '/fmt addr', help: "virtual memory dump starting at 'addr' (fmt: count, x/d/u/o/c/i, b/h/w/g)", run: (h, a) => dump(h, a, false) },
  { name: 'xp', args: '/fmt addr', help: "physical memory dump starting at 'addr'", run: (h, a) => dump(h, a, true) },
  { name: 'info tlb', help: 'virtual to physical memory mappings', run: (h) => qemuInfoTlb(h.pagingView()) },
  { name: 'gva2gpa', args: 'addr', help: 'print the guest physical address corresponding to a guest virtual address', run: (h, a) => gva2gpa(h, a) },
  { name: 'info mem', help: 'the active virtual memory mappings', run: (h) => qemuInfoMem(h.pagingView()) },
  // One vCPU, run by the process's main thread (on Linux its thread id is the pid).
  { name: 'info cpus', help: 'infos for each CPU', run: () => `* CPU #0: thread_id=${process.pid}\n` },
  {
    name: 'system_reset',
    help: 'reset the system (as `reset`)',
    run: (h) => {
      h.reset();
      return SYSTEM_RESET_NOTE;
    },
  },
  {
    name: 'reset',
    help: 'reset the machine to its entry state (breakpoints are kept by gdb)',
    run: (h) => {
      h.reset();
      return 'machine reset\n';
    },
  },
];

/** gdb caches the registers it read at the last stop and nothing in the protocol lets a stub invalidate them
 *  from a qRcmd (gdb 13 remote.c rcmd); QEMU's system_reset leaves gdb showing the old pc. So say how. */
const SYSTEM_RESET_NOTE =
  'machine reset to its entry state. gdb still shows the registers it cached before: `maintenance flush register-cache` reloads them\n';

/** Seed 000's routings side by side in one boot (test/linux/kernel-gdb.test.ts): a simulator's switch, not a
 *  QEMU command; each value is a QEMU build (docs/semantics.md §4). */
function qemuDbRouting(h: MonitorHost, args: readonly string[]): string {
  const want = args[0];
  if (want === undefined) return `qemu-db-routing ${h.config.qemuDbRouting}\n`;
  if (args.length > 1 || !(QEMU_DB_ROUTINGS as readonly string[]).includes(want)) return `usage: qemu-db-routing [${QEMU_DB_ROUTINGS.join('|')}]\n`;
  if (h.config.mode !== 'kvm') return 'qemu-db-routing: bare mode has no KVM exits to route (start with --mode kvm)\n';
  h.setQemuDbRouting(want as QemuDbRouting);
  return `qemu-db-routing ${want}\n`;
}

/** `x`/`xp` arguments: [/fmt] addr, addr a number or $register with an optional +/- offset. */
const lastDumpFormat = new WeakMap<MonitorHost, { format: DumpFormat['format']; size: number }>();

function dump(h: MonitorHost, args: readonly string[], physical: boolean): string {
  const fmtArg = args[0]?.startsWith('/') ? args[0] : undefined;
  const f = parseDumpFormat(fmtArg, lastDumpFormat.get(h));
  if (typeof f === 'string') return `${f}\nTry "help ${physical ? 'xp' : 'x'}" for more information\n`;
  lastDumpFormat.set(h, { format: f.format, size: f.size });
  const addr = addressArg(h, args.slice(fmtArg ? 1 : 0));
  if (typeof addr === 'string') return addr;
  const read = physical ? (a: bigint, n: number) => h.readPhysical(a, n) : (a: bigint, n: number) => h.readMemory(a, n);
  if (f.format === 'i') return qemuDisassemble(f.count, addr, codeBits(h.qemuCpuView().state), read);
  return qemuMemoryDump(f, addr, read);
}

/** QEMU 7.2's hmp_gva2gpa: the page's translation plus the offset, printed with C's `%#` (0 has no 0x). */
function gva2gpa(h: MonitorHost, args: readonly string[]): string {
  const addr = addressArg(h, args);
  if (typeof addr === 'string') return addr;
  const gpa = h.translate(addr);
  if (gpa === undefined) return 'Unmapped\n';
  return gpa === 0n ? 'gpa: 0\n' : `gpa: 0x${gpa.toString(16)}\n`;
}

/** An address argument (its words joined, as QEMU's HMP reads `$pc + 4`), or the message refusing it. */
function addressArg(h: MonitorHost, words: readonly string[]): bigint | string {
  const expr = words.join('');
  return evalAddress(h, expr) ?? `invalid address expression: '${expr}'\n`;
}

function evalAddress(h: MonitorHost, expr: string): bigint | undefined {
  const m = /^(\$[a-z0-9_]+|0x[0-9a-f]+|\d+)(?:([+-])(0x[0-9a-f]+|\d+))?$/i.exec(expr);
  if (!m) return undefined;
  let base: bigint;
  if (m[1]!.startsWith('$')) {
    const name = m[1]!.slice(1).toLowerCase();
    const i = h.registers.findIndex((r) => r.name === (name === 'pc' ? 'rip' : name === 'sp' ? 'rsp' : name));
    if (i < 0) return undefined;
    base = h.readRegister(i);
  } else base = BigInt(m[1]!);
  const off = m[3] === undefined ? 0n : BigInt(m[3]);
  return BigInt.asUintN(64, m[2] === '-' ? base - off : base + off);
}

/** Run one monitor command line. An empty line is `help`. */
export function runMonitorCommand(host: MonitorHost, command: string): string {
  const words = command.trim().split(/\s+/).filter((w) => w !== '');
  if (words.length === 0) return helpText();
  // QEMU's HMP ends a command name at '/' as at a space (monitor/hmp.c, get_command_name), so QEMU users type
  // `x/4xg $rsp` as often as `x /4xg $rsp`.
  const slash = words[0]!.indexOf('/');
  if (slash > 0) words.splice(0, 1, words[0]!.slice(0, slash), words[0]!.slice(slash));
  let best: MonitorCommand | undefined;
  let bestLen = 0;
  for (const c of MONITOR_COMMANDS) {
    const name = c.name.split(' ');
    if (name.length > bestLen && name.length <= words.length && name.every((w, i) => w === words[i])) {
      best = c;
      bestLen = name.length;
    }
  }
  // A command without an argument synopsis takes none: `info dr x` is not `info dr`.
  if (!best || (best.args === undefined && words.length > bestLen)) return `unknown monitor command: ${command}\n`;
  return best.run(host, words.slice(bestLen));
}

function helpText(): string {
  const synopsis = (c: MonitorCommand): string => (c.args ? `${c.name} ${c.args}` : c.name);
  const width = Math.max(HELP_NAME_WIDTH, ...MONITOR_COMMANDS.map((c) => synopsis(c).length + 2));
  const lines = MONITOR_COMMANDS.map((c) => `  ${synopsis(c).padEnd(width)}${c.help}`);
  return ['monitor commands:', ...lines, ''].join('\n');
}

const x64 = (v: bigint): string => '0x' + v.toString(16).padStart(16, '0');

function infoDr(v: DebugRegisterView): string {
  const lines: string[] = [`guest (${v.guestSource}):`];
  v.guest.db.forEach((a, i) => lines.push(`  dr${i} ${x64(a)}`));
  lines.push(`  dr6 ${x64(v.guest.dr6)}`, `  dr7 ${x64(v.guest.dr7)}`, `  debugctl ${x64(v.guest.debugctl)}`);
  const d = v.debugger;
  if (d.kind === 'kvm') {
    lines.push(`debugger (KVM_SET_GUEST_DEBUG control ${hex32(d.control)}):`);
    d.slots.forEach((s, i) => lines.push(`  dr${i} ${x64(d.debugreg[i] ?? 0n)}${s ? `  ${s.type} len ${s.len}` : '  (free)'}`));
    lines.push(`  dr7 ${x64(d.debugreg[DR_CONTROL] ?? 0n)}`);
    lines.push(`  software breakpoints: ${d.swBreakpoints.map((a) => '0x' + a.toString(16)).join(' ') || '(none)'}`);
    lines.push(`hardware (effective while the guest runs):`);
    for (const [n, val] of d.hardware.dr) lines.push(`  dr${n} ${x64(val)}`);
    lines.push(`  debugctl ${x64(d.hardware.debugctl)}`);
  } else {
    lines.push(`debugger (outside the architecture, like QEMU TCG):`);
    lines.push(`  breakpoints: ${d.breakpoints.map((a) => '0x' + a.toString(16)).join(' ') || '(none)'}`);
    lines.push(`  watchpoints: ${d.watchpoints.map((w) => `${w.kind}@0x${w.addr.toString(16)}/${w.len}`).join(' ') || '(none)'}`);
  }
  return lines.join('\n') + '\n';
}
