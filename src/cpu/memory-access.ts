// Memory as the CPU sees it: paging (4-level here; 32-bit and PAE in paging32.ts) with the software TLB,
// linear data accesses with their slow paths (page-crossing, MMIO routing, data breakpoints), supervisor
// implicit accesses, and instruction fetch with the decoded-instruction cache (one per decode mode).
//
// One layer of the Cpu class (core.ts -> memory-access.ts -> addressing.ts -> events.ts -> cpu.ts): each
// layer is abstract and only ever instantiated as a Cpu, so `this` is handed to the helper modules (typed
// with Cpu) through a cast.

import { DEC_OK, DEC_TOO_LONG, Insn, MODE_DEF16, MODE_DEF32, MODE_LONG64, decode, type ByteSource, type DecodeMode } from './decoder.js';
import { opUndefined } from './ops.js';
import { specialize } from './fast.js';
import { TWO32 } from './canonical.js';
import { ACC_R, ACC_W, ACC_X, MMIO_BIAS, P_ALL, P_D, P_RS, P_RS_AC, P_RU, P_WS, P_WS_AC, P_WS_WP0, P_WS_WP0_AC, P_WU, P_XS, P_XU, SL_EXEC_BP, SL_EXTBP, TLB_SIZE } from './state.js';
import * as A from './arch.js';
import * as D from './debug.js';
import * as P from './paging32.js';
import type { Cpu } from './cpu.js';
import { CpuCore } from './core.js';

/** The TLB set of linear page pg: its low 8 bits folded with the next 8 (direct-mapped on the low bits
 *  alone, a stack page and a data page 1 MiB * k apart evicted each other on every access: kvm-unit-tests'
 *  vmexit loop spent a third of its time in page walks). Stays a bijection on any 256 consecutive pages. */
export function tlbIndex(pg: number): number { return (pg ^ (pg >>> 8)) & (TLB_SIZE - 1); }

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
function opTooLong(c: Cpu): void { c.raise(A.VEC_GP, 0); } // SDM Vol. 2 2.3.11: more than 15 bytes -> #GP(0)

