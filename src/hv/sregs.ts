// KVM_SET_SREGS's consistency checks (kvm_is_valid_sregs, arch/x86/kvm/x86.c, Linux ~v6.12): a state the CPU
// cannot hold is refused with -EINVAL and nothing is written. Both accelerators apply it to a debugger's
// register writes (issue 18 item 6), so gdb cannot put the guest into an impossible mode.

import { ATTR_L, CR0_CD, CR0_NW, CR0_PE, CR0_PG, CR4_PAE, EFER_LMA, EFER_LME, type ArchState } from '../cpu/index.js';

/** CS in ArchState.seg (encoding order ES, CS, SS, ...). */
const SEG_CS = 1;
/** CR0/CR4 bits 63:32 are reserved (kvm_is_valid_cr0 / __cr4_reserved_bits on x86-64). */
const HIGH_HALF = 0xffffffff00000000n;

/** CPUID.80000008H:EAX[7:0] is MAXPHYADDR. */
const CPUID_LEAF_ADDRESS_SIZES = 0x80000008;
const MAXPHYADDR_MASK = 0xff;

/** MAXPHYADDR as a CPU's CPUID reports it. */
export function maxPhyAddrOf(cpuid: (leaf: number, subleaf: number) => readonly number[]): number {
  return cpuid(CPUID_LEAF_ADDRESS_SIZES, 0)[0]! & MAXPHYADDR_MASK;
}

const has = (v: bigint, bit: number): boolean => (v & BigInt(bit >>> 0)) !== 0n;

/**
 * Why KVM would refuse these segment/control registers, or undefined when it accepts them. `maxPhyAddr`:
 * CPUID.80000008H:EAX[7:0], the bits a long-mode CR3 may use (kvm_vcpu_is_legal_cr3).
 */
export function sregsInvalidReason(s: Omit<ArchState, 'gpr' | 'rip' | 'rflags'>, maxPhyAddr: number): string | undefined {
  if (has(s.efer, EFER_LME) && has(s.cr0, CR0_PG)) {
    // EFER.LME with CR0.PG is IA-32e mode (maybe a 32-bit code segment): CR4.PAE and EFER.LMA must be set.
    if (!has(s.cr4, CR4_PAE)) return 'CR4.PAE=0 with EFER.LME=1 and CR0.PG=1';
    if (!has(s.efer, EFER_LMA)) return 'EFER.LMA=0 with EFER.LME=1 and CR0.PG=1';
    if (s.cr3 >> BigInt(maxPhyAddr) !== 0n) return `CR3 beyond MAXPHYADDR (${maxPhyAddr} bits)`;
  } else {
    // Not IA-32e mode: EFER.LMA is clear and the code segment cannot be 64-bit.
    if (has(s.efer, EFER_LMA)) return 'EFER.LMA=1 outside IA-32e mode (EFER.LME and CR0.PG not both set)';
    if ((s.seg[SEG_CS]!.attrs & ATTR_L) !== 0) return 'CS.L=1 outside IA-32e mode';
  }
  if (s.cr4 & HIGH_HALF) return 'CR4 bits 63:32 set';
  if (s.cr0 & HIGH_HALF) return 'CR0 bits 63:32 set';
  if (has(s.cr0, CR0_NW) && !has(s.cr0, CR0_CD)) return 'CR0.NW=1 with CR0.CD=0';
  if (has(s.cr0, CR0_PG) && !has(s.cr0, CR0_PE)) return 'CR0.PG=1 with CR0.PE=0';
  return undefined;
}
