// The PC devices a QEMU `pc` machine gives a test kernel, created and wired in one place so the
// Machine only hands over its I/O bus and RAM size: local APIC (MMIO window + interrupt controller
// for the CPU), the 8259A pair at 0x20/0xA0, the 8254 PIT at 0x40-0x43, and fw_cfg at 0x510/0x511.
// COM1 and isa-debug-exit stay with the Machine (they report to it).

import type { CpuOptions } from '../cpu/api.js';
import type { DeviceLog } from './device-log.js';
import { FwCfg, FW_CFG_PORT_SEL } from './fwcfg.js';
import type { IoPortBus } from './iobus.js';
import { LocalApic, type ApicHost } from './lapic.js';
import { DualPic, PIC_MASTER_COMMAND, PIC_SLAVE_COMMAND } from './pic.js';
import { Pit8254, PIT_COUNTER0 } from './pit.js';

export interface PcDevicesOptions {
  io: IoPortBus;
  /** Guest RAM in bytes (fw_cfg RAM_SIZE). */
  ramSize: number;
  log: DeviceLog;
}

export class PcDevices {
  readonly lapic: LocalApic;
  readonly pic = new DualPic();
  readonly pit: Pit8254;
  readonly fwCfg: FwCfg;
  private host: ApicHost | undefined;

  constructor(opts: PcDevicesOptions) {
    this.lapic = new LocalApic({ log: opts.log });
    // The PIT reads the CPU clock once the CPU exists (attachCpu); before that, time is 0.
    this.pit = new Pit8254(() => this.host?.clock ?? 0);
    this.fwCfg = new FwCfg({ ramSize: opts.ramSize, cpus: 1 });
    opts.io.attach(PIC_MASTER_COMMAND, 2, this.pic);
    opts.io.attach(PIC_SLAVE_COMMAND, 2, this.pic);
    opts.io.attach(PIT_COUNTER0, 4, this.pit);
    opts.io.attach(FW_CFG_PORT_SEL, 2, this.fwCfg);
  }

  /** What the CPU takes in its options: the APIC page and the APIC as interrupt controller. */
  cpuOptions(): Pick<CpuOptions, 'mmio' | 'interrupts'> {
    return { mmio: [this.lapic], interrupts: this.lapic };
  }

  /** Connect the devices that need the CPU's clock/timer (call once, right after the CPU is created). */
  attachCpu(host: ApicHost): void {
    this.host = host;
    this.lapic.attach(host);
  }

  /** Power-on state of every device here. */
  reset(): void {
    this.lapic.reset();
    this.pic.reset();
    this.pit.reset();
    this.fwCfg.reset();
  }
}
