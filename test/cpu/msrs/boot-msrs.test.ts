// MSRs touched at boot on each vendor (issue 15): kvm-unit-tests' setup (lib/x86/pmu.c pmu_init) resets
// AMD's four legacy performance counters, Linux and kvm-unit-tests' msr test use IA32_MISC_ENABLE on
// Intel, and machine-check code reads IA32_MCG_CAP. Expected values from the manuals and KVM:
//  - AMD APM Vol. 2 13.2.1: PerfEvtSel0-3 at C001_0000-3 and 48-bit PerfCtr0-3 at C001_0004-7 on every
//    AMD64 part; reserved PerfEvtSel bits #GP (KVM amd_pmu_refresh reserved_bits 0xfffffff000280000);
//    the PerfCtrExtCore MSRs (C001_0200+) exist only with CPUID 8000_0001h:ECX[23], not advertised.
//  - SDM Vol. 4 Table 2-2, IA32_MISC_ENABLE (Intel only): KVM's reset value 0x1800 (BTS and PEBS
//    unavailable), bits 7/11/12 read-only (a write changing them is #GP, KVM's PMU_RO_MASK).
//  - IA32_MCG_CAP = 0 (no banks) and read-only; IA32_MCG_STATUS read/write.
//  - MSR 0x8B (IA32_BIOS_SIGN_ID / AMD PATCH_LEVEL): a guest write is accepted and changes nothing; reads give
//    QEMU 7.2's microcode revision, 0x100000000 (Intel) / 0x1000065 (AMD) (x86_cpu_realizefn; KVM keeps what
//    QEMU sets, kvm_set_msr_common only honours host-initiated writes). Linux's early_init_intel needs it.
//  - Intel's architectural PMU is not advertised (CPUID.0AH:EAX = 0), so IA32_PERFEVTSEL0/IA32_PMC0 #GP.
//  - x2APIC MSR 0x82F (LVT CMCI) #GPs: the APIC has 6 LVTs (version register Max LVT Entry 5, SDM 11.5.1)
//    and MCG_CAP has no MCG_CMCI_P, as KVM decides (kvm-unit-tests x86/msr.c); LINT0 reads its reset value.
//  - MOV to CR4 setting FSGSBASE, whose CPUID bit is not advertised: #GP(0) (SDM Vol. 3 2.5); UMIP and OSXSAVE,
//    whose features are advertised, set.
//  - INVLPG of a non-canonical address: a NOP (SDM Vol. 2A INVLPG).
import { describe, expect, it } from 'vitest';
import { Machine } from '../../../src/machine/machine.js';
import { Vmm } from '../../../src/vmm/index.js';

const GUEST = 'build/guests/platform/boot-msrs.elf';

function expected(vendor: 'intel' | 'amd'): string {
  const amd = vendor === 'amd';
  const l = ['cpuid-0a-eax 0x0', `ucode-rev ok ${amd ? '0x1000065' : '0x100000000'}`, 'mcg-cap ok 0x0', 'mcg-status ok 0x0', 'mcg-cap-write gp'];
  if (amd) l.push('misc-enable gp', 'misc-enable-rw gp', 'misc-enable-ro gp');
  else l.push('misc-enable ok 0x1800', 'misc-enable-rw ok 0x1801', 'misc-enable-ro gp');
  for (let i = 0; i < 4; i++) {
    l.push(amd ? `perfevtsel ok 0x${(0x4300c0 + i).toString(16)}` : 'perfevtsel gp');
    l.push(amd ? 'perfctr ok 0x123456789abc' : 'perfctr gp');
  }
  l.push('perfevtsel-rsvd gp', 'perf-ctl-ext gp', 'perfevtsel0-intel gp', 'pmc0-intel gp');
  // APIC flag off while IA32_APIC_BASE.EN=0 (SDM Vol. 3 11.4.3); LTR/LLDT of a non-canonical 16-byte
  // descriptor base: #GP(selector) (SDM Vol. 2A LTR/LLDT), selectors 0x38/0x48 after the boot GDT's 0x37.
  l.push('cpuid-apic-disabled 0x0', 'cpuid-apic-enabled 0x1', 'ltr-noncanonical gp 0x38', 'lldt-noncanonical gp 0x48');
  l.push('x2apic-lvt-cmci gp', 'x2apic-lvt-cmci-write gp', 'x2apic-lvt-lint0 ok 0x10000'); // LINT0 exists; masked: the global disable above reset the APIC (SDM 11.4.3)
  l.push('cr4-osxsave ok', 'cr4-umip ok', 'cr4-fsgsbase gp', 'invlpg-noncanonical ok', 'done');
  return l.join('\n') + '\n';
}

describe.each(['intel', 'amd'] as const)('boot MSRs (%s)', (vendor) => {
  it.each(['bare', 'kvm'] as const)('%s mode: the MSRs exist, read back and refuse what the vendor refuses', async (mode) => {
    const m = Machine.fromFile(GUEST, { config: { mode, vendor } });
    const r = mode === 'kvm' ? (await new Vmm(m).runToCompletion(5_000_000)).result : await m.runToCompletion({ maxInsns: 5_000_000 });
    expect(m.serialOutput).toBe(expected(vendor));
    expect(r).toMatchObject({ kind: 'exit', code: 1 });
  });
});
