// Registers as real gdb shows and changes them: XMM/MXCSR backed by the CPU's SSE state (read and write, seen by
// the guest), the x87 registers backed by the CPU's x87 state (src/cpu/x87.ts: reset = FNINIT state, read and
// write), and DR6/DR7/DEBUGCTL decoded through their <flags> types.
import { describe, expect, it } from 'vitest';
import { gdbBatch, printed, useRigs } from './rig.js';
import { testGuest } from './guest.js';

describe.each(['kvm', 'bare'] as const)('registers through real gdb, %s mode', (mode) => {
  const rig = useRigs();

  it('p/x $xmm0 shows what MOVQ loaded; a gdb write to xmm1 reads back and the guest stores it', async () => {
    const r = await rig(mode, testGuest('sse'));
    const out = await gdbBatch(r, [
      'hbreak xmm_loaded', 'continue',
      'p/x $xmm0.v2_int64',
      'set $xmm1.v2_int64[0] = 0x55aa',
      'set $xmm1.v2_int64[1] = 0x0123456789abcdef',
      'p/x $xmm1.v2_int64',
      'p/x $xmm1.v4_int32[1]',
      'delete', 'hbreak xmm_stored', 'continue',
      'p/x xmm1_seen',
      'delete', 'continue',
    ]);
    const v = printed(out);
    expect(v[0]).toBe('{0x1122334455667788, 0x0}');
    expect(v[1]).toBe('{0x55aa, 0x123456789abcdef}');
    expect(v[2]).toBe('0x0');
    expect(v[3]).toBe('{0x55aa, 0x123456789abcdef}'); // MOVDQU %xmm1 -> memory: the guest sees the whole write
    // exit(0) (xmm1_seen[0] == 0x55aa) -> isa-debug-exit status (0 << 1) | 1 = 1
    expect(out).toContain('[Inferior 1 (Remote target) exited with code 01]');
    const xmm1 = r.vmm.registers.findIndex((d) => d.name === 'xmm1');
    expect(r.vmm.readRegister(xmm1)).toBe(0x0123456789abcdef_00000000000055aan);
  });

  it('mxcsr reads the reset value decoded, takes a legal write and refuses reserved bits', async () => {
    const r = await rig(mode, testGuest('sse'));
    const out = await gdbBatch(r, ['p/x $mxcsr', 'p $mxcsr', 'set $mxcsr = 0x9fc0', 'p/x $mxcsr', 'set $mxcsr = 0x10000'], { lastMayFail: true });
    const v = printed(out);
    expect(v[0]).toBe('0x1f80');
    expect(v[1]).toBe('[ RC=0 PM UM OM ZM DM IM ]');
    expect(v[2]).toBe('0x9fc0'); // FZ, RC=00, masks, DAZ: all inside MXCSR_MASK 0xFFFF
    expect(out).toMatch(/Could not write register "mxcsr"; remote failure reply 'E22'/);
    expect(r.vmm.readRegister(r.vmm.registers.findIndex((d) => d.name === 'mxcsr'))).toBe(0x9fc0n);
  });

  it('x87 registers read the reset (FNINIT) state and take writes: st0 as an 80-bit float, fctrl, fstat with TOP', async () => {
    const r = await rig(mode, testGuest('sse'));
    const out = await gdbBatch(r, [
      'p/x $fctrl', 'p/x $ftag', 'p $st0',
      'set $st0 = 1.5', 'p $st0', 'set $fctrl = 0x27f', 'p/x $fctrl',
      // TOP = 7: st0 is now physical register 7 (still +0), and the 1.5 written before (physical 0) is st1
      // (the physical registers stay, as with QEMU; gdb re-reads them once its cache is flushed).
      'set $fstat = 0x3800', 'maint flush register-cache', 'p $st0', 'p $st1',
      'set $fctrl = 0x10000',
    ], { lastMayFail: true });
    const v = printed(out);
    expect(v).toEqual(['0x37f', '0xffff', '0', '1.5', '0x27f', '0', '1.5']);
    expect(out).toMatch(/Could not write register "fctrl"; remote failure reply 'E22'/); // FCW is 16 bits wide
    expect(out).not.toMatch(/Architecture rejected target-supplied description/);
    const st1 = r.vmm.registers.findIndex((d) => d.name === 'st1');
    expect(r.vmm.readRegister(st1)).toBe(0x3fff_c000000000000000n); // 1.5: exponent 0x3FFF, significand 1.1b
  });

  it('info registers decodes dr6, dr7 and debugctl bit by bit (SDM names, RW/LEN per slot)', async () => {
    const r = await rig(mode, testGuest('sse'));
    const out = await gdbBatch(r, [
      'info registers dr6 dr7 debugctl',
      // 64-bit flags registers take a 64-bit value in gdb (an int literal is "Invalid cast", as for $cr0).
      'set $dr6 = 0xffff6ff1L',
      'set $dr7 = 0x2fd0702L',
      'set $debugctl = 3L',
      'info registers dr6 dr7 debugctl',
    ]);
    // Power-on values (SDM Vol. 3A Table 10-1): DR6 0xFFFF0FF0 has the active-low BLD and RTM set, DR7 0x400.
    expect(out).toMatch(/^dr6\s+0xffff0ff0\s+\[ RTM BLD \]$/m);
    expect(out).toMatch(/^dr7\s+0x400\s+\[ LEN3=0 RW3=0 LEN2=0 RW2=0 LEN1=0 RW1=0 LEN0=0 RW0=0 \]$/m);
    expect(out).toMatch(/^debugctl\s+0x0\s+\[ \]$/m);
    expect(out).toMatch(/^dr6\s+0xffff6ff1\s+\[ RTM BS BD BLD B0 \]$/m);
    // slot 0: write, 8 bytes (LEN=10b); slot 1: read/write, 4 bytes (LEN=11b); slot 2: I/O (RW=10b)
    expect(out).toMatch(/^dr7\s+0x2fd0702\s+\[ LEN3=0 RW3=0 LEN2=0 RW2=2 LEN1=3 RW1=3 LEN0=3 RW0=1 GE LE G0 \]$/m);
    expect(out).toMatch(/^debugctl\s+0x3\s+\[ BTF LBR \]$/m);
  });
});
