// Which decoded instructions may sit in the middle of a compiled block (64-bit mode).
//
// A block runs its instructions back to back without the run loop in between, so an instruction may be
// followed by more compiled code only when, once it completes, the only things that can have changed are
// registers, flags and memory: never RIP other than by its length, the code mode, paging, the debug unit's
// slow word or the interrupt state. Memory accesses can still set slow bits (a data breakpoint or external
// watchpoint match, an MMIO device arming the timer) or invalidate the current code page; the compiled code
// tests both after every instruction that can access memory (gen.ts checkAfter). Everything else (branches, string
// instructions, I/O, system instructions, flag-register loads, interrupts, HLT, SSE) ends its block: it runs
// through its interpreter handler as the block's last instruction and the run loop takes over after it.

import type { Insn } from '../decoder.js';

const STRAIGHT = new Uint8Array(512);
function mark(lo: number, hi = lo): void { for (let o = lo; o <= hi; o++) STRAIGHT[o] = 1; }

// One-byte map. ALU forms 00-05 ... 38-3D (the 06/07/0E/... holes are #UD in 64-bit mode: they only fault).
for (let k = 0; k < 8; k++) mark(k * 8, k * 8 + 5);
mark(0x50, 0x5f);      // PUSH/POP r
mark(0x63);            // MOVSXD
mark(0x68, 0x6b);      // PUSH imm, IMUL r, r/m, imm
mark(0x80, 0x8b);      // group 1, TEST, XCHG, MOV
mark(0x8d);            // LEA
mark(0x8f);            // POP r/m
mark(0x90, 0x99);      // NOP/PAUSE, XCHG rAX, CBW/CWDE/CDQE, CWD/CDQ/CQO
mark(0xa8, 0xa9);      // TEST rAX, imm
mark(0xb0, 0xbf);      // MOV r, imm
mark(0xc0, 0xc1);      // shift group by imm8
mark(0xc6, 0xc7);      // MOV r/m, imm
mark(0xd0, 0xd3);      // shift group by 1 / CL
mark(0xf5);            // CMC
mark(0xf6, 0xf7);      // group 3 (TEST/NOT/NEG/MUL/IMUL/DIV/IDIV: #DE is a fault)
mark(0xf8, 0xf9);      // CLC, STC
mark(0xfc, 0xfd);      // CLD, STD
mark(0xfe, 0xff);      // INC/DEC r/m8; group 5 (below)
// Two-byte map (0x100 + second byte).
mark(0x118, 0x11f);    // hint NOPs, ENDBR64
mark(0x140, 0x14f);    // CMOVcc
mark(0x190, 0x19f);    // SETcc
mark(0x1a3); mark(0x1a4, 0x1a5); mark(0x1ab); mark(0x1ac, 0x1ad); mark(0x1af);
mark(0x1b0, 0x1b1);    // CMPXCHG
mark(0x1b3); mark(0x1b6, 0x1b8); mark(0x1ba, 0x1bf);
mark(0x1c0, 0x1c1);    // XADD
mark(0x1c8, 0x1cf);    // BSWAP

/** True when the instruction leaves control flow and machine mode alone (see the file comment). */
export function isStraight(i: Insn): boolean {
  if (STRAIGHT[i.op] !== 1) return false;
  if (i.op === 0xff) return isStraightFF(i);
  return true;
}

/** Instructions of the straight set that never touch memory (no slow-word or code-page check after them). */
export function registerOnly(i: Insn): boolean {
  if (i.mem) return false;
  const op = i.op;
  if (op >= 0x50 && op <= 0x5f) return false; // stack
  if (op === 0x68 || op === 0x6a || op === 0x8f) return false;
  if (op === 0xff && (i.reg & 7) === 6) return false;
  return true;
}

/** FF /0 /1 /6: INC, DEC, PUSH (CALL/JMP through r/m end the block). */
export function isStraightFF(i: Insn): boolean {
  const k = i.reg & 7;
  return k === 0 || k === 1 || k === 6;
}
