// The XSAVE feature set for the state components dbstub models: x87 (component 0) and SSE (component 1)
// (issue 15: kvm-unit-tests' xsave ran only its "not supported" half). SDM Vol. 1 chapter 13, Vol. 2C XGETBV,
// XSETBV, Vol. 2C/2D XSAVE, XRSTOR; CPUID leaf 0DH in system.ts.
//
// - XCR0 resets to 1 (x87 only); XSETBV accepts only x87 or x87|SSE (bit 0 must be set, no other component
//   is supported), at CPL 0, with ECX = 0 (RCX[63:32] ignored); XGETBV reads XCR0 with ECX = 0 at any CPL.
//   Both #UD while CR4.OSXSAVE = 0, which needs CPUID.1:ECX.XSAVE (offered now). XGETBV with ECX = 1
//   (XINUSE) is #GP: CPUID.(0DH,1):EAX.XGETBV1 is not offered, nor XSAVEOPT, XSAVEC, XSAVES.
// - XSAVE/XRSTOR use the standard form: the 512-byte legacy region (FXSAVE's layout, x87.ts) and the 64-byte
//   header; RFBM = XCR0 AND EDX:EAX. #UD with CR4.OSXSAVE = 0 or LOCK, #NM with CR0.TS, #GP(0) unless the
//   area is 64-byte aligned. Unlike FXSAVE they do not look at CR0.EM or CR4.OSFXSR.
// - XSAVE writes component i for each RFBM[i] (MXCSR with RFBM[1] or RFBM[2]) and sets XSTATE_BV[i] for each
//   of them: dbstub does not track XINUSE, which the SDM allows to read 1 at any time (13.6); QEMU's
//   get_xinuse does the same. Other header bytes are not written.
// - XRSTOR checks the header first (#GP(0) if XSTATE_BV has a bit XCR0 lacks, if XCOMP_BV asks for the
//   compacted form or any of header bytes 8-23 is set), reads everything it needs, then loads component i
//   from memory when XSTATE_BV[i] = 1 and initializes it when 0 (x87: FNINIT's state and +0.0 registers; SSE:
//   XMM registers 0). MXCSR is loaded from memory whenever RFBM[1] or RFBM[2] is set (the standard form's
//   rule, SDM 13.8.1), with #GP(0) for a reserved bit.
//
// In kvm mode XSETBV is a VM exit to the KVM model (VMX exits on it unconditionally; KVM's SVM init_vmcb sets the
// XSETBV intercept), which completes it with the same rules (kvm_emulate_xsetbv -> __kvm_set_xcr).
import type { Cpu } from './cpu.js';
import type { Insn } from './decoder.js';
import * as A from './arch.js';
import { applySseImage, applyX87Image, readSseImage, readX87Image, storeSseImage, storeX87Image } from './x87.js';

/** State components (SDM Vol. 1 13.1): bit i of XCR0 and of XSTATE_BV. */
export const XFEATURE_X87 = 1, XFEATURE_SSE = 2, XFEATURE_AVX = 4;
/** The components modelled: what XCR0 may hold (CPUID.(0DH,0):EAX). */
export const XCR0_SUPPORTED = XFEATURE_X87 | XFEATURE_SSE;
/** XCR0 at power-up and reset (SDM Vol. 3 10.1.1, Table 10-1). */
export const XCR0_RESET = XFEATURE_X87;
/** The standard-form area for the supported components: legacy region and header (SDM 13.4). */
export const XSAVE_AREA_SIZE = 576;
const XSAVE_ALIGN = 64;
const HDR = 512;
/** XCOMP_BV bit 63: the compacted form (not supported: no XSAVEC). */
const XCOMP_BV_COMPACTED_HI = 0x80000000;

/** 0F 01 D0. */
export function xgetbv(c: Cpu): void {
  if (!(c.cr4 & A.CR4_OSXSAVE)) c.raiseUD();
  if (c.rl[1] !== 0) c.raiseGP0(); // ECX: XCR0 is the only readable register (no XGETBV1)
  c.rl[0] = c.xcr0; c.rh[0] = 0; c.rl[2] = 0; c.rh[2] = 0;
}

