// V8 tier-up tuning for a debugger server process (docs/performance.md, "Watchpoint hits, session 2 follow-up").
//
// V8 moves a function from the bytecode interpreter to optimised code once it has spent an "interrupt budget"
// of bytecode (V8's --interrupt-budget, 66 KiB of bytecode in Node 20's V8 11.3), counted per function. Under
// gdb every operation is a short burst: a few packets through Node's socket streams and the RSP code, and
// ~1800 guest instructions per watchpoint hit. With the default budget those paths stay in the interpreter
// for the first few hundred operations of a fresh `dbstub serve`, which is what a user's session (and the
// bench's 500-hit loop) mostly consists of. A smaller budget makes them tier up after fewer operations; it
// changes when code is compiled, never what it computes.

import { setFlagsFromString } from 'node:v8';

/** Bytes of bytecode a function executes before V8 considers optimising it (about a quarter of the default). */
export const RSP_INTERRUPT_BUDGET = 16_000;

let applied = false;

/** Lower V8's interrupt budget for the rest of the process (idempotent). Functions already running pick the
 *  new budget up the next time their current budget runs out. */
export function tuneV8ForRsp(): void {
  if (applied) return;
  applied = true;
  setFlagsFromString(`--interrupt-budget=${RSP_INTERRUPT_BUDGET}`);
}
