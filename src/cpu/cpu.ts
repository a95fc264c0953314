// The x86 interpreter core: register file (32-bit halves in typed arrays), lazy flags, paging with a
// software TLB (4-level here; 32-bit and PAE in paging32.ts), the decoded-instruction cache (one per decode
// mode), exception/interrupt delivery (64-bit IDT here, 32-bit IDT in delivery32.ts), MMIO routing,
// maskable interrupts, HLT and the virtual clock, and the run loop. Instruction semantics live in ops.ts /
// ops-legacy.ts, system instructions in system.ts / far.ts / segments.ts, the mode summary in mode.ts,
// the debug unit in debug.ts.
//
// Linear addresses and RIP are kept as JS numbers holding the *signed* canonical value (bits 63:47
// equal), which is exact in a double (|v| < 2^47). Non-canonical addresses never reach the TLB: they
// raise #GP/#SS first (SDM Vol. 1 3.3.7.1). Outside 64-bit mode RIP holds EIP (the offset in CS) and
// linear addresses are unsigned 32-bit numbers.

import type {
  ArchState, CpuFeatures, CpuMode, CpuHooks, CpuOptions, DbEvent, EventClass, ExceptionEvent, ExternalWatchpoint, Gpr,
  GuestCpu, InterceptableInstruction, InterruptController, IoBus, MmioRegion, SegmentState, StopReason, TableRegister, Vendor,
} from './api.js';
import * as A from './arch.js';
import { DEC_OK, DEC_TOO_LONG, Insn, MODE_DEF16, MODE_DEF32, MODE_LONG64, decode, type ByteSource, type DecodeMode } from './decoder.js';
import { GuestMemory } from './memory.js';
import { ModelMsrs } from './model-msrs.js';
import { INTERNAL_ERROR_STOP } from './api.js';
import { opUndefined } from './ops.js';
import { installHandlers } from './handlers.js';
import { specialize } from './fast.js';
import * as D from './debug.js';
import * as S from './system.js';
import { cpuMode, updateMode } from './mode.js';
import * as P from './paging32.js';
import { deliverIdt32 } from './delivery32.js';
import { attrsOf, limitOf } from './descriptor.js';
import { CANON_LIMIT, TWO32, big64, bigToLa, laToBig } from './canonical.js';
import {
  ACC_R, ACC_W, ACC_X, FAULT, FLAT_DATA_SEGS, LF_A, LF_ADC, LF_ADD, LF_AH, LF_B, LF_BH, LF_C, LF_EAGER, LF_LOGIC, LF_INC, LF_OP,
  LF_R, LF_RH, LF_SBB, LF_SUB, LF_SZ, MMIO_BIAS, P_D, P_RU, P_WS, P_WU, P_XS, P_XU, PARITY, SHADOW_MOVSS, SHADOW_NONE, SHADOW_STI,
  SL_DATA, SL_DEFERRED, SL_EVENT, SL_EXEC_BP, SL_EXTBP, SL_HOSTSS, SL_IO_BP, SL_PENDING, SL_PER_INSN, SL_RF, SL_SHADOW, SL_STOP,
  SL_TF, SL_TRAP, STOP, TLB_SIZE,
} from './state.js';

/** What the run loop needs of a block compiler (src/cpu/jit/engine.ts). */
export interface CodeEngine {
  /** Run compiled code from `c.insnRip` (the fetch page is current), at most `budget` instructions, with the
   *  run loop's per-instruction bookkeeping done (rip, insnRip, nextRip, retired). Returns the instructions
   *  retired, or -1 when this instruction is to be interpreted. A fault leaves `thrown` set. */
  exec(c: Cpu, budget: number): number;
  thrown: unknown;
  /** Throw `thrown` (and clear it). */
  rethrow(): never;
}

// Segment descriptor type bits (SDM Vol. 3 Table 3-1), as in SegmentState.attrs bits 3:0: code/data and,
// for data segments, E (expand-down).
const SEG_TYPE_CODE = 8, SEG_TYPE_EXPAND_DOWN = 4;
/** Type bit 1 of a code/data descriptor: writable (data) or readable (code), SDM Vol. 3 3.4.5.1 Table 3-1. */
const SEG_TYPE_WRITABLE = 2, SEG_TYPE_READABLE = 2;
/** Largest IP of a 16-bit code segment. */
const IP_MAX = 0xffff;
/** Handler wrapper for the instruction that ends at IP FFFFH or beyond: a straight-line next IP wraps to 16
 *  bits (branches already truncate through jumpLeg; a REP that repeats keeps its own IP). */
function wrapIp(fn: (c: Cpu, i: Insn) => void): (c: Cpu, i: Insn) => void {
  return (c, i) => {
    fn(c, i);
    if (c.nextRip === c.insnRip + i.len) c.nextRip &= IP_MAX;
  };
}
const BUDGET: StopReason = Object.freeze({ kind: 'budget' });
/** Firings of the timer at one clock value before it is considered stuck (fireTimer). */
const TIMER_STORM_LIMIT = 10000;
const HLT: StopReason = Object.freeze({ kind: 'hlt' });
/** REP iterations one run() may do: ~10 ms of the slowest string op measured (REP MOVSB between two
 *  buffers that evict each other from the TLB, ~1.2 us per iteration), two 4096-iteration chunks. */
const REP_WORK_PER_RUN = 8192;
/** Work units (REP iterations' worth) one delivered fault costs: 128 faults per run(), a few ms. */
const FAULT_WORK = 64;

export class Cpu implements GuestCpu {
  readonly vendor: Vendor;
  readonly features: CpuFeatures;
  hooks: CpuHooks;
  readonly mem: GuestMemory;
  readonly io: IoBus;
  readonly u8: Uint8Array;
  readonly dv: DataView;
  readonly memSize: number;

  // ---- register file ----
  readonly rl = new Int32Array(16);
  readonly rh = new Int32Array(16);
  rip = 0;
  nextRip = 0;
  /** RFLAGS except the six lazily kept status flags (those are valid here only when lf[LF_OP]==EAGER). */
  fl = 2;
  readonly lf = new Int32Array(9);
  /** Scratch high dword returned by 64-bit reads. */
  th = 0;
  cpl = 0;
  readonly segSel = new Uint16Array(6);
  readonly segBase = new Float64Array(6); // signed canonical
  readonly segLimit = new Uint32Array(6);
  readonly segAttr = new Uint16Array(6);
  gdtrBase = 0; gdtrLimit = 0;
  idtrBase = 0; idtrLimit = 0;
  trSel = 0; trBase = 0; trLimit = 0; trAttr = 0;
  ldtrSel = 0; ldtrBase = 0; ldtrLimit = 0; ldtrAttr = 0;
  cr0 = A.CR0_RESET; cr2 = 0; cr3 = 0; cr4 = 0; cr8 = 0; efer = 0;
  kernelGsBase = 0;
  star = 0n; lstar = 0n; cstar = 0n; sfmask = 0;
  tscAux = 0; pat = 0x0007040600070406n; apicBase = 0xfee00900n;
  sysenterCs = 0n; sysenterEsp = 0n; sysenterEip = 0n;
  /** MISC_ENABLE, machine-check globals, AMD legacy performance counters (model-msrs.ts). */
  readonly modelMsrs = new ModelMsrs();
  tscOffset = 0;
  /** XMM0-15, four dwords each. */
  readonly xmm = new Int32Array(64);
  mxcsr = 0x1f80;

  // ---- debug registers ----
  readonly drRaw: bigint[] = [0n, 0n, 0n, 0n];
  /** DR0-DR3 as signed numbers for matching (NaN when not canonical: never matches). */
  readonly drLin = new Float64Array(4);
  /** Enabled data breakpoints, precomputed by recomputeSlow for the access hook. */
  readonly dbpBase = new Float64Array(4);
  readonly dbpEnd = new Float64Array(4);
  readonly dbpBit = new Int32Array(4);
  readonly dbpWriteOnly = new Uint8Array(4);
  dbpCount = 0;
  /** Bounding range [dbLo, dbHi) of every armed data breakpoint and external watchpoint (empty when none):
   *  an access outside it cannot match, so the per-access hook is skipped with two compares. */
  dbLo = Infinity;
  dbHi = -Infinity;
  dr6 = A.DR6_RESET;
  dr7 = A.DR7_RESET;
  debugctl = 0;

  // ---- debug unit / slow path state ----
  slow = 0;
  shadow = SHADOW_NONE;
  shadowNew = SHADOW_NONE;
  private pendingDbg = 0;
  private hostSS = false;
  extBps: number[] = [];
  extWps: ExternalWatchpoint[] = [];
  extWpLin: number[] = [];
  suppressExtBpOnce = false;
  /** Per-instruction debug bookkeeping (valid while the slow path runs). */
  dbBeforeRan = false;
  dbTfStart = false;
  dbRfStart = false;
  dbHits = 0;           // B0-B3 data/IO matches of the current instruction
  dbExtWpHit = -1;      // index of the external watchpoint hit
  dbExtWpAddr = 0;
  dbExtWpWrite = false;
  dbBusLock = false;
  dbBranch = false;     // the current instruction transferred control (BTF)
  rfKeep = false;       // IRET loaded RF=1: keep it for the next instruction
  /** Trap #DB causes held back by an external-watchpoint stop, delivered when run() resumes. */
  deferredTrap = 0;
  /** A task switch loaded a TSS whose T flag is set: #DB with DR6.BT before the new task's first
   *  instruction (SDM Vol. 3 18.3.1.5). Taken by debug.after() for a JMP/CALL/IRET/INT n switch, by
   *  debug.before() for one made by exception or interrupt delivery. */
  taskSwitchTrap = false;

  /** The block compiler (src/cpu/jit, `--engine jit`), null for the interpreter alone. */
  jit: CodeEngine | null = null;

  // ---- run state ----
  retired = 0;
  /** REP string iterations the current run() may still spend (string-io.ts, ops.ts stringOp; a delivered
   *  fault costs FAULT_WORK of them). One REP
   *  execution can move megabytes yet counts as one instruction, so a run() is bounded by this work too:
   *  when it is spent the REP stops at an iteration boundary (RIP on the instruction, as an interrupted REP
   *  leaves it, SDM Vol. 2 REP) and run() returns 'budget', so the caller serves Ctrl-C, signals and
   *  sockets within milliseconds whatever the guest runs (issue 18 item 1). */
  repWork = 0;
  shutdown = false;
  shutdownDetail = '';
  stopReason: StopReason | null = null;
  stopWhy = '';
  /** Instruction intercept bypass for executeIntercepted(). */
  bypassIntercept = false;
  // pending exception set by raise()
  excVec = 0;
  excErr = -1;
  excCr2 = 0;
  /** Start of the instruction being executed (for fault RIP). */
  insnRip = 0;
  curInsn: Insn | null = null;

  // ---- PAE PDPTE registers (paging32.ts) ----
  readonly pdpteLo = new Int32Array(4);
  readonly pdpteHi = new Int32Array(4);

  // ---- devices on the CPU's buses (api.ts CpuOptions) ----
  readonly mmio: MmioRegion[];
  readonly interrupts: InterruptController | undefined;

  // ---- TLB ----
  readonly tlbTag = new Float64Array(TLB_SIZE);
  /** RAM offset (index in u8) of each cached frame: up to 4 GiB, so not an Int32Array. */
  readonly tlbPhys = new Float64Array(TLB_SIZE);
  readonly tlbPerm = new Uint8Array(TLB_SIZE);
  needR = 0; needW = P_WS | P_D; needX = P_XS;

  // ---- decoded instruction cache ----
  /** One decoded-instruction map per decode mode (64-bit, 32-bit and 16-bit code segments): the same bytes
   *  decode differently in each, and a trampoline page is executed in more than one. */
  private readonly codeByMode = [new Map<number, (Insn | undefined)[]>(), new Map<number, (Insn | undefined)[]>(), new Map<number, (Insn | undefined)[]>()];
  /** The map of the current decode mode. */
  code = this.codeByMode[0]!;
  fLin0 = NaN;                    // linear address of the current fetch page
  fPhys0 = 0;
  fArr: (Insn | undefined)[] = [];
  readonly ibuf = new Uint8Array(16);
  private readonly scratchInsn = new Insn();
  private readonly src: ByteSource;

  constructor(opts: CpuOptions) {
    this.vendor = opts.vendor;
    this.features = { ...opts.features };
    this.hooks = opts.hooks ?? {};
    if (!(opts.memory instanceof GuestMemory)) throw new TypeError('createCpu: memory must come from createPhysicalMemory()');
    this.mem = opts.memory;
    this.io = opts.io;
    this.mmio = (opts.mmio ?? []).slice();
    this.interrupts = opts.interrupts;
    this.u8 = this.mem.u8;
    this.dv = this.mem.dv;
    this.memSize = this.mem.size;
    this.mem.onCodeWrite = (ppn) => this.invalidateCodePage(ppn);
    installHandlers();
    const self = this;
    this.src = {
      buf: this.ibuf,
      avail: 0,
      extend(): void { self.fetchExtend(); },
    };
    this.reset();
  }

