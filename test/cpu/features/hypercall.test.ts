// VMCALL / VMMCALL (issue 15: "KVM hypercalls (VMCALL/VMMCALL with KVM's ABI) in kvm mode"). Bare mode: the CPU
// is no guest, both are #UD (SDM Vol. 2C VMCALL, APM Vol. 3 VMMCALL). kvm mode: the KVM model's
// kvm_emulate_hypercall (Linux arch/x86/kvm/x86.c): VAPIC_POLL_IRQ 0, unknown -KVM_ENOSYS (-1000), CLOCK_PAIRING
// -KVM_EOPNOTSUPP (-95), SEND_IPI counts destinations (none at APIC ID 0xFFFFFFFF; -KVM_EINVAL for a logical
// destination; 1 for APIC ID 0, and the IPI arrives), CPL3 -KVM_EPERM; the other vendor's instruction is
// rewritten to the native one (kvm_fix_hypercall) and runs.
import { describe, expect, it } from 'vitest';
import { Machine } from '../../../src/machine/machine.js';
import { Vmm } from '../../../src/vmm/index.js';

const GUEST = 'build/guests/platform/hypercall.elf';
const neg = (n: bigint): string => '0x' + BigInt.asUintN(64, -n).toString(16);

function expected(mode: 'bare' | 'kvm', vendor: 'intel' | 'amd'): string {
  // The byte that ends the other vendor's instruction after the run: rewritten to the native one under KVM.
  const nativeLast = vendor === 'intel' ? '0xc1' : '0xd9', foreignLast = vendor === 'intel' ? '0xd9' : '0xc1';
  if (mode === 'bare')
    return ['vapic-poll-irq ud', 'unknown ud', 'clock-pairing ud', 'send-ipi-nobody ud', 'send-ipi-logical ud', 'send-ipi-self ud',
      'ipi-hits 0x0', 'cpl3 0xdd', 'foreign ud', `foreign-site ${foreignLast}`, 'done'].join('\n') + '\n';
  return ['vapic-poll-irq 0x0', `unknown ${neg(1000n)}`, `clock-pairing ${neg(95n)}`, 'send-ipi-nobody 0x0', `send-ipi-logical ${neg(22n)}`,
    'send-ipi-self 0x1', 'ipi-hits 0x1', `cpl3 ${neg(1n)}`, 'foreign 0x0', `foreign-site ${nativeLast}`, 'done'].join('\n') + '\n';
}

describe.each(['intel', 'amd'] as const)('VMCALL/VMMCALL (%s)', (vendor) => {
  it.each(['bare', 'kvm'] as const)('%s mode', async (mode) => {
    const m = Machine.fromFile(GUEST, { config: { mode, vendor } });
    const r = mode === 'kvm' ? (await new Vmm(m).runToCompletion(5_000_000)).result : await m.runToCompletion({ maxInsns: 5_000_000 });
    expect(m.serialOutput).toBe(expected(mode, vendor));
    expect(r).toMatchObject({ kind: 'exit', code: 1 });
  });
});
