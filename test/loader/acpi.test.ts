// The ACPI tables a Linux kernel finds (src/loader/acpi.ts), parsed back the way a kernel does: the RSDP found by
// scanning the BIOS area at 16-byte steps (Linux acpi_find_root_pointer), every checksum and length, the RSDT's
// pointers, the revision-1 FADT's PIIX4 blocks (QEMU 7.2 acpi_get_pm_info with smm=off), the 64-byte FACS, the
// MADT's entries as QEMU's acpi_build_madt emits them, and the DSDT's \_S5 and PNP0A03 objects; all of it inside
// the E820 "reserved" ranges the kernel is told about.
import { describe, expect, it } from 'vitest';
import { createPhysicalMemory } from '../../src/cpu/index.js';
import { ACPI_GPE0_BLK, ACPI_PM1_CNT, ACPI_PM1_EVT, ACPI_PM_TMR } from '../../src/devices/acpi-pm.js';
import { amlPkgLength, buildAcpiTables, eisaId, writeAcpiTables } from '../../src/loader/acpi.js';
import { E820_RESERVED, e820Map } from '../../src/loader/multiboot.js';

const MiB = 1 << 20;

function tablesIn(memSize: number) {
  const mem = createPhysicalMemory(memSize);
  writeAcpiTables(mem, memSize);
  const dv = new DataView(mem.u8.buffer, mem.u8.byteOffset);
  const str = (at: number, n: number) => String.fromCharCode(...mem.u8.subarray(at, at + n));
  const sum = (at: number, n: number) => mem.u8.subarray(at, at + n).reduce((a, b) => a + b, 0) & 0xff;
  return { mem, dv, str, sum };
}