  // =====================================================================================
  // Reset / state
  // =====================================================================================
  reset(): void {
    this.rl.fill(0); this.rh.fill(0);
    this.rip = 0xfff0; this.fl = 2; this.lf.fill(0);
    this.cpl = 0;
    this.segSel.fill(0); this.segBase.fill(0); this.segLimit.fill(0xffff); this.segAttr.fill(A.ATTR_P | A.ATTR_S | 3);
    this.segSel[1] = 0xf000; this.segBase[1] = 0xffff0000; this.segAttr[1] = A.ATTR_P | A.ATTR_S | 0xb;
    this.gdtrBase = 0; this.gdtrLimit = 0xffff; this.idtrBase = 0; this.idtrLimit = 0xffff;
    this.trSel = 0; this.trBase = 0; this.trLimit = 0xffff; this.trAttr = A.ATTR_P | A.SYS_TSS64_BUSY;
    this.ldtrSel = 0; this.ldtrBase = 0; this.ldtrLimit = 0xffff; this.ldtrAttr = A.ATTR_P | A.SYS_LDT;
    this.cr0 = A.CR0_RESET; this.cr2 = 0; this.cr3 = 0; this.cr4 = 0; this.cr8 = 0; this.efer = 0;
    this.kernelGsBase = 0; this.star = 0n; this.lstar = 0n; this.cstar = 0n; this.sfmask = 0; this.tscAux = 0;
    this.modelMsrs.reset();
    this.xmm.fill(0); this.mxcsr = 0x1f80;
    // SDM Vol. 3 10.1.1, Table 10-1: DR0-DR3 = 0, DR6 = FFFF0FF0H, DR7 = 00000400H, DEBUGCTL = 0.
    for (let n = 0; n < 4; n++) { this.drRaw[n] = 0n; this.drLin[n] = 0; }
    this.dr6 = A.DR6_RESET; this.dr7 = A.DR7_RESET; this.debugctl = 0;
    this.shadow = SHADOW_NONE; this.shadowNew = SHADOW_NONE; this.pendingDbg = 0; this.deferredTrap = 0; this.taskSwitchTrap = false;
    this.rfKeep = false; this.suppressExtBpOnce = false;
    this.shutdown = false; this.shutdownDetail = '';
    this.stopWhy = '';
    this.retired = 0; // api.ts: instructionsRetired counts since reset
    this.haltSkipped = 0; this.haltedState = false; this.timerTick = undefined; this.timerFn = undefined;
    this.irqCheck = false; // api.ts: pendingVector() is asked only after notifyInterrupt()
    this.flushTlb();
    this.updateCplMasks();
    updateMode(this);
    this.recomputeSlow();
  }

  get instructionsRetired(): number { return this.retired; }

  // ---- mode summary for the instruction semantics (maintained by the mode logic on every CR0/EFER/CS/SS change) ----
  /** Decoder defaults of the current code segment; the decoded-instruction cache is flushed when it changes. */
  decodeMode: DecodeMode = MODE_LONG64;
  /** 64-bit mode (EFER.LMA=1 and CS.L=1): no segment bases except FS/GS, canonical checks, RIP not truncated. */
  long64 = true;
  /** SS.B: the stack pointer is ESP (true) or SP (false) outside 64-bit mode (SDM Vol. 3 3.4.5.1). */
  ss32 = true;
  /** Outside 64-bit mode: CS/DS/ES/SS all have base 0 and a 4 GiB limit, DS/ES/SS are expand-up writable data
   *  segments (mode.ts), so segmentation is a no-op for data accesses through them. */
  flatSegs = true;
  /** Bit s set: data accesses through segment s need no check (flatSegs, s = ES/SS/DS). CS is never in it:
   *  a CS-override access must be checked for the code segment's type (SDM Vol. 3 5.4: no writes, reads only
   *  when readable). */
  flatMask = FLAT_DATA_SEGS;

  /** CS base used by instruction fetch (0 in 64-bit mode): RIP holds the offset (EIP) in CS. */
  csBase = 0;
  /** Why the current mode cannot execute (real / virtual-8086 mode), '' when it can. */
  unsupported = '';
  /** api.ts unsupportedMode: the reason of the last unsupported-mode stop ('' after any other stop). */
  lastUnsupported = '';
  get unsupportedMode(): string { return this.lastUnsupported; }
  /** Stop before an instruction completes that would enter a mode the CPU does not model (IRET or a task
   *  switch to EFLAGS.VM=1): RIP stays on it, a 'cpu-unsupported-mode' event names the mode. */
  stopForUnsupportedMode(why: string): void {
    this.lastUnsupported = why;
    this.log('error', 'cpu-unsupported-mode', { reason: why });
    this.stopReason = { kind: 'stop-requested', why: `unsupported CPU mode: ${why}` };
  }
  private unsupportedLogged = '';

  /** Switch the decode mode and the decoded-instruction cache that belongs to it (mode.ts). */
  setDecodeMode(dm: DecodeMode): void {
    this.decodeMode = dm;
    this.code = this.codeByMode[dm === MODE_LONG64 ? 0 : dm === MODE_DEF32 ? 1 : 2]!;
    this.fLin0 = NaN;
  }
  /** CR8 (TPR[7:4]): the interrupt controller's when it implements it (api.ts), else a plain register. */
  readCr8(): number {
    const ic = this.interrupts;
    return ic !== undefined && ic.readCr8 !== undefined ? ic.readCr8() & 15 : this.cr8;
  }
  writeCr8(v: number): void {
    this.cr8 = v & 15;
    const ic = this.interrupts;
    if (ic !== undefined && ic.writeCr8 !== undefined) ic.writeCr8(v & 15);
  }
  /** True while run() executes (mode.ts stops the loop when code enters an unsupported mode). */
  inRun = false;
  /** Log the unsupported-mode reason once per reason (a 'cpu-unsupported-mode' event). */
  noteUnsupported(): void {
    if (this.unsupportedLogged === this.unsupported) return;
    this.unsupportedLogged = this.unsupported;
    this.log('error', 'cpu-unsupported-mode', { mode: cpuMode(this), rip: '0x' + laToBig(this.rip).toString(16), reason: this.unsupported });
  }
  /** The stop run() returns while the mode is unsupported. */
  private unsupportedStop(): StopReason {
    this.noteUnsupported();
    this.lastUnsupported = this.unsupported;
    return { kind: 'stop-requested', why: `unsupported CPU mode: ${this.unsupported}` };
  }

  // ---- platform contract (api.ts); the full model of modes, timer and interrupts is being built ----
  get mode(): CpuMode { return cpuMode(this); }

  get pendingDebugExceptions(): number { return this.pendingDbg; }
  set pendingDebugExceptions(v: number) { this.pendingDbg = v >>> 0; this.recomputeSlow(); }
  get interruptShadow(): 'none' | 'sti' | 'mov-ss' {
    return this.shadow === SHADOW_STI ? 'sti' : this.shadow === SHADOW_MOVSS ? 'mov-ss' : 'none';
  }
  set interruptShadow(v: 'none' | 'sti' | 'mov-ss') {
    this.shadow = v === 'sti' ? SHADOW_STI : v === 'mov-ss' ? SHADOW_MOVSS : SHADOW_NONE;
    this.recomputeSlow();
  }
  get hostSingleStep(): boolean { return this.hostSS; }
  set hostSingleStep(v: boolean) { this.hostSS = v; this.recomputeSlow(); }

  /** Recompute the one "slow path armed" word (the debug unit costs nothing when idle; docs/performance.md measures it). */
  recomputeSlow(): void {
    let s = 0;
    const dr7 = this.dr7;
    let nd = 0;
    for (let n = 0; n < 4; n++) {
      if (((dr7 >>> (2 * n)) & 3) === 0) continue;
      const rw = A.dr7Rw(dr7, n);
      if (rw === A.DR7_RW_EXEC) s |= SL_EXEC_BP;
      else if (rw === A.DR7_RW_IO) { if (this.cr4 & A.CR4_DE) s |= SL_IO_BP; }
      else {
        const d = this.drLin[n]!;
        if (d !== d) continue; // non-canonical: never matches
        // The address is aligned down to LEN (SDM 18.2.5): precompute [base, end) for the access hook.
        const len = A.dr7Len(dr7, n);
        const base = d - (((d % len) + len) % len);
        this.dbpBase[nd] = base; this.dbpEnd[nd] = base + len; this.dbpBit[nd] = 1 << n;
        this.dbpWriteOnly[nd] = rw === A.DR7_RW_WRITE ? 1 : 0;
        nd++;
        s |= SL_DATA;
      }
    }
    this.dbpCount = nd;
    if (this.extWps.length) s |= SL_DATA;
    let lo = Infinity, hi = -Infinity;
    for (let k = 0; k < nd; k++) { lo = Math.min(lo, this.dbpBase[k]!); hi = Math.max(hi, this.dbpEnd[k]!); }
    for (let k = 0; k < this.extWps.length; k++) {
      const a = this.extWpLin[k]!;
      lo = Math.min(lo, a); hi = Math.max(hi, a + this.extWps[k]!.len);
    }
    this.dbLo = lo; this.dbHi = hi;
    if (this.fl & A.RFLAGS_TF) s |= SL_TF;
    if (this.hostSS) s |= SL_HOSTSS;
    if (this.pendingDbg) s |= SL_PENDING;
    if (this.extBps.length) s |= SL_EXTBP;
    if (this.fl & A.RFLAGS_RF) s |= SL_RF;
    if (this.shadow || this.shadowNew) s |= SL_SHADOW;
    if (this.stopWhy) s |= SL_STOP;
    if (this.deferredTrap) s |= SL_DEFERRED;
    if (this.taskSwitchTrap) s |= SL_TRAP;
    if ((this.irqCheck && (this.fl & A.RFLAGS_IF) !== 0 && !this.blockIrq) || this.rebound) s |= SL_EVENT;
    // Per-instruction debug bookkeeping in flight: the after-instruction path must still run.
    if (this.dbBeforeRan || this.dbHits || this.dbBusLock || this.dbExtWpHit >= 0 || this.stopReason !== null) s |= SL_TRAP;
    this.slow = s;
  }

  getGpr(r: Gpr): bigint { return big64(this.rl[r]!, this.rh[r]!); }
  setGpr(r: Gpr, v: bigint): void {
    const u = BigInt.asUintN(64, v);
    this.rl[r] = Number(u & 0xffffffffn) | 0; this.rh[r] = Number(u >> 32n) | 0;
  }
  getRip(): bigint { return laToBig(this.rip); }
  setRip(v: bigint): void {
    const r = bigToLa(v);
    if (r !== this.rip) this.haltedState = false; // moved by the debugger: no longer waiting in HLT
    this.rip = r;
  }
  getRflags(): bigint { return BigInt(this.getFlags() >>> 0); }
  setRflags(v: bigint): void { this.setFlagsAll(Number(BigInt.asUintN(32, v))); }
  getCpl(): number { return this.cpl; }

  getFlags(): number { this.materialize(); return (this.fl & A.RFLAGS_DEFINED) | A.RFLAGS_FIXED1; }
  setFlagsAll(v: number): void {
    this.fl = (v & A.RFLAGS_DEFINED) | A.RFLAGS_FIXED1;
    this.lf[LF_OP] = LF_EAGER;
    this.recomputeSlow();
  }

  private segState(n: number): SegmentState {
    return { selector: this.segSel[n]!, base: laToBig(this.segBase[n]!), limit: this.segLimit[n]!, attrs: this.segAttr[n]! };
  }

  getState(): ArchState {
    const gpr: bigint[] = [];
    for (let r = 0; r < 16; r++) gpr.push(this.getGpr(r as Gpr));
    return {
      gpr, rip: this.getRip(), rflags: this.getRflags(),
      seg: [0, 1, 2, 3, 4, 5].map((n) => this.segState(n)),
      gdtr: { base: laToBig(this.gdtrBase), limit: this.gdtrLimit },
      idtr: { base: laToBig(this.idtrBase), limit: this.idtrLimit },
      tr: { selector: this.trSel, base: laToBig(this.trBase), limit: this.trLimit, attrs: this.trAttr },
      ldtr: { selector: this.ldtrSel, base: laToBig(this.ldtrBase), limit: this.ldtrLimit, attrs: this.ldtrAttr },
      cr0: BigInt(this.cr0 >>> 0), cr2: laToBig(this.cr2), cr3: BigInt(this.cr3), cr4: BigInt(this.cr4 >>> 0),
      cr8: BigInt(this.readCr8()), efer: BigInt(this.efer >>> 0),
      fsBase: laToBig(this.segBase[4]!), gsBase: laToBig(this.segBase[5]!), kernelGsBase: laToBig(this.kernelGsBase),
    };
  }

