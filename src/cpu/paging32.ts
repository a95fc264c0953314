// Paging outside IA-32e mode (SDM Vol. 3 4.3 "32-bit paging" and 4.4 "PAE paging"). The 4-level walk
// of IA-32e mode stays in Cpu.walk; both share Cpu.finishWalk (permissions, A/D bits, TLB fill), so the
// TLB and the permission cache work the same in every paging mode.

import type { Cpu } from './cpu.js';
import { ACC_X } from './state.js';
import { TWO32 } from './canonical.js';
import * as A from './arch.js';

/** 32-bit paging, PDE with PS=1 (CR4.PSE): a 4-MByte page; bits 20:13 hold physical address bits 39:32
 *  (PSE-36, SDM 4.3 Table 4-4), bit 21 is reserved with a 40-bit MAXPHYADDR. */
const PDE4M_ADDR_HI_SHIFT = 13;
const PDE4M_ADDR_HI_MASK = 0xff;
const PDE4M_RSVD = 1 << 21;
/** PAE PDPTE bits that must be 0 when P=1 (SDM 4.4.1: bits 2:1 and 8:5; above MAXPHYADDR in the high dword). */
const PDPTE_RSVD_LO = 0x1e6;
const PDPTE_RSVD_HI = ~0xff; // MAXPHYADDR = 40 (CPUID 0x80000008)
/** CR3 with PAE paging: bits 31:5 locate the PDPT (SDM 4.4.1). */
const CR3_PAE_PDPT_MASK = 0xffffffe0;

/** The four PDPTE registers (SDM 4.4.1): loaded by MOV CR3 in PAE mode and by the MOV CR0/CR4 that
 *  enables PAE paging, not re-read by the walk. Kept per CPU in Cpu.pdpte (lo, hi pairs). */
function pdptBase(c: Cpu): number { return (c.cr3 >>> 0) & CR3_PAE_PDPT_MASK; }

/** A 4-byte paging-structure entry at physical address pa: outside RAM it reads all ones (PC open bus). */
function entry32(c: Cpu, ea: number): number {
  return ea < 0 ? -1 : c.dv.getInt32(ea, true);
}

function readPdpte(c: Cpu, k: number): [number, number] {
  const a = c.mem.ramOffset(pdptBase(c) + k * 8);
  // Outside RAM the PDPTEs read all ones: present with reserved bits set, so MOV CR3 takes #GP(0).
  if (a < 0) return [-1, -1];
  return [c.dv.getInt32(a, true), c.dv.getInt32(a + 4, true)];
}

/** True when PAE paging is in use outside IA-32e mode (the PDPTE registers matter). */
export function paeLegacyActive(c: Cpu): boolean {
  return (c.cr0 & A.CR0_PG) !== 0 && (c.cr4 & A.CR4_PAE) !== 0 && (c.efer & A.EFER_LMA) === 0;
}

/** Load the PDPTE registers with the architectural checks: a present PDPTE with reserved bits set makes
 *  the MOV to CR0/CR3/CR4 fault with #GP(0) and change nothing (SDM 4.4.1). */
export function loadPdptes(c: Cpu): void {
  const lo = [0, 0, 0, 0], hi = [0, 0, 0, 0];
  for (let k = 0; k < 4; k++) {
    const [l, h] = readPdpte(c, k);
    if ((l & A.PTE_P) && ((l & PDPTE_RSVD_LO) || (h & PDPTE_RSVD_HI))) c.raiseGP0();
    lo[k] = l; hi[k] = h;
  }
  for (let k = 0; k < 4; k++) { c.pdpteLo[k] = lo[k]!; c.pdpteHi[k] = hi[k]!; }
}

/** setState(): load the PDPTE registers from memory without faulting (a loader hands us the state). */
export function reloadPdptesNoFault(c: Cpu): void {
  if (!paeLegacyActive(c)) return;
  for (let k = 0; k < 4; k++) { const [l, h] = readPdpte(c, k); c.pdpteLo[k] = l; c.pdpteHi[k] = h; }
}

