// How many instructions one event-loop turn of guest execution may retire. A Ctrl-C, a new client or a signal
// is served between two turns (issue 18: within 50 ms whatever the guest runs), so a turn must be short in
// wall time, not only in instructions: the first slices of a fresh server run the interpreter before V8 has
// optimised it (measured: 45-70 ms for 100k instructions, `npm run soak -- --hostile`, the first Ctrl-C of
// every guest), and a slice that faults or prints a lot costs more per instruction than a plain loop.
// The budget starts small and doubles while slices stay short, so a warm interpreter still runs the full
// 100k per turn and pays the turn's fixed cost once per ~1-2 ms of guest time.
//
// A slice boundary is not visible to the guest: the CPU stops at an instruction boundary and the next
// KVM_RUN / run() continues from there with the same virtual clock (interrupts are timed by instructions
// retired, not by slices), so this changes when the server listens, never what the guest computes. In kvm
// mode a slice end is a pause of KVM_RUN, not a VM exit (src/hv/kvm-state.ts exitGuest's budgetPause): before
// that, an SVM guest owning its debug registers saw DR6.BLD set again at every slice end.

/** The largest slice (the fixed budget before the adaptation). */
export const SLICE_MAX = 100_000;
/** The first slice of a fresh server, and the floor. */
export const SLICE_MIN = 2_000;
/** Wall time a slice aims to stay under; well inside the 50 ms bound, leaving room for GC and scheduling. */
export const SLICE_TARGET_MS = 8;

/** The next slice's budget after one that was given `budget` instructions and took `ms` of wall time;
 *  `full`: it used its whole budget (a slice that stopped early says nothing about the rate). */
export function nextSliceBudget(budget: number, ms: number, full: boolean): number {
  if (ms > SLICE_TARGET_MS) return Math.max(SLICE_MIN, budget >> 1);
  if (full && ms < SLICE_TARGET_MS / 2) return Math.min(SLICE_MAX, budget * 2);
  return budget;
}
