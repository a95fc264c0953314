// CPUID leaf 80000001H per vendor. AMD defines eighteen EDX bits of Fn8000_0001 as copies of Fn0000_0001_EDX
// (AMD APM Vol. 3 Appendix E.4.2: FPU, VME, DE, PSE, TSC, MSR, PAE, MCE, CMPXCHG8B, APIC, MTRR, PGE, MCA,
// CMOV, PAT, PSE36, MMX, FXSR) and repeats the processor signature in EAX; QEMU's AMD models do the same
// (x86_cpu_realizefn, CPUID_EXT2_AMD_ALIASES). Intel's EDX has only SYSCALL, XD, Page1GB, RDTSCP and LM
// there, and EAX is reserved (SDM Vol. 2A CPUID). Before, the AMD leaf looked like Intel's.
import { describe, expect, it } from 'vitest';
import { kvmGuestCpuid } from '../../../src/hv/kvm-clock.js';
import { makeMachine } from '../support/harness.js';

const hex = (v: number) => `0x${(v >>> 0).toString(16).padStart(8, '0')}`;

describe('CPUID 80000001H', () => {
  it('Intel: EDX = SYSCALL | XD | RDTSCP | LM, EAX = 0', () => {
    const m = makeMachine({ vendor: 'intel' });
    const [eax, , , edx] = m.cpu.cpuid(0x80000001, 0);
    expect(hex(eax)).toBe('0x00000000');
    // bits 11 SYSCALL, 20 XD, 27 RDTSCP, 29 LM
    expect(hex(edx)).toBe('0x28100800');
  });
  it('AMD: the leaf-1 aliases are repeated and EAX is the signature, in bare and kvm mode', () => {
    const m = makeMachine({ vendor: 'amd' });
    for (const cpuid of [(l: number) => m.cpu.cpuid(l, 0), (l: number) => kvmGuestCpuid(m.cpu, l, 0)]) {
      const [sig, , , edx1] = cpuid(1);
      const [eax, , , edx] = cpuid(0x80000001);
      expect(hex(eax)).toBe(hex(sig));
      // leaf 1 EDX 0x0789ab7d (FPU DE PSE TSC MSR PAE CX8 APIC SEP PGE CMOV PAT CLFSH MMX FXSR SSE SSE2) gives
      // the aliases FPU DE PSE TSC MSR PAE CX8 APIC PGE CMOV PAT MMX FXSR = 0x0181a37d; with SYSCALL, NX,
      // RDTSCP and LM: 0x2991ab7d. SEP (bit 11) is SYSCALL here, CLFSH/SSE/SSE2 are not aliased.
      expect(hex(edx1)).toBe('0x0789ab7d');
      expect(hex(edx)).toBe('0x2991ab7d');
    }
  });
});