/** 32-bit paging: 4-KByte pages through a page directory and a page table, 4-MByte pages with CR4.PSE. */
export function walkLegacy(c: Cpu, la: number, acc: number, user: boolean, probe: boolean): number {
  const lin = la >>> 0;
  const pdeAddr = c.mem.ramOffset(((c.cr3 >>> 0) & 0xfffff000) + (lin >>> 22) * 4);
  const pde = entry32(c, pdeAddr);
  if (!(pde & A.PTE_P)) return probe ? -1 : c.pageFault(la, acc, user, 0);
  let u = (pde & A.PTE_US) !== 0, w = (pde & A.PTE_RW) !== 0;
  if ((pde & A.PTE_PS) && (c.cr4 & A.CR4_PSE)) {
    if (pde & PDE4M_RSVD) return probe ? -1 : c.pageFault(la, acc, user, A.PFEC_RSVD | A.PFEC_P);
    const frame = ((pde >>> PDE4M_ADDR_HI_SHIFT) & PDE4M_ADDR_HI_MASK) * TWO32 + ((pde & 0xffc00000) >>> 0) + (lin & 0x3ff000);
    return c.finishWalk(la, acc, user, probe, u, w, true, frame, [pdeAddr]);
  }
  const pteAddr = c.mem.ramOffset(((pde & 0xfffff000) >>> 0) + ((lin >>> 12) & 0x3ff) * 4);
  const pte = entry32(c, pteAddr);
  if (!(pte & A.PTE_P)) return probe ? -1 : c.pageFault(la, acc, user, 0);
  if (!(pte & A.PTE_US)) u = false;
  if (!(pte & A.PTE_RW)) w = false;
  // 32-bit paging has no execute-disable: every readable page is executable (SDM 4.6).
  return c.finishWalk(la, acc, user, probe, u, w, true, (pte & 0xfffff000) >>> 0, [pdeAddr, pteAddr]);
}

/** PAE paging: PDPTE register -> page directory (2-MByte pages with PS) -> page table; XD with EFER.NXE. */
export function walkPae(c: Cpu, la: number, acc: number, user: boolean, probe: boolean): number {
  const lin = la >>> 0;
  const k = lin >>> 30;
  const nxe = (c.efer & A.EFER_NXE) !== 0;
  const pl = c.pdpteLo[k]!, ph = c.pdpteHi[k]!;
  if (!(pl & A.PTE_P)) return probe ? -1 : c.pageFault(la, acc, user, 0);
  const pdAddr = (ph & 0xff) * TWO32 + ((pl & 0xfffff000) >>> 0);
  const pdeAddr = c.mem.ramOffset(pdAddr + ((lin >>> 21) & 0x1ff) * 8);
  // An 8-byte entry outside RAM reads all ones: present, with bits above MAXPHYADDR set (reserved).
  if (pdeAddr < 0) return probe ? -1 : c.pageFault(la, acc, user, A.PFEC_RSVD | A.PFEC_P);
  const dl = c.dv.getInt32(pdeAddr, true), dh = c.dv.getInt32(pdeAddr + 4, true);
  if (!(dl & A.PTE_P)) return probe ? -1 : c.pageFault(la, acc, user, 0);
  // XD set while EFER.NXE=0 is a reserved bit (SDM 4.4.2).
  if ((dh & A.PTE_HI_XD) && !nxe) return probe ? -1 : c.pageFault(la, acc, user, A.PFEC_RSVD | A.PFEC_P);
  // Bits 62:MAXPHYADDR, and bits 20:13 of a 2-MByte PDE, are reserved (SDM 4.4.2, Tables 4-10..4-12).
  if ((dh & A.PTE_HI_RSVD_PAE) || ((dl & A.PTE_PS) && (dl & A.PDE_2M_RSVD))) return probe ? -1 : c.pageFault(la, acc, user, A.PFEC_RSVD | A.PFEC_P);
  let u = (dl & A.PTE_US) !== 0, w = (dl & A.PTE_RW) !== 0, x = (dh & A.PTE_HI_XD) === 0;
  if (dl & A.PTE_PS) {
    const frame = (dh & 0xff) * TWO32 + ((dl & 0xffe00000) >>> 0) + (lin & 0x1ff000);
    return c.finishWalk(la, acc, user, probe, u, w, x, frame, [pdeAddr]);
  }
  const pteAddr = c.mem.ramOffset((dh & 0xff) * TWO32 + ((dl & 0xfffff000) >>> 0) + ((lin >>> 12) & 0x1ff) * 8);
  if (pteAddr < 0) return probe ? -1 : c.pageFault(la, acc, user, A.PFEC_RSVD | A.PFEC_P);
  const tl = c.dv.getInt32(pteAddr, true), th = c.dv.getInt32(pteAddr + 4, true);
  if (!(tl & A.PTE_P)) return probe ? -1 : c.pageFault(la, acc, user, 0);
  if ((th & A.PTE_HI_XD) && !nxe) return probe ? -1 : c.pageFault(la, acc, user, A.PFEC_RSVD | A.PFEC_P);
  if (th & A.PTE_HI_RSVD_PAE) return probe ? -1 : c.pageFault(la, acc, user, A.PFEC_RSVD | A.PFEC_P);
  if (!(tl & A.PTE_US)) u = false;
  if (!(tl & A.PTE_RW)) w = false;
  if (th & A.PTE_HI_XD) x = false;
  void ACC_X;
  return c.finishWalk(la, acc, user, probe, u, w, x, (th & 0xff) * TWO32 + ((tl & 0xfffff000) >>> 0), [pdeAddr, pteAddr]);
}
