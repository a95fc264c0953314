// System instructions: control registers (with the IA-32e mode switch), descriptor tables, segment loads
// (segments.ts), far transfers and IRET outside IA-32e mode (far.ts), MSRs (the APIC's go to the interrupt
// controller), CPUID, software interrupts, IRETQ, HLT. (SDM Vol. 2 and Vol. 3 chapters 2-6.) The fast system
// calls are in fast-syscall.ts, LAR/LSL/VERR/VERW in descriptor-query.ts.

import type { Cpu } from './cpu.js';
import { SHADOW_MOVSS, SL_SHADOW, SL_TRAP, STOP } from './state.js';
import { TWO32, bigToLa, laToBig } from './canonical.js';
import type { Insn } from './decoder.js';
import * as A from './arch.js';
import { XCR0_SUPPORTED, XSAVE_AREA_SIZE, xgetbv, xsetbv } from './xsave.js';
import { loadSegment } from './segments.js';
import { attrsOf, baseOf, limitOf } from './descriptor.js';
import { updateMode } from './mode.js';
import * as P from './paging32.js';
import { iret8086, paragraphSegments, refuseDescriptorInsn8086 } from './mode8086.js';
import { farCall, farCallIndirect, farJump, farJumpIndirect, farReturn, iretProtected } from './far.js';
import { Imm, OpF, def, farOps } from './decoder.js';
import { sysenter, sysexit } from './fast-syscall.js';
import { larLsl, verify } from './descriptor-query.js';
import { rdpkru, stacClac, writePkrs, wrpkru } from './access-rights.js';

const HLT_STOP = Object.freeze({ kind: 'hlt' as const });

// ---------------------------------------------------------------------------------------------
// Opcode registration for the system instructions whose table entries ops.ts does not define
// ---------------------------------------------------------------------------------------------
let installed = false;
/** Far JMP/CALL (legacy modes, through decoder.farOps) and RETF (CB/CA, all modes). */
export function installSystemOps(): void {
  if (installed) return;
  installed = true;
  // The encodings (9A/EA ptr16:16/32 with imm = offset, imm2 = selector; FF /3 /5) are decoded by the legacy
  // table of ops-legacy.ts, which calls these semantics.
  farOps.jmpPtr = (c: Cpu, i: Insn) => farJump(c, i.imm2 & 0xffff, i.osz === 2 ? i.imm & 0xffff : i.imm >>> 0);
  farOps.callPtr = (c: Cpu, i: Insn) => farCall(c, i.imm2 & 0xffff, i.osz === 2 ? i.imm & 0xffff : i.imm >>> 0, i.osz);
  farOps.jmpMem = farJumpIndirect;
  farOps.callMem = farCallIndirect;
  def(0x102, OpF.M, Imm.None, (c: Cpu, i: Insn) => larLsl(c, i, false));
  def(0x103, OpF.M, Imm.None, (c: Cpu, i: Insn) => larLsl(c, i, true));
  def(0x134, 0, Imm.None, sysenter);
  def(0x135, 0, Imm.None, sysexit);
  def(0xca, 0, Imm.W, farReturn);
  def(0xcb, 0, Imm.None, farReturn);
}

// ---------------------------------------------------------------------------------------------
// HLT / INT n / INT3
// ---------------------------------------------------------------------------------------------
/** HLT completed: the CPU waits (Cpu.haltWait wakes it for an interrupt or the timer, else run() returns 'hlt'). */
export function requestHltStop(c: Cpu): void {
  c.haltedState = true;
  c.stopReason = HLT_STOP;
  c.slow |= SL_TRAP; // make the loop run the after-instruction path, which stops
}

/** INT n / INT3: delivered as part of the instruction; RIP pushed is the next instruction. */
export function softwareInterrupt(c: Cpu, i: Insn, vec: number, int3: boolean): void {
  void i;
  const cls = int3 ? 'trap' : 'software-interrupt';
  c.stopReason = null;
  const ok = c.deliverException(vec, -1, cls, c.nextRip, c.insnRip, undefined, true, 0);
  if (!ok || c.stopReason !== null) {
    // Intercepted (VM exit): nothing happened, RIP stays at the instruction. Triple fault: stop.
    throw STOP;
  }
}

// ---------------------------------------------------------------------------------------------
// IRET (SDM Vol. 2 IRET, IA-32e mode)
// ---------------------------------------------------------------------------------------------
export function iret(c: Cpu, i: Insn): void {
  iretBody(c, i);
  // A completed IRET ends NMI blocking (SDM Vol. 3 6.7.1; as QEMU's helper_iret_protected clears HF2_NMI_MASK
  // after the return: a faulting IRET leaves NMIs blocked).
  if (c.nmiBlocked) { c.nmiBlocked = false; if (c.nmiPending) c.recomputeSlow(); }
}

