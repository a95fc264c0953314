// The CPU layer's public surface. Other layers (machine, hv, vmm, loader, devices) use:
//   - createCpu / createPhysicalMemory below, which return the GuestCpu and PhysicalMemory contracts;
//   - the types of that contract (api.ts, re-exported here);
//   - the architectural constants named as the manuals name them (arch.ts, with the debug-register fields
//     of dr-fields.ts, re-exported here);
//   - the guest RAM layout constants of memory.ts (FOUR_GIB, MAX_RAM_BYTES, lowRamSize).
// Other layers import src/cpu only through this file. Everything else in src/cpu (the Cpu class, instruction
// handlers, the debug unit, the block compiler) is internal.
import type { CpuOptions, GuestCpu, PhysicalMemory } from './api.js';
import { Cpu } from './cpu.js';
import { JitEngine } from './jit/engine.js';
import { createPhysicalMemory as newGuestMemory } from './memory.js';

export * from './api.js';
export * from './arch.js';
/** The PC memory map a guest's RAM follows (QEMU's pc machine: RAM above PC_LOWMEM_SPLIT moves above 4 GiB). */
export { FOUR_GIB, MAX_RAM_BYTES, lowRamSize } from './memory.js';
export { JIT_THRESHOLD_DEFAULT, JIT_THRESHOLD_MAX } from './constants.js';

/** Create a guest CPU (power-on reset state) over the given physical memory and I/O bus. */
export function createCpu(opts: CpuOptions): GuestCpu {
  const c = new Cpu(opts);
  if (opts.engine === 'jit') c.jit = new JitEngine(opts.jitThreshold);
  return c;
}
/** Guest RAM: one ArrayBuffer of sizeBytes (a multiple of 4096). */
export function createPhysicalMemory(sizeBytes: number): PhysicalMemory { return newGuestMemory(sizeBytes); }
