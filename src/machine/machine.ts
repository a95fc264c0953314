// The guest machine without any debugger: config + RAM + CPU + I/O bus + devices + the loaded ELF and
// its boot state. The hypervisor/VMM layers (src/hv, src/vmm) wrap a Machine; nothing here knows about
// gdb, KVM or DR6 routing, so the same Machine serves `dbstub run`, tests and the debugger.

import {
  createCpu, createPhysicalMemory, FOUR_GIB, type CpuHost, type CpuObserver, type GuestCpu, type PhysicalMemory,
} from '../cpu/index.js';
import { parseConfig, type MachineConfig } from '../config/config.js';
import { IoPortBus } from '../devices/iobus.js';
import { Serial16550, COM1_BASE, COM1_IRQ } from '../devices/serial.js';
import { DebugExit, DEBUG_EXIT_IOSIZE, DEBUG_EXIT_PORT } from '../devices/debug-exit.js';
import { PcDevices } from '../devices/pc.js';
import type { ElfImage, ElfSymbol } from '../loader/elf.js';
import { applyBootState, type BootInfo } from '../loader/boot.js';
import { loadBootImage, prepareBootImage, type BootImage } from '../loader/image.js';
import type { LinuxImage } from '../loader/linux.js';
import type { ModuleInput, MultibootImage } from '../loader/multiboot.js';
import { readInputFile } from '../loader/guest-file.js';
import { EV, silentLogger, type Logger } from '../log.js';

const RFLAGS_IF = 1n << 9n;
const ZERO_PAGE = new Uint8Array(4096);

export type RunResult =
  | { kind: 'exit'; code: number; value: number }
  | { kind: 'triple-fault'; detail: string }
  | { kind: 'budget' }
  | { kind: 'hlt-forever'; detail: string }
  | { kind: 'interrupted'; why: string }
  | { kind: 'unsupported-mode'; detail: string };

export interface RunOptions {
  /** Stop with { kind: 'budget' } after this many instructions (default: unbounded). */
  maxInsns?: number;
  /** Instructions per cpu.run() call between event-loop yields (default 200 000). */
  sliceInsns?: number;
  /** Called after every slice (progress displays). */
  onSlice?: (instructionsRetired: number) => void;
}

export interface MachineOptions {
  /** A validated config, or a partial one run through parseConfig (keys or flag names). */
  config?: MachineConfig | Record<string, unknown>;
  logger?: Logger;
  /** Log level for 'guest.serial' lines (default info; the CLI lowers it to debug when it echoes to stdout). */
  serialLogLevel?: 'info' | 'debug';
  /** The CPU's host (api.ts CpuHost); default the bare board. A hypervisor model built over the Machine
   *  later attaches itself instead (GuestCpu.attachHost). */
  host?: CpuHost;
  /** CPU observers besides the machine's own logging observer (which comes first). */
  observers?: readonly CpuObserver[];
  /** For messages: where the ELF came from. */
  source?: string;
  /** Multiboot: the kernel name put in front of the command line, as QEMU does with its -kernel argument
   *  (default: `source`, i.e. the path given to fromFile). */
  kernelName?: string;
  /** Multiboot modules already in memory; replaces the files of config.initrd (library API). */
  modules?: ModuleInput[];
}

type SerialListener = (text: string, byte: number) => void;

/** Why a HLT can never end. The CPU returns 'hlt' only when nothing armed can wake it: with IF=0, or with
 *  IF=1 and neither a pending interrupt nor an unmasked LAPIC timer (the only interrupt sources modelled). */
export function hltForeverDetail(cpu: GuestCpu): string {
  return (cpu.getRflags() & RFLAGS_IF) !== 0n
    ? 'HLT with interrupts enabled but no interrupt source armed (LAPIC timer masked or idle, no pending IPI)'
    : 'HLT with interrupts disabled (RFLAGS.IF=0)';
}

/** The exit status of a guest that powered off through ACPI: 0, as QEMU exits after a guest shutdown. An
 *  isa-debug-exit status is always odd, so the two never collide. */
export const POWER_OFF_EXIT_CODE = 0;

