// QEMU's firmware configuration device (fw_cfg), legacy I/O-port interface as on x86 PCs: a 16-bit
// selector written to port 0x510, then the selected item's bytes read one at a time from port 0x511,
// the offset advancing per read and restarting at 0 on every select. Format and item numbers from
// QEMU's docs/specs/fw_cfg.rst and include/standard-headers/linux/qemu_fw_cfg.h; port behaviour from
// hw/nvram/fw_cfg.c (fw_cfg_comb_*): a byte read at either port reads data, a 16-bit write selects, a
// byte write is a (no longer supported, ignored) data write.
//
// Not modelled: the DMA interface (FW_CFG_ID says traditional interface only, port 0x514 is not
// claimed), writes to items, and every item other than those below (they read as 0, like QEMU's
// items without data).

import type { PortDevice } from './iobus.js';

export const FW_CFG_PORT_SEL = 0x510;
export const FW_CFG_PORT_DATA = 0x511;

// Item keys (qemu_fw_cfg.h).
export const FW_CFG_SIGNATURE = 0x00;
export const FW_CFG_ID = 0x01;
export const FW_CFG_UUID = 0x02;
export const FW_CFG_RAM_SIZE = 0x03;
export const FW_CFG_NB_CPUS = 0x05;
export const FW_CFG_MAX_CPUS = 0x0f;
export const FW_CFG_FILE_DIR = 0x19;
/** First selector of "file" items listed in FILE_DIR. */
export const FW_CFG_FILE_FIRST = 0x20;
/** Selector bit 14: write channel; bit 15: architecture-specific item (fw_cfg.rst "Selector Register"). */
export const FW_CFG_WRITE_CHANNEL = 0x4000;
export const FW_CFG_ARCH_LOCAL = 0x8000;

/** FW_CFG_ID feature bits. */
export const FW_CFG_VERSION_TRADITIONAL = 1 << 0;
export const FW_CFG_VERSION_DMA = 1 << 1;

/** FWCfgFile entry: size (4, BE), select (2, BE), reserved (2), name (56, NUL-terminated). */
const FILE_ENTRY_SIZE = 64;
const FILE_NAME_MAX = 56;

export interface FwCfgOptions {
  /** Guest RAM in bytes (FW_CFG_RAM_SIZE). */
  ramSize: number;
  /** CPUs (FW_CFG_NB_CPUS, FW_CFG_MAX_CPUS); default 1. */
  cpus?: number;
}

export class FwCfg implements PortDevice {
  readonly name = 'fw_cfg';
  private readonly items = new Map<number, Uint8Array>();
  private readonly files: { name: string; select: number; data: Uint8Array }[] = [];
  private selected: Uint8Array | undefined;
  private offset = 0;

  constructor(opts: FwCfgOptions) {
    const cpus = opts.cpus ?? 1;
    this.items.set(FW_CFG_SIGNATURE, new TextEncoder().encode('QEMU'));
    this.items.set(FW_CFG_ID, le(FW_CFG_VERSION_TRADITIONAL, 4));
    this.items.set(FW_CFG_UUID, new Uint8Array(16));
    this.items.set(FW_CFG_RAM_SIZE, le(opts.ramSize, 8));
    this.items.set(FW_CFG_NB_CPUS, le(cpus, 2));
    this.items.set(FW_CFG_MAX_CPUS, le(cpus, 2));
    this.rebuildDir();
    this.select(FW_CFG_SIGNATURE);
  }

  /** Add a named "file" item (listed in FILE_DIR); returns its selector. */
  addFile(name: string, data: Uint8Array): number {
    const bytes = new TextEncoder().encode(name);
    if (bytes.length >= FILE_NAME_MAX) throw new Error(`fw_cfg file name too long (max ${FILE_NAME_MAX - 1} bytes): ${name}`);
    if (this.files.some((f) => f.name === name)) throw new Error(`fw_cfg file ${name} already exists`);
    const select = FW_CFG_FILE_FIRST + this.files.length;
    this.files.push({ name, select, data });
    this.items.set(select, data);
    this.rebuildDir();
    return select;
  }

  /** Back to the state after power-on: the signature selected. */
  reset(): void {
    this.select(FW_CFG_SIGNATURE);
  }

  /** Write the selector: the write-channel bit does not change which item is read; offset restarts at 0. */
  select(key: number): void {
    this.selected = this.items.get(key & 0xffff & ~FW_CFG_WRITE_CHANNEL);
    this.offset = 0;
  }

  /** One data byte; 0 past the end of the item or for an item without data. */
  readByte(): number {
    const d = this.selected;
    if (d === undefined || this.offset >= d.length) return 0;
    return d[this.offset++]!;
  }

  in(_port: number, size: 1 | 2 | 4): number {
    // Only byte reads are valid on the combined port; QEMU's memory core answers others with 0.
    return size === 1 ? this.readByte() : 0;
  }

  out(_port: number, size: 1 | 2 | 4, value: number): void {
    if (size === 2) this.select(value & 0xffff);
    // Byte writes are data writes, ignored since QEMU 2.4; wider writes are invalid and dropped.
  }

  private rebuildDir(): void {
    const dir = new Uint8Array(4 + FILE_ENTRY_SIZE * this.files.length);
    const dv = new DataView(dir.buffer);
    dv.setUint32(0, this.files.length, false); // count, big-endian
    this.files.forEach((f, i) => {
      const at = 4 + i * FILE_ENTRY_SIZE;
      dv.setUint32(at, f.data.length, false);
      dv.setUint16(at + 4, f.select, false);
      dir.set(new TextEncoder().encode(f.name), at + 8);
    });
    this.items.set(FW_CFG_FILE_DIR, dir);
  }
}

/** `n` as a little-endian integer of `bytes` bytes (exact up to 2^53). */
function le(n: number, bytes: number): Uint8Array {
  const out = new Uint8Array(bytes);
  let v = n;
  for (let i = 0; i < bytes; i++) {
    out[i] = v % 256;
    v = Math.floor(v / 256);
  }
  return out;
}