  setState(s: ArchState): void {
    for (let r = 0; r < 16; r++) this.setGpr(r as Gpr, s.gpr[r] ?? 0n);
    const rip = bigToLa(s.rip);
    // A write that moves RIP (loader, debugger) ends a HLT wait; rewriting the same state keeps it.
    if (rip !== this.rip) this.haltedState = false;
    this.rip = rip;
    for (let n = 0; n < 6; n++) {
      const g = s.seg[n];
      if (!g) continue;
      this.segSel[n] = g.selector; this.segBase[n] = bigToLa(g.base); this.segLimit[n] = g.limit >>> 0; this.segAttr[n] = g.attrs;
    }
    const tbl = (t: TableRegister): [number, number] => [bigToLa(t.base), t.limit];
    [this.gdtrBase, this.gdtrLimit] = tbl(s.gdtr);
    [this.idtrBase, this.idtrLimit] = tbl(s.idtr);
    this.trSel = s.tr.selector; this.trBase = bigToLa(s.tr.base); this.trLimit = s.tr.limit >>> 0; this.trAttr = s.tr.attrs;
    this.ldtrSel = s.ldtr.selector; this.ldtrBase = bigToLa(s.ldtr.base); this.ldtrLimit = s.ldtr.limit >>> 0; this.ldtrAttr = s.ldtr.attrs;
    // CR3 keeps its low bits: with PAE paging outside IA-32e mode bits 31:5 locate the PDPT (SDM 4.4.1).
    this.cr0 = Number(s.cr0 & 0xffffffffn) | 0; this.cr2 = bigToLa(s.cr2); this.cr3 = Number(s.cr3 & 0xffffffffffff8n);
    this.cr4 = Number(s.cr4 & 0xffffffffn) | 0; this.writeCr8(Number(s.cr8 & 15n)); this.efer = Number(s.efer & 0xffffn);
    // LMA follows LME & PG (SDM Vol. 3 10.8.5) so a loader may hand us either.
    if ((this.efer & A.EFER_LME) && (this.cr0 & A.CR0_PG)) this.efer |= A.EFER_LMA;
    // IA32_FS_BASE/IA32_GS_BASE alias the hidden FS/GS bases; in IA-32e mode the MSR fields are the
    // authority (the descriptor base is 32-bit), outside it the segment state is.
    if (this.efer & A.EFER_LMA) { this.segBase[4] = bigToLa(s.fsBase); this.segBase[5] = bigToLa(s.gsBase); }
    this.kernelGsBase = bigToLa(s.kernelGsBase);
    // CPL is CS.RPL (SS.DPL equals it for well-formed state).
    this.cpl = this.segSel[1]! & 3;
    this.setFlagsAll(Number(BigInt.asUintN(32, s.rflags)));
    this.flushTlb();
    P.reloadPdptesNoFault(this);
    this.updateCplMasks();
    updateMode(this);
    this.recomputeSlow();
  }

  // =====================================================================================
  // SSE state from outside (debugger): xmm holds each register as four little-endian dwords
  // =====================================================================================
  getXmm(n: number): bigint {
    const x = this.xmm, o = (n & 15) * 4;
    let v = 0n;
    for (let k = 3; k >= 0; k--) v = (v << 32n) | BigInt(x[o + k]! >>> 0);
    return v;
  }
  setXmm(n: number, v: bigint): void {
    const x = this.xmm, o = (n & 15) * 4;
    let u = BigInt.asUintN(128, v);
    for (let k = 0; k < 4; k++) { x[o + k] = Number(u & 0xffffffffn) | 0; u >>= 32n; }
  }
  getMxcsr(): number { return this.mxcsr >>> 0; }
  setMxcsr(v: number): boolean {
    if ((v >>> 0) & ~A.MXCSR_MASK) return false;
    this.mxcsr = v >>> 0;
    return true;
  }

  // =====================================================================================
  // Debug registers / MSRs from outside
  // =====================================================================================
  getDr(n: number): bigint {
    if (n >= 0 && n < 4) return this.drRaw[n]!;
    if (n === 6 || n === 4) return BigInt(this.dr6 >>> 0);
    if (n === 7 || n === 5) return BigInt(this.dr7 >>> 0);
    return 0n;
  }
  setDr(n: number, v: bigint): void {
    // The KVM model reloads all six registers on every VM entry: only a changed DR0-3/DR7 re-arms the slow
    // path (DR6 arms nothing).
    if (n >= 0 && n < 4) {
      const u = BigInt.asUintN(64, v);
      if (u === this.drRaw[n]) return;
      this.drRaw[n] = u;
      const s = BigInt.asIntN(64, u);
      this.drLin[n] = s >= -(1n << 47n) && s < (1n << 47n) ? Number(s) : NaN;
    } else if (n === 6 || n === 4) {
      this.dr6 = Number(BigInt.asUintN(32, v)) >>> 0; // raw, like KVM_SET_DEBUGREGS
      return;
    } else if (n === 7 || n === 5) {
      const d = Number(BigInt.asUintN(32, v)) >>> 0;
      if (d === this.dr7) return;
      this.dr7 = d;
    } else return;
    this.recomputeSlow();
  }

  getMsr(index: number): bigint | undefined { return S.readMsr(this, index >>> 0); }
  setMsr(index: number, v: bigint): boolean { return S.writeMsr(this, index >>> 0, BigInt.asUintN(64, v), true); }

  // =====================================================================================
  // External (debugger) breakpoints
  // =====================================================================================
  setExternalBreakpoints(addrs: readonly bigint[]): void {
    this.extBps = addrs.map((a) => bigToLa(a));
    this.recomputeSlow();
  }
  setExternalWatchpoints(list: readonly ExternalWatchpoint[]): void {
    this.extWps = list.map((w) => ({ ...w }));
    this.extWpLin = list.map((w) => bigToLa(w.addr));
    this.recomputeSlow();
  }
  suppressExternalBreakpointOnce(): void { this.suppressExtBpOnce = true; }
  requestStop(why: string): void { this.stopWhy = why || 'stop'; this.recomputeSlow(); }
  /** Called by a REP string op at an iteration boundary when this run()'s REP allowance (repWork) is spent
   *  and nothing else is pending (slow === 0): the REP is left unfinished, RIP on it, and run() ends as if
   *  its instruction budget ran out. */
  endRunForRepWork(): never {
    this.stopReason = BUDGET;
    throw STOP;
  }

  // =====================================================================================
  // Lazy flags (SDM Vol. 1 3.4.3.1)
  // =====================================================================================
  getCF(): number {
    const lf = this.lf;
    switch (lf[LF_OP]) {
      case LF_EAGER: return this.fl & 1;
      case LF_ADD: return this.ult(lf[LF_R]!, lf[LF_RH]!, lf[LF_A]!, lf[LF_AH]!) ? 1 : 0;
      case LF_ADC: return (lf[LF_C] ? !this.ult(lf[LF_A]!, lf[LF_AH]!, lf[LF_R]!, lf[LF_RH]!) : this.ult(lf[LF_R]!, lf[LF_RH]!, lf[LF_A]!, lf[LF_AH]!)) ? 1 : 0;
      case LF_SUB: return this.ult(lf[LF_A]!, lf[LF_AH]!, lf[LF_B]!, lf[LF_BH]!) ? 1 : 0;
      case LF_SBB: return (lf[LF_C] ? !this.ult(lf[LF_B]!, lf[LF_BH]!, lf[LF_A]!, lf[LF_AH]!) : this.ult(lf[LF_A]!, lf[LF_AH]!, lf[LF_B]!, lf[LF_BH]!)) ? 1 : 0;
      case LF_LOGIC: return 0;
      default: return lf[LF_C]!; // INC/DEC preserve CF
    }
  }
  /** Unsigned x < y for the current lazy size. */
  private ult(xl: number, xh: number, yl: number, yh: number): boolean {
    if (this.lf[LF_SZ] === 8 && xh !== yh) return (xh >>> 0) < (yh >>> 0);
    return (xl >>> 0) < (yl >>> 0);
  }
  getZF(): number {
    const lf = this.lf;
    if (lf[LF_OP] === LF_EAGER) return (this.fl >> 6) & 1;
    return lf[LF_R] === 0 && (lf[LF_SZ] !== 8 || lf[LF_RH] === 0) ? 1 : 0;
  }
  getSF(): number {
    const lf = this.lf;
    if (lf[LF_OP] === LF_EAGER) return (this.fl >> 7) & 1;
    const sz = lf[LF_SZ];
    if (sz === 8) return lf[LF_RH]! >>> 31;
    if (sz === 4) return lf[LF_R]! >>> 31;
    return (lf[LF_R]! >> (sz! * 8 - 1)) & 1;
  }
  getOF(): number {
    const lf = this.lf;
    const op = lf[LF_OP];
    if (op === LF_EAGER) return (this.fl >> 11) & 1;
    if (op === LF_LOGIC) return 0;
    const sz = lf[LF_SZ]!;
    let r: number, a: number, b: number;
    if (sz === 8) { r = lf[LF_RH]!; a = lf[LF_AH]!; b = lf[LF_BH]!; } else { r = lf[LF_R]!; a = lf[LF_A]!; b = lf[LF_B]!; }
    let x: number;
    if (op === LF_ADD || op === LF_ADC || op === LF_INC) x = (a ^ r) & (b ^ r);
    else x = (a ^ b) & (a ^ r);
    const bit = sz === 8 || sz === 4 ? 31 : sz * 8 - 1;
    return (x >>> bit) & 1;
  }
  getPF(): number {
    if (this.lf[LF_OP] === LF_EAGER) return (this.fl >> 2) & 1;
    return PARITY[this.lf[LF_R]! & 0xff]!;
  }
  getAF(): number {
    const lf = this.lf;
    const op = lf[LF_OP];
    if (op === LF_EAGER) return (this.fl >> 4) & 1;
    if (op === LF_LOGIC) return 0;
    return ((lf[LF_A]! ^ lf[LF_B]! ^ lf[LF_R]!) >> 4) & 1;
  }
  /** Fold the lazy status flags into `fl`. */
  materialize(): void {
    if (this.lf[LF_OP] === LF_EAGER) return;
    const f = this.getCF() | (this.getPF() << 2) | (this.getAF() << 4) | (this.getZF() << 6) | (this.getSF() << 7) | (this.getOF() << 11);
    this.fl = (this.fl & ~A.RFLAGS_ARITH) | f;
    this.lf[LF_OP] = LF_EAGER;
  }
  /** Set status flags eagerly (mask selects which of the six are replaced). */
  setArith(mask: number, value: number): void {
    // Replacing all six status flags needs no evaluation of the lazy record.
    if (mask === A.RFLAGS_ARITH) this.lf[LF_OP] = LF_EAGER; else this.materialize();
    this.fl = (this.fl & ~mask) | (value & mask);
  }
  /** Evaluate condition code cc (0-15) as in Jcc/SETcc/CMOVcc (SDM Vol. 1 Appendix B). */
  cond(cc: number): boolean {
    const lf = this.lf;
    let r: number;
    if (lf[LF_OP] === LF_SUB && lf[LF_SZ] === 8) {
      // CMP/SUB on 64-bit operands: compare the operands directly, high dwords first (signed for the
      // signed conditions, unsigned for B/BE), low dwords unsigned when the high dwords are equal.
      const a = lf[LF_A]!, b = lf[LF_B]!, ah = lf[LF_AH]!, bh = lf[LF_BH]!;
      switch (cc >> 1) {
        case 1: r = (ah !== bh ? (ah >>> 0) < (bh >>> 0) : (a >>> 0) < (b >>> 0)) ? 1 : 0; return (r ^ (cc & 1)) !== 0;
        case 2: r = a === b && ah === bh ? 1 : 0; return (r ^ (cc & 1)) !== 0;
        case 3: r = (ah !== bh ? (ah >>> 0) < (bh >>> 0) : (a >>> 0) <= (b >>> 0)) ? 1 : 0; return (r ^ (cc & 1)) !== 0;
        case 6: r = (ah !== bh ? ah < bh : (a >>> 0) < (b >>> 0)) ? 1 : 0; return (r ^ (cc & 1)) !== 0;
        case 7: r = (ah !== bh ? ah < bh : (a >>> 0) <= (b >>> 0)) ? 1 : 0; return (r ^ (cc & 1)) !== 0;
      }
    } else if (lf[LF_OP] === LF_SUB) {
      // Fast path for CMP/SUB on <=32-bit operands: compare the operands directly.
      const sz = lf[LF_SZ]!;
      const a = lf[LF_A]!, b = lf[LF_B]!;
      switch (cc >> 1) {
        case 1: r = (a >>> 0) < (b >>> 0) ? 1 : 0; return (r ^ (cc & 1)) !== 0;
        case 2: r = a === b ? 1 : 0; return (r ^ (cc & 1)) !== 0;
        case 3: r = (a >>> 0) <= (b >>> 0) ? 1 : 0; return (r ^ (cc & 1)) !== 0;
        case 6: case 7: {
          const sh = 32 - sz * 8;
          const sa = (a << sh) >> sh, sb = (b << sh) >> sh;
          r = (cc >> 1) === 6 ? (sa < sb ? 1 : 0) : (sa <= sb ? 1 : 0);
          return (r ^ (cc & 1)) !== 0;
        }
      }
    }
    switch (cc >> 1) {
      case 0: r = this.getOF(); break;
      case 1: r = this.getCF(); break;
      case 2: r = this.getZF(); break;
      case 3: r = this.getCF() | this.getZF(); break;
      case 4: r = this.getSF(); break;
      case 5: r = this.getPF(); break;
      case 6: r = this.getSF() ^ this.getOF(); break;
      default: r = this.getZF() | (this.getSF() ^ this.getOF()); break;
    }
    return (r ^ (cc & 1)) !== 0;
  }

