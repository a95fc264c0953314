// The operating mode and the "mode summary" the instruction semantics read (Cpu.decodeMode, long64,
// ss32, flatSegs, csBase). SDM Vol. 3 2.2 (modes of operation) and 9.8.5 / 10.8.5 (IA-32e mode: LMA with
// CS.L selects 64-bit or compatibility mode); Vol. 1 3.6 (CS.D gives the default operand/address size).
//
// updateMode() is called after every change of CR0, EFER, CS or SS and of any segment's hidden part; it is
// cheap, never called per instruction, and switches the decoded-instruction cache when the decode mode
// changes (a page may hold 32-bit and 64-bit code, e.g. a Multiboot trampoline).

import type { CpuMode } from './api.js';
import type { Cpu } from './cpu.js';
import { FLAT_DATA_SEGS } from './state.js';
import { MODE_DEF16, MODE_DEF32, MODE_LONG64, type DecodeMode } from './decoder.js';
import * as A from './arch.js';

const SEG_ES = 0, SEG_CS = 1, SEG_SS = 2, SEG_DS = 3;
const FLAT_LIMIT = 0xffffffff;
/** Descriptor type bits (SDM Vol. 3 3.4.5.1 Table 3-1), as segments.ts names them. */
const DESC_WRITABLE = 2, DESC_EXPAND_DOWN = 4, DESC_CODE = 8;
/** The segments every non-FS/GS access uses: flat when all have base 0 and a 4 GiB limit. */
const FLAT_CHECKED: readonly number[] = [SEG_ES, SEG_CS, SEG_SS, SEG_DS];

/** Recompute the mode summary from CR0.PE, EFER.LMA, CS.L/CS.D and SS.B. */
export function updateMode(c: Cpu): void {
  const lma = (c.efer & A.EFER_LMA) !== 0;
  // Real-address mode is CR0.PE=0; virtual-8086 mode is EFLAGS.VM=1 in protected mode (IA-32e mode has no
  // virtual-8086 mode: SDM Vol. 3 2.2). The decode mode still follows CS.D below, as the hidden part of CS
  // does on silicon (a 16-bit CS is what real-mode code normally runs in).
  c.realMode = (c.cr0 & A.CR0_PE) === 0;
  c.v86Mode = !c.realMode && !lma && (c.fl & A.RFLAGS_VM) !== 0;
  const csAttr = c.segAttr[SEG_CS]!;
  const long64 = lma && (csAttr & A.ATTR_L) !== 0;
  const dm: DecodeMode = long64 ? MODE_LONG64 : (csAttr & A.ATTR_DB) !== 0 ? MODE_DEF32 : MODE_DEF16;
  c.long64 = long64;
  // 64-bit mode ignores SS.B (RSP is always used); elsewhere SS.B chooses ESP or SP (SDM Vol. 3 3.4.5.1).
  c.ss32 = long64 || (c.segAttr[SEG_SS]! & A.ATTR_DB) !== 0;
  c.csBase = long64 ? 0 : c.segBase[SEG_CS]!;
  let flat = true;
  if (!long64) {
    for (const s of FLAT_CHECKED) {
      if (c.segBase[s] !== 0 || c.segLimit[s] !== FLAT_LIMIT) { flat = false; break; }
      // A data segment is flat only when every offset is valid and writable: expand-down with a 4 GiB limit has
      // no valid offsets at all (SDM Vol. 3 5.3), and a read-only or code segment in DS/ES/SS must reach the
      // type checks (SDM Vol. 3 5.4/5.5). CS only needs base and limit (instruction fetch, near branches).
      if (s !== SEG_CS && (c.segAttr[s]! & (DESC_CODE | DESC_EXPAND_DOWN | DESC_WRITABLE)) !== DESC_WRITABLE) { flat = false; break; }
    }
  }
  // The reference engine (api.ts CpuEngine) runs every legacy-mode access through the segment checks.
  if (c.reference) flat = false;
  c.flatSegs = flat;
  c.flatMask = flat ? FLAT_DATA_SEGS : 0;
  if (dm !== c.decodeMode) c.setDecodeMode(dm);
  const why = unsupportedModeReason(c) ?? '';
  if (why !== c.unsupported) {
    c.unsupported = why;
    // Entered from running code (MOV CR0 clearing PE, IRET to virtual-8086): stop at the next boundary.
    if (why && c.inRun) { c.noteUnsupported(); c.lastUnsupported = why; c.requestStop(`unsupported CPU mode: ${why}`); }
  }
}

/** CpuMode as api.ts names it. */
export function cpuMode(c: Cpu): CpuMode {
  if (!(c.cr0 & A.CR0_PE)) return 'real';
  if (c.v86Mode) return 'virtual8086';
  const csAttr = c.segAttr[SEG_CS]!;
  const d = (csAttr & A.ATTR_DB) !== 0;
  if (c.efer & A.EFER_LMA) {
    if (csAttr & A.ATTR_L) return 'long64';
    return d ? 'compat32' : 'compat16';
  }
  return d ? 'protected32' : 'protected16';
}

/** A precise message when the CPU is in a mode this model does not execute, else undefined. Real-address and
 *  virtual-8086 mode are modelled (mode8086.ts); the virtual-8086 mode extensions are not (CPUID does not offer
 *  VME and MOV CR4 refuses the bit), so only a state handed in from outside can reach them. */
export function unsupportedModeReason(c: Cpu): string | undefined {
  if (c.v86Mode && (c.cr4 & A.CR4_VME)) return 'virtual-8086 mode extensions (CR4.VME=1) are not modelled';
  return undefined;
}
