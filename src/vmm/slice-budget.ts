// How many instructions one event-loop turn of guest execution may retire. A Ctrl-C, a new client or a signal
// is served between two turns (issue 18: within 50 ms whatever the guest runs), so a turn must be short in
// wall time, not only in instructions: the first slices of a fresh server run the interpreter before V8 has
// optimised it (measured: 45-70 ms for 100k instructions, `npm run soak -- --hostile`, the first Ctrl-C of
// every guest). So every run (a gdb continue, `dbstub run`) starts with a short slice and doubles the budget
// after each slice that used all of it, up to the 100k of a warm interpreter, which then pays the turn's fixed
// cost once per ~1-2 ms of guest time.
//
// The schedule counts instructions only, never time: where a slice ends must be a function of the guest's
// execution alone. A REP string instruction's retired count depends on where run() calls end (its chunks are
// cut by the per-run REP allowance, Cpu.repWork), so slices sized by wall time made the virtual clock depend on
// the machine's speed (tried in session 7 and withdrawn). In kvm mode a slice end is a pause of KVM_RUN, not a
// VM exit (src/hv/kvm-state.ts exitGuest's budgetPause).

/** The largest slice (the fixed budget before the ramp). */
export const SLICE_MAX = 100_000;
/** The first slice of every run. */
export const SLICE_MIN = 2_000;

/** The next slice's budget after one that was given `budget` instructions; `full`: it used its whole budget
 *  (a slice that stopped early leaves the budget as it was). */
export function nextSliceBudget(budget: number, full: boolean): number {
  return full ? Math.min(SLICE_MAX, budget * 2) : budget;
}
