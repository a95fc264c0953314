// Real-address mode and virtual-8086 mode: the 8086 emulation of SDM Vol. 3 chapter 20. One home for the rules
// that differ from protected mode there:
//   - segment registers hold paragraphs: a load sets the selector and base = selector * 16 and reads no
//     descriptor (Vol. 3 20.1.1, 20.2.1);
//   - interrupts and exceptions in real-address mode go through the interrupt vector table (Vol. 3 20.1.4);
//   - far JMP/CALL/RET and IRET load CS the same way (Vol. 2 JMP, CALL, RET, IRET "Real-Address Mode");
//   - entering virtual-8086 mode (IRET with EFLAGS.VM=1 at CPL 0, or a task switch to such a TSS) and the
//     IOPL-sensitive instructions there (Vol. 3 20.2.5, 20.2.7).
// Events raised in virtual-8086 mode use the protected-mode IDT (delivery32.ts, the virtual-8086 frame); the
// TSS I/O bitmap rule is io-permission.ts's. CR4.VME/PVI are not modelled (CPUID does not offer VME).

import type { Cpu } from './cpu.js';
import type { Insn } from './decoder.js';
import { updateMode } from './mode.js';
import { iopl } from './io-permission.js';
import { DESC_ACCESSED, DESC_WRITABLE, SEG_CS, SEG_DS, SEG_ES, SEG_FS, SEG_GS, SEG_SS } from './descriptor.js';
import * as A from './arch.js';

/** A segment base is the selector shifted left by four (a paragraph number, Vol. 3 20.1.1). */
const PARAGRAPH_SHIFT = 4;
/** The limit every segment has in virtual-8086 mode, and the one real-address mode starts from. */
const SEG_LIMIT_8086 = 0xffff;
/** The hidden attributes a virtual-8086 load gives every segment register: a present, writable, accessed
 *  data segment at DPL 3 (F3H: what silicon holds there, the value VM entry requires of a virtual-8086 guest,
 *  SDM Vol. 3C 27.3.1.2; QEMU load_seg_vm). */
const V86_SEG_ATTRS = A.ATTR_P | A.ATTR_S | (3 << A.ATTR_DPL_SHIFT) | DESC_WRITABLE | DESC_ACCESSED;
/** What a real-address-mode load makes of a segment register that protected mode left unusable (null): a
 *  present, writable data segment (93H) with a 64-KiB limit, as the processor's real-mode load marks the
 *  cache valid. A usable cache keeps its limit and attributes: "unreal" (big real) mode. */
const REAL_SEG_ATTRS = A.ATTR_P | A.ATTR_S | DESC_WRITABLE | DESC_ACCESSED;
/** FLAGS bits a 32-bit IRET loads in real-address mode: ID, AC, RF, NT, IOPL and the 16-bit flags; VM, VIF and
 *  VIP keep their values (SDM Vol. 2 IRET, REAL-ADDRESS-MODE: "(tempEFLAGS AND 257FD5H) OR (EFLAGS AND 1A0000H)"). */
const IRET_REAL_MASK = 0x257fd5;
/** Entries of the interrupt vector table: 4 bytes, offset then segment (Vol. 3 20.1.4, Figure 20-2). */
const IVT_ENTRY_SIZE = 4;
/** IDT error code of a vector: index * 8 + 2 (IDT bit), as the #GP of an IVT entry beyond the limit carries it
 *  (QEMU do_interrupt_real; nothing is pushed in real-address mode, only a VMM sees it). */
const idtErrorCode = (vec: number): number => vec * 8 + 2;

/** Segment registers of the virtual-8086 frame in the order IRET pops them after SS (Vol. 2 IRET). */
const V86_FRAME_DATA_SEGS = [SEG_ES, SEG_DS, SEG_FS, SEG_GS] as const;

/** Segment loads take the paragraph rule (real-address or virtual-8086 mode). */
export function paragraphSegments(c: Cpu): boolean { return c.realMode || c.v86Mode; }

/** Load segment register `s` with `selector` in real-address or virtual-8086 mode (MOV/POP Sreg, LxS, far
 *  transfers, IRET, interrupt delivery). No descriptor is read and nothing faults. */
