// MSRs a guest's boot code and kvm-unit-tests' common setup touch that change nothing else in this model,
// but must exist and read back as on the vendor's parts (and as KVM presents them): the microcode
// revision, IA32_MISC_ENABLE
// (Intel), the machine-check globals (no banks), and AMD's four legacy performance counters, which every
// AMD64 processor has (APM Vol. 2 13.2.1). Counters count nothing: they hold what was written. Intel's
// architectural PMU is not advertised (CPUID.0AH:EAX version 0), so IA32_PERFEVTSELx / IA32_PMCx / the
// fixed counters do not exist here and take #GP, as under KVM with the vPMU off.

import type { Vendor } from './api.js';

/** IA32_BIOS_SIGN_ID (Intel) / PATCH_LEVEL (AMD): the loaded microcode revision in bits 63:32. */
export const MSR_IA32_UCODE_REV = 0x8b;
export const MSR_IA32_MCG_CAP = 0x179;
export const MSR_IA32_MCG_STATUS = 0x17a;
export const MSR_IA32_MISC_ENABLE = 0x1a0;
/** AMD legacy PerfEvtSel0-3 and PerfCtr0-3 (APM Vol. 2 13.2.1; Linux MSR_K7_EVNTSEL0 / MSR_K7_PERFCTR0). */
export const MSR_K7_EVNTSEL0 = 0xc0010000;
export const MSR_K7_PERFCTR0 = 0xc0010004;
export const AMD_LEGACY_PERF_COUNTERS = 4;

// IA32_MISC_ENABLE bits (SDM Vol. 4 Table 2-2).
export const MISC_ENABLE_EMON = 1n << 7n; // performance monitoring available (read-only)
export const MISC_ENABLE_BTS_UNAVAILABLE = 1n << 11n; // read-only
export const MISC_ENABLE_PEBS_UNAVAILABLE = 1n << 12n; // read-only
/** The value KVM gives a new vCPU (kvm_arch_vcpu_create, Linux 6.x): no BTS, no PEBS; EMON clear since
 *  no PMU is advertised. */
export const MISC_ENABLE_RESET = MISC_ENABLE_BTS_UNAVAILABLE | MISC_ENABLE_PEBS_UNAVAILABLE;
/** A guest WRMSR that changes these takes #GP (KVM's MSR_IA32_MISC_ENABLE_PMU_RO_MASK). */
const MISC_ENABLE_READ_ONLY = MISC_ENABLE_EMON | MISC_ENABLE_BTS_UNAVAILABLE | MISC_ENABLE_PEBS_UNAVAILABLE;

/** The microcode revision QEMU 7.2 gives its CPU models (target/i386/cpu.c x86_cpu_realizefn: 0x100000000 on
 *  Intel, 0x01000065 on AMD) and hands to KVM with KVM_SET_MSRS; KVM's own default is 0x100000000
 *  (kvm_arch_vcpu_create). Linux's early_init_intel writes 0, executes CPUID and reads it back. */
export const UCODE_REV_INTEL = 0x100000000n;
export const UCODE_REV_AMD = 0x01000065n;

/** MCG_CAP: no banks, no MCG_CTL (bit 8 clear): the MCi_* MSRs do not exist. */
export const MCG_CAP_VALUE = 0n;

/** PerfEvtSel bits that must be zero (KVM amd_pmu_refresh: 0xfffffff000280000 = bits 63:44, 21, 19). */
export const AMD_PERFEVTSEL_RESERVED = 0xfffffff000280000n;
/** The legacy counters are 48 bits wide (APM Vol. 2 13.2.1). */
export const AMD_PERFCTR_MASK = (1n << 48n) - 1n;

export class ModelMsrs {
  miscEnable = MISC_ENABLE_RESET;
  mcgStatus = 0n;
  readonly perfEvtSel: bigint[] = new Array<bigint>(AMD_LEGACY_PERF_COUNTERS).fill(0n);
  readonly perfCtr: bigint[] = new Array<bigint>(AMD_LEGACY_PERF_COUNTERS).fill(0n);

  /** Power-on / INIT values (SDM Vol. 3 Table 10-1 leaves them model-specific; these are KVM's). */
  reset(): void {
    this.miscEnable = MISC_ENABLE_RESET;
    this.mcgStatus = 0n;
    this.perfEvtSel.fill(0n);
    this.perfCtr.fill(0n);
  }

  /** The MSR's value, or undefined when this vendor has no such MSR here. */
  read(vendor: Vendor, idx: number): bigint | undefined {
    if (idx === MSR_IA32_UCODE_REV) return vendor === 'intel' ? UCODE_REV_INTEL : UCODE_REV_AMD;
    if (idx === MSR_IA32_MCG_CAP) return MCG_CAP_VALUE;
    if (idx === MSR_IA32_MCG_STATUS) return this.mcgStatus;
    if (vendor === 'intel') return idx === MSR_IA32_MISC_ENABLE ? this.miscEnable : undefined;
    const k = amdPerfIndex(idx);
    if (k < 0) return undefined;
    return idx < MSR_K7_PERFCTR0 ? this.perfEvtSel[k] : this.perfCtr[k];
  }

  /** 'ok', 'gp' (exists, value refused) or 'none' (no such MSR: #GP too, but another model may claim it). */
  write(vendor: Vendor, idx: number, v: bigint): 'ok' | 'gp' | 'none' {
    // A guest's write is accepted and changes nothing (KVM kvm_set_msr_common: only a host-initiated write
    // sets microcode_version); on silicon it is how software asks for the revision to be reported.
    if (idx === MSR_IA32_UCODE_REV) return 'ok';
    if (idx === MSR_IA32_MCG_CAP) return 'gp'; // read-only
    if (idx === MSR_IA32_MCG_STATUS) { this.mcgStatus = v; return 'ok'; }
    if (vendor === 'intel') {
      if (idx !== MSR_IA32_MISC_ENABLE) return 'none';
      if ((v ^ this.miscEnable) & MISC_ENABLE_READ_ONLY) return 'gp';
      // Stored without effect (fast strings, MONITOR/MWAIT enable, limit-CPUID-maxval, XD disable...), as KVM does.
      this.miscEnable = v;
      return 'ok';
    }
    const k = amdPerfIndex(idx);
    if (k < 0) return 'none';
    if (idx < MSR_K7_PERFCTR0) {
      if (v & AMD_PERFEVTSEL_RESERVED) return 'gp';
      this.perfEvtSel[k] = v;
    } else {
      this.perfCtr[k] = v & AMD_PERFCTR_MASK;
    }
    return 'ok';
  }
}

function amdPerfIndex(idx: number): number {
  if (idx >= MSR_K7_EVNTSEL0 && idx < MSR_K7_EVNTSEL0 + AMD_LEGACY_PERF_COUNTERS) return idx - MSR_K7_EVNTSEL0;
  if (idx >= MSR_K7_PERFCTR0 && idx < MSR_K7_PERFCTR0 + AMD_LEGACY_PERF_COUNTERS) return idx - MSR_K7_PERFCTR0;
  return -1;
}