  // =====================================================================================
  // Registers by size
  // =====================================================================================
  /** Read GPR r at size (1/2/4/8). Returns the low dword (zero-extended for 1/2); for 8 sets th. */
  getReg(r: number, size: number, rex: number): number {
    switch (size) {
      case 1: if (rex === 0 && r >= 4 && r < 8) return (this.rl[r - 4]! >> 8) & 0xff; return this.rl[r]! & 0xff;
      case 2: return this.rl[r]! & 0xffff;
      case 4: return this.rl[r]!;
      default: this.th = this.rh[r]!; return this.rl[r]!;
    }
  }
  setReg(r: number, size: number, rex: number, lo: number, hi: number): void {
    switch (size) {
      case 1:
        if (rex === 0 && r >= 4 && r < 8) { this.rl[r - 4] = (this.rl[r - 4]! & ~0xff00) | ((lo & 0xff) << 8); return; }
        this.rl[r] = (this.rl[r]! & ~0xff) | (lo & 0xff); return;
      case 2: this.rl[r] = (this.rl[r]! & ~0xffff) | (lo & 0xffff); return;
      case 4: this.rl[r] = lo; this.rh[r] = 0; return; // 32-bit writes zero-extend (SDM Vol. 1 3.4.1.1)
      default: this.rl[r] = lo; this.rh[r] = hi; return;
    }
  }

  // =====================================================================================
  // Effective addresses
  // =====================================================================================
  /** Linear address of the ModRM memory operand (signed canonical number). */
  ea(i: Insn, size?: number): number {
    let v: number;
    if (i.ripRel) {
      // Legacy-mode operand (the decoder sets ripRel for those: Insn.ripRel); `size` (default: the operand
      // size) is the access width for the segment-limit check.
      if (i.leg) return this.eaLeg(i, size ?? i.osz);
      v = this.nextRip + i.disp;
      if (i.asz === 4) v = v >>> 0;
    } else {
      let sum = i.disp, hs = 0;
      const b = i.base, x = i.index;
      if (b >= 0) { sum += this.rl[b]! >>> 0; hs = this.rh[b]!; }
      if (x >= 0) { const m = 1 << i.scale; sum += (this.rl[x]! >>> 0) * m; hs += this.rh[x]! * m; }
      if (i.asz === 4) v = sum >>> 0;
      else {
        const hi = (hs + Math.floor(sum / TWO32)) | 0;
        if (((hi << 16) >> 16) !== hi) this.nonCanonical(i);
        v = hi * TWO32 + (sum >>> 0);
      }
    }
    if (i.seg >= 4) {
      v += this.segBase[i.seg]!;
      if (v >= CANON_LIMIT || v < -CANON_LIMIT) this.nonCanonical(i);
    }
    return v;
  }
  /**
   * Outside 64-bit mode (SDM Vol. 3 3.4, 5.3): offset = base + index*scale + disp modulo 2^32 (2^16 with
   * 16-bit addressing), linear = segment base + offset modulo 2^32. The segment checks run only when the
   * segments are not flat or FS/GS is used: an unusable (null) segment gives #GP(0), an offset whose last
   * byte (`size` bytes) is beyond the limit gives #GP(0), or #SS(0) for SS (SDM Vol. 3 6.15
   * "Interrupt 12/13"); expand-down data segments check the range above the limit (segLinear).
   */
  eaLeg(i: Insn, size: number): number {
    const off = this.eaOffLeg(i);
    const s = i.eseg;
    if ((this.flatMask >> s) & 1) return off;
    // The decoder marks operands the instruction writes (Insn.memW): those need a writable data segment.
    return i.memW ? this.segLinearW(s, off, size) : this.segLinear(s, off, size);
  }
  /** Offset (effective address) of the ModRM operand outside 64-bit mode, wrapped to the address size. */
  eaOffLeg(i: Insn): number {
    let off = i.disp;
    const b = i.base, x = i.index;
    if (b >= 0) off += this.rl[b]!;
    if (x >= 0) off += this.rl[x]! << i.scale;
    return i.asz === 2 ? off & 0xffff : off >>> 0;
  }
  /** Linear address of the ModRM operand's offset + k (second half of a BOUND pair or a far pointer), given
   *  `la` = ea(i); the offset wraps to the address size and the segment limit is checked for `k` bytes. */
  eaLegPlus(i: Insn, la: number, k: number): number {
    const s = i.eseg;
    const flat = (this.flatMask >> s) & 1;
    if (flat && i.asz === 4) return (la + k) >>> 0;
    const off = i.asz === 2 ? (this.eaOffLeg(i) + k) & 0xffff : (this.eaOffLeg(i) + k) >>> 0;
    if (flat) return off;
    return i.memW ? this.segLinearW(s, off, k === 2 ? 2 : 4) : this.segLinear(s, off, k === 2 ? 2 : 4);
  }
  /** Linear address of `off` (already wrapped to the address size) in segment s, with the usability and
   *  limit checks of a data access of `size` bytes (legacy modes only). */
  segLinear(s: number, off: number, size: number): number {
    const vec = s === 2 ? A.VEC_SS : A.VEC_GP;
    const at = this.segAttr[s]!;
    if (!(at & A.ATTR_P)) this.raise(vec, 0);
    // A read through an execute-only code segment (only reachable with a CS override: loads of DS/ES/FS/GS
    // refuse such a segment) is #GP(0) (SDM Vol. 3 5.4; Vol. 2 MOV "Protected Mode Exceptions").
    if ((at & (SEG_TYPE_CODE | SEG_TYPE_READABLE)) === SEG_TYPE_CODE) this.raise(vec, 0);
    const last = off + size - 1;
    if ((at & (SEG_TYPE_CODE | SEG_TYPE_EXPAND_DOWN)) === SEG_TYPE_EXPAND_DOWN) {
      // Expand-down data segment (SDM Vol. 3 3.4.5.1, 5.3): valid offsets run from limit+1 to FFFFH
      // (B=0) or FFFFFFFFH (B=1).
      if (off <= this.segLimit[s]! || last > ((at & A.ATTR_DB) ? 0xffffffff : 0xffff)) this.raise(vec, 0);
    } else if (last > this.segLimit[s]!) this.raise(vec, 0);
    return (this.segBase[s]! + off) >>> 0;
  }
  /** segLinear for a write: the segment must be a writable data segment, else #GP(0) (#SS(0) for SS): a code
   *  segment (CS override, or DS/ES/FS/GS holding a readable code segment) or a read-only data segment
   *  (SDM Vol. 3 5.4 "Limit checking", 5.5 type checking; Vol. 2 MOV/STOS "destination located in a
   *  non-writable segment"). */
  segLinearW(s: number, off: number, size: number): number {
    const at = this.segAttr[s]!;
    if ((at & (SEG_TYPE_CODE | SEG_TYPE_WRITABLE)) !== SEG_TYPE_WRITABLE) this.raise(s === 2 ? A.VEC_SS : A.VEC_GP, 0);
    return this.segLinear(s, off, size);
  }
  /** Linear address of a data access at `off` (wrapped to the address size) in segment s outside 64-bit mode,
   *  for operands that are not ModRM operands (string instructions, moffs, XLAT). */
  dataLin(s: number, off: number, size: number, write: boolean): number {
    if ((this.flatMask >> s) & 1) return off;
    return write ? this.segLinearW(s, off, size) : this.segLinear(s, off, size);
  }
  /** Outside 64-bit mode: linear address of the bit-string element `delta` bytes from the ModRM operand's offset
   *  (BT/BTS/BTR/BTC with a register bit offset). The element's offset wraps to the address size and is the one
   *  the segment checks apply to (SDM Vol. 2 BT: the operand addressed is the byte/word/dword at EA + the
   *  element displacement; Vol. 3 5.3 limit check), so the ModRM offset alone may lie outside the limit. */
  bitStringLeg(i: Insn, delta: number, size: number): number {
    const raw = this.eaOffLeg(i) + delta;
    const off = i.asz === 2 ? raw & 0xffff : raw >>> 0;
    const s = i.eseg;
    if ((this.flatMask >> s) & 1) return off;
    return i.memW ? this.segLinearW(s, off, size) : this.segLinear(s, off, size);
  }
  /** Canonical check of an address formed from the ModRM operand (BT bit strings): #SS(0)/#GP(0) as ea(). */
  canonEa(i: Insn, v: number): number {
    if (i.leg) return v >>> 0; // 32-bit linear addresses wrap (the bit-string displacement is not limit-checked)
    if (v >= CANON_LIMIT || v < -CANON_LIMIT) this.nonCanonical(i);
    return v;
  }
  private nonCanonical(i: Insn): never {
    // Memory references through RSP/RBP use SS: #SS(0); otherwise #GP(0) (SDM Vol. 3 6.15).
    if (i.seg < 0 && (i.base === 4 || i.base === 5)) this.raise(A.VEC_SS, 0);
    this.raise(A.VEC_GP, 0);
  }
  /** Check that a computed linear address is canonical, #GP(0) otherwise. */
  canon(v: number): number {
    if (v >= CANON_LIMIT || v < -CANON_LIMIT) this.raise(A.VEC_GP, 0);
    return v;
  }

  // =====================================================================================
  // Exceptions
  // =====================================================================================
  raise(vec: number, err: number): never {
    this.excVec = vec;
    this.excErr = err;
    throw FAULT;
  }
  raiseUD(): never { this.raise(A.VEC_UD, -1); }
  raiseGP0(): never { this.raise(A.VEC_GP, 0); }

  // =====================================================================================
  // Paging (SDM Vol. 3 4.5, 4-level) and the software TLB
  // =====================================================================================
  flushTlb(): void {
    this.tlbTag.fill(NaN);
    this.fLin0 = NaN;
  }
  invlpg(la: number): void {
    const pg = Math.floor(la / 4096);
    // Large pages were entered per 4 KiB page, so flush every entry that may belong to a 2M/1G page too.
    const idx = pg & (TLB_SIZE - 1);
    this.tlbTag[idx] = NaN;
    for (let k = 0; k < TLB_SIZE; k++) {
      const t = this.tlbTag[k]!;
      if (Math.floor(t / 262144) === Math.floor(pg / 262144)) this.tlbTag[k] = NaN;
    }
    this.fLin0 = NaN;
  }
  updateCplMasks(): void {
    const user = this.cpl === 3;
    this.needR = user ? P_RU : 0;
    this.needW = (user ? P_WU : P_WS) | P_D;
    this.needX = user ? P_XU : P_XS;
    this.fLin0 = NaN;
  }
  pagingOn(): boolean { return (this.cr0 & A.CR0_PG) !== 0; }

  /** Translate for access kind acc; returns the physical address (may be >= memSize). Faults raise #PF. */
  xl(la: number, acc: number): number {
    const pg = Math.floor(la / 4096);
    const idx = pg & (TLB_SIZE - 1);
    if (this.tlbTag[idx] === pg) {
      const need = acc === ACC_R ? this.needR : acc === ACC_W ? this.needW : this.needX;
      if ((this.tlbPerm[idx]! & need) === need) return this.tlbPhys[idx]! + (la & 0xfff);
    }
    return this.walk(la, acc, this.cpl === 3, false);
  }