export function loadSegment8086(c: Cpu, s: number, selector: number): void {
  const sel = selector & 0xffff;
  c.segSel[s] = sel;
  c.segBase[s] = sel << PARAGRAPH_SHIFT;
  if (c.v86Mode) {
    c.segLimit[s] = SEG_LIMIT_8086;
    c.segAttr[s] = V86_SEG_ATTRS;
  } else if (!(c.segAttr[s]! & A.ATTR_P)) {
    c.segLimit[s] = SEG_LIMIT_8086;
    c.segAttr[s] = REAL_SEG_ATTRS;
  }
  if (s === SEG_CS) c.fLin0 = NaN; // the code base moved: the fetch page is stale
  updateMode(c);
}

/** #UD for the instructions that name descriptors and are "not recognized in real-address mode" nor in
 *  virtual-8086 mode: SLDT, STR, LLDT, LTR, VERR, VERW, LAR, LSL, ARPL (SDM Vol. 2, each one's Real-Address
 *  and Virtual-8086 Mode Exceptions). */
export function refuseDescriptorInsn8086(c: Cpu): void {
  if (paragraphSegments(c)) c.raiseUD();
}

/** #GP(0) for an IOPL-sensitive instruction (CLI, STI, PUSHF, POPF, INT n, IRET) in virtual-8086 mode with
 *  IOPL < 3: the monitor at CPL 0 emulates it (SDM Vol. 3 20.2.7, no VME). CLI/STI get the same #GP from their
 *  CPL > IOPL check, since CPL is 3 there. */
export function checkV86Iopl(c: Cpu): void {
  if (c.v86Mode && iopl(c) < 3) c.raiseGP0();
}

// ---------------------------------------------------------------------------------------------
// Interrupts and exceptions in real-address mode (SDM Vol. 3 20.1.4; Vol. 2 INT n REAL-ADDRESS-MODE)
// ---------------------------------------------------------------------------------------------
/** Deliver vector `vec` through the interrupt vector table at IDTR.base: push FLAGS, CS, IP (no error code),
 *  clear IF, TF, AC and RF, continue at the entry's segment:offset. An entry beyond IDTR.limit or a stack
 *  push beyond the SS limit faults (#GP / #SS); the caller's double-fault rules apply to those. */
export function deliverIvt(c: Cpu, vec: number, pushIp: number): void {
  if (vec * IVT_ENTRY_SIZE + IVT_ENTRY_SIZE - 1 > c.idtrLimit) c.raise(A.VEC_GP, idtErrorCode(vec));
  const entry = c.sysRd32(c.idtrBase + vec * IVT_ENTRY_SIZE);
  const flags = c.getFlags();
  // The three pushes are made before SP moves: a #SS on any of them leaves SP as it was.
  c.stackWriteAt(-2, 2, flags & 0xffff);
  c.stackWriteAt(-4, 2, c.segSel[SEG_CS]!);
  c.stackWriteAt(-6, 2, pushIp & 0xffff);
  c.setSp(c.spPlus(-6));
  // RF too (QEMU do_interrupt_real): the handler's first instruction is not exempt from breakpoints.
  c.fl &= ~(A.RFLAGS_IF | A.RFLAGS_TF | A.RFLAGS_AC | A.RFLAGS_RF);
  loadSegment8086(c, SEG_CS, entry >>> 16);
  const ip = entry & 0xffff;
  c.rip = ip; c.nextRip = ip;
}

// ---------------------------------------------------------------------------------------------
// Far transfers and IRET (SDM Vol. 2 JMP, CALL, RET, IRET: Real-Address Mode / Virtual-8086 Mode)
// ---------------------------------------------------------------------------------------------
/** Continue at sel:offset: #GP(0) when the offset is beyond the CS limit (the hidden limit, kept by the load). */
function enterCode8086(c: Cpu, sel: number, offset: number): void {
  if (offset > c.segLimit[SEG_CS]!) c.raiseGP0();
  loadSegment8086(c, SEG_CS, sel);
  c.nextRip = offset;
  c.dbBranch = true;
}

/** JMP ptr16:16/32 or m16:16/32. */
export function farJump8086(c: Cpu, sel: number, offset: number): void { enterCode8086(c, sel, offset >>> 0); }

/** CALL ptr16:16/32 or m16:16/32: push CS and the return (E)IP at the operand size, then jump. */
export function farCall8086(c: Cpu, sel: number, offset: number, sz: number): void {
  if (offset >>> 0 > c.segLimit[SEG_CS]!) c.raiseGP0();
  // Both slots are written before SP moves (a #SS leaves it as it was).
  c.stackWriteAt(-sz, sz, c.segSel[SEG_CS]!);
  c.stackWriteAt(-2 * sz, sz, sz === 2 ? c.nextRip & 0xffff : c.nextRip >>> 0);
  c.setSp(c.spPlus(-2 * sz));
  enterCode8086(c, sel, offset >>> 0);
}

