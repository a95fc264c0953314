// PCI configuration mechanism #1 (PCI Local Bus Specification 3.0, 3.2.2.3.2) behind QEMU's `pc` machine host
// bridge: CONFIG_ADDRESS at 0xCF8 (32-bit), CONFIG_DATA at 0xCFC-0xCFF. The bus holds one function, the i440FX
// host bridge at 00:00.0 with the identity QEMU 7.2 gives it (hw/pci-host/i440fx.c i440fx_class_init: vendor
// 8086 Intel, device 1237 82441, revision 2, class 0600 host bridge; subsystem 1af4:1100 from hw/pci/pci.c
// pci_set_default_subsystem_id). Every other bus/device/function answers all ones, as QEMU's pci_data_read does
// for an address nothing decodes, so a guest scanning the bus finds it empty.
//
// What QEMU does that matters to a guest probing this: CONFIG_ADDRESS takes only 32-bit writes
// (pci_host_config_write ignores narrower ones; Linux's pci_check_type1 relies on a byte write to 0xCFB not
// changing it), reads return the latched value; CONFIG_DATA with the enable bit (31) clear reads all ones and
// drops writes (pci_data_read/pci_data_write). Not modelled: the PIIX3 ISA bridge and IDE/USB/PM functions
// QEMU puts at 00:01.x (nothing here needs them: the PM registers sit at their fixed ports, acpi-pm.ts), the
// PIIX3 reset control register at 0xCF9, PAM/SMRAM effects of the i440FX's registers (stored, no effect).

import type { PortDevice } from './iobus.js';

export const PCI_CONFIG_ADDRESS = 0xcf8;
export const PCI_CONFIG_DATA = 0xcfc;
/** CONFIG_ADDRESS bit 31: the next CONFIG_DATA access is a configuration cycle. */
export const PCI_CONFIG_ENABLE = 0x80000000;

// Configuration header offsets (PCI 3.0 6.1).
export const PCI_VENDOR_ID = 0x00;
export const PCI_DEVICE_ID = 0x02;
export const PCI_COMMAND = 0x04;
export const PCI_STATUS = 0x06;
export const PCI_REVISION_ID = 0x08;
export const PCI_CLASS_PROG = 0x09;
export const PCI_CLASS_DEVICE = 0x0a;
export const PCI_CACHE_LINE_SIZE = 0x0c;
export const PCI_HEADER_TYPE = 0x0e;
export const PCI_SUBSYSTEM_VENDOR_ID = 0x2c;
export const PCI_SUBSYSTEM_ID = 0x2e;
export const PCI_INTERRUPT_LINE = 0x3c;
/** End of the standard header: the device-specific registers follow. */
export const PCI_CONFIG_HEADER_SIZE = 0x40;
export const PCI_CONFIG_SPACE_SIZE = 0x100;

// Command register bits software may write (QEMU pci_init_wmask: I/O, memory, bus master, INTx disable).
export const PCI_COMMAND_IO = 0x1;
export const PCI_COMMAND_MEMORY = 0x2;
export const PCI_COMMAND_MASTER = 0x4;
export const PCI_COMMAND_INTX_DISABLE = 0x400;

export const PCI_VENDOR_ID_INTEL = 0x8086;
/** The 82441FX PMC, QEMU's i440FX host bridge (PCI_DEVICE_ID_INTEL_82441). */
export const PCI_DEVICE_ID_INTEL_82441 = 0x1237;
export const I440FX_REVISION = 0x02;
export const PCI_CLASS_BRIDGE_HOST = 0x0600;
/** QEMU's default subsystem IDs (PCI_SUBVENDOR_ID_REDHAT_QUMRANET, PCI_SUBDEVICE_ID_QEMU). */
export const PCI_SUBVENDOR_ID_REDHAT_QUMRANET = 0x1af4;
export const PCI_SUBDEVICE_ID_QEMU = 0x1100;
/** i440FX SMRAM control register and its reset value (QEMU i440fx_realize: D_OPEN clear, C_BASE_SEG = 010b). */
export const I440FX_SMRAM = 0x72;
export const I440FX_SMRAM_RESET = 0x02;