function iretBody(c: Cpu, i: Insn): void {
  if (paragraphSegments(c)) { iret8086(c, i); return; }
  if (!(c.efer & A.EFER_LMA)) { iretProtected(c, i); return; }
  // No task return in IA-32e mode: #GP(0) when the IRET runs with EFLAGS.NT=1 (SDM Vol. 2A IRET,
  // IA-32e-MODE; AMD APM Vol. 3 IRET; QEMU helper_iret_protected tests env->eflags). The NT bit of the
  // popped image is loaded like any other flag: Linux returns to user code that set NT this way
  // (tools/testing/selftests/x86/syscall_nt.c). Checked before the pops, as the pseudocode orders it.
  if (c.fl & A.RFLAGS_NT) c.raiseGP0();
  const sz = i.rexW ? 8 : i.p66 ? 2 : 4;
  let sp = c.rspLa();
  // Each pop yields its low 32 bits; a 64-bit pop leaves bits 63:32 in c.th. The halves stay apart: a
  // non-canonical RSP image (IRET checks only RIP, SDM Vol. 2A IRET) is not representable as a double.
  const rd = (): number => {
    const v = sz === 8 ? c.rd64(sp) : sz === 4 ? c.rd32(sp) : c.rd16(sp);
    if (sz !== 8) c.th = 0;
    sp += sz;
    return v;
  };
  const ripLo = rd(), ripHi = c.th;
  const cs = rd() & 0xffff;
  const flags = rd() >>> 0;
  const rspLo = rd(), rspHi = c.th;
  const ss = rd() & 0xffff;
  const rpl = cs & 3;
  if ((cs & 0xfffc) === 0) c.raiseGP0();
  if (rpl < c.cpl) c.raise(A.VEC_GP, cs & 0xfffc);
  c.readDescriptor(cs, 0);
  const cAttr = attrsOf(c.dHi);
  const cdpl = (cAttr >> A.ATTR_DPL_SHIFT) & 3;
  if (!(cAttr & A.ATTR_S) || !(cAttr & 8)) c.raise(A.VEC_GP, cs & 0xfffc);
  if ((cAttr & 4) ? cdpl > rpl : cdpl !== rpl) c.raise(A.VEC_GP, cs & 0xfffc);
  if (!(cAttr & A.ATTR_P)) c.raise(A.VEC_NP, cs & 0xfffc);
  if ((cAttr & A.ATTR_L) && (cAttr & A.ATTR_DB)) c.raise(A.VEC_GP, cs & 0xfffc);
  // CS.L=0 returns to compatibility mode: the segment base and limit apply there.
  const csLimit = limitOf(c.dLo, c.dHi);
  const csBase = (cAttr & A.ATTR_L) ? 0 : baseOf(c.dLo, c.dHi);
  // SS (always popped in 64-bit mode).
  let ssAttr = 0, ssLimit = 0, ssBase = 0;
  if ((ss & 0xfffc) === 0) {
    // Null SS is legal only when returning to CPL < 3 in 64-bit mode (not to compatibility mode).
    if (rpl === 3 || !(cAttr & A.ATTR_L)) c.raiseGP0();
  } else {
    if ((ss & 3) !== rpl) c.raise(A.VEC_GP, ss & 0xfffc);
    c.readDescriptor(ss, 0);
    ssAttr = attrsOf(c.dHi);
    ssLimit = limitOf(c.dLo, c.dHi);
    ssBase = baseOf(c.dLo, c.dHi);
    if (!(ssAttr & A.ATTR_S) || (ssAttr & 8) || !(ssAttr & 2) || ((ssAttr >> A.ATTR_DPL_SHIFT) & 3) !== rpl) c.raise(A.VEC_GP, ss & 0xfffc);
    if (!(ssAttr & A.ATTR_P)) c.raise(A.VEC_SS, ss & 0xfffc);
  }
  const target = sz === 8 ? c.hiloLa(ripLo, ripHi) : ripLo >>> 0;
  // RFLAGS: IOPL only at CPL 0, IF only when CPL <= IOPL (old CPL), VIF/VIP at CPL 0; VM ignored in 64-bit mode.
  const cur = c.getFlags();
  const oldCpl = c.cpl;
  const curIopl = (cur >> A.RFLAGS_IOPL_SHIFT) & 3;
  let m = A.RFLAGS_ARITH | A.RFLAGS_TF | A.RFLAGS_DF | A.RFLAGS_NT | A.RFLAGS_RF | A.RFLAGS_AC | A.RFLAGS_ID;
  if (oldCpl === 0) m |= A.RFLAGS_IOPL | A.RFLAGS_VIF | A.RFLAGS_VIP;
  if (oldCpl <= curIopl) m |= A.RFLAGS_IF;
  if (sz === 2) m &= 0xffff;
  const nf = (cur & ~m) | (flags & m);
  // Commit.
  c.segSel[1] = cs; c.segBase[1] = csBase; c.segLimit[1] = csLimit; c.segAttr[1] = cAttr;
  c.segSel[2] = ss; c.segBase[2] = ssBase; c.segLimit[2] = ssLimit; c.segAttr[2] = ssAttr;
  c.rl[4] = rspLo | 0; c.rh[4] = rspHi | 0;
  if (rpl !== oldCpl) {
    c.cpl = rpl; c.updateCplMasks();
    // Data segments with DPL < new CPL become null (SDM Vol. 2 IRET, RETURN-TO-OUTER-PRIVILEGE-LEVEL).
    for (const s of [0, 3, 4, 5]) {
      const at = c.segAttr[s]!;
      const conformingCode = (at & 8) && (at & 4);
      if (c.segSel[s]! & 0xfffc && !conformingCode && ((at >> A.ATTR_DPL_SHIFT) & 3) < rpl) {
        c.segSel[s] = 0; c.segAttr[s] = 0;
      }
    }
  }
  c.setFlagsAll(nf);
  if (nf & A.RFLAGS_RF) c.rfKeep = true; // RF loaded by IRET survives until the next instruction completes
  updateMode(c); // 64-bit or compatibility mode after the return
  c.fLin0 = NaN;
  // To compatibility mode the IRET checks and loads EIP, bits 31:0 of the image (SDM Vol. 2A IRET; Bochs
  // branch_far masks the same way): Linux's IRET to __USER32_CS after a SYSENTER from 64-bit code lands
  // at the low half of the 64-bit vDSO address (do_fast_syscall_32's int80_landing_pad).
  c.nextRip = (cAttr & A.ATTR_L) ? target : target >>> 0;
  c.dbBranch = true;
}

/** INVLPG in 64-bit mode: a non-canonical address is no fault, the instruction is a NOP (SDM Vol. 2A
 *  INVLPG, 64-bit mode exceptions: none for the address; kvm-unit-tests x86/emulator.c, pcid). The
 *  address is formed as Cpu.ea forms it, without its canonical check. */
