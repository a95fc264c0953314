// Port 0x80, the POST diagnostic port. Kernels write to it as an I/O delay (Linux's io_delay, many
// hobby kernels after each 8259A command word). QEMU's pc machine claims it (hw/i386/pc.c ioport80):
// writes are dropped, reads return all ones. Claiming it here keeps those writes out of the
// io.unclaimed log.

import type { PortDevice } from './iobus.js';

export const POST_PORT = 0x80;

export class PostPort implements PortDevice {
  readonly name = 'post';

  in(_port: number, size: 1 | 2 | 4): number {
    return size === 1 ? 0xff : size === 2 ? 0xffff : 0xffffffff;
  }

  out(): void {}
}
