// Simulated side of the differential test: a tiny long-mode machine around src/cpu with the same
// address layout as native-runner.c (scratch window at SCRATCH_ADDR, snippet at CODE_ADDR).
//
// Physical = linear (identity map with 4 KiB pages, SDM Vol. 3 5.5 4-level paging); only the pages
// the harness needs are present, so a stray access faults (#PF) as it would natively.
// Every IDT vector points at its own HLT; delivery uses IST1 (SDM Vol. 3 7.14.5) so the snippet's RSP
// can be anything. After the run, RIP says whether the snippet completed (HLT after the snippet)
// or which vector was delivered; the interrupt frame gives RIP, RFLAGS and RSP at the fault.
import { readFileSync } from 'node:fs';
import type { ArchState, CpuOptions, GuestCpu, PhysicalMemory, SegmentState, Vendor } from '../../src/cpu/api.js';
import { type CaseInput, type CaseResult, CODE_ADDR, COMPARED_FLAGS, initialWindow, MXCSR_DEFAULT, SCRATCH_ADDR, SCRATCH_MAP_BASE, SCRATCH_MAP_END, WINDOW } from './layout.js';

export interface CpuFactory {
  createCpu(opts: CpuOptions): GuestCpu;
  createPhysicalMemory(size: number): PhysicalMemory;
}

export const MEM_SIZE = 0x400000;
const PML4 = 0x1000, PDPT = 0x2000, PD = 0x3000, PT0 = 0x4000, PT1 = 0x5000;
const GDT = 0x6000, TSS = 0x6100, IDT = 0x7000, STUB_STRIDE = 4;
/** Handler stubs (one HLT per vector) and the top of the IST1 stack exceptions are delivered on. */
export const STUBS = 0x8000, IST_TOP = 0xa000;
/** Table base offset in compat32 mode (0x300000: above the snippet page, inside MEM_SIZE). */
const TB_COMPAT = 0x300000;
const SEL_CODE = 0x08, SEL_DATA = 0x10, SEL_TSS = 0x18, SEL_CODE32 = 0x28, SEL_CODE16 = 0x30;

// Paging-structure entry bits (SDM Vol. 3 Table 5-15..5-20).
const PTE_P = 1n, PTE_RW = 2n;
// Control register bits (SDM Vol. 3 2.5, Figure 2-7) and EFER (2.2.1).
const CR0_PE = 1n << 0n, CR0_MP = 1n << 1n, CR0_ET = 1n << 4n, CR0_NE = 1n << 5n, CR0_WP = 1n << 16n, CR0_PG = 1n << 31n;
const CR4_PAE = 1n << 5n, CR4_OSFXSR = 1n << 9n, CR4_OSXMMEXCPT = 1n << 10n;
const EFER_LME = 1n << 8n, EFER_LMA = 1n << 10n;
// Segment attributes as packed by api.ts SegmentState.attrs.
const A_S = 1 << 4, A_P = 1 << 7, A_L = 1 << 9, A_DB = 1 << 10, A_G = 1 << 11;
const TYPE_CODE_XRA = 0xb, TYPE_DATA_RWA = 0x3, TYPE_TSS64_BUSY = 0xb;
/** Vectors that push an error code (SDM Vol. 3 Table 6-1). */
const ERROR_CODE_VECTORS = new Set([8, 10, 11, 12, 13, 14, 17, 21, 29, 30]);

export interface SimResult extends CaseResult {
  /** Non-hlt stops (triple fault, budget, ...) and other oddities, for the mismatch report. */
  note?: string;
}

export class SimMachine {
  readonly mem: PhysicalMemory;
  readonly cpu: GuestCpu;
  private readonly base: ArchState;

  /** compat32: run the snippets in a 32-bit code segment (CS.L=0, CS.D=1) with EFER.LMA=1, i.e. IA-32e
   *  compatibility mode, as the native runner's --compat32 does; exceptions still go through the 64-bit IDT. */
  /** Where the paging structures, GDT/TSS/IDT, stubs and IST stack live: at their 64-bit-harness addresses,
   *  or, in compat32, moved up by TB_COMPAT so that nothing below 1 MiB is mapped, as in the native
   *  process (16-bit addressed accesses fault there on both sides). */
  private readonly tb: number;
  constructor(f: CpuFactory, vendor: Vendor, readonly compat32 = false, readonly code16 = false, readonly ss16 = false) {
    this.tb = compat32 ? TB_COMPAT : 0;
    this.mem = f.createPhysicalMemory(MEM_SIZE);
    const io = { in: () => 0xffffffff, out: () => undefined };
    this.cpu = f.createCpu({ vendor, features: { busLockDetect: false, rtm: false }, memory: this.mem, io });
    this.buildTables();
    this.base = this.baseState();
  }

  private w64(addr: number, v: bigint): void {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigUint64(0, v, true);
    this.mem.writePhys(addr, b);
  }