function invlpg64(c: Cpu, i: Insn): void {
  if (c.cpl !== 0) c.raiseGP0();
  let lo = i.disp, hi = 0;
  if (i.base >= 0) { lo += c.rl[i.base]! >>> 0; hi += c.rh[i.base]!; }
  if (i.index >= 0) { const m = 2 ** i.scale; lo += (c.rl[i.index]! >>> 0) * m; hi += c.rh[i.index]! * m; }
  let la: number;
  if (i.asz === 4) la = lo >>> 0;
  else { const h = (hi + Math.floor(lo / TWO32)) | 0; la = h * TWO32 + (lo >>> 0); }
  if (i.seg >= 4) la += c.segBase[i.seg]!;
  const canonical = la < CANONICAL_LIMIT && la >= -CANONICAL_LIMIT;
  if (c.intercept('invlpg', i)) return;
  if (canonical) c.invlpg(la);
}
const CANONICAL_LIMIT = 2 ** 47;

// ---------------------------------------------------------------------------------------------
// MOV to/from control registers (SDM Vol. 2 MOV CRn; Vol. 3 2.5)
// ---------------------------------------------------------------------------------------------
export function movCr(c: Cpu, i: Insn): void {
  if (i.lock) c.raiseUD();
  const n = i.reg;
  if (n !== 0 && n !== 2 && n !== 3 && n !== 4 && n !== 8) c.raiseUD();
  if (c.cpl !== 0) c.raiseGP0();
  const toCr = (i.op & 0xff) === 0x22;
  const r = i.rm;
  if (!toCr) {
    let lo = 0, hi = 0;
    switch (n) {
      case 0: lo = c.cr0; break;
      case 2: lo = c.cr2 % TWO32 | 0; hi = Math.floor(c.cr2 / TWO32) | 0; break;
      case 3: lo = c.cr3 % TWO32 | 0; hi = Math.floor(c.cr3 / TWO32) | 0; break;
      case 4: lo = c.cr4; break;
      default: lo = c.readCr8(); break;
    }
    // Outside 64-bit mode the operand is 32 bits (SDM Vol. 2 MOV CRn).
    c.rl[r] = lo; c.rh[r] = c.long64 ? hi : 0;
    return;
  }
  const lo = c.rl[r]!, hi = c.long64 ? c.rh[r]! : 0;
  switch (n) {
    case 0: movToCr0(c, hi, lo); return;
    case 2: c.cr2 = c.long64 ? hi * TWO32 + (lo >>> 0) : lo >>> 0; return; // stored as written
    case 3: {
      if (hi & ~0xfffff) c.raiseGP0(); // reserved above MAXPHYADDR (52 bits here)
      const old = c.cr3;
      c.cr3 = (hi & 0xfffff) * TWO32 + (lo >>> 0);
      // PAE paging outside IA-32e mode: MOV CR3 loads the PDPTE registers (SDM 4.4.1); a reserved bit in a
      // present PDPTE is #GP(0) and the MOV has no effect.
      if (P.paeLegacyActive(c)) {
        try { P.loadPdptes(c); } catch (e) { c.cr3 = old; throw e; }
      }
      c.flushTlb();
      return;
    }
    case 4: movToCr4(c, hi, lo); return;
    default:
      if (hi !== 0 || (lo & ~15)) c.raiseGP0();
      c.writeCr8(lo & 15);
      return;
  }
}

/** MOV to CR0 (SDM Vol. 2 MOV CRn; Vol. 3 10.8.5 / 11.8.5 "Initializing IA-32e Mode"). */
function movToCr0(c: Cpu, hi: number, lo: number): void {
  if (hi !== 0) c.raiseGP0();
  const v = lo | A.CR0_ET; // ET is hardwired to 1
  if ((v & A.CR0_PG) && !(v & A.CR0_PE)) c.raiseGP0();
  if ((v & A.CR0_NW) && !(v & A.CR0_CD)) c.raiseGP0();
  const enablingPg = (v & A.CR0_PG) !== 0 && (c.cr0 & A.CR0_PG) === 0;
  const disablingPg = (v & A.CR0_PG) === 0 && (c.cr0 & A.CR0_PG) !== 0;
  let efer = c.efer;
  if (enablingPg && (efer & A.EFER_LME)) {
    // Activating IA-32e mode needs CR4.PAE, and is refused from a code segment with L=1.
    if (!(c.cr4 & A.CR4_PAE)) c.raiseGP0();
    if (c.segAttr[1]! & A.ATTR_L) c.raiseGP0();
    efer |= A.EFER_LMA;
  }
  if (disablingPg && (efer & A.EFER_LMA)) {
    // Leaving IA-32e mode is done from compatibility mode (SDM 10.8.5.4); in 64-bit mode it is #GP(0).
    if (c.long64) c.raiseGP0();
    efer &= ~A.EFER_LMA;
  }
  const old = c.cr0;
  const oldEfer = c.efer;
  c.cr0 = v; c.efer = efer;
  // Enabling PAE paging outside IA-32e mode loads the PDPTE registers (SDM 4.4.1).
  if (enablingPg && P.paeLegacyActive(c)) {
    try { P.loadPdptes(c); } catch (e) { c.cr0 = old; c.efer = oldEfer; throw e; }
  }
  if ((old ^ v) & (A.CR0_PG | A.CR0_PE)) c.flushTlb();
  // CR0.WP picks which supervisor write right the TLB's entries are checked against (state.ts P_WS_WP0).
  if ((old ^ v) & A.CR0_WP) c.updateWriteMask();
  if (efer !== oldEfer || ((old ^ v) & A.CR0_PE)) {
    c.log('debug', 'cpu-mode-change', { cr0: '0x' + (v >>> 0).toString(16), efer: '0x' + (efer >>> 0).toString(16) });
    updateMode(c);
  }
}