  /** Full page walk. probe=true: no faults (returns -1), no A/D updates, no TLB fill. */
  walk(la: number, acc: number, user: boolean, probe: boolean): number {
    const off = la & 0xfff;
    const pg = Math.floor(la / 4096);
    if (!(this.cr0 & A.CR0_PG)) {
      const p = (la >>> 0) - off; // paging off: linear = physical (low 32 bits)
      if (probe) return this.mmio.length !== 0 && this.mmioAt(p) >= 0 ? -1 : p + off;
      return this.mapFrame(pg, p, P_RU | P_WS | P_WU | P_XS | P_XU | P_D) + off;
    }
    // Outside IA-32e mode: 32-bit or PAE paging (paging32.ts); LMA implies 4-level paging below.
    if (!(this.efer & A.EFER_LMA)) return (this.cr4 & A.CR4_PAE) ? P.walkPae(this, la, acc, user, probe) : P.walkLegacy(this, la, acc, user, probe);
    const hi = Math.floor(la / TWO32) | 0;
    const lo = la >>> 0;
    const nxe = (this.efer & A.EFER_NXE) !== 0;
    let table = this.cr3 - (this.cr3 % 4096);
    let u = true, w = true, x = true;
    const idx = [(hi >>> 7) & 0x1ff, ((hi & 0x7f) << 2) | (lo >>> 30), (lo >>> 21) & 0x1ff, (lo >>> 12) & 0x1ff];
    let frame = 0, pageSize = 4096;
    const entries: number[] = [];
    for (let level = 0; level < 4; level++) {
      const ea = this.mem.ramOffset(table + idx[level]! * 8);
      // An entry outside RAM reads as all ones: P=1 with bits above MAXPHYADDR set, reserved (SDM 4.5).
      if (ea < 0) return probe ? -1 : this.pageFault(la, acc, user, A.PFEC_RSVD | A.PFEC_P);
      const elo = this.dv.getInt32(ea, true), ehi = this.dv.getInt32(ea + 4, true);
      if (!(elo & A.PTE_P)) return probe ? -1 : this.pageFault(la, acc, user, 0);
      if ((ehi & A.PTE_HI_XD) && !nxe) return probe ? -1 : this.pageFault(la, acc, user, A.PFEC_RSVD | A.PFEC_P);
      if (!(elo & A.PTE_US)) u = false;
      if (!(elo & A.PTE_RW)) w = false;
      if (ehi & A.PTE_HI_XD) x = false;
      entries.push(ea);
      const addr = (ehi & 0xfffff) * TWO32 + ((elo & 0xfffff000) >>> 0);
      if (level === 0 && (elo & A.PTE_PS)) return probe ? -1 : this.pageFault(la, acc, user, A.PFEC_RSVD | A.PFEC_P);
      if ((level === 1 || level === 2) && (elo & A.PTE_PS)) {
        pageSize = level === 1 ? 1 << 30 : 1 << 21;
        const base = addr - (addr % pageSize);
        frame = base + ((la - Math.floor(la / pageSize) * pageSize) - off);
        break;
      }
      if (level === 3) { frame = addr; break; }
      table = addr;
    }
    return this.finishWalk(la, acc, user, probe, u, w, x, frame, entries);
  }

  /** The part of every paging mode's walk after the last entry: permission checks (SDM Vol. 3 4.6),
   *  accessed/dirty bits (4.8) and the TLB fill. `entries` are the physical addresses of the entries
   *  used, leaf last; A and D sit in the low dword of 4- and 8-byte entries alike. */
  finishWalk(la: number, acc: number, user: boolean, probe: boolean, u: boolean, w: boolean, x: boolean,
    frame: number, entries: number[]): number {
    const off = la & 0xfff;
    const pg = Math.floor(la / 4096);
    const wp = (this.cr0 & A.CR0_WP) !== 0;
    let ok = true;
    if (user && !u) ok = false;
    else if (acc === ACC_W && !w && (user || wp)) ok = false;
    else if (acc === ACC_X && !x) ok = false;
    if (!ok) return probe ? -1 : this.pageFault(la, acc, user, A.PFEC_P);
    if (probe) return frame + off;
    // Accessed / dirty (SDM Vol. 3 4.8).
    // Entries are RAM offsets, or -1 for a 4-byte entry outside RAM (32-bit paging): it reads all ones,
    // A and D included, so nothing is written there.
    for (const ea of entries) {
      if (ea < 0) continue;
      const e = this.dv.getInt32(ea, true);
      if (!(e & A.PTE_A)) this.physWrite32(ea, e | A.PTE_A);
    }
    const leaf = entries[entries.length - 1]!;
    let dirty = leaf < 0 || (this.dv.getInt32(leaf, true) & A.PTE_D) !== 0;
    if (acc === ACC_W && !dirty) { this.physWrite32(leaf, this.dv.getInt32(leaf, true) | A.PTE_D); dirty = true; }
    let perm = 0;
    if (u) perm |= P_RU;
    if (w || !wp) perm |= P_WS;
    if (u && w) perm |= P_WU;
    if (x) perm |= P_XS;
    if (x && u) perm |= P_XU;
    if (dirty) perm |= P_D;
    return this.mapFrame(pg, frame, perm) + off;
  }
  /** The physical frame as the accessors use it: its RAM offset (entered in the TLB), or for a device
   *  (MMIO) frame or one with no RAM (PCI hole, beyond RAM) the address biased above any RAM offset, so
   *  every access takes the slow path (routed to the device, or all ones / dropped). */
  mapFrame(pg: number, frame: number, perm: number): number {
    if (this.mmio.length !== 0 && this.mmioAt(frame) >= 0) return frame + MMIO_BIAS;
    const ram = this.mem.ramOffset(frame);
    if (ram < 0) return frame + MMIO_BIAS;
    this.tlbFill(pg, ram, perm);
    return ram;
  }
  tlbFill(pg: number, frame: number, perm: number): void {
    const idx = pg & (TLB_SIZE - 1);
    this.tlbTag[idx] = pg; this.tlbPhys[idx] = frame; this.tlbPerm[idx] = perm;
  }
  physWrite32(p: number, v: number): void {
    this.dv.setInt32(p, v, true);
    if (this.mem.codePages[p >>> 12]) this.invalidateCodePage(p >>> 12);
  }
  pageFault(la: number, acc: number, user: boolean, bits: number): never {
    let err = bits;
    if (acc === ACC_W) err |= A.PFEC_WR;
    if (user) err |= A.PFEC_US;
    if (acc === ACC_X && (this.efer & A.EFER_NXE)) err |= A.PFEC_ID;
    this.excCr2 = la;
    this.raise(A.VEC_PF, err);
  }

  // =====================================================================================
  // Linear memory access (data). Slow path: page-crossing / outside RAM / debug armed.
  // =====================================================================================
  rd8(la: number): number {
    if (la < this.dbHi && la + 1 > this.dbLo) D.dataAccess(this, la, 1, false);
    const p = this.xl(la, ACC_R);
    return p < this.memSize ? this.u8[p]! : this.physReadSlow(p, 1);
  }
  rd16(la: number): number {
    if (la < this.dbHi && la + 2 > this.dbLo) D.dataAccess(this, la, 2, false);
    if ((la & 0xfff) <= 0xffe) {
      const p = this.xl(la, ACC_R);
      if (p + 2 <= this.memSize) return this.dv.getUint16(p, true);
      return this.physReadSlow(p, 2);
    }
    return this.rdBytes(la, 2);
  }
  rd32(la: number): number {
    if (la < this.dbHi && la + 4 > this.dbLo) D.dataAccess(this, la, 4, false);
    if ((la & 0xfff) <= 0xffc) {
      const p = this.xl(la, ACC_R);
      if (p + 4 <= this.memSize) return this.dv.getInt32(p, true);
      return this.physReadSlow(p, 4) | 0;
    }
    return this.rdBytes(la, 4) | 0;
  }
  /** 64-bit read: returns the low dword, high dword in th. */
  rd64(la: number): number {
    if (la < this.dbHi && la + 8 > this.dbLo) D.dataAccess(this, la, 8, false);
    if ((la & 0xfff) <= 0xff8) {
      const p = this.xl(la, ACC_R);
      if (p + 8 <= this.memSize) { this.th = this.dv.getInt32(p + 4, true); return this.dv.getInt32(p, true); }
      // A device sees an 8-byte access as two dwords, low first (api.ts MmioRegion).
      const lo = this.physReadSlow(p, 4) | 0;
      this.th = this.physReadSlow(p + 4, 4) | 0;
      return lo;
    }
    const lo = this.rdBytes(la, 4) | 0;
    this.th = this.rdBytes(la + 4, 4) | 0;
    return lo;
  }
  rdSized(la: number, size: number): number {
    switch (size) {
      case 1: return this.rd8(la);
      case 2: return this.rd16(la);
      case 4: return this.rd32(la);
      default: return this.rd64(la);
    }
  }
  private rdBytes(la: number, n: number): number {
    // Translate both pages first so a fault on the second page leaves nothing half-read.
    let v = 0;
    for (let k = 0; k < n; k++) {
      const p = this.xl(la + k, ACC_R);
      v += (p < this.memSize ? this.u8[p]! : this.physReadSlow(p, 1)) * 2 ** (8 * k);
    }
    return v;
  }
  wr8(la: number, v: number): void {
    if (la < this.dbHi && la + 1 > this.dbLo) D.dataAccess(this, la, 1, true);
    const p = this.xl(la, ACC_W);
    if (p < this.memSize) {
      this.u8[p] = v;
      if (this.mem.codePages[p >>> 12]) this.invalidateCodePage(p >>> 12);
    } else this.physWriteSlow(p, 1, v & 0xff);
  }
  wr16(la: number, v: number): void {
    if (la < this.dbHi && la + 2 > this.dbLo) D.dataAccess(this, la, 2, true);
    if ((la & 0xfff) <= 0xffe) {
      const p = this.xl(la, ACC_W);
      if (p + 2 <= this.memSize) {
        this.dv.setUint16(p, v, true);
        if (this.mem.codePages[p >>> 12]) this.invalidateCodePage(p >>> 12);
        return;
      }
      this.physWriteSlow(p, 2, v & 0xffff);
      return;
    }
    this.wrBytes(la, 2, v, 0);
  }
  wr32(la: number, v: number): void {
    if (la < this.dbHi && la + 4 > this.dbLo) D.dataAccess(this, la, 4, true);
    if ((la & 0xfff) <= 0xffc) {
      const p = this.xl(la, ACC_W);
      if (p + 4 <= this.memSize) {
        this.dv.setInt32(p, v, true);
        if (this.mem.codePages[p >>> 12]) this.invalidateCodePage(p >>> 12);
        return;
      }
      this.physWriteSlow(p, 4, v >>> 0);
      return;
    }
    this.wrBytes(la, 4, v, 0);
  }
  wr64(la: number, lo: number, hi: number): void {
    if (la < this.dbHi && la + 8 > this.dbLo) D.dataAccess(this, la, 8, true);
    if ((la & 0xfff) <= 0xff8) {
      const p = this.xl(la, ACC_W);
      if (p + 8 <= this.memSize) {
        this.dv.setInt32(p, lo, true);
        this.dv.setInt32(p + 4, hi, true);
        if (this.mem.codePages[p >>> 12]) this.invalidateCodePage(p >>> 12);
        return;
      }
      this.physWriteSlow(p, 4, lo >>> 0);
      this.physWriteSlow(p + 4, 4, hi >>> 0);
      return;
    }
    this.wrBytes(la, 8, lo, hi);
  }
  wrSized(la: number, size: number, lo: number, hi: number): void {
    switch (size) {
      case 1: this.wr8(la, lo); return;
      case 2: this.wr16(la, lo); return;
      case 4: this.wr32(la, lo); return;
      default: this.wr64(la, lo, hi); return;
    }
  }
  private wrBytes(la: number, n: number, lo: number, hi: number): void {
    const ps: number[] = [];
    for (let k = 0; k < n; k++) ps.push(this.xl(la + k, ACC_W)); // all translations before any store
    for (let k = 0; k < n; k++) {
      const p = ps[k]!;
      const b = k < 4 ? (lo >>> (8 * k)) & 0xff : (hi >>> (8 * (k - 4))) & 0xff;
      if (p >= this.memSize) { this.physWriteSlow(p, 1, b); continue; }
      this.u8[p] = b;
      if (this.mem.codePages[p >>> 12]) this.invalidateCodePage(p >>> 12);
    }
  }