/** 0F 01 D1. Under a hypervisor XSETBV is a VM exit, taken after #UD and the CPL check (SDM Vol. 3C 26.1.1:
 *  invalid-opcode and privilege-level faults have priority over VM exits); KVM then applies the same rules
 *  (kvm_emulate_xsetbv -> __kvm_set_xcr) and the instruction completes as below. */
export function xsetbv(c: Cpu, i: Insn): void {
  if (!(c.cr4 & A.CR4_OSXSAVE)) c.raiseUD();
  if (c.cpl !== 0) c.raiseGP0();
  if (c.intercept('xsetbv', i)) return;
  if (c.rl[1] !== 0) c.raiseGP0();
  const lo = c.rl[0]! >>> 0, hi = c.rl[2]! >>> 0;
  // x87 must stay enabled; a component that is not supported (or AVX without SSE) is #GP(0).
  if (hi !== 0 || (lo & ~XCR0_SUPPORTED) || !(lo & XFEATURE_X87)) c.raiseGP0();
  c.xcr0 = lo;
}

function areaCheck(c: Cpu, i: Insn): number {
  if (i.lock || !(c.cr4 & A.CR4_OSXSAVE)) c.raiseUD();
  if (c.cr0 & A.CR0_TS) c.raise(A.VEC_NM, -1);
  const la = c.ea(i, XSAVE_AREA_SIZE);
  if (la % XSAVE_ALIGN !== 0) c.raiseGP0();
  return la;
}

/** The requested-feature bitmap: XCR0 AND EDX:EAX (only the low 32 bits can hold supported components). */
function rfbm(c: Cpu): number { return c.xcr0 & c.rl[0]!; }

/** 0F AE /4 (memory): XSAVE, with REX.W XSAVE64. */
export function xsave(c: Cpu, i: Insn): void {
  const la = areaCheck(c, i);
  const rf = rfbm(c);
  c.probeWrite(la, XSAVE_AREA_SIZE);
  if (rf & XFEATURE_X87) storeX87Image(c, la, i.rexW && c.long64);
  storeSseImage(c, la, (rf & (XFEATURE_SSE | XFEATURE_AVX)) !== 0, (rf & XFEATURE_SSE) !== 0);
  const bv = c.rd32(la + HDR) >>> 0;
  c.wr32(la + HDR, ((bv & ~rf) | rf) >>> 0);
}

/** 0F AE /5 (memory): XRSTOR, with REX.W XRSTOR64. */
export function xrstor(c: Cpu, i: Insn): void {
  const la = areaCheck(c, i);
  const rf = rfbm(c);
  const bvLo = c.rd32(la + HDR) >>> 0, bvHi = c.rd32(la + HDR + 4) >>> 0;
  const compLo = c.rd32(la + HDR + 8) >>> 0, compHi = c.rd32(la + HDR + 12) >>> 0;
  const rsvLo = c.rd32(la + HDR + 16) >>> 0, rsvHi = c.rd32(la + HDR + 20) >>> 0;
  if (compHi & XCOMP_BV_COMPACTED_HI) c.raiseGP0(); // the compacted form needs XSAVEC
  if (bvHi !== 0 || (bvLo & ~c.xcr0) || compLo || compHi || rsvLo || rsvHi) c.raiseGP0();
  // Everything read before anything changes: a fault or a reserved MXCSR bit leaves the state as it was.
  const x87 = rf & XFEATURE_X87 && bvLo & XFEATURE_X87 ? readX87Image(c, la, i.rexW && c.long64) : undefined;
  const sse = readSseImage(c, la, (rf & (XFEATURE_SSE | XFEATURE_AVX)) !== 0, (rf & XFEATURE_SSE) !== 0 && (bvLo & XFEATURE_SSE) !== 0);
  if (rf & XFEATURE_X87) {
    if (x87) applyX87Image(c, x87);
    else c.x87.reset(); // initial configuration (SDM 13.6): FCW 037FH, FSW 0, all empty, pointers 0, registers 0
  }
  applySseImage(c, sse);
  if ((rf & XFEATURE_SSE) && !(bvLo & XFEATURE_SSE)) c.xmm.fill(0, 0, (c.long64 ? 16 : 8) * 4);
}
