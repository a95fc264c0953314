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
];