/** MOV to CR4 (SDM Vol. 2 MOV CRn; Vol. 3 2.5). */
/** CR4 bits whose feature CPUID does not advertise here: setting one is #GP(0) (SDM Vol. 3 2.5: "Setting a
 *  reserved bit or a bit for an unsupported feature" ... KVM __cr4_reserved_bits derives the same from
 *  guest CPUID). FSGSBASE needs CPUID.(7,0):EBX[0], VME and PVI CPUID.1:EDX.VME (the virtual-8086 mode
 *  extensions are not modelled: mode8086.ts); none is advertised. (UMIP is: SGDT/SIDT/SLDT/SMSW/STR check it;
 *  OSXSAVE is: CPUID offers XSAVE, xsave.ts.) */
const CR4_UNADVERTISED = A.CR4_FSGSBASE | A.CR4_VME | A.CR4_PVI;

function movToCr4(c: Cpu, hi: number, lo: number): void {
  if (hi !== 0 || (lo & ~A.CR4_SUPPORTED) || (lo & CR4_UNADVERTISED)) c.raiseGP0();
  if ((c.efer & A.EFER_LMA) && !(lo & A.CR4_PAE)) c.raiseGP0(); // PAE cannot be cleared in IA-32e mode
  const old = c.cr4;
  const changed = old ^ lo;
  c.cr4 = lo;
  // With PAE paging active, a change of PAE, PSE or PGE reloads the PDPTE registers (SDM 4.4.1).
  if ((changed & (A.CR4_PAE | A.CR4_PSE | A.CR4_PGE)) && P.paeLegacyActive(c)) {
    try { P.loadPdptes(c); } catch (e) { c.cr4 = old; throw e; }
  }
  if (changed & (A.CR4_PAE | A.CR4_PGE | A.CR4_PSE | A.CR4_SMEP | A.CR4_SMAP | A.CR4_PKE | A.CR4_PKS | A.CR4_PCIDE)) c.flushTlb();
  if (changed & A.CR4_DE) c.recomputeSlow();
}

// ---------------------------------------------------------------------------------------------
// Descriptor tables: 0F 00 (SLDT/STR/LLDT/LTR/VERR/VERW), 0F 01 (SGDT/SIDT/LGDT/LIDT/SMSW/LMSW/INVLPG/SWAPGS/RDTSCP)
// ---------------------------------------------------------------------------------------------
export function grp6(c: Cpu, i: Insn): void {
  refuseDescriptorInsn8086(c);
  const k = i.reg & 7;
  const la = i.mem ? c.ea(i) : 0;
  const store = (v: number): void => {
    if (i.mem) c.wr16(la, v); else c.setReg(i.rm, i.osz === 2 ? 2 : i.osz, i.rex, v, 0);
  };
  const loadSel = (): number => (i.mem ? c.rd16(la) : c.rl[i.rm]! & 0xffff);
  switch (k) {
    case 0: if ((c.cr4 & A.CR4_UMIP) && c.cpl > 0) c.raiseGP0(); store(c.ldtrSel); return;
    case 1: if ((c.cr4 & A.CR4_UMIP) && c.cpl > 0) c.raiseGP0(); store(c.trSel); return;
    case 2: { // LLDT
      if (c.cpl !== 0) c.raiseGP0();
      const sel = loadSel();
      if ((sel & 0xfffc) === 0) { c.ldtrSel = sel; c.ldtrAttr = 0; c.ldtrBase = 0; c.ldtrLimit = 0; return; }
      if (sel & 4) c.raise(A.VEC_GP, sel & 0xfffc);
      c.readDescriptor(sel, 0);
      const at = attrsOf(c.dHi);
      if ((at & A.ATTR_S) || (at & 0xf) !== A.SYS_LDT) c.raise(A.VEC_GP, sel & 0xfffc);
      if (!(at & A.ATTR_P)) c.raise(A.VEC_NP, sel & 0xfffc);
      const hiBase = systemDescriptorHighBase(c, sel);
      c.ldtrSel = sel; c.ldtrAttr = at; c.ldtrLimit = limitOf(c.dLo, c.dHi);
      c.ldtrBase = hiBase * TWO32 + baseOf(c.dLo, c.dHi);
      return;
    }
    case 3: { // LTR
      if (c.cpl !== 0) c.raiseGP0();
      const sel = loadSel();
      if ((sel & 0xfffc) === 0) c.raiseGP0();
      if (sel & 4) c.raise(A.VEC_GP, sel & 0xfffc);
      c.readDescriptor(sel, 0);
      const at = attrsOf(c.dHi);
      if ((at & A.ATTR_S) || (at & 0xf) !== A.SYS_TSS64_AVAIL) c.raise(A.VEC_GP, sel & 0xfffc);
      if (!(at & A.ATTR_P)) c.raise(A.VEC_NP, sel & 0xfffc);
      const hiBase = systemDescriptorHighBase(c, sel);
      c.trSel = sel; c.trAttr = (at & ~0xf) | A.SYS_TSS64_BUSY; c.trLimit = limitOf(c.dLo, c.dHi);
      c.trBase = hiBase * TWO32 + baseOf(c.dLo, c.dHi);
      c.sysWr32(c.gdtrBase + (sel & 0xfff8) + 4, c.dHi | (2 << 8)); // mark busy
      return;
    }
    case 4: case 5: verify(c, loadSel(), k === 5); return; // VERR / VERW
    default: c.raiseUD();
  }
}

