// The real-mode IVT and BIOS data area a Multiboot kernel finds (src/loader/bios-ivt.ts): what SeaBIOS's
// ivt_init leaves under QEMU, minus the BIOS services. Checked in memory right after the load, then by real-mode
// code that waits in HLT for two PIT ticks (the IRQ0 handler counts them in the BDA and acknowledges the 8259A,
// else the second tick would never be delivered) and calls INT 10h (returns at once, registers unchanged).
import { describe, expect, it } from 'vitest';
import { Machine } from '../../src/machine/machine.js';

const GUEST = 'build/guests/modes8086/real.elf'; // any Multiboot kernel: only the firmware's memory matters here
const ivt = (m: Machine, v: number): number => new DataView(m.cpu.readVirtual(BigInt(v * 4), 4)!.buffer).getUint32(0, true);
const byte = (m: Machine, a: number): number => m.cpu.readVirtual(BigInt(a), 1)![0]!;
const word = (m: Machine, a: number): number => new DataView(m.cpu.readVirtual(BigInt(a), 2)!.buffer).getUint16(0, true);

describe('the firmware IVT of a Multiboot boot (SeaBIOS ivt_init)', () => {
  it('points every vector at an IRET, IRQ0 at the timer handler, the other IRQs at EOI handlers; BDA fields set', () => {
    const m = Machine.fromFile(GUEST, { config: { mode: 'bare' } });
    expect(ivt(m, 0x00)).toBe(0xf000ff53);
    expect(ivt(m, 0x10)).toBe(0xf000ff53);
    expect(ivt(m, 0x08)).toBe(0xf000fea5);
    expect(ivt(m, 0x0f)).toBe(0xf000ff00);
    expect(ivt(m, 0x70)).toBe(0xf000ff10);
    expect(ivt(m, 0x77)).toBe(0xf000ff10);
    expect([0x60, 0x66, 0x79].map((v) => ivt(m, v))).toEqual([0, 0, 0]);
    expect(byte(m, 0xfff53)).toBe(0xcf); // IRET
    expect(word(m, 0x400)).toBe(0x3f8); // COM1
    expect(word(m, 0x40e)).toBe(0x9fc0); // EBDA segment
    expect(word(m, 0x413)).toBe(639); // KiB below the EBDA
  });

  for (const mode of ['bare', 'kvm'] as const)
    it(`${mode}: real-mode code takes two timer ticks through IVT entry 8 and returns from INT 10h`, async () => {
      const m = Machine.fromFile(GUEST, { config: { mode } });
      // At 0x20000: sti; hlt; hlt; cli; mov ax,1234h; int 10h; mov bx,ax; hlt
      const code = [0xfb, 0xf4, 0xf4, 0xfa, 0xb8, 0x34, 0x12, 0xcd, 0x10, 0x89, 0xc3, 0xf4];
      expect(m.cpu.writeVirtual(0x20000n, new Uint8Array(code))).toBe(true);
      const st = m.cpu.getState();
      st.cr0 = 0x10n; // real-address mode (ET)
      st.seg[1] = { selector: 0x2000, base: 0x20000n, limit: 0xffff, attrs: 0x9b };
      st.seg[2] = { selector: 0, base: 0n, limit: 0xffff, attrs: 0x93 };
      st.idtr = { base: 0n, limit: 0x3ff };
      st.rip = 0n;
      st.gpr[4] = 0x7000n; // SS:SP 0000:7000
      st.rflags = 2n;
      m.cpu.setState(st);
      const r = await m.runToCompletion({ maxInsns: 10_000 });
      expect(r).toMatchObject({ kind: 'hlt-forever' }); // the final HLT with IF=0
      expect(word(m, 0x46c)).toBe(2); // two IRQ0s, each counted by the handler
      const after = m.cpu.getState();
      expect(after.rip).toBe(BigInt(code.length)); // stopped at the last HLT (IF=0)
      expect(after.gpr[3]! & 0xffffn).toBe(0x1234n); // INT 10h changed nothing
      expect(after.gpr[4]! & 0xffffn).toBe(0x7000n); // every handler popped what it pushed
    });
});
