// Hardware task switches and the debug unit (32-bit protected mode only). Rules: Intel SDM Vol. 3 19.3.1.5
// (T flag in the new task's TSS: trap-class #DB before its first instruction, DR6.BT = bit 15), 8.2.1 (TSS byte
// 100 bit 0), 19.2.4 (L0-L3 cleared by every task switch, G0-G3 kept), 8.3 (JMP vs CALL far to a TSS, IRET with
// NT=1 returns through the back-link); AMD APM Vol. 2 13.1.1.3 and 12.2.5. DR6 = 0xFFFF0FF0 | BT = 0xFFFF8FF0.
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config/config.js';
import { Machine } from '../../../src/machine/index.js';
import { KvmAccel, Vmm } from '../../../src/vmm/index.js';
import { CS32_KERNEL, DR6_INIT, DR7_INIT, expectRun, guestElf, runGuest32, VEC_DB, VENDORS } from './harness.js';

const DR6_BT = 1n << 15n;
const DR7_L0 = 0x1n;
const DR7_G1 = 0x8n;
const AFTER_SWITCH = DR7_INIT | DR7_G1; // L0 cleared, G1 kept
const h8 = (v: bigint) => '0x' + v.toString(16).padStart(8, '0');

const DR7_MARKS = [
  [0x70, h8(DR7_INIT | DR7_L0 | DR7_G1)], // before the JMP
  [0x77, h8(AFTER_SWITCH)], // in task B
  [0xa7, h8(AFTER_SWITCH)], // back in task A (task A's TSS has T=0: no #DB)
  [0x70, h8(DR7_INIT | DR7_L0 | DR7_G1)], // before the CALL
  [0x77, h8(AFTER_SWITCH)],
  [0xa7, h8(AFTER_SWITCH)],
];

describe.each(VENDORS)('32-bit task switch: TSS T flag and DR7 local enables (%s, bare mode)', (vendor) => {
  it('JMP and CALL to a TSS with T=1: #DB BT at the new task entry; L0 cleared, G1 kept', async () => {
    const run = await runGuest32('task-switch', 'bare', { vendor });
    expectRun(run, [
      { vec: VEC_DB, rip: 'tb_jmp_entry', dr6: DR6_INIT | DR6_BT, dr7: AFTER_SWITCH, cs: CS32_KERNEL, rf: 0, tf: 0, why: 'JMP far to TSS' },
      { vec: VEC_DB, rip: 'tb_call_entry', dr6: DR6_INIT | DR6_BT, dr7: AFTER_SWITCH, cs: CS32_KERNEL, rf: 0, tf: 0, why: 'CALL far to TSS' },
    ]);
    expect(run.marks.map((m) => [m.tag, h8(m.value)])).toEqual(DR7_MARKS);
  });
});

// kvm mode models real KVM, which departs from SDM 19.3.1.5 here: KVM intercepts every task switch (VMX: a task
// switch in VMX non-root operation always exits, SDM Vol. 3C 26.2; SVM: init_vmcb sets INTERCEPT_TASK_SWITCH)
// and emulates it in software (vmx.c handle_task_switch / svm.c task_switch_interception -> x86.c kvm_task_switch
// -> emulate.c emulator_do_task_switch). The emulator never reads the new TSS's T flag (handle_task_switch keeps a
// TODO asking whether debug traps on a TSS switch should be injected), so a KVM guest gets no BT #DB on either
// vendor. The local-enable clear does happen: emulator_do_task_switch ends by writing DR7 without L0-L3/LE
// through kvm_set_dr, so the DR7 the guest reads matches the SDM (19.2.4).
describe.each(VENDORS)('32-bit task switch under KVM: no T-flag #DB, DR7 locals cleared (%s, kvm mode)', (vendor) => {
  it('JMP and CALL to a TSS with T=1: no #DB at all (KVM emulates the switch and ignores T); L0 cleared, G1 kept', async () => {
    const run = await runGuest32('task-switch', 'kvm', { vendor });
    expectRun(run, []);
    expect(run.marks.map((m) => [m.tag, h8(m.value)])).toEqual(DR7_MARKS);
  });
});

// The KVM model sees each of those switches as KVM does: a task-switch VM exit (VMX exit reason 9, any task switch
// in VMX non-root operation; SVM exit code 0x7d under KVM's INTERCEPT_TASK_SWITCH), decoded by the reason
// handle_task_switch / task_switch_interception pass to kvm_task_switch (TASK_SWITCH_CALL/IRET/JMP/GATE). The CPU
// offers every switch to its host (CpuHost.interceptTaskSwitch) after the checks that precede the exit.
describe.each(VENDORS)('task switches are VM exits under KVM (%s, kvm mode)', (vendor) => {
  async function exitsOf(scenario: string): Promise<KvmAccel['vcpu']['stats']['taskSwitchExits']> {
    const machine = Machine.fromFile(guestElf(scenario), { config: parseConfig({ vendor, mode: 'kvm' }) });
    const vmm = new Vmm(machine);
    const r = await vmm.runToCompletion(5_000_000);
    expect(r.result.kind).toBe('exit');
    if (!(vmm.accel instanceof KvmAccel)) throw new Error('kvm mode runs the KVM accelerator');
    return vmm.accel.vcpu.stats.taskSwitchExits;
  }

  it('task-switch guest: JMP A->B, JMP B->A, CALL A->B, IRET B->A are four exits with their reasons', async () => {
    expect(await exitsOf('task-switch')).toEqual({ call: 1, iret: 1, jmp: 2, gate: 0 });
  });

  it('db-task-gate guest: the three #DBs KVM injects meet the IDT task gate (GATE exits), each handler task IRETs back', async () => {
    expect(await exitsOf('db-task-gate')).toEqual({ call: 0, iret: 3, jmp: 0, gate: 3 });
  });
});
