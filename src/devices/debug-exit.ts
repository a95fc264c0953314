// QEMU's isa-debug-exit device (hw/misc/debugexit.c convention): a guest write of value v to the
// port ends the run, and the process exit status is (v << 1) | 1 — so it is always odd and a guest
// cannot fake a plain "0". Guests that want status 1 for success write 0.

import type { PortDevice } from './iobus.js';

export const DEBUG_EXIT_PORT = 0xf4;
/** Ports claimed, as `-device isa-debug-exit,iobase=0xf4,iosize=0x04`: a write to any of 0xF4-0xF7 exits. */
export const DEBUG_EXIT_IOSIZE = 4;

export class DebugExit implements PortDevice {
  readonly name = 'isa-debug-exit';
  constructor(private readonly onExit: (value: number, code: number) => void) {}

  /** QEMU's device has no read handler and reads as 0 (checked with test/guest-src/devices/probe). */
  in(_port: number, _size: 1 | 2 | 4): number {
    return 0;
  }

  out(_port: number, size: 1 | 2 | 4, value: number): void {
    const v = size === 1 ? value & 0xff : size === 2 ? value & 0xffff : value >>> 0;
    this.onExit(v, ((v << 1) | 1) >>> 0);
  }
}

/** The exit code as QEMU's process would report it to a shell (8 bits). */
export function exitStatus(code: number): number {
  return code & 0xff;
}