export function grp7(c: Cpu, i: Insn): void {
  const k = i.reg & 7;
  if (!i.mem) {
    const modrm = 0xc0 | ((i.reg & 7) << 3) | (i.rm & 7);
    if (modrm === 0xc1 || modrm === 0xd9) {
      // VMCALL (0F 01 C1) / VMMCALL (0F 01 D9): #UD outside VMX non-root operation / without an SVM intercept
      // (SDM Vol. 2C VMCALL, APM Vol. 3 VMMCALL); in kvm mode the KVM model takes them as hypercalls.
      if (c.intercept(modrm === 0xc1 ? 'vmcall' : 'vmmcall', i)) return;
      c.raiseUD();
    }
    if (modrm === 0xca || modrm === 0xcb) { stacClac(c, i, modrm === 0xcb); return; } // CLAC / STAC
    if (modrm === 0xee) { rdpkru(c, i); return; }
    if (modrm === 0xef) { wrpkru(c, i); return; }
    if (modrm === 0xf8) { // SWAPGS
      if (c.cpl !== 0) c.raiseGP0();
      const t = c.segBase[5]!; c.segBase[5] = c.kernelGsBase; c.kernelGsBase = t;
      return;
    }
    if (modrm === 0xf9) { // RDTSCP
      if ((c.cr4 & A.CR4_TSD) && c.cpl !== 0) c.raiseGP0();
      const t = tsc(c);
      c.rl[0] = t % TWO32 | 0; c.rh[0] = 0; c.rl[2] = Math.floor(t / TWO32) | 0; c.rh[2] = 0;
      c.rl[1] = c.tscAux; c.rh[1] = 0;
      return;
    }
    if (modrm === 0xd0) { xgetbv(c); return; } // xsave.ts
    if (modrm === 0xd1) { xsetbv(c, i); return; }
    if (k === 4) { // SMSW r: UMIP applies to the register form too (SDM Vol. 2B SMSW)
      if ((c.cr4 & A.CR4_UMIP) && c.cpl > 0) c.raiseGP0();
      // A 32/64-bit destination receives all of CR0: the SDM leaves bits 31:16 undefined, silicon, QEMU
      // (gen_op_ld_v of cr[0]) and KVM's emulator (em_smsw) store CR0 (kvm-unit-tests realmode "smsw").
      c.setReg(i.rm, i.osz, i.rex, i.osz === 2 ? c.cr0 & 0xffff : c.cr0, 0);
      return;
    }
    if (k === 6) { lmsw(c, c.rl[i.rm]! & 0xffff); return; }
    c.raiseUD();
  }
  if (k === 7 && c.long64 && !i.ripRel) { invlpg64(c, i); return; }
  const la = c.ea(i);
  switch (k) {
    case 0: case 1: { // SGDT / SIDT: 10 bytes in 64-bit mode, 6 bytes (limit, 32-bit base) otherwise
      if ((c.cr4 & A.CR4_UMIP) && c.cpl > 0) c.raiseGP0();
      const base = k === 0 ? c.gdtrBase : c.idtrBase, lim = k === 0 ? c.gdtrLimit : c.idtrLimit;
      if (!c.long64) {
        c.probeWrite(la, 6);
        c.wr16(la, lim);
        c.wr32(la + 2, base | 0);
        return;
      }
      c.probeWrite(la, 10);
      c.wr16(la, lim);
      c.wr64(la + 2, base % TWO32 | 0, Math.floor(base / TWO32) | 0);
      return;
    }
    case 2: case 3: { // LGDT / LIDT
      if (c.cpl !== 0) c.raiseGP0();
      const lim = c.rd16(la);
      let base: number;
      if (!c.long64) {
        // 6-byte operand; with a 16-bit operand size only 24 bits of the base are used (SDM Vol. 2 LGDT).
        const b = c.rd32(la + 2) >>> 0;
        base = i.osz === 2 ? b & 0xffffff : b;
      } else {
        const lo = c.rd64(la + 2), hi = c.th;
        base = c.hiloLa(lo, hi);
      }
      if (k === 2) { c.gdtrBase = base; c.gdtrLimit = lim; } else { c.idtrBase = base; c.idtrLimit = lim; }
      return;
    }
    case 4: if ((c.cr4 & A.CR4_UMIP) && c.cpl > 0) c.raiseGP0(); c.wr16(la, c.cr0 & 0xffff); return;
    case 6: lmsw(c, c.rd16(la)); return;
    case 7: // INVLPG
      if (c.cpl !== 0) c.raiseGP0();
      if (c.intercept('invlpg', i)) return;
      c.invlpg(la);
      return;
    default: c.raiseUD();
  }
}
/** Bits 63:32 of a system descriptor's base: IA-32e mode uses 16-byte LDT/TSS descriptors (SDM Vol. 3
 *  7.2.3), legacy protected mode 8-byte ones. */
/** Bits 63:32 of a 16-byte system descriptor's base in IA-32e mode. A base that is not canonical makes
 *  LLDT/LTR fault with #GP(selector) (SDM Vol. 2A LLDT, LTR: 64-bit mode exceptions; kvm-unit-tests la57). */
function systemDescriptorHighBase(c: Cpu, sel: number): number {
  if (!(c.efer & A.EFER_LMA)) return 0;
  const hi = c.sysRd32(c.gdtrBase + (sel & 0xfff8) + 8);
  if (((hi << 16) >> 16) !== hi) c.raise(A.VEC_GP, sel & 0xfffc);
  return hi;
}

function lmsw(c: Cpu, v: number): void {
  if (c.cpl !== 0) c.raiseGP0();
  // LMSW changes PE/MP/EM/TS only and cannot clear PE.
  c.cr0 = (c.cr0 & ~0xe) | (v & 0xf) | (c.cr0 & 1);
}

// ---------------------------------------------------------------------------------------------
// Segment register loads (SDM Vol. 2 MOV Sreg / POP Sreg; Vol. 3 5.x). 64-bit mode: base/limit
// ignored for DS/ES/SS; FS/GS base from the descriptor (low 32 bits).
// ---------------------------------------------------------------------------------------------

/** MOV SS / POP SS start the MOV-SS shadow (SDM Vol. 3 6.8.3): interrupts and #DB are held for one instruction. */
function movSsShadow(c: Cpu): void {
  c.shadowNew = SHADOW_MOVSS;
  c.slow |= SL_SHADOW;
}

