import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // gdb-driven tests open real sockets and spawn real gdb processes; keep them from starving each other on 2 cores.
    fileParallelism: true,
    maxWorkers: 2,
    globalSetup: ['test/global-setup.ts'],
    // Test guests are short: under --engine jit translate a region after 8 executions (the default, 20000, is for
    // long runs; src/cpu/jit/engine.ts), so the jit cases run compiled code. A value set outside wins.
    env: { DBSTUB_JIT_THRESHOLD: process.env.DBSTUB_JIT_THRESHOLD ?? '8' },
  },
});
