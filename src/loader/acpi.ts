// The ACPI tables QEMU 7.2's `pc` machine builds (hw/i386/acpi-build.c acpi_build, hw/i386/acpi-common.c
// acpi_build_madt) and SeaBIOS installs, for the devices dbstub models: the RSDP in the BIOS area (ACPI 1.0,
// revision 0, pointing at an RSDT, as QEMU gives a `pc` guest), the RSDT, a revision-1 FADT (QEMU keeps rev 1
// for PIIX4: "w2k requires FADT(rev1)"), the FACS, a DSDT and the MADT. No HPET table (no HPET is modelled)
// and no WAET. Table contents follow ACPI 1.0b / 2.0 (sections 5.2.x) and QEMU's values; where QEMU's depend
// on its SMM emulation, the values are the ones it builds with `-machine smm=off` (dbstub models no SMM):
// SMI_CMD, ACPI_ENABLE and ACPI_DISABLE 0, the PM hardware in ACPI mode from reset (src/devices/acpi-pm.ts).
//
// Where they go: SeaBIOS copies the tables into the reserved area at the top of RAM below 4 GiB (the 128 KiB
// multiboot.ts calls SEABIOS_HIGH_RESERVED, e820 "reserved") and the RSDP into the F segment, where Linux's
// acpi_find_root_pointer scans for it (16-byte aligned, 0xE0000-0xFFFFF).
//
// The DSDT is hand-assembled AML (ACPI 2.0 chapter 16): \_SB.PCI0 (PNP0A03, the i440FX host bridge of
// src/devices/pci-host.ts, with the _CRS QEMU's build_crs gives bus 0: bus numbers 0-255, the config ports,
// the I/O ranges around them, the VGA window and the PCI hole up to the I/O APIC) and \_S5 = {0, 0, 0, 0}
// (SLP_TYP 0, the soft-off QEMU's acpi_pm1_cnt_write implements). Nothing else QEMU's DSDT carries (PCI
// hotplug, CPU hotplug, the ISA devices, _PRT routing for slots that cannot hold a device here).

import type { PhysicalMemory } from '../cpu/index.js';
import { ACPI_GPE0_BLK, ACPI_GPE0_BLK_LEN, ACPI_PM1_CNT, ACPI_PM1_CNT_LEN, ACPI_PM1_EVT, ACPI_PM1_EVT_LEN, ACPI_PM_TMR, ACPI_PM_TMR_LEN, ACPI_SCI_IRQ, ACPI_SLP_TYP_S5 } from '../devices/acpi-pm.js';
import { IOAPIC_DEFAULT_BASE } from '../devices/ioapic.js';
import { PCI_CONFIG_ADDRESS } from '../devices/pci-host.js';
import { lowMemorySize, SEABIOS_HIGH_RESERVED } from './multiboot.js';

/** Where the RSDP goes: the start of the F segment (SeaBIOS puts it in the F segment too, at an address that
 *  depends on its build; the guest finds it by scanning). */
export const ACPI_RSDP_ADDR = 0xf0000;
export const ACPI_RSDP_SIZE_V1 = 20;
export const ACPI_HEADER_SIZE = 36;
export const ACPI_FACS_SIZE = 64;
/** FADT revision 1 (ACPI 1.0b Table 5-7): 116 bytes. */
export const ACPI_FADT_V1_SIZE = 116;

/** QEMU's identification strings (include/hw/acpi/aml-build.h ACPI_BUILD_APPNAME6/8/4). */
export const ACPI_OEM_ID = 'BOCHS ';
export const ACPI_OEM_TABLE_ID = 'BXPC    ';
export const ACPI_CREATOR_ID = 'BXPC';
export const ACPI_OEM_REVISION = 1;
export const ACPI_CREATOR_REVISION = 1;