/** RETF / RETF imm16: pop (E)IP and CS at the operand size, then release imm16 bytes. */
export function farReturn8086(c: Cpu, i: Insn): void {
  const sz = i.osz === 2 ? 2 : 4;
  const imm = (i.op & 0xff) === 0xca ? i.imm & 0xffff : 0;
  const ip = sz === 2 ? c.stackReadAt(0, 2) & 0xffff : c.stackReadAt(0, 4) >>> 0;
  const cs = c.stackReadAt(sz, sz) & 0xffff;
  enterCode8086(c, cs, ip);
  c.setSp(c.spPlus(2 * sz + imm));
}

/** IRET/IRETD in real-address mode, and in virtual-8086 mode at IOPL 3 (#GP(0) below it). Virtual-8086 mode
 *  keeps IOPL (and VM, VIF, VIP, as real-address mode does). */
export function iret8086(c: Cpu, i: Insn): void {
  checkV86Iopl(c);
  const sz = i.osz === 2 ? 2 : 4;
  const ip = sz === 2 ? c.stackReadAt(0, 2) & 0xffff : c.stackReadAt(0, 4) >>> 0;
  const cs = c.stackReadAt(sz, sz) & 0xffff;
  const popped = sz === 2 ? c.stackReadAt(2 * sz, 2) & 0xffff : c.stackReadAt(2 * sz, 4);
  let m = IRET_REAL_MASK;
  if (c.v86Mode) m &= ~A.RFLAGS_IOPL;
  if (sz === 2) m &= 0xffff;
  enterCode8086(c, cs, ip);
  c.setSp(c.spPlus(3 * sz));
  const flags = (c.getFlags() & ~m) | (popped & m);
  c.setFlagsAll(flags);
  if (flags & A.RFLAGS_RF) c.rfKeep = true; // RF loaded by IRET survives until the next instruction completes
}

// ---------------------------------------------------------------------------------------------
// Entering virtual-8086 mode (SDM Vol. 3 20.2.5)
// ---------------------------------------------------------------------------------------------
/** IRETD at CPL 0 whose EFLAGS image has VM=1 (Vol. 2 IRET, RETURN-TO-VIRTUAL-8086-MODE): pop EIP, CS, EFLAGS,
 *  ESP, SS, ES, DS, FS, GS, load them with the paragraph rule, CPL 3. The whole EFLAGS image is loaded, as the
 *  pseudo-code says (QEMU's helper_ret_protected leaves RF out of its mask). The offset must lie within the
 *  64-KiB limit the new CS gets, else #GP(0) before anything changes. */
export function iretToV86(c: Cpu): void {
  const at = (k: number): number => c.stackReadAt(4 * k, 4);
  const eip = at(0) >>> 0, cs = at(1) & 0xffff, flags = at(2) >>> 0;
  const esp = at(3), ss = at(4) & 0xffff;
  const data = V86_FRAME_DATA_SEGS.map((_, k) => at(5 + k) & 0xffff);
  if (eip > SEG_LIMIT_8086) c.raiseGP0();
  c.setFlagsAll(flags);
  c.cpl = 3; c.updateCplMasks();
  updateMode(c); // virtual-8086 mode from here: the loads below take its limit and attributes
  loadSegment8086(c, SEG_CS, cs);
  loadSegment8086(c, SEG_SS, ss);
  V86_FRAME_DATA_SEGS.forEach((s, k) => loadSegment8086(c, s, data[k]!));
  c.rl[4] = esp; c.rh[4] = 0;
  if (flags & A.RFLAGS_RF) c.rfKeep = true;
  c.nextRip = eip;
  c.dbBranch = true;
}

/** A task switch loaded an EFLAGS image with VM=1: the new task runs in virtual-8086 mode at CPL 3 and its six
 *  selectors are paragraphs (SDM Vol. 3 8.3 step 12 loads no descriptors for them; QEMU switch_tss_ra). */
export function enterV86Task(c: Cpu, selectors: readonly number[]): void {
  c.cpl = 3; c.updateCplMasks();
  updateMode(c);
  for (const s of [SEG_ES, SEG_CS, SEG_SS, SEG_DS, SEG_FS, SEG_GS]) loadSegment8086(c, s, selectors[s]!);
}
