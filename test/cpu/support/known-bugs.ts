// Simulator bugs found by the differential test that are not fixed yet, as minimal reproducers
// (bytes, inputs, what the host CPU does). They are left out of the other tests and of the random
// generator (test/cpu/differential/diff.test.ts KNOWN_SIM_BUGS); known-bugs.test.ts checks them when
// CPU_KNOWN_BUGS=1 is set, so a fix can be verified with
//   CPU_KNOWN_BUGS=1 npx vitest run test/cpu/instructions/known-bugs.test.ts
// and then the entry moves into a regular test.
import type { Expect, Snip } from './helpers.js';

export interface KnownBug {
  name: string;
  snip: Snip;
  expect: Expect;
}

// The four reproducers that were here (REX before a legacy prefix, two REX prefixes, RMW crossing into
// a not-present page, BT with a non-canonical adjusted address) are fixed and now run in
// test/cpu/instructions/fixed-bugs.test.ts. Add new open bugs below.
export const KNOWN_BUGS: KnownBug[] = [];
