// QEMU's pc-testdev (hw/misc/pc-testdev.c), the ISA test device kvm-unit-tests' x86/run always adds
// (`-device pc-testdev`): the emulator, eventinj, realmode, lam and ioapic tests use it. dbstub attaches it
// on every machine, as it does isa-debug-exit. Its parts, as QEMU 7.2 lays them out:
//   0xE0-0xE3   a 32-bit data register: a write of n bytes at 0xE0+k replaces bytes k..k+n-1, a read
//               returns them (test_ioport_read/write)
//   0xE4-0xE7   "flush page": QEMU mprotects the host page to flush KVM's mappings; there is nothing
//               to flush here (dbstub's TLB is the CPU's own), so writes are accepted and do nothing
//   0xE8-0xEB   the same data register through a byte-wide window
//   0x2000-0x2017  ISA IRQ line n (one byte each): a write of v drives line n to v != 0 (test_irq_line);
//               lines go to the I/O APIC (IRQ 0 on pin 2); reads return 0 (QEMU has no read handler)
//   MMIO 0xFF000000, 64 KiB  RAM-like scratch memory (test_iomem_read/write), for MMIO emulation tests.
// QEMU gives the device no reset handler: its data register and scratch memory survive a system reset.

import type { MmioRegion } from '../cpu/index.js';
import type { PortDevice } from './iobus.js';

export const PC_TESTDEV_IOPORT = 0xe0;
export const PC_TESTDEV_FLUSH = 0xe4;
export const PC_TESTDEV_IOPORT_BYTE = 0xe8;
export const PC_TESTDEV_IRQ_LINE = 0x2000;
export const PC_TESTDEV_IRQ_LINES = 24;
export const PC_TESTDEV_IOMEM_BASE = 0xff000000;
export const PC_TESTDEV_IOMEM_SIZE = 0x10000;

/** The ports (0xE0-0xEB and 0x2000-0x2017). */
export class PcTestdevPorts implements PortDevice {
  readonly name = 'pc-testdev';
  private data = 0;

  constructor(private readonly setIsaIrq: (irq: number, level: boolean) => void) {}

  in(port: number, size: 1 | 2 | 4): number {
    if (port >= PC_TESTDEV_IRQ_LINE) return 0;
    if (port >= PC_TESTDEV_FLUSH && port < PC_TESTDEV_IOPORT_BYTE) return 0;
    const shift = (port & 3) * 8;
    return ((this.data & maskOf(size, shift)) >>> shift) >>> 0;
  }

  out(port: number, size: 1 | 2 | 4, value: number): void {
    if (port >= PC_TESTDEV_IRQ_LINE) {
      // QEMU: valid accesses are 1 byte wide; the byte is the line level.
      this.setIsaIrq(port - PC_TESTDEV_IRQ_LINE, (value & 0xff) !== 0);
      return;
    }
    if (port >= PC_TESTDEV_FLUSH && port < PC_TESTDEV_IOPORT_BYTE) return;
    const shift = (port & 3) * 8;
    const mask = maskOf(size, shift);
    this.data = ((this.data & ~mask) | ((value << shift) & mask)) >>> 0;
  }
}

function maskOf(size: 1 | 2 | 4, shift: number): number {
  const m = size === 4 ? 0xffffffff : size === 2 ? 0xffff : 0xff;
  return (m << shift) >>> 0;
}

/** The 64 KiB scratch window at 0xFF000000. */
export class PcTestdevIomem implements MmioRegion {
  readonly base = PC_TESTDEV_IOMEM_BASE;
  readonly size = PC_TESTDEV_IOMEM_SIZE;
  private readonly buf = new Uint8Array(PC_TESTDEV_IOMEM_SIZE);

  read(offset: number, size: 1 | 2 | 4): number {
    const b = this.buf;
    let v = 0;
    for (let k = size - 1; k >= 0; k--) v = (v << 8) | (b[offset + k] ?? 0);
    return v >>> 0;
  }

  write(offset: number, size: 1 | 2 | 4, value: number): void {
    for (let k = 0; k < size && offset + k < PC_TESTDEV_IOMEM_SIZE; k++) this.buf[offset + k] = (value >>> (8 * k)) & 0xff;
  }
}