// FADT flags (ACPI 1.0b Table 5-9; QEMU init_common_fadt_data).
export const FADT_F_WBINVD = 1 << 0;
export const FADT_F_PROC_C1 = 1 << 2;
export const FADT_F_SLP_BUTTON = 1 << 5;
export const FADT_F_RTC_S4 = 1 << 7;
export const FADT_F_TMR_VAL_EXT = 1 << 8;
export const FADT_F_USE_PLATFORM_CLOCK = 1 << 15;
/** FADT INT_MODEL 1: multiple APIC. */
export const FADT_INT_MODEL_APIC = 1;
/** The CMOS index of the century byte (QEMU RTC_CENTURY). */
export const RTC_CENTURY = 0x32;
/** P_LVL2_LAT / P_LVL3_LAT above 100 / 1000: C2 / C3 not supported. */
export const FADT_CX_NOT_SUPPORTED = 0xfff;

// MADT (ACPI 2.0 5.2.10.4).
export const MADT_LOCAL_APIC_ADDR = 0xfee00000;
export const MADT_PCAT_COMPAT = 1;
export const MADT_TYPE_LOCAL_APIC = 0;
export const MADT_TYPE_IO_APIC = 1;
export const MADT_TYPE_INT_SRC_OVERRIDE = 2;
export const MADT_TYPE_LOCAL_APIC_NMI = 4;
/** Local APIC flags bit 0: enabled. */
export const MADT_LAPIC_ENABLED = 1;
/** QEMU's ACPI_BUILD_IOAPIC_ID (and the I/O APIC's reset ID, src/devices/ioapic.ts). */
export const ACPI_BUILD_IOAPIC_ID = 0;
/** MPS INTI flags: polarity active high (01b), trigger level (11b << 2). */
export const MPS_INTI_ACTIVE_HIGH_LEVEL = 0xd;
/** ISA IRQs QEMU's pc machine routes PCI interrupts to (ACPI_BUILD_PCI_IRQS): level, active high. */
export const ACPI_BUILD_PCI_IRQS = [5, 9, 10, 11] as const;
/** The local APIC input NMI comes in on (LINT1), for all processors (0xFF). */
export const MADT_NMI_ALL_PROCESSORS = 0xff;
export const MADT_NMI_LINT1 = 1;

export interface AcpiLayout {
  rsdp: number;
  facs: number;
  dsdt: number;
  fadt: number;
  madt: number;
  rsdt: number;
  /** First byte after the tables. */
  end: number;
}

export interface AcpiTables {
  layout: AcpiLayout;
  /** [physical address, bytes] to write. */
  blobs: [number, Uint8Array][];
}

const ascii = (s: string): number[] => [...s].map((c) => c.charCodeAt(0));

/** Fix up byte `at` so that the bytes of `t` sum to 0 mod 256 (every ACPI checksum). */
function checksum(t: Uint8Array, at: number): void {
  t[at] = 0;
  let sum = 0;
  for (const b of t) sum += b;
  t[at] = (256 - (sum & 0xff)) & 0xff;
}

/** A table: the 36-byte header (ACPI 2.0 5.2.6) then `body`; length and checksum filled in. */
function sdt(signature: string, revision: number, body: Uint8Array): Uint8Array {
  const t = new Uint8Array(ACPI_HEADER_SIZE + body.length);
  const dv = new DataView(t.buffer);
  t.set(ascii(signature), 0);
  dv.setUint32(4, t.length, true);
  t[8] = revision;
  t.set(ascii(ACPI_OEM_ID), 10);
  t.set(ascii(ACPI_OEM_TABLE_ID), 16);
  dv.setUint32(24, ACPI_OEM_REVISION, true);
  t.set(ascii(ACPI_CREATOR_ID), 28);
  dv.setUint32(32, ACPI_CREATOR_REVISION, true);
  t.set(body, ACPI_HEADER_SIZE);
  checksum(t, 9);
  return t;
}

/** Little-endian byte writer. */
class Bytes {
  readonly out: number[] = [];
  u8(v: number): this {
    this.out.push(v & 0xff);
    return this;
  }
  u16(v: number): this {
    return this.u8(v).u8(v >>> 8);
  }
  u32(v: number): this {
    return this.u16(v & 0xffff).u16(v >>> 16);
  }
  bytes(b: readonly number[]): this {
    this.out.push(...b);
    return this;
  }
  done(): Uint8Array {
    return Uint8Array.from(this.out);
  }
}