  // =====================================================================================
  // Physical accesses outside RAM: MMIO regions (api.ts MmioRegion) or unbacked space (all ones)
  // =====================================================================================
  /** Index of the MMIO region holding physical address p (unbiased), or -1. */
  mmioAt(p: number): number {
    const r = this.mmio;
    for (let k = 0; k < r.length; k++) { const m = r[k]!; if (p >= m.base && p < m.base + m.size) return k; }
    return -1;
  }
  /** Read `size` bytes at a physical address the fast path refused: a device, unbacked space (reads as
   *  all ones, like an open bus) or the last bytes of RAM. */
  physReadSlow(p: number, size: 1 | 2 | 4): number {
    const a = p >= MMIO_BIAS ? p - MMIO_BIAS : p;
    const k = this.mmio.length !== 0 ? this.mmioAt(a) : -1;
    if (k >= 0) { const m = this.mmio[k]!; return m.read(a - m.base, size) >>> 0; }
    if (p >= MMIO_BIAS) { this.unbacked('read', a); return size === 4 ? 0xffffffff : size === 2 ? 0xffff : 0xff; }
    let v = 0;
    for (let j = 0; j < size; j++) v += (a + j < this.memSize ? this.u8[a + j]! : 0xff) * 2 ** (8 * j);
    return v;
  }
  physWriteSlow(p: number, size: 1 | 2 | 4, v: number): void {
    const a = p >= MMIO_BIAS ? p - MMIO_BIAS : p;
    const k = this.mmio.length !== 0 ? this.mmioAt(a) : -1;
    if (k >= 0) { const m = this.mmio[k]!; m.write(a - m.base, size, v >>> 0); return; }
    if (p >= MMIO_BIAS) { this.unbacked('write', a); return; }
    for (let j = 0; j < size; j++) {
      if (a + j >= this.memSize) continue; // unbacked: writes are dropped
      this.u8[a + j] = (v >>> (8 * j)) & 0xff;
      if (this.mem.codePages[(a + j) >>> 12]) this.invalidateCodePage((a + j) >>> 12);
    }
  }
  /** PC semantics for physical addresses with neither RAM nor a device: reads return all ones, writes are
   *  dropped (no #MC, no exit: an open bus). Logged once per direction, as a guest may poll such space. */
  private unbackedLogged = 0;
  private unbacked(dir: 'read' | 'write', phys: number): void {
    const bit = dir === 'read' ? 1 : 2;
    if (this.unbackedLogged & bit) return;
    this.unbackedLogged |= bit;
    this.log('warn', 'unbacked-phys', { dir, phys: '0x' + phys.toString(16),
      note: dir === 'read' ? 'no RAM or device there: reads return all ones (logged once)' : 'no RAM or device there: writes are dropped (logged once)' });
  }
  /** Probe a write (for RMW and pushes that must fault before any state changes). */
  probeWrite(la: number, size: number): void {
    this.xl(la, ACC_W);
    // The second page is probed at its first byte: that is the address a #PF there reports in CR2.
    if (((la & 0xfff) + size) > 4096) this.xl(la + (4096 - (la & 0xfff)), ACC_W);
  }
  /** Supervisor-implicit accesses (descriptor tables, TSS, IDT): CPL-independent (SDM Vol. 3 4.6.1). */
  sysRd32(la: number): number {
    const save = this.cpl;
    if (save === 3) { this.cpl = 0; this.updateCplMasks(); }
    try {
      const p = this.walkOrTlb(la);
      let v = 0;
      if ((la & 0xfff) <= 0xffc && p + 4 <= this.memSize) v = this.dv.getInt32(p, true);
      else for (let k = 0; k < 4; k++) { const q = this.walkOrTlb(la + k); v |= (q < this.memSize ? this.u8[q]! : 0xff) << (8 * k); }
      return v;
    } finally {
      if (save === 3) { this.cpl = 3; this.updateCplMasks(); }
    }
  }
  sysWr32(la: number, v: number): void {
    const save = this.cpl;
    if (save === 3) { this.cpl = 0; this.updateCplMasks(); }
    try {
      for (let k = 0; k < 4; k++) {
        const q = this.xl(la + k, ACC_W);
        if (q < this.memSize) {
          this.u8[q] = (v >>> (8 * k)) & 0xff;
          if (this.mem.codePages[q >>> 12]) this.invalidateCodePage(q >>> 12);
        }
      }
    } finally {
      if (save === 3) { this.cpl = 3; this.updateCplMasks(); }
    }
  }
  private walkOrTlb(la: number): number { return this.xl(la, ACC_R); }

  // =====================================================================================
  // Stack
  // =====================================================================================
  push64(lo: number, hi: number): void {
    const rsp = this.rl[4]! >>> 0;
    let sum = rsp - 8;
    const h = (this.rh[4]! + Math.floor(sum / TWO32)) | 0;
    sum = sum >>> 0;
    if (((h << 16) >> 16) !== h) this.raise(A.VEC_SS, 0);
    this.wr64(h * TWO32 + sum, lo, hi);
    this.rl[4] = sum | 0; this.rh[4] = h;
  }
  push16(v: number): void {
    const rsp = this.rl[4]! >>> 0;
    let sum = rsp - 2;
    const h = (this.rh[4]! + Math.floor(sum / TWO32)) | 0;
    sum = sum >>> 0;
    if (((h << 16) >> 16) !== h) this.raise(A.VEC_SS, 0);
    this.wr16(h * TWO32 + sum, v);
    this.rl[4] = sum | 0; this.rh[4] = h;
  }
  /** Pop 64: returns lo, th = hi. */
  pop64(): number {
    const la = this.rspLa();
    const lo = this.rd64(la);
    const hi = this.th;
    this.addRsp(8);
    this.th = hi;
    return lo;
  }
  pop16(): number {
    const v = this.rd16(this.rspLa());
    this.addRsp(2);
    return v;
  }
  // ---- legacy-mode stack (SDM Vol. 1 6.2, Vol. 3 3.4.5.1): SS.B selects ESP or SP, pushes/pops of 2 or 4 bytes ----
  /** Stack pointer (ESP or SP per SS.B) plus `delta`, wrapped to the stack-address size. */
  spPlus(delta: number): number {
    return this.ss32 ? (this.rl[4]! + delta) >>> 0 : (this.rl[4]! + delta) & 0xffff;
  }
  /** Linear address of stack offset `off` (wrapped) for an access of `size` bytes: SS base and limit (#SS(0)). */
  stackLin(off: number, size: number): number {
    if (this.flatSegs) return off;
    return this.segLinear(2, off, size);
  }
  /** Write ESP or SP (SP writes keep the upper half of ESP). */
  setSp(v: number): void {
    if (this.ss32) { this.rl[4] = v | 0; this.rh[4] = 0; } else this.rl[4] = (this.rl[4]! & ~0xffff) | (v & 0xffff);
  }
  /** PUSH of a 2- or 4-byte value outside 64-bit mode; nothing changes when the write faults. */
  pushLeg(v: number, size: number): void {
    const sp = this.spPlus(-size);
    this.wrSized(this.stackLin(sp, size), size, v, 0);
    this.setSp(sp);
  }
  /** Store at [SP - k*size] without moving SP (PUSHA / ENTER build their frame before committing SP). */
  stackWriteAt(delta: number, size: number, v: number): void {
    this.wrSized(this.stackLin(this.spPlus(delta), size), size, v, 0);
  }
  /** Read [SP + delta] (no SP change). */
  stackReadAt(delta: number, size: number): number {
    return size === 2 ? this.rd16(this.stackLin(this.spPlus(delta), 2)) : this.rd32(this.stackLin(this.spPlus(delta), 4));
  }
  /** POP of a 2- or 4-byte value outside 64-bit mode (the value is zero-extended for 2). */
  popLeg(size: number): number {
    const v = this.stackReadAt(0, size);
    this.setSp(this.spPlus(size));
    return v;
  }
  /** Near branch outside 64-bit mode: EIP truncated to the operand size (IP for 16), #GP(0) beyond the CS limit
   *  (SDM Vol. 2 JMP/CALL/Jcc/RET "If the target is not within the code segment limit: #GP(0)"). */
  jumpLeg(target: number, osz: number): void {
    const t = osz === 2 ? target & 0xffff : target >>> 0;
    if (!this.flatSegs && t > this.segLimit[1]!) this.raise(A.VEC_GP, 0);
    this.nextRip = t;
    this.dbBranch = true;
  }

  rspLa(): number {
    if (!this.long64) return this.stackLin(this.spPlus(0), 1);
    const h = this.rh[4]!;
    if (((h << 16) >> 16) !== h) this.raise(A.VEC_SS, 0);
    return h * TWO32 + (this.rl[4]! >>> 0);
  }
  addRsp(n: number): void {
    if (!this.long64) { this.setSp(this.spPlus(n)); return; }
    const sum = (this.rl[4]! >>> 0) + n;
    this.rh[4] = (this.rh[4]! + Math.floor(sum / TWO32)) | 0;
    this.rl[4] = sum | 0;
  }
  /** Value of GPR as a signed number (for branch targets); raises #GP if non-canonical. */
  regLa(r: number): number {
    const h = this.rh[r]!;
    if (((h << 16) >> 16) !== h) this.raise(A.VEC_GP, 0);
    return h * TWO32 + (this.rl[r]! >>> 0);
  }
  hiloLa(lo: number, hi: number): number {
    if (((hi << 16) >> 16) !== hi) this.raise(A.VEC_GP, 0);
    return hi * TWO32 + (lo >>> 0);
  }
  /** Near branch target (SDM: #GP(0) if non-canonical). */
  jumpTo(target: number): void {
    // 64-bit mode only: code outside 64-bit mode branches through jumpLeg (EIP/IP wrap, CS limit).
    if (target >= CANON_LIMIT || target < -CANON_LIMIT) this.raise(A.VEC_GP, 0);
    this.nextRip = target;
    this.dbBranch = true;
  }

  // =====================================================================================
  // Instruction fetch / decode cache
  // =====================================================================================
  invalidateCodePage(ppn: number): void {
    for (let k = 0; k < 3; k++) this.codeByMode[k]!.delete(ppn);
    this.mem.codePages[ppn] = 0;
    if (Math.floor(this.fPhys0 / 4096) === ppn) this.fLin0 = NaN;
  }

  private fetchLa = 0;
  private fetchPhys = 0;
  private fetchExtend(): void {
    // Bytes beyond the page: translate the next page (its #PF is the fetch's #PF, CR2 = that address).
    const n = this.src.avail;
    if (n >= 15) return;
    const la = this.fetchLa + n;
    const p = this.xl(la, ACC_X);
    const room = Math.min(15 - n, 4096 - (p & 0xfff));
    for (let k = 0; k < room; k++) this.ibuf[n + k] = p + k < this.memSize ? this.u8[p + k]! : 0xff;
    this.src.avail = n + room;
  }

  /** Get the decoded instruction at this.rip (cached per physical page). */
  fetch(): Insn {
    const rip = this.rip;
    const off = rip - this.fLin0;
    if (off >= 0 && off < 4096) {
      const ins = this.fArr[off];
      if (ins !== undefined) return ins;
    }
    return this.fetchSlow(rip);
  }
  fetchSlow(rip: number): Insn {
    const lim = this.segLimit[1]!;
    if (this.long64 || lim === 0xffffffff) return this.fetchDecode(rip);
    // CS limit (SDM Vol. 3 5.3): every byte of the instruction must lie within it, else #GP(0). The run
    // loop's inline fetch is kept only for pages wholly inside the limit, so the check costs nothing there.
    if (rip > lim) this.raise(A.VEC_GP, 0);
    const ins = this.fetchDecode(rip);
    if (rip + ins.len - 1 > lim) { this.fLin0 = NaN; this.raise(A.VEC_GP, 0); }
    if (this.fLin0 + 4095 > lim) this.fLin0 = NaN;
    return ins;
  }
  private fetchDecode(rip: number): Insn {
    // RIP is the offset in CS; the fetch is from CS.base + EIP outside 64-bit mode (SDM Vol. 3 3.4.2).
    // fLin0 is kept in RIP terms, so the inline fetch of the run loop needs no base addition.
    const la = this.csBase === 0 ? rip : (rip + this.csBase) >>> 0;
    const p = this.xl(la, ACC_X);
    const pageOff = la & 0xfff;
    const ppn = Math.floor(p / 4096);
    const inRam = p < this.memSize;
    let arr: (Insn | undefined)[] | undefined;
    if (inRam) {
      arr = this.code.get(ppn);
      if (arr === undefined) {
        arr = new Array(4096);
        this.code.set(ppn, arr);
        this.mem.codePages[ppn] = 1;
      }
      this.fLin0 = rip - pageOff;
      this.fPhys0 = p - pageOff;
      this.fArr = arr;
      const hit = arr[pageOff];
      if (hit !== undefined) return hit;
    }
    // Decode.
    this.fetchLa = la;
    this.fetchPhys = p;
    const room = Math.min(15, 4096 - pageOff);
    for (let k = 0; k < room; k++) this.ibuf[k] = p + k < this.memSize ? this.u8[p + k]! : 0xff;
    this.src.avail = room;
    const ins = new Insn();
    const r = decode(this.src, ins, opUndefined, this.decodeMode);
    ins.phys = p;
    if (r === DEC_TOO_LONG) {
      ins.fn = opTooLong;
    } else if (r === DEC_OK) {
      specialize(ins);
    }
    const crosses = pageOff + ins.len > 4096;
    // 16-bit code segment: IP is 16 bits, so straight-line execution past FFFFH continues at 0000H (SDM Vol. 1
    // 3.6 / Vol. 3 3.4.2: the offset in a 16-bit code segment is IP). The one instruction that ends at or
    // beyond FFFFH gets a handler that wraps the next IP; it is not cached (the page record could be reached
    // at another IP through another CS base), so no other instruction pays for it.
    const wraps = this.decodeMode === MODE_DEF16 && rip <= IP_MAX && rip + ins.len > IP_MAX;
    if (wraps) ins.fn = wrapIp(ins.fn);
    if (arr !== undefined && !crosses && !wraps && r !== DEC_TOO_LONG) arr[pageOff] = ins;
    return ins;
  }

