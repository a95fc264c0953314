// KVM_SET_SREGS (kvm_is_valid_sregs) with real-address and virtual-8086 mode state: KVM accepts both (it runs
// them natively through unrestricted guest / SVM), so the KVM model must too, and the CPU must then be in
// that mode (CPL 0 in real-address mode whatever the CS selector's low bits, CPL 3 in virtual-8086 mode).
import { describe, expect, it } from 'vitest';
import { createCpu, createPhysicalMemory, type GuestCpu } from '../../src/cpu/index.js';
import { parseConfig } from '../../src/config/config.js';
import { KvmVcpu } from '../../src/hv/index.js';

function vcpu(): { cpu: GuestCpu; kvm: KvmVcpu } {
  const cpu = createCpu({
    vendor: 'intel', features: { busLockDetect: false, rtm: false }, memory: createPhysicalMemory(1 << 20),
    io: { in: () => 0xffffffff, out: () => undefined },
  });
  return { cpu, kvm: new KvmVcpu(cpu, parseConfig({ mode: 'kvm' })) };
}

describe('KVM_SET_SREGS in real-address and virtual-8086 mode', () => {
  it('accepts the reset state (real-address mode, CS F000H with base FFFF0000H) and a real-mode CS with RPL bits', () => {
    const { cpu, kvm } = vcpu();
    const reset = kvm.getSregs();
    expect(Number(reset.cr0) & 1).toBe(0);
    expect(kvm.setSregs(reset)).toBe(true);
    const s = { ...reset, seg: reset.seg.map((g) => ({ ...g })) };
    s.seg[1] = { selector: 0x7003, base: 0x70030n, limit: 0xffff, attrs: 0x9b };
    expect(kvm.setSregs(s)).toBe(true);
    expect(cpu.mode).toBe('real');
    expect(cpu.getCpl()).toBe(0);
  });
  it('accepts virtual-8086 mode state (EFLAGS.VM through KVM_SET_REGS, segments F3H with limit FFFFH)', () => {
    const { cpu, kvm } = vcpu();
    const s = kvm.getSregs();
    s.cr0 = 0x11n;
    s.seg = s.seg.map((g, k) => ({ selector: 0x100 * (k + 1), base: BigInt(0x1000 * (k + 1)), limit: 0xffff, attrs: 0xf3 }));
    expect(kvm.setSregs(s)).toBe(true);
    const r = kvm.getRegs();
    expect(kvm.setRegs({ ...r, rflags: 0x20002n })).toBe(true);
    expect(cpu.mode).toBe('virtual8086');
    expect(cpu.getCpl()).toBe(3);
  });
});
