// Shared address-space layout and record formats of the differential harness. The native runner
// (native-runner.c) and the simulated side (sim.ts) must agree on every constant here.

/** Scratch data the snippets may address (same linear addresses natively and simulated): two
 *  pages, SCRATCH_MAP_BASE..SCRATCH_MAP_END, with the compared window at their very end so a
 *  page-crossing access at the window's top faults (#PF) on both sides. */
export const SCRATCH_MAP_BASE = 0x100000;
export const SCRATCH_MAP_END = 0x102000;
export const SCRATCH_ADDR = 0x101e00;
/** Bytes at SCRATCH_ADDR filled per case from a splitmix64 stream and compared after the run. */
export const WINDOW = 0x200;
/** Where the snippet's first byte lives (natively and simulated), so fault RIPs compare directly. */
export const CODE_ADDR = 0x200000;
export const MAX_CODE = 56;

export const IN_REC = 496;
export const OUT_REC = 944;
export const MAGIC = 0x44494635;
/** MXCSR at reset and as the host process runs (SDM Vol. 1 11.6.4: all exceptions masked, round to nearest). */
export const MXCSR_DEFAULT = 0x1f80;

// RFLAGS bits (SDM Vol. 1 3.4.3, Figure 3-8).
export const CF = 1 << 0;
export const PF = 1 << 2;
export const AF = 1 << 4;
export const ZF = 1 << 6;
export const SF = 1 << 7;
export const DF = 1 << 10;
export const OF = 1 << 11;
export const ARITH = CF | PF | AF | ZF | SF | OF;
/** Bits compared after every snippet: the status flags plus DF (no snippet may change DF). */
export const COMPARED_FLAGS = ARITH | DF;

export interface CaseInput {
  gpr: bigint[]; // 16, encoding order
  rflags: number; // only ARITH | DF are used
  memSeed: bigint;
  /** Bytes written over the window fill at window offset `off` (at most 8). */
  patch?: { off: number; bytes: Uint8Array };
  code: Uint8Array;
  /** XMM0-15 (16 bytes each, little-endian) before the snippet; zeros when absent. */
  xmm?: Uint8Array;
  /** MXCSR before the snippet; MXCSR_DEFAULT when absent. */
  mxcsr?: number;
}

export interface CaseResult {
  gpr: bigint[];
  rflags: number;
  rip: bigint;
  /** -1 when the snippet ran to its end, else the exception vector. */
  vector: number;
  errorCode: number;
  /** For #PF: the faulting linear address (CR2; natively the kernel's si_addr). */
  cr2: bigint;
  mem: Uint8Array; // WINDOW bytes at SCRATCH_ADDR
  /** XMM0-15 after the run (at the fault when one was taken). */
  xmm: Uint8Array;
  mxcsr: number;
}

const M64 = (1n << 64n) - 1n;

/** The window contents a case starts with. */
export function initialWindow(c: CaseInput): Uint8Array {
  const w = fillWindow(c.memSeed);
  if (c.patch) w.set(c.patch.bytes, c.patch.off);
  return w;
}

/** splitmix64 (Steele, Lea, Flood 2014): the same stream native-runner.c writes into the window. */
export function fillWindow(seed: bigint): Uint8Array {
  const out = new Uint8Array(WINDOW);
  const dv = new DataView(out.buffer);
  let s = seed & M64;
  for (let i = 0; i < WINDOW; i += 8) {
    s = (s + 0x9e3779b97f4a7c15n) & M64;
    let z = s;
    z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & M64;
    z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & M64;
    z = z ^ (z >> 31n);
    dv.setBigUint64(i, z, true);
  }
  return out;
}
