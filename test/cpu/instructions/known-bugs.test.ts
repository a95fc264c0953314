// Reproducers of open simulator bugs (see known-bugs.ts). Not run by default (they fail until the
// bug is fixed and the suite must stay green); run with CPU_KNOWN_BUGS=1.
import { describe, it } from 'vitest';
import { expectRun, run1 } from '../support/helpers.js';
import { KNOWN_BUGS } from '../support/known-bugs.js';

describe.runIf(process.env.CPU_KNOWN_BUGS === '1' && KNOWN_BUGS.length > 0)('open simulator bugs (CPU_KNOWN_BUGS=1)', () => {
  for (const b of KNOWN_BUGS) it(b.name, () => expectRun(run1(b.snip), b.expect));
});
