// The interpreter's state and the operations every other part builds on: the register file (32-bit halves
// in typed arrays), the lazy status flags (SDM Vol. 1 3.4.3.1), registers by operand size, the slow-path
// word that arms the debug unit and the event checks, exception raising and logging.
//
// Linear addresses and RIP are kept as JS numbers holding the *signed* canonical value (canonical.ts);
// outside 64-bit mode RIP holds EIP (the offset in CS) and linear addresses are unsigned 32-bit numbers.

import type {
  CpuFeatures, CpuHost, CpuLogLevel, CpuObserver, CpuOptions, ExceptionEvent, ExternalWatchpoint, InterceptableInstruction,
  InterruptController, IoBus, MmioRegion, StopReason, Vendor,
} from './api.js';
import { laToBig } from './canonical.js';
import { ModelMsrs } from './model-msrs.js';
import { MODE_LONG64, type DecodeMode, type Insn } from './decoder.js';
import { GuestMemory } from './memory.js';
import {
  FAULT, FLAT_DATA_SEGS, LF_A, LF_ADC, LF_ADD, LF_AH, LF_B, LF_BH, LF_C, LF_EAGER, LF_LOGIC, LF_INC, LF_OP, LF_R,
  LF_RH, LF_SBB, LF_SUB, LF_SZ, P_D, P_RS, P_WS, P_XS, PARITY, SHADOW_NONE, SL_DATA, SL_DEFERRED, SL_EVENT, SL_EXEC_BP,
  SL_EXTBP, SL_HOSTSS, SL_IO_BP, SL_PENDING, SL_RF, SL_SHADOW, SL_STOP, SL_TF, SL_TRAP, TLB_SIZE,
} from './state.js';
import * as A from './arch.js';
import { hostBare } from './host.js';
import { X87State } from './x87.js';
import { XCR0_RESET } from './xsave.js';

export abstract class CpuCore {
  readonly vendor: Vendor;
  readonly features: CpuFeatures;
  /** The one host deciding intercepts (api.ts CpuHost): CpuOptions.host, else hostBare until a hypervisor
   *  model attaches (attachHost, once). Never assigned anywhere else. */
  private cpuHost: CpuHost;
  readonly observers: CpuObserver[];
  /** injectEvent() is delivering: the host injects, so its own event is not offered back to it. */
  injecting = false;
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
  /** PKRU and IA32_PKRS (protection-keys.ts): the rights of the 16 user / supervisor protection keys. */
  pkru = 0; pkrs = 0;
  sysenterCs = 0n; sysenterEsp = 0n; sysenterEip = 0n;
  /** MISC_ENABLE, machine-check globals, AMD legacy performance counters (model-msrs.ts). */
  readonly modelMsrs = new ModelMsrs();
  tscOffset = 0;
  /** IA32_TSC_ADJUST: the sum of what software added to the TSC (SDM Vol. 3B 18.17.3); tscOffset includes it. */
  tscAdjust = 0;
  /** XMM0-15, four dwords each. */
  readonly xmm = new Int32Array(64);
  /** The same 256 bytes seen as the SSE element types (sse-*.ts), made once so no instruction allocates. The
   *  element order is the register's (little-endian lanes), as on every host Node runs on. */
  readonly xmmB = new Uint8Array(this.xmm.buffer);
  readonly xmmW = new Uint16Array(this.xmm.buffer);
  readonly xmmF = new Float32Array(this.xmm.buffer);
  readonly xmmD = new Float64Array(this.xmm.buffer);
  mxcsr = 0x1f80;
  /** XCR0, the enabled XSAVE state components (xsave.ts). */
  xcr0 = XCR0_RESET;
  /** x87 FPU state (x87.ts): CPUID advertises FPU and FXSR. */
  readonly x87 = new X87State();

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
  /** 4-KiB linear page numbers of the armed instruction breakpoints. An instruction breakpoint matches an
   *  instruction's first byte only (SDM Vol. 3 18.2.4), so the per-instruction check (SL_EXEC_BP) is on only
   *  while the code runs in one of these pages; the same for the debugger's breakpoints (SL_EXTBP, RIPs).
   *  Without this a `hbreak` anywhere made every instruction of a Linux boot take the slow path. */
  readonly execBpPage = new Float64Array(4);
  execBpPages = 0;
  /** CpuOptions.engine 'reference': every specialisation off (api.ts), for the differential tests. */
  readonly reference: boolean;
  dr6 = A.DR6_RESET;
  dr7 = A.DR7_RESET;
  debugctl = 0;

  // ---- debug unit / slow path state ----
  slow = 0;
  shadow = SHADOW_NONE;
  shadowNew = SHADOW_NONE;
  protected pendingDbg = 0;
  protected hostSS = false;
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