// ---- AML (ACPI 2.0 chapter 16) ----
const AML_ZERO_OP = 0x00;
const AML_NAME_OP = 0x08;
const AML_BYTE_PREFIX = 0x0a;
const AML_DWORD_PREFIX = 0x0c;
const AML_SCOPE_OP = 0x10;
const AML_BUFFER_OP = 0x11;
const AML_PACKAGE_OP = 0x12;
const AML_EXT_OP_PREFIX = 0x5b;
const AML_DEVICE_OP = 0x82;
const AML_ROOT_CHAR = 0x5c;

/** PkgLength (16.2.4): the length of what follows including the PkgLength bytes themselves. */
export function amlPkgLength(contentLength: number): number[] {
  if (contentLength + 1 < 0x40) return [contentLength + 1];
  for (let n = 1; n <= 3; n++) {
    const total = contentLength + 1 + n;
    if (total < 1 << (4 + 8 * n)) {
      const out = [(n << 6) | (total & 0xf)];
      for (let i = 0; i < n; i++) out.push((total >>> (4 + 8 * i)) & 0xff);
      return out;
    }
  }
  throw new Error('AML package too long');
}
const pkg = (op: number[], content: number[]): number[] => [...op, ...amlPkgLength(content.length), ...content];
/** A NameSeg: four characters, padded with '_'. */
const nameSeg = (s: string): number[] => ascii(s.padEnd(4, '_'));
const amlInt = (v: number): number[] => (v === 0 ? [AML_ZERO_OP] : v <= 0xff ? [AML_BYTE_PREFIX, v] : [AML_DWORD_PREFIX, ...new Bytes().u32(v).out]);
const amlName = (name: number[], value: number[]): number[] => [AML_NAME_OP, ...name, ...value];

/** EISAID("PNP0A03"): three 5-bit letters and four hex digits, stored big-endian (ACPI 2.0 18.5.35). */
export function eisaId(id: string): number {
  const l = (i: number) => id.charCodeAt(i) - 0x40;
  const hi = (l(0) << 10) | (l(1) << 5) | l(2);
  const prod = Number.parseInt(id.slice(3), 16);
  return ((hi >> 8) | ((hi & 0xff) << 8) | ((prod >> 8) << 16) | ((prod & 0xff) << 24)) >>> 0;
}

// Resource descriptors (ACPI 2.0 6.4).
const RES_IO = 0x47;
const RES_IO_DECODE16 = 0x01;
const RES_DWORD_ADDRESS = 0x87;
const RES_WORD_ADDRESS = 0x88;
const RES_END_TAG = 0x79;
const RES_TYPE_MEMORY = 0, RES_TYPE_IO = 1, RES_TYPE_BUS = 2;
/** General flags: MIF | MAF (min and max fixed), positive decode. */
const RES_MIN_MAX_FIXED = 0x0c;
/** I/O type-specific flags: the entire ISA range. */
const RES_IO_ENTIRE_RANGE = 0x03;
/** Memory type-specific flags: cacheable (MEM = 01b), read/write. */
const RES_MEM_CACHEABLE_RW = 0x03;

const wordAddress = (type: number, specific: number, min: number, max: number): number[] =>
  new Bytes().u8(RES_WORD_ADDRESS).u16(13).u8(type).u8(RES_MIN_MAX_FIXED).u8(specific).u16(0).u16(min).u16(max).u16(0).u16(max - min + 1).out;
const dwordMemory = (min: number, max: number): number[] =>
  new Bytes().u8(RES_DWORD_ADDRESS).u16(23).u8(RES_TYPE_MEMORY).u8(RES_MIN_MAX_FIXED).u8(RES_MEM_CACHEABLE_RW).u32(0).u32(min).u32(max).u32(0).u32(max - min + 1).out;

