// Port 0x61, "system control port B" of the PC (QEMU models it as the PC speaker, hw/audio/pcspk.c):
// bit 0 drives the gate of PIT counter 2, bit 1 enables the speaker data, bit 4 is the DRAM refresh
// indicator (QEMU toggles it on every read; guests use it to wait a little), bit 5 reads PIT counter
// 2's OUT. Kernels use it to calibrate the local APIC timer or the TSC against PIT counter 2.
// No sound is produced.

import type { PortDevice } from './iobus.js';
import type { Pit8254 } from './pit.js';

export const SPEAKER_PORT = 0x61;
export const PORTB_GATE2 = 1 << 0;
export const PORTB_SPEAKER_DATA = 1 << 1;
export const PORTB_REFRESH = 1 << 4;
export const PORTB_OUT2 = 1 << 5;

export class SpeakerPort implements PortDevice {
  readonly name = 'port61';
  private dataOn = false;
  private refresh = 0;

  constructor(private readonly pit: Pit8254) {}

  reset(): void {
    this.dataOn = false;
    this.refresh = 0;
  }

  in(_port: number, _size: 1 | 2 | 4): number {
    this.refresh ^= PORTB_REFRESH;
    return (this.pit.gate(2) ? PORTB_GATE2 : 0) | (this.dataOn ? PORTB_SPEAKER_DATA : 0) | this.refresh | (this.pit.outputLevel(2) ? PORTB_OUT2 : 0);
  }

  out(_port: number, _size: 1 | 2 | 4, value: number): void {
    this.dataOn = (value & PORTB_SPEAKER_DATA) !== 0;
    this.pit.setGate(2, (value & PORTB_GATE2) !== 0);
  }
}