  // =====================================================================================
  // Run loop
  // =====================================================================================
  run(maxInstructions: number): StopReason {
    if (this.shutdown) return { kind: 'triple-fault', detail: this.shutdownDetail };
    if (this.unsupported) return this.unsupportedStop();
    this.lastUnsupported = '';
    this.stopReason = null;
    this.repWork = REP_WORK_PER_RUN;
    this.inRun = true;
    try {
      return this.runLoop(maxInstructions);
    } finally {
      this.inRun = false;
    }
  }

  private runLoop(maxInstructions: number): StopReason {
    let count = 0;
    const jit = this.jit;
    // Pending/deferred #DB causes from outside (VM entry with pending debug exceptions, SDM 27.7.3).
    if (this.slow !== 0 && !this.haltedState) {
      try {
        if (D.atRunStart(this)) return this.stopReason ?? BUDGET;
      } catch (e) {
        if (!this.handleThrow(e)) return this.stopReason ?? BUDGET;
      }
    }
    for (;;) {
      if (this.haltedState) {
        const r = this.haltWait();
        if (r !== null) return r;
        if (this.stopReason !== null || this.shutdown) break;
      }
      if (this.timerTick !== undefined && this.clock >= this.timerTick) {
        this.fireTimer();
        continue; // the timer may have armed another deadline or an interrupt
      }
      if (count >= maxInstructions) break;
      // The timer is checked by bounding the inner loop with its deadline (no per-instruction compare).
      let limit = maxInstructions;
      const tt = this.timerTick;
      if (tt !== undefined && count + (tt - this.clock) < limit) limit = count + (tt - this.clock);
      if (this.rebound) { this.rebound = false; this.recomputeSlow(); }
      let stopped = false;
      try {
        while (count < limit) {
          if ((this.slow & SL_PER_INSN) !== 0) {
            if (this.rebound) break; // setTimer() during the slice: recompute the bound
            if (this.beforeInsn()) { stopped = true; break; }
          }
          // Straight run: the slow bits are tested once per instruction, after it. Nothing runs between
          // that test and the next fetch, so while they stay clear the next instruction needs no
          // before-check; once an instruction sets one, D.after runs for it and the outer loop does the
          // before-check of the next. RIP stays in a local between instructions (this.rip is still
          // stored after each one: hooks and faults read it).
          let rip = this.rip;
          // The fetch page (fLin0, fArr) in locals: only fetchSlow below installs a new page, and every other
          // change (code-page invalidation, paging or mode change) sets fLin0 to NaN, which the compare after
          // each instruction sees (NaN equals nothing).
          let lin0 = this.fLin0, arr = this.fArr;
          for (;;) {
            // Inline fetch: while RIP stays in the current code page the record comes straight from the
            // page's array (no translation, no Map lookup).
            const off = rip - lin0;
            // Set before the fetch: a #PF/#GP of the fetch itself is a fault of this instruction (its RIP is pushed).
            this.insnRip = rip;
            let ins: Insn | undefined;
            if (off >= 0 && off < 4096) ins = arr[off];
            if (ins === undefined) { ins = this.fetchSlow(rip); lin0 = this.fLin0; arr = this.fArr; }
            this.nextRip = rip + ins.len;
            // Block compiler (src/cpu/jit): runs compiled code from this RIP and returns the instructions it
            // retired (the run loop's bookkeeping is done; a fault is rethrown here), or -1: interpret this one.
            const k = jit === null ? -1 : jit.exec(this, limit - count);
            if (k < 0) {
              ins.fn(this, ins);
              rip = this.nextRip;
              this.rip = rip;
              this.retired++;
              count++;
            } else {
              count += k;
              rip = this.rip;
              if (jit!.thrown !== null) jit!.rethrow();
            }
            if (this.fLin0 !== lin0) { lin0 = this.fLin0; arr = this.fArr; }
            if ((this.slow & SL_PER_INSN) !== 0) {
              if (D.after(this, ins)) stopped = true;
              break;
            }
            if (count >= limit) break;
          }
          if (stopped) break;
        }
      } catch (e) {
        if (e === STOP || !this.handleThrow(e) || this.stopReason !== null) stopped = true;
      }
      if (stopped) {
        // HLT completed: wait for an interrupt (or the timer) at the top of the loop.
        if (this.haltedState && this.stopReason !== null && this.stopReason.kind === 'hlt') { this.stopReason = null; continue; }
        break;
      }
    }
    if (this.stopReason !== null) return this.stopReason;
    if (this.shutdown) return { kind: 'triple-fault', detail: this.shutdownDetail };
    return BUDGET;
  }

  // =====================================================================================
  // Maskable interrupts, HLT and the virtual clock (api.ts InterruptController, setTimer)
  // =====================================================================================
  /** Ticks the clock jumped while halted (api.ts clock = retired + skipped). */
  haltSkipped = 0;
  /** In HLT, waiting for an interrupt (SDM Vol. 2 HLT). */
  haltedState = false;
  timerTick: number | undefined = undefined;
  timerFn: (() => void) | undefined = undefined;
  /** notifyInterrupt() said the controller may have a vector: ask it at the next boundary with IF=1. */
  irqCheck = false;
  /** setTimer() ran inside a slice: the inner loop's bound is stale. */
  rebound = false;
  private blockIrq = false;
  /** api.ts blockInterrupts: hold maskable interrupts pending (a debugger single-stepping). */
  get blockInterrupts(): boolean { return this.blockIrq; }
  set blockInterrupts(v: boolean) { this.blockIrq = v; this.recomputeSlow(); }

  get clock(): number { return this.retired + this.haltSkipped; }
  get halted(): boolean { return this.haltedState; }
  setTimer(tick: number | undefined, fn?: () => void): void {
    this.timerTick = tick;
    this.timerFn = tick === undefined ? undefined : fn;
    if (this.inRun) { this.rebound = true; this.slow |= SL_EVENT; }
  }
  notifyInterrupt(): void {
    if (this.interrupts === undefined) return;
    this.irqCheck = true;
    if (this.fl & A.RFLAGS_IF) this.slow |= SL_EVENT;
  }
  /** Timer firings at the current clock value: a device that keeps re-arming for "now" would otherwise
   *  hold the CPU at one instruction boundary forever. */
  private firesNow = 0;
  private firesClock = -1;
  private fireTimer(): void {
    const fn = this.timerFn;
    this.timerTick = undefined; this.timerFn = undefined;
    const now = this.clock;
    if (now !== this.firesClock) { this.firesClock = now; this.firesNow = 0; }
    if (++this.firesNow > TIMER_STORM_LIMIT) {
      this.log('error', 'timer-storm', { clock: now, detail: `the timer was re-armed for the current tick ${TIMER_STORM_LIMIT} times; disarmed` });
      return;
    }
    try { fn?.(); } catch (e) { this.log('error', 'hook-error', { hook: 'timer', error: String(e) }); }
  }

  /** Before an instruction on the slow path: a maskable interrupt first (SDM Vol. 3 6.9: external
   *  interrupts are taken at instruction boundaries), then the debug unit. True: stop the loop. */
  private beforeInsn(): boolean {
    if ((this.slow & SL_EVENT) !== 0) {
      if (this.irqCheck) { if (this.takeInterrupt()) return true; }
      else this.recomputeSlow(); // a stale bit (the timer bound was already recomputed)
    }
    if ((this.slow & SL_PER_INSN & ~SL_EVENT) !== 0) return D.before(this);
    return false;
  }

  /** Deliver the controller's pending vector if interrupts are enabled and no STI/MOV SS shadow holds them
   *  off (SDM Vol. 3 6.8.3). Returns true when the loop must stop (intercepted, triple fault). */
  private takeInterrupt(): boolean {
    const ic = this.interrupts;
    if (ic === undefined || !(this.fl & A.RFLAGS_IF) || this.blockIrq) { this.recomputeSlow(); return false; }
    if (this.shadow !== SHADOW_NONE) return false;
    const v = ic.pendingVector();
    if (v < 0) { this.irqCheck = false; this.recomputeSlow(); return false; }
    this.haltedState = false;
    this.insnRip = this.rip;
    this.stopReason = null;
    // As for every event, onException sees it first (the hypervisor model may take the exit).
    this.deliverException(v, -1, 'interrupt', this.rip, this.rip, undefined, false, 1);
    if (this.stopReason !== null) return true;
    try { ic.acknowledge(v); } catch (e) { this.log('error', 'hook-error', { hook: 'acknowledge', error: String(e) }); }
    this.recomputeSlow();
    return this.shutdown;
  }

  /** HLT: wake for a deliverable interrupt; with IF=1 and the timer armed, jump the clock to its deadline
   *  and fire it; else stay halted and report 'hlt'. null: running again. */
  private haltWait(): StopReason | null {
    if (this.stopWhy) {
      // requestStop() (Ctrl-C) while waiting: report it; the CPU stays halted.
      const why = this.stopWhy;
      this.stopWhy = '';
      this.recomputeSlow();
      return { kind: 'stop-requested', why };
    }
    if (this.blockIrq) return HLT; // nothing may wake it: do not run the clock ahead either
    for (let guard = 0; guard < 1000; guard++) {
      const ifOn = (this.fl & A.RFLAGS_IF) !== 0;
      if (ifOn && this.irqCheck && this.interrupts !== undefined) {
        const before = this.haltedState;
        if (this.takeInterrupt()) return this.stopReason ?? (this.shutdown ? { kind: 'triple-fault', detail: this.shutdownDetail } : HLT);
        if (before && !this.haltedState) return null; // woken: the handler runs
      }
      if (ifOn && this.timerTick !== undefined) {
        if (this.timerTick > this.clock) this.haltSkipped += this.timerTick - this.clock;
        this.fireTimer();
        continue;
      }
      return HLT;
    }
    return HLT; // a timer that re-arms itself forever without raising an interrupt
  }

  /** Returns false when the loop must stop. */
  private handleThrow(e: unknown): boolean {
    if (e === FAULT) {
      // A fault on the instruction in a MOV-SS shadow discards the held-back trap causes.
      if (this.shadow === SHADOW_MOVSS) this.pendingDbg = 0;
      D.onFault(this);
      const vec = this.excVec;
      const err = this.excErr;
      this.rip = this.insnRip;
      this.deliverException(vec, err, 'fault', this.insnRip, this.insnRip);
      if (this.shutdown || this.stopReason !== null) return false;
      // A delivered fault costs far more than an instruction (a #UD on an unmodelled opcode: ~40 us with its
      // log record), so it is charged to the run's work bound too: a guest looping over a faulting
      // instruction still hands the slice back within milliseconds (issue 18 item 1).
      if ((this.repWork -= FAULT_WORK) <= 0) {
        this.stopReason = BUDGET;
        return false;
      }
      return true;
    }
    if (e === STOP) return false;
    if (e === D.DELIVERED) {
      if (this.shadow === SHADOW_MOVSS) this.pendingDbg = 0; // fault-like #DB (GD) in the shadow: held traps dropped
      D.onFault(this);
      return !this.shutdown && this.stopReason === null;
    }
    // An internal bug: never let it escape run(). Log it and treat the instruction as undefined.
    const msg = e instanceof Error ? `${e.message}\n${e.stack ?? ''}` : String(e);
    this.log('error', 'cpu-internal-error', { rip: '0x' + laToBig(this.insnRip).toString(16), error: msg });
    this.rip = this.insnRip;
    this.stopReason = { kind: 'stop-requested', why: `${INTERNAL_ERROR_STOP}${e instanceof Error ? e.message : String(e)}` };
    return false;
  }

  log(level: 'debug' | 'info' | 'warn' | 'error', event: string, data: Record<string, unknown>): void {
    try { this.hooks.onLog?.(level, event, data); } catch { /* a logging hook must not break the CPU */ }
  }

  /** Consult onInstruction before an interceptable instruction (throws STOP when intercepted). */
  intercept(kind: InterceptableInstruction, i: Insn): void {
    if (this.bypassIntercept) { this.bypassIntercept = false; return; }
    const h = this.hooks.onInstruction;
    if (h && h(kind, laToBig(this.insnRip))) {
      this.stopReason = { kind: 'intercept', what: 'instruction', instruction: kind, rip: laToBig(this.insnRip), length: i.len };
      throw STOP;
    }
  }

  // =====================================================================================
  // Event delivery (SDM Vol. 3 6.12, 6.14, 6.15)
  // =====================================================================================
  private classOf(vec: number, cls: EventClass): EventClass { return vec === A.VEC_DF ? 'abort' : cls; }

  makeEvent(vec: number, err: number, cls: EventClass, rip: number, instrRip: number, payload: number, icebp: boolean): ExceptionEvent {
    const ev: ExceptionEvent = {
      vector: vec,
      errorCode: err >= 0 ? err : undefined,
      cls,
      rip: laToBig(rip),
      instructionRip: laToBig(instrRip),
      dbPayload: payload,
      icebp,
    };
    if (vec === A.VEC_PF) ev.cr2 = laToBig(this.excCr2);
    return ev;
  }

