// #DB through a task gate (32-bit protected mode only). Rules: Intel SDM Vol. 3 6.12.2 (interrupt tasks: no frame,
// state saved in the old TSS, NT set in the handler task, IRET returns through the back-link), 19.3.1.1 (RF copied
// into EFLAGS by IRETD or by the task switch that returns: setting RF in the saved EFLAGS resumes past an
// instruction breakpoint; the RF variant is in task-return-rf.test.ts), 19.2.4 (task switches clear DR7 L0-L3), 19.3.1.2 (data breakpoint trap), Vol. 2 INT1;
// AMD APM Vol. 2 8.x / 12.3 (interrupt tasks), 13.1. The logged "frame" is the interrupted task's TSS
// (EIP/CS/EFLAGS) as the handler task read it. The handler gets past the instruction breakpoint by moving DR0.
import { describe, expect, it } from 'vitest';
import { CS32_KERNEL, DR6_B0, DR6_B1, DR6_INIT, DR7_INIT, expectRun, runGuest32, VEC_DB, VENDORS } from './harness.js';

const DR7_G0 = 0x2n;
const DR7_G1 = 0x8n;
const IN_HANDLER = DR7_INIT | DR7_G0 | DR7_G1 | (1n << 20n); // L2 cleared by the switch into the handler task

// kvm mode: KVM's own injection of the #DB meets the task gate, and real KVM emulates that task switch (VMX: exit
// with IDT-vectoring info, reason TASK_SWITCH_GATE; SVM: the task-switch intercept; both -> kvm_task_switch),
// whose emulator_do_task_switch clears L0-L3/LE in vcpu->arch.dr7 through kvm_set_dr: the handler task reads
// the same DR7 as on silicon.
const CASES = VENDORS.flatMap((v) => [[v, 'bare'], [v, 'kvm']] as const);

describe.each(CASES)('32-bit #DB handled by a task (task gate in IDT vector 1) (%s, %s mode)', (vendor, mode) => {
  it('instruction breakpoint, data write and ICEBP reach the handler task; IRETD with NT=1 returns; L2 cleared', async () => {
    const run = await runGuest32('db-task-gate', mode, { vendor });
    expectRun(run, [
      { vec: VEC_DB, rip: 'dtg_hit', dr6: DR6_INIT | DR6_B0, dr7: IN_HANDLER, cs: CS32_KERNEL, tf: 0, why: 'fault: saved EIP at the breakpoint' },
      { vec: VEC_DB, rip: 'dtg_w_after', dr6: DR6_INIT | DR6_B1, dr7: IN_HANDLER, cs: CS32_KERNEL, tf: 0, why: 'trap: saved EIP after the write' },
      { vec: VEC_DB, rip: 'dtg_icebp_after', dr6: DR6_INIT, dr7: IN_HANDLER, cs: CS32_KERNEL, tf: 0, why: 'ICEBP through a task gate' },
    ]);
    expect(run.marks.map((m) => [m.tag, Number(m.value)])).toEqual([[0x77, Number(IN_HANDLER)]]);
  });
});
