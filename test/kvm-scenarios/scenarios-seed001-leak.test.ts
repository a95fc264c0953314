// docs/semantics.md §7.14 / seed 001: AMD host with bus-lock trap on (host DEBUGCTL = 4), LBRV off, guest CPUID
// without BUSLOCKTRAP, guest split lock at CPL3. Before the 2025 fix (svmZeroDebugctl false) the host's
// DEBUGCTL runs in the guest, the split lock raises a #DB KVM reflects with payload 0x800 -> guest DR6
// 0xffff07f0 (the §2.5 math ignores kvm_dr6_fixed). The hypervisor model loads the host value through
// GuestCpu.setMsr, which (as a host-side writer) may set bit 2 whatever the guest's CPUID says.
import { describe, expect, it } from 'vitest';
import { boot, dbLog, hx, SC } from './helpers.js';

describe('001: AMD host DEBUGCTL=4, LBRV off, guest without BLD, split lock at CPL3 (§7.14)', () => {
  it('svmZeroDebugctl false: spurious #DB, guest DR6 0xffff07f0', async () => {
    const { machine, vmm } = await boot({ vendor: 'amd', hostDebugctl: 4, lbrv: false, busLockDetect: false, svmZeroDebugctl: false }, SC.buslock, { enable_bld: 0n });
    const s = await vmm.runToCompletion(5_000_000);
    expect(s.result.kind).toBe('exit');
    expect(dbLog(machine).map((r) => hx(r.dr6))).toEqual(['0xffff07f0']);
  });
});
