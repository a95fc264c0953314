// IA32_SYSENTER_ESP / IA32_SYSENTER_EIP written with a non-canonical value. Intel: #GP(0) (SDM Vol. 4 MSR
// table; the comment in KVM's __kvm_set_msr). AMD: no fault, the MSRs keep 32 bits (SYSENTER is a legacy-mode
// instruction on AMD; KVM svm_set_msr stores (u32)data for an AMD guest). A host write (KVM_SET_MSRS) on Intel
// is made canonical instead (sign-extended from bit 47), as __kvm_set_msr does. Before, every value was stored as written.
import { describe, expect, it } from 'vitest';
import { MSR_IA32_SYSENTER_EIP, MSR_IA32_SYSENTER_ESP } from '../../../src/cpu/index.js';
import { haltedVector, makeMachine, reg, runToHlt } from '../support/harness.js';

const NONCANON = 0x8badf00d5aadc0den;

function wrmsrThenRead(vendor: 'intel' | 'amd', msr: number) {
  const m = makeMachine({ vendor });
  m.load(`
    mov $${msr}, %ecx
    mov $0x5aadc0de, %eax
    mov $0x8badf00d, %edx
    wrmsr
    xor %eax, %eax
    xor %edx, %edx
    rdmsr
    shl $32, %rdx
    or %rdx, %rax
    hlt
  `);
  const r = runToHlt(m);
  return { m, r };
}

describe.each([MSR_IA32_SYSENTER_ESP, MSR_IA32_SYSENTER_EIP])('WRMSR %s with a non-canonical value', (msr) => {
  it('Intel: #GP(0)', () => {
    const { m } = wrmsrThenRead('intel', msr);
    expect(haltedVector(m)).toBe(13);
  });
  it('AMD: accepted, reads back the low 32 bits', () => {
    const { m, r } = wrmsrThenRead('amd', msr);
    expect(r.kind).toBe('hlt');
    expect(reg(m, 0)).toBe(0x5aadc0den);
  });
  it('Intel, host write: made canonical (KVM_SET_MSRS)', () => {
    const m = makeMachine({ vendor: 'intel' });
    expect(m.cpu.setMsr(msr, NONCANON)).toBe(true);
    expect(m.cpu.getMsr(msr)).toBe(0xfffff00d5aadc0den);
  });
});
