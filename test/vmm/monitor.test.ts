// The monitor command table (src/vmm/monitor.ts): dispatch by longest word match, help generated from the
// table, unknown commands and stray arguments refused with a helpful text. Driven through a real Vmm.
import { describe, expect, it } from 'vitest';
import { Machine } from '../../src/machine/machine.js';
import { MONITOR_COMMANDS, registerIndex, Vmm } from '../../src/vmm/index.js';
import { watchGuest } from '../gdb/guest.js';

function vmmFor(mode: 'kvm' | 'bare'): Vmm {
  return new Vmm(Machine.fromFile(watchGuest(), { config: { mode } }));
}

describe('monitor command table', () => {
  it('help lists every command of the table with its synopsis, and an empty line is help', () => {
    const vmm = vmmFor('bare');
    const help = vmm.monitor('help');
    for (const c of MONITOR_COMMANDS) expect(help).toContain(`  ${c.args ? `${c.name} ${c.args}` : c.name} `);
    expect(vmm.monitor('   ')).toBe(help);
  });

  it('info db takes N; info dr takes no argument; unknown words are named back', () => {
    const vmm = vmmFor('kvm');
    expect(vmm.monitor('info db 3')).toBe('no #DB events yet\n');
    expect(vmm.monitor('info dr')).toMatch(/^guest \(KVM's virtual vcpu->arch registers\):\n/);
    expect(vmm.monitor('info dr 3')).toBe('unknown monitor command: info dr 3\n');
    expect(vmm.monitor('info')).toBe('unknown monitor command: info\n');
    expect(vmm.monitor('frobnicate')).toBe('unknown monitor command: frobnicate\n');
  });

  it("x/fmt without a space is x /fmt, as in QEMU's HMP; a '/' elsewhere is not a command name", () => {
    const vmm = vmmFor('bare');
    expect(vmm.monitor('x/2xb 0x100000')).toBe(vmm.monitor('x /2xb 0x100000'));
    expect(vmm.monitor('xp/4xh 0x100000')).toBe(vmm.monitor('xp /4xh 0x100000'));
    expect(vmm.monitor('x/2xb 0x100000')).toMatch(/^0000000000100000: 0x[0-9a-f]{2} 0x[0-9a-f]{2}\n$/);
    expect(vmm.monitor('/2xb 0x100000')).toBe('unknown monitor command: /2xb 0x100000\n');
    expect(vmm.monitor('info/dr')).toBe('unknown monitor command: info/dr\n');
  });

  for (const mode of ['bare', 'kvm'] as const) {
    it(`gva2gpa (${mode}): the physical address by the guest's page tables, Unmapped, or a bad expression`, () => {
      const vmm = vmmFor(mode);
      const rip = vmm.readRegister(registerIndex('rip'));
      // The ELF boot environment maps RAM 1:1 (docs/boot.md).
      expect(vmm.monitor('gva2gpa $pc')).toBe(`gpa: 0x${rip.toString(16)}\n`);
      expect(vmm.monitor('gva2gpa $pc+0x10')).toBe(`gpa: 0x${(rip + 16n).toString(16)}\n`);
      expect(vmm.monitor('gva2gpa 0')).toBe('gpa: 0\n'); // QEMU 7.2 prints with C's %#: no 0x for zero
      expect(vmm.monitor('gva2gpa 0xffff800000000000')).toBe('Unmapped\n');
      expect(vmm.monitor('gva2gpa $nosuch')).toBe("invalid address expression: '$nosuch'\n");
    });
  }

  it('bare mode shows the TCG-like breakpoint lists; reset answers and keeps serving', () => {
    const vmm = vmmFor('bare');
    expect(vmm.insertBreakpoint(0, 0x1234n, 1)).toBe('ok');
    expect(vmm.monitor('info dr')).toContain('  breakpoints: 0x1234\n');
    expect(vmm.monitor('reset')).toBe('machine reset\n');
    expect(vmm.monitor('info dr')).toContain('  breakpoints: (none)\n');
  });

  it('qemu-db-routing shows and changes the routing of this VMM only (kvm mode), refusing other values and bare mode', () => {
    const vmm = vmmFor('kvm');
    const before = vmm.monitor('qemu-db-routing');
    expect(before).toBe(`qemu-db-routing ${vmm.config.qemuDbRouting}\n`);
    for (const r of ['pre-patch', 'bld-patch', 'corrected'] as const) {
      expect(vmm.monitor(`qemu-db-routing ${r}`)).toBe(`qemu-db-routing ${r}\n`);
      expect(vmm.monitor('qemu-db-routing')).toBe(`qemu-db-routing ${r}\n`);
      expect(vmm.monitor('config')).toMatch(new RegExp(`^qemu-db-routing +${r} `, 'm'));
    }
    expect(vmmFor('kvm').monitor('qemu-db-routing')).toBe(before);
    expect(vmm.monitor('qemu-db-routing fixed')).toBe('usage: qemu-db-routing [pre-patch|bld-patch|corrected]\n');
    expect(vmm.monitor('qemu-db-routing corrected extra')).toBe('usage: qemu-db-routing [pre-patch|bld-patch|corrected]\n');
    expect(vmmFor('bare').monitor('qemu-db-routing corrected')).toMatch(/^qemu-db-routing: bare mode has no KVM exits/);
  });
});
