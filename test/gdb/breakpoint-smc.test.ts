// Issue 18 item 5: a software breakpoint on code the guest rewrites. At gdb's stop the breakpoint is removed
// (z0 over real TCP); the guest's own new byte must survive it, as QEMU's kvm_arch_remove_sw_breakpoint only
// restores the saved byte while the int3 is still there. Bare mode (breakpoints outside memory) is the
// reference; kvm mode used to write the stale saved byte (B8) back over the guest's RET (C3).
import { describe, expect, it } from 'vitest';
import { testGuest } from './guest.js';
import { gdbBatch, printed, useRigs } from './rig.js';

describe.each(['kvm', 'bare'] as const)('software breakpoint under self-modifying code, %s mode', (mode) => {
  const rig = useRigs();

  it('the byte the guest wrote under gdb\'s int3 survives the breakpoint removal at the stop', async () => {
    const r = await rig(mode, testGuest('smc'));
    const out = await gdbBatch(r, [
      'break *smc_target', 'break smc_patched', 'continue',
      'p/x *(unsigned char *)smc_target',
      'delete', 'continue',
    ]);
    expect(out).toMatch(/Breakpoint 2, .*smc_patched/);
    expect(printed(out)).toEqual(['0xc3']);
    // main returns 0 when its RET is still in place: isa-debug-exit status (0 << 1) | 1 = 1.
    expect(out).toContain('[Inferior 1 (Remote target) exited with code 01]');
  });

  it('a detach while the breakpoint is inserted leaves the guest\'s byte too', async () => {
    const r = await rig(mode, testGuest('smc'));
    // Stop at smc_patched with both breakpoints inserted (gdb keeps them in while stopped), then detach.
    await gdbBatch(r, ['set breakpoint always-inserted on', 'break *smc_target', 'break smc_patched', 'continue', 'detach']);
    expect(r.vmm.readMemory(r.machine.symbol('smc_target'), 1)).toEqual(Uint8Array.of(0xc3));
  });
});
