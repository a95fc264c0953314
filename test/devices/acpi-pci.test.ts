// The platform a kernel finds through ACPI (issue 16), driven by a real guest (test/guest-src/devices/acpi-pci):
// PCI configuration mechanism #1 with QEMU's i440FX host bridge alone on bus 0 (hw/pci-host/i440fx.c identity,
// all ones elsewhere, CONFIG_ADDRESS taking only dword writes as pci_host_config_write), the PIIX4 PM timer's
// rate against the 1 GHz TSC, PM1 status/enable/control, and ACPI soft-off ending the run with status 0 in both
// modes. The PM timer arithmetic is checked exactly below.
import { describe, expect, it } from 'vitest';
import { ACPI_SLP_EN, ACPI_TMR_EN, ACPI_TMR_STS, AcpiPm, PM_TIMER_FREQUENCY, pmTimerTicks } from '../../src/devices/acpi-pm.js';
import { Machine, POWER_OFF_EXIT_CODE } from '../../src/machine/machine.js';
import { Vmm } from '../../src/vmm/index.js';

const GUEST = 'build/guests/devices/acpi-pci.elf';

describe.each(['bare', 'kvm'] as const)('PCI config space, PM registers, ACPI power-off (%s mode)', (mode) => {
  it('reads the i440FX and an empty bus, counts the PM timer at 3.579545 MHz, powers off', async () => {
    const m = Machine.fromFile(GUEST, { config: { mode } });
    const r = mode === 'kvm' ? (await new Vmm(m).runToCompletion(20_000_000)).result : await m.runToCompletion({ maxInsns: 20_000_000 });
    expect(m.serialOutput).toBe(
      [
        'cf8-after-byte-write 0x12345678',
        'cf8-enable 0x80000000',
        '00.0-id 0x12378086',
        '00.0-class-rev 0x6000002',
        '00.0-subsys 0x11001af4',
        '00.0-header 0x0',
        '01.0-id 0xffffffff',
        '00.1-id 0xffffffff',
        'bus1-id 0xffffffff',
        '00.0-command-status 0x407',
        '00.0-id-after-write 0x12378086',
        'cfe-byte 0x37',
        'disabled-read 0xffffffff',
        'pm-timer-hz-ok 0x1',
        'pm-timer-high-byte 0x0',
        'pm1-sts-tmr 0x1',
        'pm1-sts-tmr-cleared 0x0',
        'pm1-en 0x120',
        'pm1-cnt 0x1',
        'power off',
        '',
      ].join('\n'),
    );
    expect(r).toMatchObject({ kind: 'exit', code: POWER_OFF_EXIT_CODE });
    expect(m.poweredOff).toBe(true);
  });
});

describe('the PM timer (QEMU acpi_pm_tmr_get)', () => {
  it('is floor(ns * 3579545 / 1e9) exactly, 24 bits wide on the port', () => {
    expect(pmTimerTicks(0)).toBe(0);
    expect(pmTimerTicks(1e9)).toBe(PM_TIMER_FREQUENCY);
    expect(pmTimerTicks(279)).toBe(0); // one count is 279.365 ns
    expect(pmTimerTicks(280)).toBe(1);
    const ns = 123_456_789_012_345; // ~34 hours: beyond 2^53 when multiplied naively
    expect(BigInt(pmTimerTicks(ns))).toBe((BigInt(ns) * BigInt(PM_TIMER_FREQUENCY)) / 1_000_000_000n);
    let clock = 0;
    const pm = new AcpiPm({ timer: { get clock() { return clock; }, setTimer: () => {} }, setSci: () => {}, powerOff: () => {}, log: () => {} });
    clock = 5e9; // 17897725 counts: wraps past 2^24
    expect(pm.in(0x608, 4)).toBe(17897725 & 0xffffff);
  });

  it('sets TMR_STS at each 2^23 boundary after an acknowledgement and raises the SCI with TMR_EN', () => {
    let clock = 0;
    let armed: [number | undefined, (() => void) | undefined] = [undefined, undefined];
    const sci: boolean[] = [];
    const pm = new AcpiPm({
      timer: { get clock() { return clock; }, setTimer: (t, fn) => void (armed = [t, fn]) },
      setSci: (l) => void sci.push(l),
      powerOff: () => {},
      log: () => {},
    });
    expect(pm.in(0x600, 2) & ACPI_TMR_STS).toBe(ACPI_TMR_STS); // QEMU's first overflow time is 0
    pm.out(0x600, 2, ACPI_TMR_STS);
    expect(pm.in(0x600, 2) & ACPI_TMR_STS).toBe(0);
    pm.out(0x602, 2, ACPI_TMR_EN);
    // The next boundary is count 2^23: ceil(2^23 * 1e9 / 3579545) ns.
    const due = Math.ceil((0x800000 * 1e9) / PM_TIMER_FREQUENCY);
    expect(armed[0]).toBe(due);
    clock = due;
    armed[1]!();
    expect(sci).toEqual([true]);
    pm.out(0x600, 2, ACPI_TMR_STS);
    expect(sci).toEqual([true, false]);
  });

  it('powers off only for SLP_EN with the S5 type; SLP_EN reads back 0', () => {
    let off = 0;
    const logs: string[] = [];
    const pm = new AcpiPm({ timer: { clock: 0, setTimer: () => {} }, setSci: () => {}, powerOff: () => void off++, log: (_l, _e, d) => void logs.push(String(d.feature)) });
    pm.out(0x604, 2, 5 << 10); // SLP_TYP without SLP_EN
    expect(off).toBe(0);
    pm.out(0x604, 2, (5 << 10) | ACPI_SLP_EN); // a type the DSDT does not offer
    expect(off).toBe(0);
    expect(logs).toEqual(['sleep-type-5']);
    pm.out(0x604, 2, ACPI_SLP_EN);
    expect(off).toBe(1);
    expect(pm.in(0x604, 2) & ACPI_SLP_EN).toBe(0);
  });
});