export function movToSreg(c: Cpu, i: Insn): void {
  if (i.lock) c.raiseUD();
  const s = i.reg & 7;
  if (s > 5 || s === 1) c.raiseUD();
  const sel = i.mem ? c.rd16(c.ea(i)) : c.rl[i.rm]! & 0xffff;
  loadSegment(c, s, sel);
  if (s === 2) movSsShadow(c);
}

export function popSreg(c: Cpu, i: Insn, s: number): void {
  const sz = i.osz === 2 ? 2 : 8;
  const la = c.rspLa();
  const sel = c.rd16(la);
  loadSegment(c, s, sel);
  c.addRsp(sz);
  if (s === 2) movSsShadow(c);
}

// ---------------------------------------------------------------------------------------------
// MSRs
// ---------------------------------------------------------------------------------------------
/** IA32_APIC_BASE, the x2APIC register MSRs and IA32_TSC_DEADLINE belong to the local APIC (SDM Vol. 3 11.4.4,
 *  11.12.1, 11.5.4.1); the last exists only when the APIC has the TSC-deadline mode. */
export const MSR_X2APIC_FIRST = 0x800, MSR_X2APIC_LAST = 0x8ff;
function apicMsr(c: Cpu, idx: number): boolean {
  const apic = c.interrupts;
  if (apic === undefined) return false;
  return idx === A.MSR_IA32_APIC_BASE || (idx >= MSR_X2APIC_FIRST && idx <= MSR_X2APIC_LAST) || (idx === A.MSR_IA32_TSC_DEADLINE && apic.tscDeadline === true);
}

/** The TSC counts the virtual clock (one per retired instruction, plus the ticks HLT skips), so a TSC deadline
 *  or a TSC read after a halted wait sees the time that passed, as an invariant TSC does (SDM Vol. 3 18.17.1). */
export function tsc(c: Cpu): number { return c.clock + c.tscOffset; }

export function readMsr(c: Cpu, idx: number): bigint | undefined {
  if (apicMsr(c, idx)) return c.interrupts!.readMsr(idx);
  switch (idx) {
    case A.MSR_IA32_EFER: return BigInt(c.efer >>> 0);
    case A.MSR_IA32_STAR: return c.star;
    case A.MSR_IA32_LSTAR: return c.lstar;
    case A.MSR_IA32_CSTAR: return c.cstar;
    case A.MSR_IA32_FMASK: return BigInt(c.sfmask >>> 0);
    case A.MSR_IA32_FS_BASE: return laToBig(c.segBase[4]!);
    case A.MSR_IA32_GS_BASE: return laToBig(c.segBase[5]!);
    case A.MSR_IA32_KERNEL_GS_BASE: return laToBig(c.kernelGsBase);
    case A.MSR_IA32_DEBUGCTL: return BigInt(c.debugctl >>> 0);
    case A.MSR_IA32_TSC: return BigInt(Math.floor(tsc(c)));
    case A.MSR_IA32_TSC_ADJUST: return BigInt.asUintN(64, BigInt(c.tscAdjust));
    case A.MSR_IA32_TSC_AUX: return BigInt(c.tscAux >>> 0);
    case A.MSR_IA32_PKRS: return BigInt(c.pkrs >>> 0);
    case A.MSR_IA32_PAT: return c.pat;
    case A.MSR_IA32_APIC_BASE: return c.apicBase;
    case A.MSR_IA32_SYSENTER_CS: return c.sysenterCs;
    case A.MSR_IA32_SYSENTER_ESP: return c.sysenterEsp;
    case A.MSR_IA32_SYSENTER_EIP: return c.sysenterEip;
    default: return c.modelMsrs.read(c.vendor, idx);
  }
}

/** Debugctl bits this model accepts (docs/semantics.md §1.3): LBR, BTF, BUS_LOCK_DETECT (if enumerated), and on
 *  Intel TR/BTS/BTINT/FREEZE_* which are stored without effect. On AMD bits 6:3 are reserved-MBZ. */
function debugctlValid(c: Cpu, v: bigint, external: boolean): boolean {
  if (v >> 32n) return false;
  const n = Number(v);
  let ok = A.DEBUGCTL_LBR | A.DEBUGCTL_BTF;
  // The CPUID gate is what the guest is told; a host-side writer (the hypervisor model loading the host's
  // DEBUGCTL around VMRUN, seed 001) programs the silicon itself, which has the bit.
  if (c.features.busLockDetect || external) ok |= A.DEBUGCTL_BUS_LOCK_DETECT;
  if (c.vendor === 'intel') ok |= A.DEBUGCTL_TR | A.DEBUGCTL_BTS | A.DEBUGCTL_BTINT | A.DEBUGCTL_FREEZE_LBRS_ON_PMI |
    A.DEBUGCTL_FREEZE_PERFMON_ON_PMI | A.DEBUGCTL_FREEZE_WHILE_SMM | (c.features.rtm ? A.DEBUGCTL_RTM_DEBUG : 0);
  return (n & ~ok) === 0;
}

function canonicalBig(v: bigint): boolean {
  const s = BigInt.asIntN(64, v);
  return s >= -(1n << 47n) && s < (1n << 47n);
}