/** Serial output a Machine keeps for serialOutput (the tail beyond it is dropped; the log and listeners see it all). */
export const SERIAL_KEEP_CHARS = 1 << 20;
/** A line longer than this is moved into serialDone in pieces. */
const SERIAL_CHUNK_CHARS = 4096;

export class Machine {
  readonly config: MachineConfig;
  readonly memory: PhysicalMemory;
  readonly cpu: GuestCpu;
  readonly io: IoPortBus;
  readonly serial: Serial16550;
  readonly debugExit: DebugExit;
  /** Local APIC, 8259A pair, 8254 PIT, fw_cfg (src/devices/pc.ts). */
  readonly devices: PcDevices;
  /** The guest's ELF (symbols, entry). A flat a.out-kludge Multiboot kernel gets one segment and no symbols. */
  readonly image: ElfImage;
  /** How the guest was booted (config.boot decides; docs/boot.md) and, for Multiboot, the full layout. */
  readonly bootProtocol: BootImage['protocol'];
  readonly multiboot: MultibootImage | undefined;
  readonly boot: BootInfo;
  private readonly bootImage: BootImage;
  readonly log: Logger;
  readonly source: string;

  /** What the guest wrote to COM1 since the last reset: all of it up to SERIAL_KEEP_CHARS, then the last
   *  SERIAL_KEEP_CHARS to 2x that (a guest printing forever must not grow the server without bound, issue 18). */
  get serialOutput(): string {
    return this.serialDone + this.serialChunk;
  }
  /** Serial text in whole chunks (one string concatenation per line, not per byte: V8 makes each `+=` a
   *  rope node, ~30 bytes per appended piece until the string is read). */
  private serialDone = '';
  /** The current line so far. */
  private serialChunk = '';
  /** isa-debug-exit status ((v << 1) | 1) once the guest wrote the port; undefined before. */
  exitCode: number | undefined;
  /** The raw value the guest wrote to isa-debug-exit. */
  exitValue: number | undefined;
  /** The guest powered off through ACPI (PM1a_CNT SLP_EN with \_S5's SLP_TYP): exitCode is then POWER_OFF_EXIT_CODE. */
  poweredOff = false;

  private readonly serialListeners = new Set<SerialListener>();
  private lineBuf = '';
  private readonly serialLevel: 'info' | 'debug';
  private interruptWhy: string | undefined;

  constructor(elf: Uint8Array, opts: MachineOptions = {}) {
    this.config = isFullConfig(opts.config) ? opts.config : parseConfig(opts.config ?? {});
    this.log = opts.logger ?? silentLogger();
    this.serialLevel = opts.serialLogLevel ?? 'info';
    this.source = opts.source ?? '<memory>';
    const size = this.config.memoryMiB * 1024 * 1024;

    this.bootImage = prepareBootImage(elf, {
      protocol: this.config.boot,
      memorySize: size,
      vendor: this.config.vendor,
      kernelName: opts.kernelName ?? this.source,
      append: this.config.append,
      initrd: this.config.initrd,
      modules: opts.modules,
      warn: (msg) => this.log.warn({ event: EV.LOADER_LOADED, path: this.source }, msg),
    });
    this.image = this.bootImage.image;
    this.bootProtocol = this.bootImage.protocol;
    this.multiboot = this.bootImage.protocol === 'multiboot' ? this.bootImage.multiboot : undefined;

    this.memory = createPhysicalMemory(size);
    this.io = new IoPortBus((port, dir, sz, value) =>
      this.log.warn({ event: EV.IO_UNCLAIMED, port: hex(port), dir, size: sz, value }, `unclaimed I/O port 0x${port.toString(16)} (${dir}); reads return all ones`),
    );
    this.serial = new Serial16550(COM1_BASE, (b) => this.serialByte(b));
    this.io.attach(COM1_BASE, 8, this.serial);
    this.debugExit = new DebugExit((value, code) => {
      this.exitValue = value;
      this.exitCode = code;
      this.flushSerialLine();
      this.log.info({ event: EV.GUEST_EXIT, value, code }, `guest wrote ${value} to isa-debug-exit: exit code ${code}`);
      this.cpu.requestStop('guest-exit');
    });
    this.io.attach(DEBUG_EXIT_PORT, DEBUG_EXIT_IOSIZE, this.debugExit);
    this.devices = new PcDevices({
      io: this.io,
      ramSize: size,
      log: (level, event, data) => this.log[level]({ ...data, event }, event),
      powerOff: () => this.powerOff(),
    });
    this.serial.connectIrq((level) => this.devices.setIsaIrq(COM1_IRQ, level));

    this.cpu = createCpu({
      vendor: this.config.vendor,
      features: { busLockDetect: this.config.busLockDetect, rtm: this.config.rtm },
      memory: this.memory,
      io: this.io,
      ...(opts.host && { host: opts.host }),
      observers: [this.logObserver(), ...(opts.observers ?? [])],
      engine: this.config.engine,
      jitThreshold: this.config.jitThreshold,
      ...this.devices.cpuOptions(),
    });
    this.devices.attachCpu(this.cpu);
    // A Multiboot or Linux kernel comes from firmware on QEMU: start it from the device state firmware leaves.
    if (this.bootProtocol !== 'elf64') this.devices.firmwareHandoff();

    this.boot = loadBootImage(this.bootImage, this.memory);
    applyBootState(this.cpu, this.boot);
    const mb = this.multiboot;
    this.log.debug(
      {
        event: EV.LOADER_LOADED,
        path: this.source,
        protocol: this.bootProtocol,
        entry: hex(this.image.entry),
        segments: this.image.segments.map((s) => ({ paddr: hex(s.paddr), memsz: s.memsz, flags: s.flags })),
        ...(mb && { format: mb.format, cmdline: mb.cmdline, modules: mb.modules.map((m) => ({ start: hex(m.start), end: hex(m.end), cmdline: m.cmdline })) }),
        ...(this.bootImage.protocol === 'linux' && linuxLogFields(this.bootImage.linux)),
      },
      'guest loaded',
    );
  }

