// KVM's own selftest tools/testing/selftests/kvm/x86/debug_regs.c (Linux, blob 1260ed77) ported as a guest program
// (test/guest-src/kvm/upstream, scenario 5) driven through the KVM model's ioctl-shaped API the way the selftest drives
// /dev/kvm: KVM_SET_GUEST_DEBUG, KVM_RUN, then the KVM_EXIT_DEBUG record (struct kvm_debug_exit_arch) and the
// register file. Each TEST_ASSERT of the selftest is one expect here, with the selftest's full 64-bit values,
// including the single-step over the WRMSR to IA32_TSC_DEADLINE that KVM handles in its exit fastpath
// (handle_fastpath_set_msr_irqoff; src/hv/kvm-core.ts fastpathSetTscDeadline).
import { describe, expect, it } from 'vitest';
import type { KvmVcpu } from '../../src/hv/kvm.js';
import type { KvmDbNote } from '../../src/hv/kvm-api.js';
import { KVM_GUESTDBG_BLOCKIRQ, KVM_GUESTDBG_ENABLE, KVM_GUESTDBG_SINGLESTEP, KVM_GUESTDBG_USE_HW_BP, KVM_GUESTDBG_USE_SW_BP } from '../../src/hv/kvm.js';
import type { Machine } from '../../src/machine/index.js';
import type { KvmAccel } from '../../src/vmm/accel-kvm.js';
import { bootUpstream, UP } from './upstream-helpers.js';

const BP_VECTOR = 1 + 2;
const DB_VECTOR = 1;
const DR6_BD = 1n << 13n;
const DR7_GD = 1n << 13n;
const BUDGET = 2_000_000;
/** Instruction lengths from ss_start: sti, xor, cpuid, mov $0x6e0,%ecx, wrmsr, cli (the selftest's ss_size). */
const SS_SIZE = [1, 2, 2, 5, 2, 1];

function debugregs(set: Record<number, bigint>): bigint[] {
  const r = [0n, 0n, 0n, 0n, 0n, 0n, 0n, 0n];
  for (const [i, v] of Object.entries(set)) r[Number(i)] = v;
  return r;
}

function expectDebugExit(what: string, kvm: KvmVcpu, budget: number, want: { exception: number; pc: bigint; dr6?: bigint }): void {
  const exit = kvm.run(budget);
  expect(exit.reason, what).toBe('debug');
  if (exit.reason !== 'debug') return;
  expect(exit.debug.exception, what).toBe(want.exception);
  expect('0x' + exit.debug.pc.toString(16), what).toBe('0x' + want.pc.toString(16));
  if (want.dr6 !== undefined) expect('0x' + exit.debug.dr6.toString(16), what).toBe('0x' + want.dr6.toString(16));
}

/** Collect the source of every KVM_EXIT_DEBUG the vCPU produces from now on (its onDbNote hook, chained). */
function exitSources(kvm: KvmVcpu): string[] {
  const opts = (kvm as unknown as { opts: { onDbNote?: (n: KvmDbNote) => void } }).opts;
  const prev = opts.onDbNote;
  const out: string[] = [];
  opts.onDbNote = (n) => {
    if (n.kind === 'exit') out.push(n.source);
    prev?.(n);
  };
  return out;
}

function skipInsn(m: Machine, len: number): void {
  m.cpu.setRip(m.cpu.getRip() + BigInt(len));
}

describe('tools/testing/selftests/kvm/x86/debug_regs.c through the KVM model', () => {
  for (const vendor of ['intel', 'amd'] as const)
    describe(vendor, () => {
      it('INT3 (USE_SW_BP), instruction and data breakpoints in DR0-DR3, the single-steps with BLOCKIRQ, DR7.GD', async () => {
        const { machine: m, vmm } = await bootUpstream({ vendor }, UP.selftest);
        const kvm = (vmm.accel as KvmAccel).vcpu;
        const sym = (s: string) => m.symbol(s);

        // Test software BPs - int3
        kvm.setGuestDebug(KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_USE_SW_BP, debugregs({}));
        expectDebugExit('INT3', kvm, BUDGET, { exception: BP_VECTOR, pc: sym('sw_bp') });
        skipInsn(m, 1);

        // Instruction HW BP over DR[0-3]
        for (let i = 0; i < 4; i++) {
          kvm.setGuestDebug(KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_USE_HW_BP, debugregs({ [i]: sym('hw_bp'), 7: 0x400n | (1n << BigInt(2 * i + 1)) }));
          expectDebugExit(`INS_HW_BP (DR${i})`, kvm, BUDGET, { exception: DB_VECTOR, pc: sym('hw_bp'), dr6: 0xffff0ff0n | (1n << BigInt(i)) });
        }
        skipInsn(m, 1);

        // Data access HW BP over DR[0-3]
        for (let i = 0; i < 4; i++) {
          kvm.setGuestDebug(KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_USE_HW_BP, debugregs({ [i]: sym('guest_value'), 7: 0x400n | (1n << BigInt(2 * i + 1)) | (0x000d0000n << BigInt(4 * i)) }));
          expectDebugExit(`DATA_HW_BP (DR${i})`, kvm, BUDGET, { exception: DB_VECTOR, pc: sym('write_data'), dr6: 0xffff0ff0n | (1n << BigInt(i)) });
          skipInsn(m, -7); // roll back the 7-byte store
        }
        skipInsn(m, 7);

        // Single step with BLOCKIRQ: the self-IPI the guest raised must not be taken (STI opens the window).
        // Which path reported each step (the model's exit note): CPUID exits on both vendors and the WRMSR to
        // IA32_TSC_DEADLINE takes KVM's exit fastpath, so those two steps are kvm_vcpu_do_singlestep's; the others
        // are the hardware #DB intercepted.
        const sources = exitSources(kvm);
        let rip = sym('ss_start');
        for (const [n, size] of SS_SIZE.entries()) {
          rip += BigInt(size);
          kvm.setGuestDebug(KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_SINGLESTEP | KVM_GUESTDBG_BLOCKIRQ, debugregs({ 7: 0x400n }));
          expectDebugExit(`SINGLE_STEP[${n}]`, kvm, BUDGET, { exception: DB_VECTOR, pc: rip, dr6: 0xffff4ff0n });
        }
        const hw = vendor === 'intel' ? 'vmx-db-intercept' : 'svm-db-intercept';
        expect(sources).toEqual([hw, hw, 'emulator-singlestep', hw, 'emulator-singlestep', hw]);
        sources.length = 0;

        // The debugger's DR7.GD: the guest's MOV from DR0 exits with BD.
        kvm.setGuestDebug(KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_USE_HW_BP, debugregs({ 7: 0x400n | DR7_GD }));
        expectDebugExit('DR7.GD', kvm, BUDGET, { exception: DB_VECTOR, pc: sym('bd_start'), dr6: 0xffff0ff0n | DR6_BD });

        // Disable all debug controls, run to the end (the selftest's UCALL_DONE is our exit through isa-debug-exit).
        kvm.setGuestDebug(0, debugregs({}));
        expect((await vmm.runToCompletion(BUDGET)).result).toEqual({ kind: 'exit', code: 1 }); // main returned 0: status (0 << 1) | 1
      });
    });
});