/** Returns false for an unknown MSR or an illegal value (the instruction path turns that into #GP(0)). */
export function writeMsr(c: Cpu, idx: number, v: bigint, external: boolean): boolean {
  if (apicMsr(c, idx)) {
    const ok = c.interrupts!.writeMsr(idx, v);
    // IA32_APIC_BASE may move the xAPIC page (SDM Vol. 3A 11.4.4) over a frame the TLB maps as RAM: the
    // device decode has to win from the next access on, as QEMU's overlapping APIC region does.
    if (ok && idx === A.MSR_IA32_APIC_BASE) c.flushTlb();
    return ok;
  }
  switch (idx) {
    case A.MSR_IA32_EFER: {
      const n = Number(v & 0xffffffffn);
      if (v >> 32n || (n & ~A.EFER_SUPPORTED)) return false;
      // LMA is read-only; LME cannot change while paging is on.
      if (((n ^ c.efer) & A.EFER_LME) && (c.cr0 & A.CR0_PG)) return false;
      const nv = (n & ~A.EFER_LMA) | (c.efer & A.EFER_LMA);
      if ((nv ^ c.efer) & A.EFER_NXE) c.flushTlb();
      c.efer = nv;
      updateMode(c);
      return true;
    }
    case A.MSR_IA32_STAR: c.star = v; return true;
    case A.MSR_IA32_LSTAR: if (!canonicalBig(v)) return false; c.lstar = v; return true;
    case A.MSR_IA32_CSTAR: if (!canonicalBig(v)) return false; c.cstar = v; return true;
    case A.MSR_IA32_FMASK: c.sfmask = Number(v & 0xffffffffn) | 0; return true;
    case A.MSR_IA32_FS_BASE: if (!canonicalBig(v)) return false; c.segBase[4] = bigToLa(v); return true;
    case A.MSR_IA32_GS_BASE: if (!canonicalBig(v)) return false; c.segBase[5] = bigToLa(v); return true;
    case A.MSR_IA32_KERNEL_GS_BASE: if (!canonicalBig(v)) return false; c.kernelGsBase = bigToLa(v); return true;
    case A.MSR_IA32_DEBUGCTL:
      if (!debugctlValid(c, v, external)) return false;
      c.debugctl = Number(v);
      c.recomputeSlow();
      return true;
    case A.MSR_IA32_TSC: {
      // SDM Vol. 3B 18.17.3: a guest write to IA32_TSC also adds the change to IA32_TSC_ADJUST. A host-side write
      // (state restore) does not: KVM kvm_set_msr_common MSR_IA32_TSC adjusts ia32_tsc_adjust_msr only when
      // !host_initiated.
      const next = Number(v) - c.clock;
      if (!external) c.tscAdjust += next - c.tscOffset;
      c.tscOffset = next;
      return true;
    }
    case A.MSR_IA32_TSC_ADJUST: {
      // Writing IA32_TSC_ADJUST moves the TSC by the difference to the old value (SDM Vol. 3B 18.17.3; KVM
      // adjust_tsc_offset_guest). The value is signed; doubles keep it exact within 2^53.
      const next = Number(BigInt.asIntN(64, v));
      if (!external) c.tscOffset += next - c.tscAdjust;
      c.tscAdjust = next;
      return true;
    }
    case A.MSR_IA32_TSC_AUX: if (v >> 32n) return false; c.tscAux = Number(v); return true;
    case A.MSR_IA32_PKRS: return writePkrs(c, v);
    case A.MSR_IA32_PAT: c.pat = v; return true;
    case A.MSR_IA32_APIC_BASE: c.apicBase = v; return true;
    case A.MSR_IA32_SYSENTER_CS: c.sysenterCs = v; return true;
    // Intel: a guest's non-canonical value is #GP(0) (SDM Vol. 4, the MSRs' descriptions; KVM's __kvm_set_msr comment).
    // AMD: SYSENTER is a legacy-mode instruction there and the MSRs hold 32 bits; the upper half is dropped
    // (KVM svm_set_msr stores (u32)data for an AMD guest; kvm-unit-tests' unittests.cfg runs msr.flat as
    // GenuineIntel "to ensure SYSENTER MSRs are fully preserved"). KVM passes these MSRs through to the guest on both
    // vendors, so kvm mode gets the same silicon rule.
    case A.MSR_IA32_SYSENTER_ESP:
    case A.MSR_IA32_SYSENTER_EIP: {
      // A host write (KVM_SET_MSRS) is made canonical instead, as __kvm_set_msr does for every writer.
      if (c.vendor === 'intel' && !canonicalBig(v) && !external) return false;
      const kept = c.vendor === 'intel' ? BigInt.asUintN(64, BigInt.asIntN(48, v)) : v & 0xffffffffn;
      if (idx === A.MSR_IA32_SYSENTER_ESP) c.sysenterEsp = kept; else c.sysenterEip = kept;
      return true;
    }
    default: return c.modelMsrs.write(c.vendor, idx, v) === 'ok';
  }
}

export function rdmsrInsn(c: Cpu): void {
  const v = readMsr(c, c.rl[1]! >>> 0);
  if (v === undefined) c.raiseGP0();
  c.rl[0] = Number(v & 0xffffffffn) | 0; c.rh[0] = 0;
  c.rl[2] = Number((v >> 32n) & 0xffffffffn) | 0; c.rh[2] = 0;
}
export function wrmsrInsn(c: Cpu): void {
  const v = (BigInt(c.rl[2]! >>> 0) << 32n) | BigInt(c.rl[0]! >>> 0);
  if (!writeMsr(c, c.rl[1]! >>> 0, v, false)) c.raiseGP0();
}

// ---------------------------------------------------------------------------------------------
// CPUID
// ---------------------------------------------------------------------------------------------
/** IA32_APIC_BASE bit 11: APIC global enable (SDM Vol. 3 11.4.4). */
const APIC_BASE_EN = 1n << 11n;