  // ---- run state ----
  retired = 0;
  /** REP string iterations the current run() may still spend (rep-chunk.ts; a delivered fault costs
   *  FAULT_WORK of them). One REP chunk can move megabytes yet counts as one instruction, so a run() is
   *  bounded by this work too: when it is spent the REP stops at an iteration boundary (RIP on the
   *  instruction, as an interrupted REP leaves it, SDM Vol. 2 REP) and run() returns 'budget', so the caller
   *  serves Ctrl-C, signals and sockets within milliseconds whatever the guest runs (issue 18 item 1). */
  repWork = 0;
  shutdown = false;
  shutdownDetail = '';
  stopReason: StopReason | null = null;
  stopWhy = '';
  /** Instruction intercept bypass for executeIntercepted(). */
  bypassIntercept = false;
  /** intercept() handed the current instruction to the host; the run loop un-retires it (Cpu.dropIntercepted). */
  intercepted = false;
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
  readonly tlbPerm = new Uint16Array(TLB_SIZE);
  needR = P_RS; needW = P_WS | P_D; needX = P_XS;
  /** A supervisor-mode implicit access is under way (memory-access.ts sysRd32/sysWr32): EFLAGS.AC does not
   *  lift SMAP for it (SDM Vol. 3 4.6.1). */
  implicitAccess = false;

  // ---- decoded instruction cache ----
  /** One decoded-instruction map per decode mode (64-bit, 32-bit and 16-bit code segments): the same bytes
   *  decode differently in each, and a trampoline page is executed in more than one. */
  protected readonly codeByMode = [new Map<number, (Insn | undefined)[]>(), new Map<number, (Insn | undefined)[]>(), new Map<number, (Insn | undefined)[]>()];
  /** The map of the current decode mode. */
  code = this.codeByMode[0]!;
  fLin0 = NaN;                    // linear address of the current fetch page
  fPhys0 = 0;
  fArr: (Insn | undefined)[] = [];
  readonly ibuf = new Uint8Array(16);

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
  /** Real-address mode (CR0.PE=0, SDM Vol. 3 20.1): segment registers hold paragraphs, CPL 0, no descriptors. */
  realMode = false;
  /** Virtual-8086 mode (EFLAGS.VM=1 outside IA-32e mode, SDM Vol. 3 20.2): paragraphs as in real mode, CPL 3. */
  v86Mode = false;
  /** Why the current mode cannot execute, '' when it can (mode.ts unsupportedModeReason). */
  unsupported = '';
  /** api.ts unsupportedMode: the reason of the last unsupported-mode stop ('' after any other stop). */
  lastUnsupported = '';
  protected unsupportedLogged = '';
  /** True while run() executes (mode.ts stops the loop when code enters an unsupported mode). */
  inRun = false;

  // ---- maskable interrupts, HLT and the virtual clock (events.ts) ----
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
  /** The NMI input latched an edge not yet delivered (one is remembered, SDM Vol. 3 6.7). */
  nmiPending = false;
  /** An NMI handler runs: further NMIs wait until the next IRET (SDM Vol. 3 6.7.1). */
  nmiBlocked = false;
  protected blockIrq = false;

  constructor(opts: CpuOptions) {
    this.reference = opts.engine === 'reference';
    this.vendor = opts.vendor;
    this.features = { ...opts.features };
    this.cpuHost = opts.host ?? hostBare;
    this.observers = (opts.observers ?? []).slice();
    if (!(opts.memory instanceof GuestMemory)) throw new TypeError('createCpu: memory must come from createPhysicalMemory()');
    this.mem = opts.memory;
    this.io = opts.io;
    this.mmio = (opts.mmio ?? []).slice();
    this.interrupts = opts.interrupts;
    this.u8 = this.mem.u8;
    this.dv = this.mem.dv;
    this.memSize = this.mem.size;
  }

