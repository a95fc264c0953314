// Port I/O bus: a 64 Ki-entry table from port to device. Ports no device claims read as all ones
// (an ISA bus with nothing driving the data lines floats high) and writes to them are dropped; each
// unclaimed port is logged once so a guest probing hardware does not flood the log.

import type { IoBus } from '../cpu/index.js';

export interface PortDevice {
  readonly name: string;
  /** `port` is the absolute port number. */
  in(port: number, size: 1 | 2 | 4): number;
  out(port: number, size: 1 | 2 | 4, value: number): void;
}

export type UnclaimedPortListener = (port: number, dir: 'in' | 'out', size: 1 | 2 | 4, value?: number) => void;

const ALL_ONES = [0, 0xff, 0xffff, 0, 0xffffffff] as const;

export class IoPortBus implements IoBus {
  private readonly table: (PortDevice | undefined)[] = new Array(0x10000).fill(undefined);
  private readonly reported = new Set<number>();

  constructor(private readonly onUnclaimed?: UnclaimedPortListener) {}

  /** Claim ports [first, first+count). Throws on overlap: two devices on one port is a wiring bug. */
  attach(first: number, count: number, dev: PortDevice): void {
    for (let p = first; p < first + count; p++) {
      const cur = this.table[p];
      if (cur) throw new Error(`I/O port 0x${p.toString(16)} already claimed by ${cur.name}`);
    }
    for (let p = first; p < first + count; p++) this.table[p] = dev;
  }

  deviceAt(port: number): PortDevice | undefined {
    return this.table[port & 0xffff];
  }

  in(port: number, size: 1 | 2 | 4): number {
    const dev = this.table[port & 0xffff];
    if (dev) return dev.in(port & 0xffff, size);
    this.unclaimed(port & 0xffff, 'in', size);
    return ALL_ONES[size];
  }

  out(port: number, size: 1 | 2 | 4, value: number): void {
    const dev = this.table[port & 0xffff];
    if (dev) dev.out(port & 0xffff, size, value);
    else this.unclaimed(port & 0xffff, 'out', size, value);
  }

  /** Forget which unclaimed ports were reported (machine reset). */
  resetReports(): void {
    this.reported.clear();
  }

  private unclaimed(port: number, dir: 'in' | 'out', size: 1 | 2 | 4, value?: number): void {
    if (this.reported.has(port)) return;
    this.reported.add(port);
    this.onUnclaimed?.(port, dir, size, value);
  }
}
