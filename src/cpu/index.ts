// Public entry points of the CPU layer (contract in api.ts).
import type { CpuOptions, GuestCpu, PhysicalMemory } from './api.js';
import { Cpu } from './cpu.js';
import { JitEngine } from './jit/engine.js';
import { createPhysicalMemory as mkMem } from './memory.js';

export * from './api.js';
export * as arch from './arch.js';
export * from './arch.js';

/** Create a guest CPU (power-on reset state) over the given physical memory and I/O bus. */
export function createCpu(opts: CpuOptions): GuestCpu {
  const c = new Cpu(opts);
  if (opts.engine === 'jit') c.jit = new JitEngine();
  return c;
}
/** Guest RAM: one ArrayBuffer of sizeBytes (a multiple of 4096). */
export function createPhysicalMemory(sizeBytes: number): PhysicalMemory { return mkMem(sizeBytes); }