/** PCI0's _CRS as QEMU's build_crs makes it for a bus-0-only i440FX. */
function pciCrs(lowRamTop: number): number[] {
  const vgaStart = 0xa0000, vgaEnd = 0xbffff;
  // The 32-bit PCI hole: from the top of RAM below 4 GiB to below the I/O APIC (QEMU i440fx pci_hole).
  const holeEnd = IOAPIC_DEFAULT_BASE - 1;
  const template = [
    ...wordAddress(RES_TYPE_BUS, 0, 0x00, 0xff),
    ...new Bytes().u8(RES_IO).u8(RES_IO_DECODE16).u16(PCI_CONFIG_ADDRESS).u16(PCI_CONFIG_ADDRESS).u8(1).u8(8).out,
    ...wordAddress(RES_TYPE_IO, RES_IO_ENTIRE_RANGE, 0x0000, PCI_CONFIG_ADDRESS - 1),
    ...wordAddress(RES_TYPE_IO, RES_IO_ENTIRE_RANGE, 0x0d00, 0xffff),
    ...dwordMemory(vgaStart, vgaEnd),
    ...dwordMemory(lowRamTop, holeEnd),
    RES_END_TAG, 0x00, // checksum 0: "treated as if the checksum operation yielded zero"
  ];
  return pkg([AML_BUFFER_OP], [...amlInt(template.length), ...template]);
}

export function buildDsdtAml(lowRamTop: number): number[] {
  const pci0 = pkg([AML_EXT_OP_PREFIX, AML_DEVICE_OP], [
    ...nameSeg('PCI0'),
    ...amlName(nameSeg('_HID'), [AML_DWORD_PREFIX, ...new Bytes().u32(eisaId('PNP0A03')).out]),
    ...amlName(nameSeg('_ADR'), amlInt(0)),
    ...amlName(nameSeg('_UID'), amlInt(0)),
    ...amlName(nameSeg('_CRS'), pciCrs(lowRamTop)),
  ]);
  const sb = pkg([AML_SCOPE_OP], [AML_ROOT_CHAR, ...nameSeg('_SB'), ...pci0]);
  // Name(\_S5, Package(4) {SLP_TYPa, SLP_TYPb, 0, 0}) (QEMU build_dsdt: aml_name_decl("_S5", pkg of zeros)).
  const s5 = amlName([AML_ROOT_CHAR, ...nameSeg('_S5')], pkg([AML_PACKAGE_OP], [4, ...amlInt(ACPI_SLP_TYP_S5), ...amlInt(ACPI_SLP_TYP_S5), AML_ZERO_OP, AML_ZERO_OP]));
  return [...sb, ...s5];
}

function fadtBody(facs: number, dsdt: number): Uint8Array {
  const b = new Bytes()
    .u32(facs) // FIRMWARE_CTRL
    .u32(dsdt) // DSDT
    .u8(FADT_INT_MODEL_APIC)
    .u8(0) // reserved (Preferred_PM_Profile from ACPI 2.0)
    .u16(ACPI_SCI_IRQ)
    .u32(0) // SMI_CMD: no SMM, so no ACPI enable/disable handshake
    .u8(0) // ACPI_ENABLE
    .u8(0) // ACPI_DISABLE
    .u8(0) // S4BIOS_REQ
    .u8(0) // reserved (PSTATE_CNT)
    .u32(ACPI_PM1_EVT) // PM1a_EVT_BLK
    .u32(0) // PM1b_EVT_BLK
    .u32(ACPI_PM1_CNT) // PM1a_CNT_BLK
    .u32(0) // PM1b_CNT_BLK
    .u32(0) // PM2_CNT_BLK
    .u32(ACPI_PM_TMR) // PM_TMR_BLK
    .u32(ACPI_GPE0_BLK)
    .u32(0) // GPE1_BLK
    .u8(ACPI_PM1_EVT_LEN)
    .u8(ACPI_PM1_CNT_LEN)
    .u8(0) // PM2_CNT_LEN
    .u8(ACPI_PM_TMR_LEN)
    .u8(ACPI_GPE0_BLK_LEN)
    .u8(0) // GPE1_BLK_LEN
    .u8(0) // GPE1_BASE
    .u8(0) // reserved (CST_CNT)
    .u16(FADT_CX_NOT_SUPPORTED) // P_LVL2_LAT
    .u16(FADT_CX_NOT_SUPPORTED) // P_LVL3_LAT
    .u16(0) // FLUSH_SIZE
    .u16(0) // FLUSH_STRIDE
    .u8(0) // DUTY_OFFSET
    .u8(0) // DUTY_WIDTH
    .u8(0) // DAY_ALRM
    .u8(0) // MON_ALRM
    .u8(RTC_CENTURY)
    .bytes([0, 0, 0]) // reserved in revision 1 (IAPC_BOOT_ARCH from ACPI 2.0: QEMU writes 0 for rev 1)
    // No TMR_VAL_EXT: a 24-bit PM timer, as QEMU's.
    .u32(FADT_F_WBINVD | FADT_F_PROC_C1 | FADT_F_SLP_BUTTON | FADT_F_RTC_S4 | FADT_F_USE_PLATFORM_CLOCK);
  return b.done();
}