describe.each([256, 3584])('ACPI tables, %d MiB', (mib) => {
  const { dv, str, sum } = tablesIn(mib * MiB);
  let rsdp = -1;
  for (let a = 0xe0000; a < 0x100000; a += 16) if (str(a, 8) === 'RSD PTR ' && sum(a, 20) === 0) { rsdp = a; break; }
  const header = (at: number) => ({ sig: str(at, 4), length: dv.getUint32(at + 4, true), revision: dv.getUint8(at + 8), oem: str(at + 10, 6), table: str(at + 16, 8), creator: str(at + 28, 4), ok: sum(at, dv.getUint32(at + 4, true)) === 0 });

  it('RSDP (ACPI 1.0) in the BIOS area points at an RSDT listing FACP and APIC', () => {
    expect(rsdp).toBeGreaterThan(0);
    expect(dv.getUint8(rsdp + 15)).toBe(0); // revision 0: no XSDT, as QEMU's pc machine
    expect(str(rsdp + 9, 6)).toBe('BOCHS ');
    const rsdt = dv.getUint32(rsdp + 16, true);
    expect(header(rsdt)).toEqual({ sig: 'RSDT', length: 36 + 8, revision: 1, oem: 'BOCHS ', table: 'BXPC    ', creator: 'BXPC', ok: true });
    const entries = [dv.getUint32(rsdt + 36, true), dv.getUint32(rsdt + 40, true)];
    expect(entries.map((e) => header(e).sig)).toEqual(['FACP', 'APIC']);
    for (const e of entries) expect(header(e).ok).toBe(true);
  });

  it('FADT revision 1: PIIX4 PM blocks, SCI 9, no SMI_CMD, a 24-bit PM timer, FACS and DSDT', () => {
    const fadt = dv.getUint32(dv.getUint32(rsdp + 16, true) + 36, true);
    expect(header(fadt)).toMatchObject({ length: 116, revision: 1, ok: true });
    const facs = dv.getUint32(fadt + 36, true), dsdt = dv.getUint32(fadt + 40, true);
    expect(dv.getUint8(fadt + 44)).toBe(1); // INT_MODEL: multiple APIC
    expect(dv.getUint16(fadt + 46, true)).toBe(9);
    expect(dv.getUint32(fadt + 48, true)).toBe(0); // SMI_CMD
    expect([56, 64, 76, 80].map((o) => dv.getUint32(fadt + o, true))).toEqual([ACPI_PM1_EVT, ACPI_PM1_CNT, ACPI_PM_TMR, ACPI_GPE0_BLK]);
    expect([88, 89, 91, 92].map((o) => dv.getUint8(fadt + o))).toEqual([4, 2, 4, 4]);
    expect([dv.getUint16(fadt + 96, true), dv.getUint16(fadt + 98, true)]).toEqual([0xfff, 0xfff]);
    expect(dv.getUint8(fadt + 108)).toBe(0x32); // RTC century
    const flags = dv.getUint32(fadt + 112, true);
    expect(flags).toBe(0x80a5); // WBINVD, PROC_C1, SLP_BUTTON, RTC_S4, USE_PLATFORM_CLOCK
    expect(flags & (1 << 8)).toBe(0); // TMR_VAL_EXT clear: 24-bit timer
    expect(facs % 64).toBe(0);
    expect([str(facs, 4), dv.getUint32(facs + 4, true)]).toEqual(['FACS', 64]);
    expect(header(dsdt)).toMatchObject({ sig: 'DSDT', revision: 1, ok: true });
  });

  it('MADT: LAPIC 0, I/O APIC 0 at 0xFEC00000 from GSI 0, QEMU interrupt source overrides, LINT1 NMI', () => {
    const madt = dv.getUint32(dv.getUint32(rsdp + 16, true) + 40, true);
    const h = header(madt);
    expect(h).toMatchObject({ length: 0x78, revision: 1, ok: true });
    expect([dv.getUint32(madt + 36, true), dv.getUint32(madt + 40, true)]).toEqual([0xfee00000, 1]);
    const entries: unknown[] = [];
    for (let at = madt + 44; at < madt + h.length; at += dv.getUint8(at + 1)) {
      const type = dv.getUint8(at);
      if (type === 0) entries.push(['lapic', dv.getUint8(at + 2), dv.getUint8(at + 3), dv.getUint32(at + 4, true)]);
      else if (type === 1) entries.push(['ioapic', dv.getUint8(at + 2), dv.getUint32(at + 4, true).toString(16), dv.getUint32(at + 8, true)]);
      else if (type === 2) entries.push(['iso', dv.getUint8(at + 2), dv.getUint8(at + 3), dv.getUint32(at + 4, true), dv.getUint16(at + 8, true)]);
      else if (type === 4) entries.push(['nmi', dv.getUint8(at + 2), dv.getUint16(at + 3, true), dv.getUint8(at + 5)]);
      else entries.push(['?', type]);
    }
    expect(entries).toEqual([
      ['lapic', 0, 0, 1],
      ['ioapic', 0, 'fec00000', 0],
      ['iso', 0, 0, 2, 0],
      ['iso', 0, 5, 5, 0xd],
      ['iso', 0, 9, 9, 0xd],
      ['iso', 0, 10, 10, 0xd],
      ['iso', 0, 11, 11, 0xd],
      ['nmi', 0xff, 0, 1],
    ]);
  });

  it('DSDT: \\_S5 = Package(4){0,0,0,0} and \\_SB.PCI0 with _HID PNP0A03', () => {
    const fadt = dv.getUint32(dv.getUint32(rsdp + 16, true) + 36, true);
    const dsdt = dv.getUint32(fadt + 40, true);
    const aml = [...new Uint8Array(dv.buffer, dv.byteOffset + dsdt + 36, header(dsdt).length - 36)];
    const find = (needle: number[]) => aml.findIndex((_, i) => needle.every((b, k) => aml[i + k] === b));
    // NameOp '\' "_S5_" PackageOp PkgLength(6) NumElements(4) Zero x4
    expect(find([0x08, 0x5c, ...Buffer.from('_S5_'), 0x12, 0x06, 0x04, 0, 0, 0, 0])).toBeGreaterThanOrEqual(0);
    // NameOp "_HID" DWordPrefix EISAID("PNP0A03") = 0x030AD041
    expect(eisaId('PNP0A03')).toBe(0x030ad041);
    expect(find([0x08, ...Buffer.from('_HID'), 0x0c, 0x41, 0xd0, 0x0a, 0x03])).toBeGreaterThanOrEqual(0);
    expect(find([0x5b, 0x82])).toBeGreaterThanOrEqual(0); // DeviceOp
  });

  it('everything lies in E820 "reserved" ranges', () => {
    const t = buildAcpiTables(mib * MiB);
    const reserved = e820Map(mib * MiB).filter(([, , type]) => type === E820_RESERVED).map(([b, l]) => [Number(b), Number(b + l)] as const);
    for (const [at, bytes] of t.blobs) expect(reserved.some(([lo, hi]) => at >= lo && at + bytes.length <= hi), `0x${at.toString(16)}`).toBe(true);
  });
});

describe('AML PkgLength (ACPI 2.0 16.2.4)', () => {
  it('is one byte below 63 and counts its own bytes beyond', () => {
    expect(amlPkgLength(5)).toEqual([6]);
    expect(amlPkgLength(62)).toEqual([63]);
    expect(amlPkgLength(63)).toEqual([0x40 | ((63 + 2) & 0xf), (63 + 2) >> 4]);
    expect(amlPkgLength(0x1000)).toEqual([0x80 | ((0x1003) & 0xf), (0x1003 >> 4) & 0xff, 0x1003 >> 12]);
  });
});