  /** Read an ELF file and build a machine. File-system errors (ENOENT...) propagate unchanged. */
  static fromFile(path: string, opts: MachineOptions = {}): Machine {
    // A regular file no larger than guest RAM: /dev/zero or a FIFO must not be read forever (issue 18 item 8).
    const memMiB = isFullConfig(opts.config) ? opts.config.memoryMiB : parseConfig(opts.config ?? {}).memoryMiB;
    const bytes = readInputFile(path, 'guest', memMiB * 1024 * 1024, `guest RAM (--memory ${memMiB})`);
    return new Machine(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), { source: path, ...opts });
  }

  get symbols(): ReadonlyMap<string, ElfSymbol> {
    return this.image.symbols;
  }

  /** Address of a guest symbol (throws if absent). */
  symbol(name: string): bigint {
    const s = this.image.symbols.get(name);
    if (!s) throw new Error(`symbol ${JSON.stringify(name)} not found in ${this.source}`);
    return s.value;
  }

  /** Bytes of a guest variable by symbol name (through the current page tables; the boot map is identity). */
  readSymbol(name: string, len?: number): Uint8Array {
    const s = this.image.symbols.get(name);
    if (!s) throw new Error(`symbol ${JSON.stringify(name)} not found in ${this.source}`);
    const n = len ?? s.size;
    return this.cpu.readVirtual(s.value, n) ?? this.memory.readPhys(Number(s.value), n);
  }

  /** ACPI soft-off (S5): the run ends as QEMU's does on a guest shutdown request, with a clean status. */
  private powerOff(): void {
    if (this.exitCode !== undefined) return;
    this.poweredOff = true;
    this.exitValue = 0;
    this.exitCode = POWER_OFF_EXIT_CODE;
    this.flushSerialLine();
    this.log.info({ event: EV.GUEST_EXIT, poweroff: true, code: POWER_OFF_EXIT_CODE }, 'guest powered off (ACPI S5)');
    this.cpu.requestStop('guest-exit');
  }

  /** Subscribe to guest serial output (called per byte with the byte as text). Returns an unsubscribe function. */
  onSerial(cb: SerialListener): () => void {
    this.serialListeners.add(cb);
    return () => this.serialListeners.delete(cb);
  }

  /** Back to the entry state: RAM cleared and reloaded from the ELF, boot structures rebuilt, CPU reset, devices reset. */
  reset(): void {
    this.zeroMemory();
    loadBootImage(this.bootImage, this.memory);
    this.cpu.reset();
    applyBootState(this.cpu, this.boot);
    this.serial.reset();
    this.devices.reset();
    if (this.bootProtocol !== 'elf64') this.devices.firmwareHandoff();
    this.io.resetReports();
    this.serialDone = '';
    this.serialChunk = '';
    this.lineBuf = '';
    this.exitCode = undefined;
    this.exitValue = undefined;
    this.poweredOff = false;
    this.interruptWhy = undefined;
    this.log.debug({ event: EV.MACHINE_RESET }, 'machine reset to the entry state');
  }

  /** Clear RAM through writePhys (so the CPU's decoded-instruction cache sees it), touching only the
   *  4 KiB pages that are not already zero: a guest dirties a few pages of a 64 MiB RAM. Each page is
   *  compared with a zero page by Buffer.compare (memcmp): a word-by-word scan of 128 MiB took ~200 ms,
   *  which every gdb `kill`/`run` and `monitor system_reset` waited for. */
  private zeroMemory(): void {
    const u8 = this.memory.u8;
    const ram = Buffer.from(u8.buffer, u8.byteOffset, u8.byteLength);
    const zero = ZERO_PAGE;
    for (let page = 0; page < u8.byteLength; page += 4096) {
      const len = Math.min(4096, u8.byteLength - page);
      if (ram.compare(zero, 0, len, page, page + len) !== 0) {
        // writePhys takes a physical address: RAM offsets from lowSize on sit from 4 GiB up.
        const phys = page < this.memory.lowSize ? page : page - this.memory.lowSize + FOUR_GIB;
        this.memory.writePhys(phys, zero.subarray(0, len));
      }
    }
  }

  /** Stop a runToCompletion() at the next instruction boundary. */
  interrupt(why = 'interrupt'): void {
    this.interruptWhy = why;
    this.cpu.requestStop(why);
  }

  /**
   * Bare execution: no debugger, no hypervisor. Runs in slices and yields to the event loop between
   * them (setImmediate) so signals, sockets and interrupt() are serviced.
   */
  async runToCompletion(opts: RunOptions = {}): Promise<RunResult> {
    const slice = Math.max(1, opts.sliceInsns ?? 200_000);
    const limit = opts.maxInsns ?? Infinity;
    const start = this.cpu.instructionsRetired;
    this.interruptWhy = undefined;
    for (;;) {
      if (this.exitCode !== undefined) return this.exitResult();
      const done = this.cpu.instructionsRetired - start;
      if (done >= limit) return { kind: 'budget' };
      const r = this.cpu.run(Math.min(slice, limit - done));
      if (this.exitCode !== undefined) return this.exitResult();
      switch (r.kind) {
        case 'budget':
          break;
        case 'hlt': {
          this.flushSerialLine();
          const detail = hltForeverDetail(this.cpu);
          this.log.warn({ event: EV.GUEST_FAULT, kind: 'hlt-forever', rip: hex(this.cpu.getRip()), detail }, detail);
          return { kind: 'hlt-forever', detail };
        }
        case 'triple-fault':
          this.flushSerialLine();
          this.log.error({ event: EV.GUEST_FAULT, kind: 'triple-fault', detail: r.detail, rip: hex(this.cpu.getRip()) }, `triple fault: ${r.detail}`);
          return { kind: 'triple-fault', detail: r.detail };
        case 'stop-requested':
          if (this.interruptWhy === undefined && this.cpu.unsupportedMode !== '') return this.unsupportedResult();
          return { kind: 'interrupted', why: this.interruptWhy ?? r.why };
        default:
          // Intercepts and external breakpoints exist only when a debugger/hypervisor layer set them up.
          return { kind: 'interrupted', why: `unexpected stop in bare run: ${r.kind}` };
      }
      opts.onSlice?.(this.cpu.instructionsRetired - start);
      if (this.interruptWhy !== undefined) return { kind: 'interrupted', why: this.interruptWhy };
      await new Promise<void>((res) => setImmediate(res));
      if (this.interruptWhy !== undefined) return { kind: 'interrupted', why: this.interruptWhy };
    }
  }

  /** The guest entered a mode the CPU does not model (real-address or virtual-8086 mode). */
  unsupportedResult(): RunResult {
    this.flushSerialLine();
    const detail = this.cpu.unsupportedMode;
    this.log.error({ event: EV.GUEST_FAULT, kind: 'unsupported-mode', mode: this.cpu.mode, rip: hex(this.cpu.getRip()), detail }, `unsupported CPU mode: ${detail}`);
    return { kind: 'unsupported-mode', detail };
  }

  private exitResult(): RunResult {
    return { kind: 'exit', code: this.exitCode!, value: this.exitValue! };
  }

  private serialByte(b: number): void {
    const ch = String.fromCharCode(b);
    this.serialChunk += ch;
    if (b === 0x0a || this.serialChunk.length >= SERIAL_CHUNK_CHARS) {
      this.serialDone += this.serialChunk;
      this.serialChunk = '';
      if (this.serialDone.length > 2 * SERIAL_KEEP_CHARS) this.serialDone = this.serialDone.slice(-SERIAL_KEEP_CHARS);
    }
    for (const l of this.serialListeners) l(ch, b);
    if (b === 0x0a) this.flushSerialLine();
    else if (b !== 0x0d) {
      this.lineBuf += ch;
      if (this.lineBuf.length >= 4096) this.flushSerialLine();
    }
  }

  private flushSerialLine(): void {
    if (this.lineBuf === '' ) return;
    this.log[this.serialLevel]({ event: EV.GUEST_SERIAL, text: this.lineBuf }, 'serial');
    this.lineBuf = '';
  }

  /** Machine log lines for the CPU's log events and every #DB. */
  private logObserver(): CpuObserver {
    const log = this.log;
    return {
      onLog: (level, event, data) => {
        const name = cpuEventName(event);
        // The machine reports the triple fault itself (guest.fault) when run() returns; keep the CPU's detail at debug.
        const lvl = name === EV.CPU_LOG && /triple/i.test(event) ? 'debug' : level;
        log[lvl]({ ...stringifyBigints(data), event: name, cpuEvent: event }, event);
      },
      onDebugEvent: (ev) => {
        // Every stepi and watchpoint hit is a #DB: build the record (four BigInts to hex) only when it is kept.
        if (!log.isLevelEnabled('debug')) return;
        log.debug(
          {
            event: EV.DB_EVENT,
            payload: hex(ev.payload),
            kind: ev.kind,
            causes: ev.causes,
            rip: hex(ev.rip),
            cpl: ev.cpl,
            dr6Before: hex(ev.dr6Before),
            dr6After: ev.dr6After === undefined ? undefined : hex(ev.dr6After),
            intercepted: ev.intercepted,
          },
          '#DB',
        );
      },
    };
  }
}