  /**
   * Deliver a hardware exception with the double-fault rules. Consults onException first.
   * pushRip: RIP to push; instrRip: the instruction that caused it.
   */
  deliverException(vec: number, err: number, cls: EventClass, pushRip: number, instrRip: number,
    pushRf?: boolean, soft = false, ext = 1, skipHook = false): boolean {
    let first = -1;
    for (;;) {
      const c2 = this.classOf(vec, cls);
      const ev = this.makeEvent(vec, err, c2, pushRip, instrRip, 0, false);
      if (!skipHook && this.hooks.onException && this.hooks.onException(ev)) {
        if (vec === A.VEC_PF) this.cr2 = this.excCr2; // the #PF was detected: CR2 is written (a VMM sees it in the exit qualification instead; keep it simple)
        this.stopReason = { kind: 'intercept', what: 'exception', event: ev };
        return true;
      }
      if (vec === A.VEC_PF) this.cr2 = this.excCr2;
      try {
        let rf = pushRf;
        if (rf === undefined && c2 === 'fault' && vec !== A.VEC_DB) rf = true; // faults push RF=1 (SDM Vol. 3 18.3.1.1)
        this.deliverIdt(vec, err, pushRip, rf, soft, ext);
        // Every delivered event ends a HLT (SDM Vol. 2A HLT; APM Vol. 3 HLT): e.g. the single-step trap
        // of a HLT executed with TF=1 runs its handler instead of halting again there.
        if (this.haltedState) { this.haltedState = false; if (this.stopReason !== null && this.stopReason.kind === 'hlt') this.stopReason = null; }
        return true;
      } catch (e) {
        if (e !== FAULT) throw e;
        const second = this.excVec;
        if (vec === A.VEC_DF) { this.tripleFault(`fault #${second} while delivering #DF`); return false; }
        const firstIsPf = vec === A.VEC_PF;
        const firstContrib = ((A.CONTRIBUTORY >>> vec) & 1) !== 0 && vec < 32 && !soft;
        const secondContrib = ((A.CONTRIBUTORY >>> second) & 1) !== 0;
        first = vec;
        if ((firstContrib && secondContrib) || (firstIsPf && (secondContrib || second === A.VEC_PF))) {
          vec = A.VEC_DF; err = 0; cls = 'abort';
        } else {
          vec = second; err = this.excErr; cls = 'fault';
        }
        pushRf = undefined; soft = false; ext = 1; skipHook = false;
        pushRip = instrRip;
        void first;
      }
    }
  }

  tripleFault(detail: string): void {
    this.shutdown = true;
    this.shutdownDetail = detail;
    this.log('error', 'triple-fault', { rip: '0x' + laToBig(this.insnRip).toString(16), detail });
    this.stopReason = { kind: 'triple-fault', detail };
  }

  /** Read an 8-byte descriptor from GDT/LDT; returns [lo, hi] via fields dLo/dHi. Raises #GP(sel) if outside the table. */
  dLo = 0; dHi = 0;
  readDescriptor(sel: number, errExt: number): void {
    const ti = (sel & 4) !== 0;
    const base = ti ? this.ldtrBase : this.gdtrBase;
    const limit = ti ? this.ldtrLimit : this.gdtrLimit;
    const off = sel & 0xfff8;
    if (off + 7 > limit) this.raise(A.VEC_GP, (sel & 0xfffc) | errExt);
    this.dLo = this.sysRd32(base + off);
    this.dHi = this.sysRd32(base + off + 4);
  }
  /** Deliver through a 64-bit IDT gate (SDM Vol. 3 6.14.1-6.14.4). */
  deliverIdt(vec: number, err: number, pushRip: number, pushRf: boolean | undefined, soft: boolean, ext: number): void {
    const e = soft ? 0 : ext;
    if (!(this.efer & A.EFER_LMA)) {
      // Protected mode: 8-byte gates, 32-bit frames, TSS SS0:ESP0 (delivery32.ts).
      deliverIdt32(this, vec, err, pushRip, pushRf, soft, ext);
      this.dbBranch = true;
      this.shadow = SHADOW_NONE; this.shadowNew = SHADOW_NONE;
      this.recomputeSlow();
      return;
    }
    if (vec * 16 + 15 > this.idtrLimit) this.raise(A.VEC_GP, vec * 8 + 2 + e);
    const g = this.idtrBase + vec * 16;
    const w0 = this.sysRd32(g), w1 = this.sysRd32(g + 4), w2 = this.sysRd32(g + 8);
    const type = (w1 >>> 8) & 0x1f, dpl = (w1 >>> 13) & 3, present = (w1 >>> 15) & 1;
    if (type !== A.SYS_INT_GATE64 && type !== A.SYS_TRAP_GATE64) this.raise(A.VEC_GP, vec * 8 + 2 + e);
    if (soft && dpl < this.cpl) this.raise(A.VEC_GP, vec * 8 + 2);
    if (!present) this.raise(A.VEC_NP, vec * 8 + 2 + e);
    const sel = w0 >>> 16;
    const ist = w1 & 7;
    const offLo = ((w0 & 0xffff) | (w1 & 0xffff0000)) >>> 0;
    const target = w2 * TWO32 + offLo;
    if ((sel & 0xfffc) === 0) this.raise(A.VEC_GP, e);
    this.readDescriptor(sel, e);
    const cAttr = attrsOf(this.dHi);
    const cdpl = (cAttr >> A.ATTR_DPL_SHIFT) & 3;
    if (!(cAttr & A.ATTR_S) || !(cAttr & 8) || !(cAttr & A.ATTR_L) || (cAttr & A.ATTR_DB) || cdpl > this.cpl) {
      this.raise(A.VEC_GP, (sel & 0xfffc) | e);
    }
    if (!(cAttr & A.ATTR_P)) this.raise(A.VEC_NP, (sel & 0xfffc) | e);
    const conforming = (cAttr & 4) !== 0;
    const newCpl = conforming ? this.cpl : cdpl;
    const oldCpl = this.cpl;
    let rsp: number;
    if (ist !== 0) rsp = this.tssRead64(36 + (ist - 1) * 8);
    else if (newCpl < oldCpl) rsp = this.tssRead64(4 + newCpl * 8);
    else rsp = this.regLaNoFault(4);
    if (rsp >= CANON_LIMIT || rsp < -CANON_LIMIT) this.raise(A.VEC_SS, e);
    rsp = rsp - (((rsp % 16) + 16) % 16); // 64-bit delivery aligns the new stack to 16 (SDM 6.14.2)
    const flags = this.getFlags();
    let pushedFlags = flags & ~A.RFLAGS_RF;
    if (pushRf === true || (pushRf === undefined && (flags & A.RFLAGS_RF))) pushedFlags |= A.RFLAGS_RF;
    const oldSs = this.segSel[2]!, oldCs = this.segSel[1]!;
    const oldRsp = big64(this.rl[4]!, this.rh[4]!);
    // Pushes happen with the new privilege level.
    this.cpl = newCpl; this.updateCplMasks();
    try {
      const n = err >= 0 ? 6 : 5;
      const top = rsp - n * 8;
      const rspLo = Number(oldRsp & 0xffffffffn) | 0, rspHi = Number(oldRsp >> 32n) | 0;
      const ripLo = pushRip >>> 0, ripHi = Math.floor(pushRip / TWO32) | 0;
      this.stWr64(rsp - 8, oldSs, 0);
      this.stWr64(rsp - 16, rspLo, rspHi);
      this.stWr64(rsp - 24, pushedFlags, 0);
      this.stWr64(rsp - 32, oldCs, 0);
      this.stWr64(rsp - 40, ripLo, ripHi);
      if (err >= 0) this.stWr64(rsp - 48, err, 0);
      // Commit.
      this.rl[4] = top >>> 0 | 0; this.rh[4] = Math.floor(top / TWO32) | 0;
    } catch (ex) {
      this.cpl = oldCpl; this.updateCplMasks();
      throw ex;
    }
    if (newCpl !== oldCpl) {
      this.segSel[2] = newCpl; // null SS with RPL = new CPL (SDM 6.14.2)
      this.segBase[2] = 0; this.segLimit[2] = 0; this.segAttr[2] = 0;
    }
    this.segSel[1] = (sel & 0xfffc) | newCpl;
    this.segBase[1] = 0; this.segLimit[1] = limitOf(this.dLo, this.dHi); this.segAttr[1] = cAttr;
    let f = this.fl & ~(A.RFLAGS_TF | A.RFLAGS_NT | A.RFLAGS_RF | A.RFLAGS_VM);
    if (type === A.SYS_INT_GATE64) f &= ~A.RFLAGS_IF;
    this.fl = f;
    this.rip = target; this.nextRip = target;
    this.dbBranch = true;
    this.shadow = SHADOW_NONE; this.shadowNew = SHADOW_NONE;
    updateMode(this); // from compatibility mode the handler runs in 64-bit mode
    this.fLin0 = NaN;
    this.recomputeSlow();
  }
  private stWr64(la: number, lo: number, hi: number): void {
    // Stack writes during delivery are not data-breakpoint sources we need to model beyond the normal path.
    this.wr64(la, lo, hi);
  }
  private regLaNoFault(r: number): number { return this.rh[r]! * TWO32 + (this.rl[r]! >>> 0); }
  tssRead64(off: number): number {
    if (off + 7 > this.trLimit) this.raise(A.VEC_TS, this.trSel & 0xfffc);
    const lo = this.sysRd32(this.trBase + off), hi = this.sysRd32(this.trBase + off + 4);
    return hi * TWO32 + (lo >>> 0);
  }

  // =====================================================================================
  // GuestCpu event API
  // =====================================================================================
  injectEvent(vector: number, cls: EventClass, errorCode?: number, opts?: { rf?: boolean; cr2?: bigint }): boolean {
    if (this.shutdown) return false;
    if (opts?.cr2 !== undefined) { this.cr2 = bigToLa(opts.cr2); this.excCr2 = this.cr2; }
    const soft = cls === 'software-interrupt';
    const err = errorCode === undefined ? -1 : errorCode;
    this.insnRip = this.rip;
    const saveHooks = this.hooks.onException;
    this.haltedState = false; // an injected event wakes a halted CPU
    // Injection bypasses onException (the hypervisor is the one injecting).
    try {
      this.hooks.onException = undefined;
      this.stopReason = null;
      let rf = opts?.rf;
      if (rf === undefined && cls === 'fault' && vector !== A.VEC_DB) rf = true;
      this.deliverException(vector, err, cls, this.rip, this.rip, rf, soft, soft ? 0 : 1);
    } catch (e) {
      this.log('error', 'cpu-internal-error', { where: 'injectEvent', error: String(e) });
      return false;
    } finally {
      this.hooks.onException = saveHooks;
    }
    return !this.shutdown;
  }

  skipInstruction(length: number): void {
    this.rip = this.rip + length;
    this.fl &= ~A.RFLAGS_RF;
    this.shadow = SHADOW_NONE; this.shadowNew = SHADOW_NONE;
    this.recomputeSlow();
  }

  executeIntercepted(): StopReason {
    this.bypassIntercept = true;
    try {
      return this.run(1);
    } finally {
      this.bypassIntercept = false;
    }
  }

  // =====================================================================================
  // CPUID
  // =====================================================================================
  cpuid(leaf: number, subleaf: number): [number, number, number, number] { return S.cpuid(this, leaf >>> 0, subleaf >>> 0); }

  // =====================================================================================
  // Debugger memory access
  // =====================================================================================
  translate(linear: bigint, write: boolean): number | undefined {
    void write;
    const la = bigToLa(linear);
    if (la >= CANON_LIMIT || la < -CANON_LIMIT) return undefined;
    const p = this.walk(la, ACC_R, false, true);
    return p < 0 ? undefined : p;
  }
  readVirtual(addr: bigint, len: number): Uint8Array | undefined {
    const out = new Uint8Array(len);
    for (let k = 0; k < len; k++) {
      const t = this.translate(addr + BigInt(k), false);
      const p = t === undefined ? -1 : this.mem.ramOffset(t);
      if (p < 0) return undefined;
      out[k] = this.u8[p]!;
    }
    return out;
  }
  writeVirtual(addr: bigint, data: Uint8Array): boolean {
    const ps: number[] = [];
    for (let k = 0; k < data.length; k++) {
      const p = this.translate(addr + BigInt(k), true);
      if (p === undefined || this.mem.ramOffset(p) < 0) return false;
      ps.push(p);
    }
    for (let k = 0; k < data.length; k++) this.mem.writePhys(ps[k]!, data.subarray(k, k + 1));
    return true;
  }

  /** Called by debug.ts to deliver a #DB (applies DR6, calls hooks). */
  emitDbEvent(ev: DbEvent): void {
    try { this.hooks.onDebugEvent?.(ev); } catch (e) { this.log('error', 'hook-error', { hook: 'onDebugEvent', error: String(e) }); }
  }
}

function opTooLong(c: Cpu): void { c.raise(A.VEC_GP, 0); } // SDM Vol. 2 2.3.11: more than 15 bytes -> #GP(0)