function madtBody(): Uint8Array {
  const b = new Bytes().u32(MADT_LOCAL_APIC_ADDR).u32(MADT_PCAT_COMPAT);
  b.u8(MADT_TYPE_LOCAL_APIC).u8(8).u8(0 /* processor ID */).u8(0 /* APIC ID */).u32(MADT_LAPIC_ENABLED);
  b.u8(MADT_TYPE_IO_APIC).u8(12).u8(ACPI_BUILD_IOAPIC_ID).u8(0).u32(IOAPIC_DEFAULT_BASE).u32(0 /* GSI base */);
  // IRQ 0 -> GSI 2, bus-conforming flags (QEMU: apic_xrupt_override), then the PCI IRQs level/active high.
  b.u8(MADT_TYPE_INT_SRC_OVERRIDE).u8(10).u8(0 /* ISA */).u8(0).u32(2).u16(0);
  for (const irq of ACPI_BUILD_PCI_IRQS) b.u8(MADT_TYPE_INT_SRC_OVERRIDE).u8(10).u8(0).u8(irq).u32(irq).u16(MPS_INTI_ACTIVE_HIGH_LEVEL);
  b.u8(MADT_TYPE_LOCAL_APIC_NMI).u8(6).u8(MADT_NMI_ALL_PROCESSORS).u16(0).u8(MADT_NMI_LINT1);
  return b.done();
}

const align = (v: number, a: number): number => Math.ceil(v / a) * a;

/** Build the tables for a machine with `memorySize` bytes of RAM. */
export function buildAcpiTables(memorySize: number): AcpiTables {
  const lowTop = lowMemorySize(memorySize);
  const base = lowTop - SEABIOS_HIGH_RESERVED;
  const facs = base; // the FACS must be 64-byte aligned
  const dsdt = facs + ACPI_FACS_SIZE;
  const dsdtT = sdt('DSDT', 1, Uint8Array.from(buildDsdtAml(lowTop)));
  const fadt = align(dsdt + dsdtT.length, 8);
  const fadtT = sdt('FACP', 1, fadtBody(facs, dsdt));
  const madt = align(fadt + fadtT.length, 8);
  const madtT = sdt('APIC', 1, madtBody());
  const rsdt = align(madt + madtT.length, 8);
  const rsdtT = sdt('RSDT', 1, new Bytes().u32(fadt).u32(madt).done());

  const facsT = new Bytes().bytes(ascii('FACS')).u32(ACPI_FACS_SIZE).done();
  const facsFull = new Uint8Array(ACPI_FACS_SIZE);
  facsFull.set(facsT);

  const rsdp = new Uint8Array(ACPI_RSDP_SIZE_V1);
  rsdp.set(ascii('RSD PTR '), 0);
  rsdp.set(ascii(ACPI_OEM_ID), 9);
  rsdp[15] = 0; // revision 0: ACPI 1.0, RSDT only
  new DataView(rsdp.buffer).setUint32(16, rsdt, true);
  checksum(rsdp, 8);

  return {
    layout: { rsdp: ACPI_RSDP_ADDR, facs, dsdt, fadt, madt, rsdt, end: rsdt + rsdtT.length },
    blobs: [[ACPI_RSDP_ADDR, rsdp], [facs, facsFull], [dsdt, dsdtT], [fadt, fadtT], [madt, madtT], [rsdt, rsdtT]],
  };
}

export function writeAcpiTables(memory: PhysicalMemory, memorySize: number): AcpiLayout {
  const t = buildAcpiTables(memorySize);
  for (const [at, bytes] of t.blobs) memory.writePhys(at, bytes);
  return t.layout;
}