  private buildTables(): void {
    this.w64((this.tb + PML4), BigInt((this.tb + PDPT)) | PTE_P | PTE_RW);
    this.w64((this.tb + PDPT), BigInt((this.tb + PD)) | PTE_P | PTE_RW);
    this.w64((this.tb + PD) + 0, BigInt((this.tb + PT0)) | PTE_P | PTE_RW);
    this.w64((this.tb + PD) + 8, BigInt((this.tb + PT1)) | PTE_P | PTE_RW);
    const present = (page: number): void => {
      const pt = page < 0x200000 ? (this.tb + PT0) : (this.tb + PT1);
      this.w64(pt + ((page >> 12) & 511) * 8, BigInt(page) | PTE_P | PTE_RW);
    };
    for (let p = this.tb + 0x1000; p < this.tb + IST_TOP; p += 0x1000) present(p); // tables, GDT, TSS, IDT, stubs, IST stack
    for (let p = SCRATCH_MAP_BASE; p < SCRATCH_MAP_END; p += 0x1000) present(p);
    present(CODE_ADDR);

    // GDT: null, 64-bit code, data, 64-bit TSS (16 bytes), 32-bit code (SDM Vol. 3 3.4.5, 8.2.3).
    this.w64((this.tb + GDT) + 0x08, 0x00af9b000000ffffn);
    this.w64((this.tb + GDT) + 0x10, 0x00cf93000000ffffn);
    const tssLo = 0x67n | (BigInt((this.tb + TSS) & 0xffffff) << 16n) | (BigInt(0x80 | TYPE_TSS64_BUSY) << 40n) | (BigInt((this.tb + TSS) >>> 24) << 56n);
    this.w64((this.tb + GDT) + 0x18, tssLo);
    this.w64((this.tb + GDT) + 0x20, 0n);
    this.w64((this.tb + GDT) + SEL_CODE32, 0x00cf9b000000ffffn); // flat 32-bit code (D=1, L=0)
    this.w64((this.tb + GDT) + SEL_CODE16, 0x00009b000000ffffn | (BigInt(CODE_ADDR) << 16n)); // 16-bit code at CODE_ADDR, limit 0xFFFF
    // TSS: IST1 at offset 0x24 (SDM Vol. 3 Figure 8-11).
    this.w64((this.tb + TSS) + 0x24, BigInt((this.tb + IST_TOP)));
    // IDT: 64-bit interrupt gates (type 0xE, P=1, DPL 0, IST=1) to one HLT per vector (Figure 7-8).
    for (let v = 0; v < 256; v++) {
      const target = (this.tb + STUBS) + v * STUB_STRIDE;
      const lo = BigInt(target & 0xffff) | (BigInt(SEL_CODE) << 16n) | (1n << 32n) | (0x8en << 40n) | (BigInt((target >>> 16) & 0xffff) << 48n);
      this.w64((this.tb + IDT) + v * 16, lo);
      this.w64((this.tb + IDT) + v * 16 + 8, 0n);
      this.mem.writePhys(target, new Uint8Array([0xf4, 0xcc, 0xcc, 0xcc]));
    }
  }

  private baseState(): ArchState {
    const flat = (selector: number, attrs: number): SegmentState => ({ selector, base: 0n, limit: 0xffffffff, attrs });
    const data = flat(SEL_DATA, TYPE_DATA_RWA | A_S | A_P | A_DB | A_G);
    const st = this.cpu.getState();
    return {
      ...st,
      gpr: new Array<bigint>(16).fill(0n),
      rip: this.code16 ? 0n : BigInt(CODE_ADDR), // 16-bit code: IP is the offset from CS.base = CODE_ADDR
      rflags: 2n,
      seg: [data, this.code16 ? { selector: SEL_CODE16, base: BigInt(CODE_ADDR), limit: 0xffff, attrs: TYPE_CODE_XRA | A_S | A_P } : this.compat32 ? flat(SEL_CODE32, TYPE_CODE_XRA | A_S | A_P | A_DB | A_G) : flat(SEL_CODE, TYPE_CODE_XRA | A_S | A_P | A_L | A_G), this.ss16 ? { selector: 0x0f, base: BigInt(SCRATCH_MAP_BASE), limit: 0xffff, attrs: TYPE_DATA_RWA | A_S | A_P } : data, data, data, data],
      gdtr: { base: BigInt((this.tb + GDT)), limit: 0x37 },
      idtr: { base: BigInt((this.tb + IDT)), limit: 0xfff },
      tr: { selector: SEL_TSS, base: BigInt((this.tb + TSS)), limit: 0x67, attrs: TYPE_TSS64_BUSY | A_P },
      ldtr: { selector: 0, base: 0n, limit: 0, attrs: 0 },
      cr0: CR0_PE | CR0_MP | CR0_ET | CR0_NE | CR0_WP | CR0_PG,
      cr2: 0n,
      cr3: BigInt((this.tb + PML4)),
      cr4: CR4_PAE | CR4_OSFXSR | CR4_OSXMMEXCPT, // as Linux runs the host process: SSE on, #XM delivered
      cr8: 0n,
      efer: EFER_LME | EFER_LMA,
      fsBase: 0n,
      gsBase: 0n,
      kernelGsBase: 0n,
    };
  }