/** One PCI function's 256-byte configuration space with the mask of bits software can change. */
class PciFunction {
  readonly config = new Uint8Array(PCI_CONFIG_SPACE_SIZE);
  private readonly initial: Uint8Array;
  constructor(
    init: (c: DataView) => void,
    private readonly wmask: Uint8Array,
  ) {
    init(new DataView(this.config.buffer));
    this.initial = this.config.slice();
  }

  read(offset: number, size: 1 | 2 | 4): number {
    let v = 0;
    for (let i = size - 1; i >= 0; i--) v = (v << 8) | this.config[(offset + i) & 0xff]!;
    return v >>> 0;
  }

  write(offset: number, size: 1 | 2 | 4, value: number): void {
    for (let i = 0; i < size; i++) {
      const at = (offset + i) & 0xff;
      const m = this.wmask[at]!;
      this.config[at] = (this.config[at]! & ~m) | ((value >>> (8 * i)) & m);
    }
  }

  reset(): void {
    this.config.set(this.initial);
  }
}

function i440fx(): PciFunction {
  const wmask = new Uint8Array(PCI_CONFIG_SPACE_SIZE);
  const cmd = PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER | PCI_COMMAND_INTX_DISABLE;
  wmask[PCI_COMMAND] = cmd & 0xff;
  wmask[PCI_COMMAND + 1] = cmd >> 8;
  wmask[PCI_CACHE_LINE_SIZE] = 0xff;
  wmask[PCI_INTERRUPT_LINE] = 0xff;
  wmask.fill(0xff, PCI_CONFIG_HEADER_SIZE); // device-specific registers (PAM, SMRAM...): stored
  return new PciFunction((c) => {
    c.setUint16(PCI_VENDOR_ID, PCI_VENDOR_ID_INTEL, true);
    c.setUint16(PCI_DEVICE_ID, PCI_DEVICE_ID_INTEL_82441, true);
    c.setUint8(PCI_REVISION_ID, I440FX_REVISION);
    c.setUint16(PCI_CLASS_DEVICE, PCI_CLASS_BRIDGE_HOST, true);
    c.setUint16(PCI_SUBSYSTEM_VENDOR_ID, PCI_SUBVENDOR_ID_REDHAT_QUMRANET, true);
    c.setUint16(PCI_SUBSYSTEM_ID, PCI_SUBDEVICE_ID_QEMU, true);
    c.setUint8(I440FX_SMRAM, I440FX_SMRAM_RESET);
  }, wmask);
}

/** CONFIG_ADDRESS fields: bus 23:16, device 15:11, function 10:8, register 7:2. */
const devfnKey = (addr: number): number => (addr >>> 8) & 0xffff;

export class PciHost implements PortDevice {
  readonly name = 'pci-host (i440FX)';
  private configAddress = 0;
  /** Functions by (bus << 8 | device << 3 | function). */
  private readonly functions = new Map<number, PciFunction>([[0, i440fx()]]);

  in(port: number, size: 1 | 2 | 4): number {
    if (port < PCI_CONFIG_DATA) {
      // Reads of CONFIG_ADDRESS see the latched value at any width (the memory API extracts the bytes).
      const shift = 8 * (port - PCI_CONFIG_ADDRESS);
      return size === 4 && shift === 0 ? this.configAddress >>> 0 : (this.configAddress >>> shift) & (size === 1 ? 0xff : 0xffff);
    }
    const f = this.selected();
    const ones = size === 1 ? 0xff : size === 2 ? 0xffff : 0xffffffff;
    if (f === undefined) return ones;
    return f.read((this.configAddress & 0xfc) + (port - PCI_CONFIG_DATA), size);
  }

  out(port: number, size: 1 | 2 | 4, value: number): void {
    if (port < PCI_CONFIG_DATA) {
      if (port === PCI_CONFIG_ADDRESS && size === 4) this.configAddress = value >>> 0;
      return;
    }
    this.selected()?.write((this.configAddress & 0xfc) + (port - PCI_CONFIG_DATA), size, value);
  }

  private selected(): PciFunction | undefined {
    if ((this.configAddress & PCI_CONFIG_ENABLE) === 0) return undefined;
    return this.functions.get(devfnKey(this.configAddress));
  }

  reset(): void {
    this.configAddress = 0;
    for (const f of this.functions.values()) f.reset();
  }
}
