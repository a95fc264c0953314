// KVM's paravirtual interface as far as the KVM model implements it (issue 16): in kvm mode the hypervisor bit,
// leaves 0x40000000 ("KVMKVMKVM\0\0\0", max leaf 0x40000001) and 0x40000001 (KVM_FEATURE_CLOCKSOURCE,
// CLOCKSOURCE2, CLOCKSOURCE_STABLE_BIT), and kvm-clock: the wall clock and the vCPU time info written where the
// guest's MSR writes point, with versions, the RTC's start as boot time, mul/shift for a 1 GHz TSC and the stable
// flag (Linux x86.c kvm_write_wall_clock / kvm_setup_guest_pvclock). Bare mode offers none of it: the hypervisor
// leaves are the CPU's out-of-range answer and the MSRs #GP.
import { describe, expect, it } from 'vitest';
import { RTC_EPOCH } from '../../../src/devices/rtc.js';
import { kvmGetTimeScale } from '../../../src/hv/kvm-clock.js';
import { Machine } from '../../../src/machine/machine.js';
import { Vmm } from '../../../src/vmm/index.js';

const GUEST = 'build/guests/platform/kvmclock.elf';

async function run(mode: 'bare' | 'kvm', vendor: 'intel' | 'amd'): Promise<Map<string, string>> {
  const m = Machine.fromFile(GUEST, { config: { mode, vendor } });
  const r = mode === 'kvm' ? (await new Vmm(m).runToCompletion(5_000_000)).result : await m.runToCompletion({ maxInsns: 5_000_000 });
  expect(r).toMatchObject({ kind: 'exit', code: 1 });
  return new Map(m.serialOutput.trim().split('\n').map((l) => [l.slice(0, l.indexOf(' ')), l.slice(l.indexOf(' ') + 1)]));
}

describe.each(['intel', 'amd'] as const)('KVM paravirtual CPUID and kvm-clock (%s)', (vendor) => {
  it('kvm mode: signature, features, pvclock structures', async () => {
    const out = await run('kvm', vendor);
    expect(Object.fromEntries(out)).toEqual({
      'hypervisor-bit': '0x1',
      'kvm-max-leaf': '0x40000001',
      sig0: 'KVMK',
      sig1: 'VMKV',
      sig2: 'M...',
      'kvm-features': '0x1000009', // bits 0, 3, 24
      'wc-version': '0xa', // 7 is odd: rounded to 8, 9 while writing, 10 after
      'wc-sec': `0x${RTC_EPOCH.toString(16)}`,
      'wc-nsec': '0x0',
      'wc-msr': '0x1',
      'ti-version': '0x6', // (4 + 1) | 1 = 5 while writing, 6 after
      'ti-mul': '0x80000000',
      'ti-shift': '0x1',
      'ti-flags': '0x1', // PVCLOCK_TSC_STABLE_BIT
      'ti-tsc-in-window': '0x1',
      'ti-system-minus-tsc': '0x0',
      'st-msr': '0x1',
      'ti-after-disable': '0x64',
    });
  });

  it('bare mode: no hypervisor bit, no KVM leaves, the MSRs #GP', async () => {
    const out = await run('bare', vendor);
    expect(out.get('hypervisor-bit')).toBe('0x0');
    // Intel answers an out-of-range leaf with the highest basic leaf (0xD sub-leaf 0: EAX = XCR0's supported
    // components x87|SSE, EBX = 576 = 0x240, the XSAVE area size), AMD with zeros.
    expect(out.get('kvm-max-leaf')).toBe(vendor === 'intel' ? '0x3' : '0x0');
    expect(out.get('sig0')).toBe(vendor === 'intel' ? '@\x02..' : '....');
    expect(out.get('wall-clock')).toBe('gp');
  });
});

describe('kvm_get_time_scale', () => {
  it('gives ns = ((tsc << shift) * mul) >> 32 for the rates KVM meets', () => {
    expect(kvmGetTimeScale(1e9, 1e9)).toEqual({ shift: 1, mul: 0x80000000 });
    for (const hz of [1e9, 2_400_000_000, 3_000_000_000, 100_000_000, 1_193_182]) {
      const { shift, mul } = kvmGetTimeScale(1e9, hz);
      const ticks = BigInt(hz); // one second of TSC
      const shifted = shift >= 0 ? ticks << BigInt(shift) : ticks >> BigInt(-shift);
      const ns = Number((shifted * BigInt(mul)) >> 32n);
      expect(Math.abs(ns - 1e9), `${hz} Hz`).toBeLessThan(2);
    }
  });
});
