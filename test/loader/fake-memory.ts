// A plain PhysicalMemory for loader tests that must not depend on the CPU's implementation.
import type { PhysicalMemory } from '../../src/cpu/api.js';

export class FakeMemory implements PhysicalMemory {
  readonly u8: Uint8Array;
  writes = 0;
  constructor(readonly size: number) {
    this.u8 = new Uint8Array(size);
  }
  /** Loader tests stay below 3.5 GiB: all RAM from 0, RAM offset = physical address. */
  get lowSize(): number {
    return this.size;
  }
  ramOffset(phys: number): number {
    return phys >= 0 && phys < this.size ? phys : -1;
  }
  readPhys(addr: number, len: number): Uint8Array {
    return this.u8.slice(addr, addr + len);
  }
  writePhys(addr: number, data: Uint8Array): void {
    if (addr < 0 || addr + data.length > this.size) throw new RangeError(`write outside memory at 0x${addr.toString(16)}`);
    this.writes++;
    this.u8.set(data, addr);
  }
  u64(addr: number): bigint {
    return new DataView(this.u8.buffer).getBigUint64(addr, true);
  }
}
