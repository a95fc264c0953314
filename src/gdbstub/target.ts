// The one interface between the RSP server and the machine. The RSP layer knows registers only by the
// descriptions below and breakpoints only by gdb's Z types; it never knows what DR6 is. src/vmm implements it.

/** One register as gdb will see it in the target description. */
export interface RegisterInfo {
  name: string;
  bitsize: number;
  /** gdb tdesc type: int, int64, code_ptr, data_ptr, i387_ext, vec128, or a flags type named in `feature`. */
  type: string;
  /** Feature name the register belongs to (e.g. org.gnu.gdb.i386.core). */
  feature: string;
  group?: string;
}

/** gdb breakpoint types exactly as Z/z packets number them. */
export const enum BreakpointType { Software = 0, Hardware = 1, WriteWatch = 2, ReadWatch = 3, AccessWatch = 4 }

/** ok: inserted/removed. unsupported: reply empty (gdb falls back, e.g. Z3 -> Z4). error: reply E22 (QEMU's -EINVAL/-ENOBUFS). */
export type BreakpointResult = 'ok' | 'unsupported' | 'error';

export type StopEvent =
  | {
      kind: 'signal';
      /** gdb signal number: 5 SIGTRAP, 2 SIGINT, 4 SIGILL, 11 SIGSEGV, 6 SIGABRT (guest-fatal states). */
      signal: number;
      reason?:
        | { type: 'watch' | 'rwatch' | 'awatch'; addr: bigint }
        | { type: 'swbreak' }
        | { type: 'hwbreak' };
      /** Free text for the log (e.g. "triple fault: #GP during #DF delivery"). */
      detail?: string;
    }
  | { kind: 'exited'; code: number };

export type ResumeAction = {
  kind: 'continue' | 'step';
  signal?: number;
  /** Range stepping (vCont;r, GDB manual "Packets"): a step that goes on stepping while the pc stays in
   *  [start, end), and stops when it leaves the range or anything else stops it (a breakpoint, a watchpoint,
   *  an exit). Only sent to targets with `rangeStepping`; gdb uses it for `step`/`next` over a source line. */
  range?: { start: bigint; end: bigint };
};

export interface GdbTarget {
  /** Registers in gdb order; the `g` packet is their concatenation, little-endian. */
  readonly registers: readonly RegisterInfo[];
  /** Extra tdesc XML fragments, e.g. flags types, keyed by feature name (inserted inside <feature>). */
  readonly featureTypes?: Readonly<Record<string, string>>;
  /** gdb <architecture>. */
  readonly architecture: string;

  readRegister(index: number): bigint;
  /** Optional: every register at once, in `registers` order (the `g` reply). A target whose registers come
   *  from one state snapshot implements it so `g` takes one snapshot rather than one per register. */
  readRegisters?(): readonly bigint[];
  /** Optional: the registers at `indices`, in that order, from one snapshot (the stop reply's expedited
   *  registers: one state read per stop instead of one per register). */
  readRegisterList?(indices: readonly number[]): readonly bigint[];
  /** Returns false when the value cannot be written (the stub replies E..). */
  writeRegister(index: number, value: bigint): boolean;
  /** Optional: several registers (index -> value) all or nothing, for `G`; false = nothing was written. */
  writeRegisters?(changes: ReadonlyMap<number, bigint>): boolean;

  /** Virtual addresses through the guest's page tables. undefined = unmapped (E14 reply). */
  readMemory(addr: bigint, len: number): Uint8Array | undefined;
  writeMemory(addr: bigint, data: Uint8Array): boolean;

  insertBreakpoint(type: BreakpointType, addr: bigint, kind: number): BreakpointResult;
  removeBreakpoint(type: BreakpointType, addr: bigint, kind: number): BreakpointResult;

  /** Start the guest (asynchronously: the target runs in slices on the event loop) and report the
   *  next stop through `onStop`. A step executes exactly one instruction. */
  resume(action: ResumeAction, onStop: (ev: StopEvent) => void): void;
  /** Ctrl-C: stop a running guest; the pending onStop fires with signal 2. No-op when stopped. */
  interrupt(): void;
  /** Why the target is stopped right now (for `?`). */
  lastStop(): StopEvent;
  readonly running: boolean;
  /** The CPU waits in HLT (QEMU's `cpu->halted`): what the thread's extra info shows as "[halted]". A target
   *  stopped by the debugger is not halted; the text follows QEMU's handle_query_thread_extra. */
  readonly cpuHalted: boolean;
  /** Optional: the target implements ResumeAction.range (the stub then offers `r` in its vCont? reply). */
  readonly rangeStepping?: boolean;

  /** `monitor ...` text commands; returns the text to show the user. */
  monitor(command: string): string;
  /** gdb detached (`D`, runOn true) or the connection dropped (runOn false): remove debugger breakpoints and
   *  stepping. With runOn the guest runs on without a debugger, as QEMU (gdb_continue in handle_detach) and
   *  gdbserver let it, unless the target is configured to stay paused. Returns true when the guest now runs. */
  detach(runOn: boolean): boolean;
  /** `k` / vKill: reset the machine to its entry state, paused. */
  kill(): void;
}