  /** Recompute the one "slow path armed" word (the debug unit costs nothing when idle; docs/performance.md measures it). */
  recomputeSlow(): void {
    let s = 0;
    const dr7 = this.dr7;
    let nd = 0;
    let ne = 0;
    for (let n = 0; n < A.DR_COUNT; n++) {
      if (!A.dr7Enabled(dr7, n)) continue;
      const rw = A.dr7Rw(dr7, n);
      if (rw === A.DR7_RW_EXEC) { const d = this.drLin[n]!; if (d === d) this.execBpPage[ne++] = Math.floor(d / 4096); }
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
    // The reference engine offers every data access to the debug unit (debug.ts dataAccess decides alone).
    if (this.reference) { lo = -Infinity; hi = Infinity; }
    this.dbLo = lo; this.dbHi = hi;
    if (this.fl & A.RFLAGS_TF) s |= SL_TF;
    if (this.hostSS) s |= SL_HOSTSS;
    if (this.pendingDbg) s |= SL_PENDING;
    this.execBpPages = ne;
    s |= this.breakpointPageBits(this.rip);
    if (this.fl & A.RFLAGS_RF) s |= SL_RF;
    if (this.shadow || this.shadowNew) s |= SL_SHADOW;
    if (this.stopWhy) s |= SL_STOP;
    if (this.deferredTrap) s |= SL_DEFERRED;
    if (this.taskSwitchTrap) s |= SL_TRAP;
    if ((this.irqCheck && (this.fl & A.RFLAGS_IF) !== 0 && !this.blockIrq) || this.rebound || (this.nmiPending && !this.nmiBlocked && !this.blockIrq)) s |= SL_EVENT;
    // Per-instruction debug bookkeeping in flight: the after-instruction path must still run.
    if (this.dbBeforeRan || this.dbHits || this.dbBusLock || this.dbExtWpHit >= 0 || this.stopReason !== null) s |= SL_TRAP;
    this.slow = s;
  }

  /** SL_EXEC_BP / SL_EXTBP for code at `rip`: set when an armed breakpoint lies in its 4-KiB page.
   *  fetchDecode calls it for each new code page, recomputeSlow for the current. The reference engine filters
   *  the same way: a REP string instruction runs one iteration per step while any slow bit is set, so the
   *  engines' instruction counts agree only if they agree on these bits. */
  breakpointPageBits(rip: number): number {
    let s = 0;
    // Both kinds match linear addresses: CS.base + EIP outside 64-bit mode (debug.ts before).
    const page = Math.floor((this.csBase === 0 ? rip : (rip + this.csBase) >>> 0) / 4096);
    if (this.execBpPages !== 0) {
      for (let k = 0; k < this.execBpPages; k++) if (this.execBpPage[k] === page) s |= SL_EXEC_BP;
    }
    const ext = this.extBps;
    if (ext.length !== 0) {
      for (let k = 0; k < ext.length; k++) if (Math.floor(ext[k]! / 4096) === page) s |= SL_EXTBP;
    }
    return s;
  }

  getFlags(): number { this.materialize(); return (this.fl & A.RFLAGS_DEFINED) | A.RFLAGS_FIXED1; }
  setFlagsAll(v: number): void {
    this.fl = (v & A.RFLAGS_DEFINED) | A.RFLAGS_FIXED1;
    this.lf[LF_OP] = LF_EAGER;
    this.recomputeSlow();
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
  protected ult(xl: number, xh: number, yl: number, yh: number): boolean {
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
  // Exceptions
  // =====================================================================================
  raise(vec: number, err: number): never {
    this.excVec = vec;
    this.excErr = err;
    throw FAULT;
  }
  raiseUD(): never { this.raise(A.VEC_UD, -1); }
  raiseGP0(): never { this.raise(A.VEC_GP, 0); }


  log(level: CpuLogLevel, event: string, data: Record<string, unknown>): void {
    const obs = this.observers;
    for (let k = 0; k < obs.length; k++) {
      try { obs[k]!.onLog?.(level, event, data); } catch { /* a logging observer must not break the CPU */ }
    }
  }
  /** Offer an exception/interrupt about to be delivered to the host (not while the host injects it). */
  interceptException(ev: ExceptionEvent): boolean {
    return !this.injecting && this.cpuHost.interceptException(ev);
  }
  /** Offer an interceptable instruction at `rip` to the host. The bare board intercepts nothing, so it is not
   *  asked (no BigInt for the RIP on every port access or CPUID of a bare guest). */
  interceptInstruction(kind: InterceptableInstruction, rip: number): boolean {
    const h = this.cpuHost;
    return h !== hostBare && h.interceptInstruction(kind, laToBig(rip));
  }

  // ---- the host and the observers (api.ts CpuHost, CpuObserver) ----
  get host(): CpuHost { return this.cpuHost; }
  attachHost(host: CpuHost): void {
    // One host per CPU: a hypervisor model may take over a CPU that was built for the bare board, once.
    // Anything else would make the intercept policy depend on who was constructed last.
    if (this.cpuHost !== hostBare || host === hostBare) {
      throw new Error('attachHost: this CPU already has its host (given at construction or attached before); a CPU has one host');
    }
    this.cpuHost = host;
  }
  addObserver(observer: CpuObserver): () => void {
    this.observers.push(observer);
    return () => {
      const k = this.observers.indexOf(observer);
      if (k >= 0) this.observers.splice(k, 1);
    };
  }
}