/** Map the CPU's own diagnostic names onto the stable event names of src/log.ts. */
function cpuEventName(event: string): string {
  if (event.startsWith('cpu.')) return event;
  if (/(^|[^a-z])ud([^a-z]|$)|unsupported|unimplemented|(invalid|undefined).?opcode/i.test(event)) return EV.CPU_UD;
  return EV.CPU_LOG;
}

function isFullConfig(c: unknown): c is MachineConfig {
  return typeof c === 'object' && c !== null && 'vendor' in c && 'memoryMiB' in c && 'qemuDbRouting' in c && 'exceptionPayload' in c;
}

export function hex(v: number | bigint): string {
  return '0x' + v.toString(16);
}

function stringifyBigints(d: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(d)) out[k] = typeof v === 'bigint' ? hex(v) : v;
  return out;
}

/** What the log says about a Linux kernel: its version string, protocol, command line and initrd. */
function linuxLogFields(l: LinuxImage): Record<string, unknown> {
  return {
    version: l.version,
    bootProtocol: `${l.protocol >> 8}.${(l.protocol & 0xff).toString().padStart(2, '0')}`,
    cmdline: new TextDecoder().decode(l.cmdline.subarray(0, l.cmdline.length - 1)),
    ...(l.initrd && { initrd: { start: hex(l.initrd.addr), size: l.initrd.data.length } }),
  };
}