export abstract class CpuMemoryAccess extends CpuCore {

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
    const idx = tlbIndex(pg);
    this.tlbTag[idx] = NaN;
    for (let k = 0; k < TLB_SIZE; k++) {
      const t = this.tlbTag[k]!;
      if (Math.floor(t / 262144) === Math.floor(pg / 262144)) this.tlbTag[k] = NaN;
    }
    this.fLin0 = NaN;
  }
  updateCplMasks(): void {
    const user = this.cpl === 3;
    this.needR = user ? P_RU : P_RS;
    this.needX = user ? P_XU : P_XS;
    this.updateWriteMask();
    this.fLin0 = NaN;
  }
  /** The write right an access needs at this CPL under CR0.WP (state.ts P_WS_WP0). A change of WP alone
   *  needs only this: the fetch page and the read and execute rights stay valid. */
  updateWriteMask(): void {
    this.needW = (this.cpl === 3 ? P_WU : (this.cr0 & A.CR0_WP) !== 0 ? P_WS : P_WS_WP0) | P_D;
  }
  pagingOn(): boolean { return (this.cr0 & A.CR0_PG) !== 0; }

  /** Translate for access kind acc; returns the physical address (may be >= memSize). Faults raise #PF. */
  xl(la: number, acc: number): number {
    const pg = Math.floor(la / 4096);
    const idx = tlbIndex(pg);
    if (this.tlbTag[idx] === pg) {
      const need = acc === ACC_R ? this.needR : acc === ACC_W ? this.needW : this.needX;
      const perm = this.tlbPerm[idx]!;
      if ((perm & need) === need) return this.tlbPhys[idx]! + (la & 0xfff);
      // SMAP's override (SDM Vol. 3 4.6.1): an explicit data access at CPL < 3 with EFLAGS.AC = 1 may use a
      // user-mode page. Tested only once the common rights failed, so AC needs no tracking.
      if (acc !== ACC_X && this.cpl !== 3 && (this.fl & A.RFLAGS_AC) !== 0 && !this.implicitAccess) {
        const needAc = acc === ACC_R ? P_RS_AC : ((this.cr0 & A.CR0_WP) !== 0 ? P_WS_AC : P_WS_WP0_AC) | P_D;
        if ((perm & needAc) === needAc) return this.tlbPhys[idx]! + (la & 0xfff);
      }
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
      return this.mapFrame(pg, p, P_ALL) + off;
    }
    // Outside IA-32e mode: 32-bit or PAE paging (paging32.ts); LMA implies 4-level paging below.
    if (!(this.efer & A.EFER_LMA)) {
      const c = this as unknown as Cpu;
      return (this.cr4 & A.CR4_PAE) ? P.walkPae(c, la, acc, user, probe) : P.walkLegacy(c, la, acc, user, probe);
    }
    const hi = Math.floor(la / TWO32) | 0;
    const lo = la >>> 0;
    const nxe = (this.efer & A.EFER_NXE) !== 0;
    let table = this.cr3 - (this.cr3 % 4096);
    let u = true, w = true, x = true;
    const idx = [(hi >>> 7) & 0x1ff, ((hi & 0x7f) << 2) | (lo >>> 30), (lo >>> 21) & 0x1ff, (lo >>> 12) & 0x1ff];
    let frame = 0, pageSize = 4096, pkey = 0;
    const entries: number[] = [];
    for (let level = 0; level < 4; level++) {
      const ea = this.mem.ramOffset(table + idx[level]! * 8);
      // An entry outside RAM reads as all ones: P=1 with bits above MAXPHYADDR set, reserved (SDM 4.5).
      if (ea < 0) return probe ? -1 : this.pageFault(la, acc, user, A.PFEC_RSVD | A.PFEC_P);
      const elo = this.dv.getInt32(ea, true), ehi = this.dv.getInt32(ea + 4, true);
      if (!(elo & A.PTE_P)) return probe ? -1 : this.pageFault(la, acc, user, 0);
      if ((ehi & A.PTE_HI_XD) && !nxe) return probe ? -1 : this.pageFault(la, acc, user, A.PFEC_RSVD | A.PFEC_P);
      // Bits above MAXPHYADDR in any present entry, and the low address bits a large page leaves reserved.
      if ((ehi & A.PTE_HI_RSVD_MAXPHYADDR) || ((elo & A.PTE_PS) && (level === 1 ? elo & A.PDPTE_1G_RSVD : level === 2 ? elo & A.PDE_2M_RSVD : 0)))
        return probe ? -1 : this.pageFault(la, acc, user, A.PFEC_RSVD | A.PFEC_P);
      if (!(elo & A.PTE_US)) u = false;
      if (!(elo & A.PTE_RW)) w = false;
      if (ehi & A.PTE_HI_XD) x = false;
      entries.push(ea);
      const addr = (ehi & 0xfffff) * TWO32 + ((elo & 0xfffff000) >>> 0);
      pkey = (ehi >>> A.PTE_HI_PKEY_SHIFT) & A.PTE_HI_PKEY_MASK; // the leaf's is the one used
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
    return this.finishWalk(la, acc, user, probe, u, w, x, frame, entries, pkey);
  }

  /** The part of every paging mode's walk after the last entry: permission checks (SDM Vol. 3 4.6),
   *  accessed/dirty bits (4.8) and the TLB fill. `entries` are the physical addresses of the entries
   *  used, leaf last; A and D sit in the low dword of 4- and 8-byte entries alike. `pkey`: the leaf's
   *  protection key with 4-level paging, -1 in the paging modes that have none (SDM 4.6.2). A probe (the
   *  debugger's view) checks nothing: only a missing translation fails it, as QEMU's gdbstub reads. */
  finishWalk(la: number, acc: number, user: boolean, probe: boolean, u: boolean, w: boolean, x: boolean,
    frame: number, entries: number[], pkey = -1): number {
    const off = la & 0xfff;
    const pg = Math.floor(la / 4096);
    if (probe) return frame + off;
    const wp = (this.cr0 & A.CR0_WP) !== 0;
    const cr4 = this.cr4;
    // SMEP / SMAP (SDM 4.6.1): supervisor fetches from, and supervisor data accesses to, user-mode pages.
    const smep = u && (cr4 & A.CR4_SMEP) !== 0;
    const smap = u && (cr4 & A.CR4_SMAP) !== 0;
    // Protection keys (SDM 4.6.2): PKRU rules data accesses to user-mode pages with CR4.PKE, IA32_PKRS those
    // to supervisor-mode pages with CR4.PKS, whatever the CPL; AD stops reads and writes, WD stops user
    // writes and supervisor writes with CR0.WP = 1 (KVM update_pkru_bitmask / permission_fault, Linux v6.x).
    let pkr = 0;
    if (pkey >= 0) {
      if (u) { if (cr4 & A.CR4_PKE) pkr = (this.pkru >>> (2 * pkey)) & 3; }
      else if (cr4 & A.CR4_PKS) pkr = (this.pkrs >>> (2 * pkey)) & 3;
    }
    const pkAd = (pkr & A.PKR_AD) !== 0, pkWd = (pkr & A.PKR_WD) !== 0;
    let ok = true, pk = false;
    if (acc === ACC_X) ok = user ? u && x : x && !smep;
    else {
      if (user && !u) ok = false;
      else if (acc === ACC_W && !w && (user || wp)) ok = false;
      // SMAP: EFLAGS.AC = 1 lifts it for explicit accesses at CPL < 3, never for implicit ones (KVM
      // permission_fault's not_smap).
      else if (!user && smap && !((this.fl & A.RFLAGS_AC) !== 0 && !this.implicitAccess && this.cpl !== 3)) ok = false;
      pk = pkAd || (pkWd && acc === ACC_W && (user || wp));
    }
    // PFEC.PK reports the key's veto even when the page's own rights also refuse (SDM 4.7, KVM
    // permission_fault ORs it in independently).
    if (!ok || pk) this.pageFault(la, acc, user, A.PFEC_P | (pk ? A.PFEC_PK : 0));
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
    // Supervisor writes under either CR0.WP (state.ts P_WS_WP0): with WP=1 the page's R/W and the key's WD
    // refuse them, with WP=0 neither does.
    let perm = 0;
    if (u && !pkAd) perm |= P_RU;
    if (!pkAd) perm |= P_RS_AC;
    if (!pkAd && !smap) perm |= P_RS;
    if (w && !pkAd && !pkWd) perm |= smap ? P_WS_AC : P_WS_AC | P_WS;
    if (!pkAd) perm |= smap ? P_WS_WP0_AC : P_WS_WP0_AC | P_WS_WP0;
    if (u && w && !pkAd && !pkWd) perm |= P_WU;
    if (x && !smep) perm |= P_XS;
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
    const idx = tlbIndex(pg);
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
    // I/D: a fetch, reported when SMEP or execute-disable (NXE with PAE or 4-level paging) is on (SDM 4.7).
    if (acc === ACC_X && ((this.efer & A.EFER_NXE) || (this.cr4 & A.CR4_SMEP))) err |= A.PFEC_ID;
    this.excCr2 = la;
    this.raise(A.VEC_PF, err);
  }

  // =====================================================================================
  // Linear memory access (data). Slow path: page-crossing / outside RAM / debug armed.
  // =====================================================================================
  rd8(la: number): number {
    if (la < this.dbHi && la + 1 > this.dbLo) D.dataAccess(this as unknown as Cpu, la, 1, false);
    const p = this.xl(la, ACC_R);
    return p < this.memSize ? this.u8[p]! : this.physReadSlow(p, 1);
  }
  rd16(la: number): number {
    if (la < this.dbHi && la + 2 > this.dbLo) D.dataAccess(this as unknown as Cpu, la, 2, false);
    if ((la & 0xfff) <= 0xffe) {
      const p = this.xl(la, ACC_R);
      if (p + 2 <= this.memSize) return this.dv.getUint16(p, true);
      return this.physReadSlow(p, 2);
    }
    return this.rdBytes(la, 2);
  }
  rd32(la: number): number {
    if (la < this.dbHi && la + 4 > this.dbLo) D.dataAccess(this as unknown as Cpu, la, 4, false);
    if ((la & 0xfff) <= 0xffc) {
      const p = this.xl(la, ACC_R);
      if (p + 4 <= this.memSize) return this.dv.getInt32(p, true);
      return this.physReadSlow(p, 4) | 0;
    }
    return this.rdBytes(la, 4) | 0;
  }
  /** 64-bit read: returns the low dword, high dword in th. */
  rd64(la: number): number {
    if (la < this.dbHi && la + 8 > this.dbLo) D.dataAccess(this as unknown as Cpu, la, 8, false);
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
  protected rdBytes(la: number, n: number): number {
    // Translate both pages first so a fault on the second page leaves nothing half-read.
    let v = 0;
    for (let k = 0; k < n; k++) {
      const p = this.xl(la + k, ACC_R);
      v += (p < this.memSize ? this.u8[p]! : this.physReadSlow(p, 1)) * 2 ** (8 * k);
    }
    return v;
  }
  wr8(la: number, v: number): void {
    if (la < this.dbHi && la + 1 > this.dbLo) D.dataAccess(this as unknown as Cpu, la, 1, true);
    const p = this.xl(la, ACC_W);
    if (p < this.memSize) {
      this.u8[p] = v;
      if (this.mem.codePages[p >>> 12]) this.invalidateCodePage(p >>> 12);
    } else this.physWriteSlow(p, 1, v & 0xff);
  }
  wr16(la: number, v: number): void {
    if (la < this.dbHi && la + 2 > this.dbLo) D.dataAccess(this as unknown as Cpu, la, 2, true);
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
    if (la < this.dbHi && la + 4 > this.dbLo) D.dataAccess(this as unknown as Cpu, la, 4, true);
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
    if (la < this.dbHi && la + 8 > this.dbLo) D.dataAccess(this as unknown as Cpu, la, 8, true);
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
  protected wrBytes(la: number, n: number, lo: number, hi: number): void {
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
  protected unbackedLogged = 0;
  protected unbacked(dir: 'read' | 'write', phys: number): void {
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
    this.implicitAccess = true;
    try {
      const p = this.walkOrTlb(la);
      let v = 0;
      if ((la & 0xfff) <= 0xffc && p + 4 <= this.memSize) v = this.dv.getInt32(p, true);
      else for (let k = 0; k < 4; k++) { const q = this.walkOrTlb(la + k); v |= (q < this.memSize ? this.u8[q]! : 0xff) << (8 * k); }
      return v;
    } finally {
      this.implicitAccess = false;
      if (save === 3) { this.cpl = 3; this.updateCplMasks(); }
    }
  }
  sysWr32(la: number, v: number): void {
    const save = this.cpl;
    if (save === 3) { this.cpl = 0; this.updateCplMasks(); }
    this.implicitAccess = true;
    try {
      for (let k = 0; k < 4; k++) {
        const q = this.xl(la + k, ACC_W);
        if (q < this.memSize) {
          this.u8[q] = (v >>> (8 * k)) & 0xff;
          if (this.mem.codePages[q >>> 12]) this.invalidateCodePage(q >>> 12);
        }
      }
    } finally {
      this.implicitAccess = false;
      if (save === 3) { this.cpl = 3; this.updateCplMasks(); }
    }
  }
  protected walkOrTlb(la: number): number { return this.xl(la, ACC_R); }

  // =====================================================================================
  // Instruction fetch / decode cache
  // =====================================================================================
  invalidateCodePage(ppn: number): void {
    for (let k = 0; k < 3; k++) this.codeByMode[k]!.delete(ppn);
    this.mem.codePages[ppn] = 0;
    if (Math.floor(this.fPhys0 / 4096) === ppn) this.fLin0 = NaN;
  }
  protected readonly src: ByteSource = { buf: this.ibuf, avail: 0, extend: (): void => { this.fetchExtend(); } };

  /** Switch the decode mode and the decoded-instruction cache that belongs to it (mode.ts). */
  setDecodeMode(dm: DecodeMode): void {
    this.decodeMode = dm;
    this.code = this.codeByMode[dm === MODE_LONG64 ? 0 : dm === MODE_DEF32 ? 1 : 2]!;
    this.fLin0 = NaN;
  }

  protected fetchLa = 0;
  protected fetchPhys = 0;
  protected fetchExtend(): void {
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
  protected fetchDecode(rip: number): Insn {
    // RIP is the offset in CS; the fetch is from CS.base + EIP outside 64-bit mode (SDM Vol. 3 3.4.2).
    // fLin0 is kept in RIP terms, so the inline fetch of the run loop needs no base addition.
    const la = this.csBase === 0 ? rip : (rip + this.csBase) >>> 0;
    // A new code page: the breakpoint checks are on exactly while it holds an armed breakpoint. The run
    // loop sees a bit that turns on here before it executes the instruction (D.before must run first).
    if (this.execBpPages !== 0 || this.extBps.length !== 0) {
      const bits = this.breakpointPageBits(rip);
      this.slow = (this.slow & ~(SL_EXEC_BP | SL_EXTBP)) | bits;
    }
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
    } else if (r === DEC_OK && !this.reference) {
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
}
