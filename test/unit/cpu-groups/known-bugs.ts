// Simulator bugs found by the differential test that are not fixed yet, as minimal reproducers
// (bytes, inputs, what the host CPU does). They are left out of the other tests and of the random
// generator (test/unit/cpu-diff/diff.test.ts KNOWN_SIM_BUGS); known-bugs.test.ts checks them when
// CPU_KNOWN_BUGS=1 is set, so a fix can be verified with
//   CPU_KNOWN_BUGS=1 npx vitest run test/unit/cpu-groups/known-bugs.test.ts
// and then the entry moves into a regular test.
import type { Expect, Snip } from './helpers.js';
import { defaultGpr } from './helpers.js';

export interface KnownBug {
  name: string;
  snip: Snip;
  expect: Expect;
}

const M64 = (1n << 64n) - 1n;

export const KNOWN_BUGS: KnownBug[] = [
  {
    // SDM Vol. 2 2.2.1: a REX prefix not immediately before the opcode (or 0FH) is ignored.
    // Host: the 48H is ignored, so this is ADD EAX, EBX. Simulator: #UD.
    name: 'REX followed by a legacy prefix is ignored (48 3E 01 D8 = ADD EAX, EBX)',
    snip: { code: [0x48, 0x3e, 0x01, 0xd8] },
    expect: { regs: { rax: (defaultGpr(0) + defaultGpr(3)) & 0xffffffffn } },
  },
  {
    // Two REX prefixes: only the last one counts (40 48 01 D8 = ADD RAX, RBX). Simulator: #UD.
    name: 'only the last of two REX prefixes counts (40 48 01 D8 = ADD RAX, RBX)',
    snip: { code: [0x40, 0x48, 0x01, 0xd8] },
    expect: { regs: { rax: (defaultGpr(0) + defaultGpr(3)) & M64 } },
  },
  {
    // SDM Vol. 3 Figure 5-12: W/R=1 when the access causing the fault was a write; a read-modify-write
    // operand is accessed for writing (host: error code 0x6 at CPL 3). The simulator reports W/R=1 for
    // an RMW entirely inside the missing page but W/R=0 when the access crosses into it.
    name: 'RMW crossing into a not-present page: #PF error code has W/R=1 (48 01 03 ADD [RBX], RAX; RBX=0x101ffc)',
    snip: { code: [0x48, 0x01, 0x03], regs: { rbx: 0x101ffcn } },
    expect: { vector: 14, cr2: 0x102000n, errorCode: { mask: 0b11, value: 0b10 } },
  },
  {
    // SDM Vol. 2 BT: with a register bit offset the operand address is base + (offset SAR 3)...; in
    // 64-bit mode a non-canonical address formed from RSP/RBP is #SS(0), not #GP(0) (SDM Vol. 3 6.15,
    // Interrupt 12). Host: #SS. Simulator: #GP(0).
    name: 'BT [RBP], RBX with a non-canonical adjusted address is #SS(0) (48 0F A3 5D 00; RBX=2^62)',
    snip: { code: [0x48, 0x0f, 0xa3, 0x5d, 0x00], regs: { rbp: 0x101f00n, rbx: 1n << 62n } },
    expect: { vector: 12, errorCode: { mask: 0xffff, value: 0 } },
  },
];