  run(c: CaseInput): SimResult {
    const scratch = new Uint8Array(SCRATCH_MAP_END - SCRATCH_MAP_BASE);
    scratch.set(initialWindow(c), SCRATCH_ADDR - SCRATCH_MAP_BASE);
    this.mem.writePhys(SCRATCH_MAP_BASE, scratch);
    const code = new Uint8Array(64).fill(0xcc);
    code.set(c.code);
    code[c.code.length] = 0xf4; // HLT ends the snippet
    this.mem.writePhys(CODE_ADDR, code);
    this.cpu.setState({
      ...this.base,
      gpr: c.gpr.map((v) => BigInt.asUintN(64, v)),
      // IF=1 like the host process (only visible through PUSHF; no interrupt source exists here).
      rflags: BigInt(c.rflags & COMPARED_FLAGS) | 0x202n,
    });
    for (let r = 0; r < 16; r++) this.cpu.setXmm(r, c.xmm ? xmmOf(c.xmm, r) : 0n);
    this.cpu.setMxcsr(c.mxcsr ?? MXCSR_DEFAULT);
    let note: string | undefined;
    let stop;
    try {
      stop = this.cpu.run(10_000);
    } catch (e) {
      note = `simulator threw: ${(e as Error).stack ?? String(e)}`;
    }
    const gpr: bigint[] = [];
    for (let i = 0; i < 16; i++) gpr.push(this.cpu.getGpr(i));
    const rip = this.cpu.getRip();
    const mem = this.mem.readPhys(SCRATCH_ADDR, WINDOW).slice();
    const xmm = new Uint8Array(256);
    const dv = new DataView(xmm.buffer);
    for (let r = 0; r < 16; r++) {
      const v = this.cpu.getXmm(r);
      dv.setBigUint64(r * 16, v & 0xffffffffffffffffn, true);
      dv.setBigUint64(r * 16 + 8, v >> 64n, true);
    }
    const res: SimResult = { gpr, rflags: Number(this.cpu.getRflags() & 0xffffffffn), rip, vector: -1, errorCode: 0, cr2: 0n, mem, xmm, mxcsr: this.cpu.getMxcsr() };
    if (note || !stop || stop.kind !== 'hlt') {
      res.vector = -2;
      res.note = note ?? `stopped with ${JSON.stringify(stop, (_k, v) => (typeof v === 'bigint' ? `0x${v.toString(16)}` : v))}`;
      return res;
    }
    const end = BigInt((this.code16 ? 0 : CODE_ADDR) + c.code.length);
    if (rip === end || rip === end + 1n) {
      res.rip = end;
      return res;
    }
    const off = Number(rip) - (this.tb + STUBS);
    if (off >= 0 && off <= 256 * STUB_STRIDE) {
      const vector = Math.floor(off / STUB_STRIDE); // RIP at the HLT or just after it
      const sp = this.cpu.getGpr(4);
      const frame = this.cpu.readVirtual(sp, ERROR_CODE_VECTORS.has(vector) ? 48 : 40);
      if (!frame) {
        res.vector = -2;
        res.note = `vector ${vector} delivered but the frame at RSP=0x${sp.toString(16)} is unreadable`;
        return res;
      }
      const dv = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
      let o = 0;
      if (ERROR_CODE_VECTORS.has(vector)) {
        res.errorCode = Number(dv.getBigUint64(0, true) & 0xffffffffn);
        o = 8;
      }
      res.vector = vector;
      if (vector === 14) res.cr2 = this.cpu.getState().cr2;
      res.rip = dv.getBigUint64(o, true);
      res.rflags = Number(dv.getBigUint64(o + 16, true) & 0xffffffffn);
      res.gpr[4] = dv.getBigUint64(o + 24, true);
      return res;
    }
    res.vector = -2;
    res.note = `halted at unexpected RIP 0x${rip.toString(16)}`;
    return res;
  }
}

function xmmOf(b: Uint8Array, r: number): bigint {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  return dv.getBigUint64(r * 16, true) | (dv.getBigUint64(r * 16 + 8, true) << 64n);
}

/** Host CPU vendor, so the simulator runs the same flavour as the silicon it is compared with. */
export function hostVendor(): Vendor {
  try {
    const info = readFileSync('/proc/cpuinfo', 'utf8');
    return /AuthenticAMD|HygonGenuine/.test(info) ? 'amd' : 'intel';
  } catch {
    return 'intel';
  }
}
