// RF across a task-switch return in 32-bit protected mode.
import { describe, expect, it } from 'vitest';
import { CS32_KERNEL, DR6_B0, DR6_B1, DR6_INIT, DR7_INIT, expectRun, runGuest32, VEC_DB, VENDORS } from './harness.js';

describe('32-bit #DB handled by a task: RF from the TSS image', () => {
  // Guest test/guest-src/debug32/db-task-gate-rf: IDT vector 1 is a task gate (TSS 0x30). The instruction breakpoint
  // (DR0, G0) at dtg_hit switches to the handler task, which sets RF (bit 16) in the interrupted task's saved EFLAGS
  // (TSS 0x28 offset 36: 0x00010003) and executes IRETD with NT=1 (CF at 0x1002bf). SDM Vol. 3 19.3.1.1: RF "is
  // copied into the RF flag in the EFLAGS register by IRETD/IRETQ or a task switch that causes the return", so the
  // NOP at dtg_hit must run (before the fix RF was lost, the breakpoint fired again and the run ended in #GP).
  // kvm mode: the same log (DR7.L2 cleared by KVM's emulated switch into the handler task, db-task-gate.test.ts).
  for (const [vendor, mode] of VENDORS.flatMap((v) => [[v, 'bare'], [v, 'kvm']] as const))
    it(`${vendor}: a task-switch return (IRETD, NT=1) loads RF from the TSS EFLAGS image (${mode} mode)`, async () => {
      const run = await runGuest32('db-task-gate-rf', mode, { vendor });
      const inHandler = DR7_INIT | 0x2n | 0x8n | (1n << 20n);
      expectRun(run, [
        { vec: VEC_DB, rip: 'dtg_hit', dr6: DR6_INIT | DR6_B0, dr7: inHandler, cs: CS32_KERNEL, tf: 0 },
        { vec: VEC_DB, rip: 'dtg_w_after', dr6: DR6_INIT | DR6_B1, dr7: inHandler, cs: CS32_KERNEL, tf: 0 },
        { vec: VEC_DB, rip: 'dtg_icebp_after', dr6: DR6_INIT, dr7: inHandler, cs: CS32_KERNEL, tf: 0 },
      ]);
      expect(run.marks.map((m) => [m.tag, Number(m.value)])).toEqual([[0x77, Number(inHandler)]]);
    });
});
