// Where a REP string instruction hands control back to the run loop, for every string instruction (MOVS,
// STOS, LODS, CMPS, SCAS in ops.ts and ops-legacy.ts, INS/OUTS in string-io.ts).
//
// One execution of a REP instruction may run millions of iterations, so it runs in chunks: each chunk is one
// step of the run loop (one retired instruction, one tick of the virtual clock) that leaves RIP on the
// instruction until the count reaches zero, as an interrupted REP does (SDM Vol. 2 REP: interrupts are taken
// at iteration boundaries and the instruction resumes where it stopped).
//
// The chunks end at fixed values of the count (every REP_CHUNK iterations of it), never at a number of
// iterations counted from wherever this run() happened to start: the instruction count and the clock of a
// guest then do not depend on how the VMM slices its runs, on where gdb stopped it, or on --max-insns being
// reached in one run or many. When run()'s own work bound (Cpu.repWork) ends a run in the middle of a chunk,
// the chunk is not retired then; it retires once, when it reaches its end in a later run.
import type { Cpu } from './cpu.js';

/** Iterations per chunk: the count's low bits that are zero at each chunk end (a power of two, so the 16-bit
 *  CX, 32-bit ECX and 64-bit RCX forms cut at the same values). */
const REP_CHUNK_MASK = 4096 - 1;

/** After one iteration of a REP string instruction (count already decremented, REPE/REPNE termination
 *  already tested): true to run the next iteration in this step. False: the step ends here, with RIP still
 *  on the instruction unless `finished`. `countLow` is the count's low 32 bits (CX/ECX/RCX at the address
 *  size). Throws Cpu's STOP (run() ends, this step not retired) when run()'s REP allowance is spent inside a
 *  chunk. Any pending slow-path work (an interrupt, a trap, a debugger stop) also ends the step, so events
 *  are taken between iterations. */
export function repContinues(c: Cpu, countLow: number, finished: boolean): boolean {
  c.repWork--;
  if (finished) return false;
  if ((countLow & REP_CHUNK_MASK) === 0 || c.slow !== 0) {
    c.nextRip = c.insnRip;
    return false;
  }
  if (c.repWork <= 0) {
    c.nextRip = c.insnRip;
    c.endRunForRepWork();
  }
  return true;
}
