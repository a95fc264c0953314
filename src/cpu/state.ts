// Encodings of the interpreter's own state, shared by the Cpu class and the helper modules (ops, system,
// debug, ...). A leaf module: it imports nothing from the CPU, so the helpers import only types from cpu.ts.

/** Thrown (preallocated, never a new Error) to unwind a faulting instruction. */
export const FAULT = { fault: true } as const;
/** Thrown to abandon an instruction because the host asked for a stop (instruction intercept). */
export const STOP = { stop: true } as const;

// Lazy-flag operations (SDM Vol. 1 3.4.3.1: the six status flags are computed from the last result only
// when read).
export const LF_EAGER = 0, LF_ADD = 1, LF_ADC = 2, LF_SUB = 3, LF_SBB = 4, LF_LOGIC = 5, LF_INC = 6, LF_DEC = 7;
// Slots of the lazy-flag record Cpu.lf.
export const LF_OP = 0, LF_SZ = 1, LF_R = 2, LF_RH = 3, LF_A = 4, LF_AH = 5, LF_B = 6, LF_BH = 7, LF_C = 8;

/** PARITY[b] is PF for a result whose low byte is b (SDM Vol. 1 3.4.3.1: even number of set bits). */
export const PARITY = new Uint8Array(256);
for (let v = 0; v < 256; v++) { let p = 1; for (let b = 0; b < 8; b++) p ^= (v >> b) & 1; PARITY[v] = p; }

// Access kinds of a translation.
export const ACC_R = 0, ACC_W = 1, ACC_X = 2;
// TLB permission bits (one entry serves every access kind; the walk computes them all, with CR0.WP, SMEP,
// SMAP and the protection-key rights of the moment folded in): read by user, write by supervisor / user,
// execute by supervisor / user, dirty, read by supervisor; and the supervisor read / write an explicit access
// with EFLAGS.AC=1 may do where SMAP forbids P_RS / P_WS (SDM Vol. 3 4.6.1). Changing anything folded in
// (CR4.SMEP/SMAP/PKE/PKS, PKRU, IA32_PKRS) flushes the TLB. CR0.WP is not folded in: the supervisor write
// rights are kept for both of its values (P_WS/P_WS_AC with WP=1, P_WS_WP0/P_WS_WP0_AC with WP=0) and the
// access picks one (Cpu.needW), so toggling WP flushes nothing, as on silicon (SDM Vol. 3 4.10.4.1: MOV to
// CR0 invalidates the TLB only when it changes CR0.PG).
export const P_RU = 1, P_WS = 2, P_WU = 4, P_XS = 8, P_XU = 16, P_D = 32, P_RS = 64, P_RS_AC = 128, P_WS_AC = 256,
  P_WS_WP0 = 512, P_WS_WP0_AC = 1024;
/** Every right: paging off. */
export const P_ALL = P_RU | P_WS | P_WU | P_XS | P_XU | P_D | P_RS | P_RS_AC | P_WS_AC | P_WS_WP0 | P_WS_WP0_AC;
export const TLB_SIZE = 256;
/** Added to the physical address of a device (MMIO) frame by the walk: no RAM lies that high, so every
 *  access fails the fast paths' `p + n <= memSize` test and is routed to the device (memory slow path). */
export const MMIO_BIAS = 4503599627370496; // 2^52, beyond MAXPHYADDR

/** flatMask when the segments are flat: ES (0), SS (2), DS (3). */
export const FLAT_DATA_SEGS = (1 << 0) | (1 << 2) | (1 << 3);

// Slow-path ("debug armed") bits: the run loop's fast path tests `slow !== 0` once per instruction.
export const SL_EXEC_BP = 1, SL_DATA = 2, SL_TF = 4, SL_HOSTSS = 8, SL_PENDING = 16, SL_EXTBP = 32, SL_RF = 64,
  SL_SHADOW = 128, SL_STOP = 256, SL_TRAP = 512, SL_IO_BP = 1024, SL_DEFERRED = 2048,
  /** A maskable interrupt may be deliverable (IF=1 and the controller was notified) or the timer bound moved. */
  SL_EVENT = 4096;

/** Bits that need the per-instruction before/after path (data/I-O breakpoints only hook the accesses). */
export const SL_PER_INSN = ~(SL_DATA | SL_IO_BP);

// Interrupt shadow after STI / MOV SS / POP SS (SDM Vol. 3 6.8.3).
export const SHADOW_NONE = 0, SHADOW_STI = 1, SHADOW_MOVSS = 2;