function str4(s: string, k: number): number {
  return (s.charCodeAt(k) | (s.charCodeAt(k + 1) << 8) | (s.charCodeAt(k + 2) << 16) | (s.charCodeAt(k + 3) << 24)) | 0;
}
export function cpuid(c: Cpu, leaf: number, sub: number): [number, number, number, number] {
  const intel = c.vendor === 'intel';
  const vendor = intel ? 'GenuineIntel' : 'AuthenticAMD';
  const maxBasic = 0xd, maxExt = 0x80000008;
  // Unknown leaves: Intel answers leaves above the maximum with the highest basic leaf's data
  // (SDM Vol. 2 CPUID "If a value entered ... is higher than the maximum"); AMD returns zeros.
  if (leaf > maxBasic && leaf < 0x80000000) {
    if (!intel) return [0, 0, 0, 0];
    leaf = maxBasic;
  }
  if (leaf > maxExt) {
    if (!intel) return [0, 0, 0, 0];
    leaf = maxBasic;
  }
  switch (leaf) {
    case 0: return [maxBasic, str4(vendor, 0), str4(vendor, 8), str4(vendor, 4)];
    case 1: {
      const eax = intel ? 0x000906ea : 0x00a20f10; // family/model/stepping of a plausible part
      const ebx = (0 << 24) | (1 << 16) | (8 << 8); // APIC ID 0, 1 logical processor, CLFLUSH 64 bytes
      // XSAVE for the x87 and SSE components (xsave.ts); OSXSAVE mirrors CR4.OSXSAVE (SDM Vol. 2A CPUID).
      const ecx = A.CPUID1_ECX_SSE3 | A.CPUID1_ECX_CX16 | A.CPUID1_ECX_POPCNT | (c.interrupts?.x2apic === true ? A.CPUID1_ECX_X2APIC : 0) |
        (c.interrupts?.tscDeadline === true ? A.CPUID1_ECX_TSC_DEADLINE : 0) | A.CPUID1_ECX_XSAVE |
        ((c.cr4 & A.CR4_OSXSAVE) ? A.CPUID1_ECX_OSXSAVE : 0);
      // The APIC flag follows IA32_APIC_BASE.EN: with the APIC globally disabled the processor is one
      // without an on-chip APIC and CPUID says so (SDM Vol. 3 11.4.3; KVM kvm_update_cpuid_runtime).
      const apic = c.interrupts === undefined || ((c.interrupts.readMsr(A.MSR_IA32_APIC_BASE) ?? 0n) & APIC_BASE_EN) !== 0n ? A.CPUID1_EDX_APIC : 0;
      // MMX: the KVM model passes it on as KVM does (Linux 6.1 kvm_set_cpu_caps keeps F(MMX) in CPUID_1_EDX).
      const edx = A.CPUID1_EDX_FPU | A.CPUID1_EDX_DE | A.CPUID1_EDX_PSE | A.CPUID1_EDX_TSC | A.CPUID1_EDX_MSR |
        A.CPUID1_EDX_PAE | A.CPUID1_EDX_CX8 | apic | A.CPUID1_EDX_SEP | A.CPUID1_EDX_PGE |
        A.CPUID1_EDX_CMOV | A.CPUID1_EDX_PAT | A.CPUID1_EDX_CLFSH | A.CPUID1_EDX_MMX | A.CPUID1_EDX_FXSR | A.CPUID1_EDX_SSE | A.CPUID1_EDX_SSE2;
      return [eax, ebx, ecx, edx];
    }
    case 7: {
      if (sub !== 0) return [0, 0, 0, 0];
      // SMEP, SMAP, PKU and PKS: memory-access.ts finishWalk, access-rights.ts. OSPKE mirrors CR4.PKE.
      // TSC_ADJUST: IA32_TSC_ADJUST is modelled with IA32_TSC (KVM offers it on both vendors: kvm_set_cpu_caps).
      const ebx = (c.features.rtm ? A.CPUID7_EBX_RTM : 0) | A.CPUID7_EBX_SMEP | A.CPUID7_EBX_SMAP | A.CPUID7_EBX_TSC_ADJUST |
        A.CPUID7_EBX_CLFLUSHOPT | A.CPUID7_EBX_CLWB;
      // RDPID: IA32_TSC_AUX is modelled (RDTSCP, RDMSR/WRMSR), so both readers of it are offered.
      const ecx = (c.features.busLockDetect ? A.CPUID7_ECX_BUS_LOCK_DETECT : 0) | A.CPUID7_ECX_RDPID |
        A.CPUID7_ECX_PKU | ((c.cr4 & A.CR4_PKE) ? A.CPUID7_ECX_OSPKE : 0) | A.CPUID7_ECX_PKS | A.CPUID7_ECX_UMIP;
      return [0, ebx, ecx, 0];
    }
    case 0xd: {
      // XSAVE state enumeration (SDM Vol. 1 13.2): sub-leaf 0 the components XCR0 may hold and the standard-form
      // sizes (enabled and all supported: the legacy region and header, both 576 here); sub-leaf 1 offers none of
      // XSAVEOPT, XSAVEC, XGETBV1, XSAVES; no component of its own from 2 on.
      if (sub === 0) return [XCR0_SUPPORTED, XSAVE_AREA_SIZE, XSAVE_AREA_SIZE, 0];
      return [0, 0, 0, 0];
    }
    case 0x80000000: return [maxExt, intel ? 0 : str4(vendor, 0), intel ? 0 : str4(vendor, 8), intel ? 0 : str4(vendor, 4)];
    case 0x80000001: {
      const ecx = A.CPUID81_ECX_LAHF | A.CPUID81_ECX_ABM;
      const edx = A.CPUID81_EDX_SYSCALL | A.CPUID81_EDX_NX | A.CPUID81_EDX_RDTSCP | A.CPUID81_EDX_LM;
      if (intel) return [0, 0, ecx, edx]; // EAX reserved on Intel (SDM Vol. 2A CPUID, leaf 80000001H)
      // AMD repeats the processor signature and the leaf-1 feature bits it aliases (AMD APM Vol. 3 E.4.2;
      // QEMU x86_cpu_realizefn copies CPUID_EXT2_AMD_ALIASES from leaf 1 for AMD vendors).
      const [sig, , , edx1] = cpuid(c, 1, 0);
      return [sig, 0, ecx, edx | (edx1 & A.CPUID81_EDX_AMD_ALIASES)];
    }
    case 0x80000008: return [0x3028, 0, 0, 0]; // 40-bit physical, 48-bit linear
    default: return [0, 0, 0, 0];
  }
}


