// The device probe (test/guest-src/devices/probe, an ELF32 Multiboot kernel) reads the registers of
// COM1, the 8259As, the PIT, fw_cfg, the local APIC and unclaimed ports, and prints them. dbstub must
// print exactly the transcript below; when qemu-system-x86_64 is installed the same image runs under
// QEMU too and must print the same, except the lines listed in QEMU_DIFFERS (deliberate differences,
// each with QEMU's value and the reason).
import { execFileSync, spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { Machine } from '../../src/machine/machine.js';

const PROBE = 'build/guests/devices/probe.elf';
const RAM_MIB = 64;
const EXIT_VALUE = 0x10;

const EXPECTED: Record<string, string> = {
  // Device state at the kernel entry: what SeaBIOS leaves on QEMU (PcDevices.firmwareHandoff).
  'handoff.uart.lcr': '0x0', 'handoff.uart.ier': '0x0', 'handoff.uart.mcr': '0x8', 'handoff.uart.divisor': '0xc',
  'handoff.pic.imr': '0xb88e', 'handoff.pit0.status': '0x34', 'handoff.port61.gate-speaker': '0x0',
  'handoff.apic.svr': '0x1ff', 'handoff.apic.lint0': '0x8700', 'handoff.apic.lint1': '0x8400',
  'handoff.apic.timer': '0x10000', 'handoff.apic.tpr': '0x0',
  // 16550 after the usual init, loopback, THRE interrupt identification.
  'uart.dll': '0x3', 'uart.dlm': '0x0', 'uart.ier': '0x0', 'uart.iir': '0xc1', 'uart.lcr': '0x3', 'uart.mcr': '0xb',
  'uart.lsr': '0x60', 'uart.scr': '0x5a', 'uart.loop.msr': '0xd0', 'uart.loop.lsr': '0x61', 'uart.loop.rbr': '0xae',
  'uart.loop.lsr2': '0x60', 'uart.iir.thre': '0xc2', 'uart.iir.after': '0xc1',
  // 8259A: ICW1 clears the mask; masks read back; ISR empty.
  'pic.imr.after-init': '0x0', 'pic.imr': '0xffff', 'pic.slave.isr': '0x0',
  // 8254: read-back status right after a mode 0 control word; the counter moves with time.
  'pit.status': '0x30', 'pit.moves': '0x1',
  // Port 0x61: counter 2 gate, OUT2 rising at the end of a mode 0 count, refresh bit toggling per read.
  'port61.after-load': '0x1', 'port61.out2-rose': '0x1', 'port61.refresh-toggles': '0x1', 'port61.final': '0x21', 'port61.gate-off': '0x0',
  // fw_cfg.
  'fwcfg.signature': 'QEMU', 'fwcfg.sel-port-read': '0x51', 'fwcfg.ram': `0x${(RAM_MIB * 1024 * 1024).toString(16)}`,
  'fwcfg.nb_cpus': '0x1', 'fwcfg.max_cpus': '0x1', 'fwcfg.unknown': '0x0', 'fwcfg.inw': '0x0', 'fwcfg.inl': '0x0',
  'fwcfg.id': '0x1', 'fwcfg.files-present': '0x0',
  // Local APIC.
  'apic.base-msr': '0xfee00900', 'apic.id': '0x0', 'apic.version': '0x50014', 'apic.version.byte': '0x0',
  'apic.version.off4': '0x50014', 'apic.tpr': '0x0', 'apic.ldr': '0x0', 'apic.dfr': '0xffffffff', 'apic.svr': '0x1ff',
  'apic.lvt.timer': '0x10000', 'apic.lvt.thermal': '0x10000', 'apic.lvt.perf': '0x10000', 'apic.lvt.lint0': '0x8700',
  'apic.lvt.lint1': '0x8400', 'apic.lvt.error': '0x10000', 'apic.divide': '0x0', 'apic.initial': '0x0',
  'apic.ppr.tpr5f': '0x5f', 'apic.icr': '0x40040', 'apic.irr2': '0x1', 'apic.isr2': '0x0',
  'apic.timer-counts-down': '0x1', 'apic.timer-stopped': '0x0', 'apic.lvt.timer.all-ones': '0x700ff',
  'apic.swdisabled.lvt.timer': '0x10040', 'apic.swdisabled.lvt.write': '0x10041', 'apic.swdisabled.irr3': '0x0',
  'apic.dfr.zero': '0xfffffff', 'apic.esr.before-write': '0x0', 'apic.esr.after-write': '0x80',
  // Unclaimed ports and isa-debug-exit reads.
  'port.2f8.b': '0xff', 'port.2f8.w': '0xffff', 'port.2f8.l': '0xffffffff', 'port.debug-exit.read': '0x0', 'port.80.b': '0xff',
};

/** Where QEMU 7.2 (TCG, SeaBIOS) deliberately differs from dbstub: QEMU's value and why. */
const QEMU_DIFFERS: Record<string, [string, string]> = {
  'fwcfg.id': ['0x3', 'QEMU offers the fw_cfg DMA interface; dbstub only the traditional one'],
  'fwcfg.files-present': ['0x1', 'QEMU lists its firmware files (etc/e820, ...); dbstub has none'],
  'apic.lvt.timer.all-ones': ['0xffffffff', 'QEMU keeps reserved LVT bits; the SDM (and KVM) drop them'],
  'apic.esr.before-write': ['0x80', 'QEMU shows errors at once and never clears ESR; the SDM latches ESR on a write'],
  'apic.swdisabled.lvt.timer': ['0x40', 'QEMU does not mask the LVTs on software disable; the SDM (11.4.7.2) does'],
  'apic.swdisabled.lvt.write': ['0x41', 'QEMU lets LVT masks clear while software-disabled; the SDM does not'],
  'apic.swdisabled.irr3': ['0x10000', 'QEMU accepts a fixed IPI into IRR while software-disabled; KVM drops it, as dbstub'],
};

function transcript(text: string): Record<string, string> {
  const lines = text.split('\n').filter((l) => l !== '');
  expect(lines[0]).toBe('probe start');
  expect(lines.at(-1)).toBe('probe end');
  const out: Record<string, string> = {};
  for (const l of lines.slice(1, -1)) {
    const sp = l.indexOf(' ');
    out[l.slice(0, sp)] = l.slice(sp + 1);
  }
  return out;
}

let qemu: string | undefined;
try {
  execFileSync('qemu-system-x86_64', ['--version'], { stdio: 'ignore' });
  qemu = 'qemu-system-x86_64';
} catch {
  console.warn('test/devices/probe.test.ts: qemu-system-x86_64 not found: the QEMU comparison is skipped');
}

describe('device probe (Multiboot kernel reading every device register)', () => {
  it('dbstub: prints the expected transcript and exits through isa-debug-exit', async () => {
    const m = Machine.fromFile(PROBE, { config: { memoryMiB: RAM_MIB, mode: 'bare' } });
    expect(m.bootProtocol).toBe('multiboot');
    const r = await m.runToCompletion({ maxInsns: 50_000_000 });
    expect(r, m.serialOutput).toEqual({ kind: 'exit', code: (EXIT_VALUE << 1) | 1, value: EXIT_VALUE });
    expect(transcript(m.serialOutput)).toEqual(EXPECTED);
  });

  it.skipIf(!qemu)('QEMU -kernel: the same transcript except the documented differences (skips when qemu-system-x86_64 is not installed)', () => {
    const r = spawnSync(
      qemu!,
      ['-kernel', PROBE, '-m', String(RAM_MIB), '-serial', 'stdio', '-display', 'none', '-no-reboot', '-device', 'isa-debug-exit,iobase=0xf4,iosize=0x04'],
      { encoding: 'latin1', timeout: 60_000 },
    );
    expect(r.status, r.stderr).toBe((EXIT_VALUE << 1) | 1);
    const expected = { ...EXPECTED };
    for (const [k, [v]] of Object.entries(QEMU_DIFFERS)) expected[k] = v;
    expect(transcript(r.stdout)).toEqual(expected);
  });
});
