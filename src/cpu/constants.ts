// The CPU layer's configuration constants: what config/ validates and defaults without loading the CPU itself.
// A separate entry point next to index.ts for start-up time only: `dbstub serve` checks its command line and
// opens its port before the ~100 modules of the machine are loaded (docs/performance.md, "Start-up"), and
// config.ts is on that path. Values only; index.ts re-exports them, so other layers may use either.

/**
 * Executions of an entry point before its region is translated. V8 parses and compiles each region's JavaScript
 * (~10 KB of source on average while Linux boots: 4,656 distinct regions in its first 200 M instructions) and
 * runs it unoptimised until it is hot, so a region pays for itself only after thousands of executions. Measured
 * on those 200 M instructions (bare, user CPU; the interpreter alone 7.9 s): threshold 8 -> 22.3 s, 255 -> 18.6 s,
 * 2000 -> 14.2 s, 20000 -> 11.3 s, 65535 -> 9.0 s (interpreter in that run 8.6 s); no region at all -> 8.6 s. The whole
 * test/linux run (boot to the selftests) takes 186 s under the jit at 65535 against 189 s interpreted (same hour). The bench
 * loops run millions of times and are translated at any of these (loop 706 / sortcrc 472 MIPS at 65535).
 */
export const JIT_THRESHOLD_MAX = 65535;
/** The per-offset execution counters are 16-bit: the default is their largest value. */
export const JIT_THRESHOLD_DEFAULT = JIT_THRESHOLD_MAX;
