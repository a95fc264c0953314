// The PC devices a QEMU `pc` machine gives a test kernel, created and wired in one place so the
// Machine only hands over its I/O bus and RAM size: local APIC (MMIO window + interrupt controller
// for the CPU), the 8259A pair at 0x20/0xA0, the 8254 PIT at 0x40-0x43 with port 0x61 (counter 2's
// gate and OUT), the POST port 0x80 (I/O delay writes), fw_cfg at 0x510/0x511, the I/O APIC at
// 0xFEC00000 (its EOI input from the local APIC), pc-testdev (ports 0xE0-0xEB, IRQ lines at
// 0x2000-0x2017 into the I/O APIC, scratch MMIO at 0xFF000000), PCI configuration mechanism #1 with the
// i440FX host bridge (0xCF8-0xCFF) and the PIIX4's ACPI registers (PM1 0x600-0x605, PM timer 0x608, GPE0
// 0xAFE0; the SCI on ISA IRQ 9).
// COM1 and isa-debug-exit stay with the Machine (they report to it).

import type { CpuOptions } from '../cpu/index.js';
import {
  ACPI_GPE0_BLK, ACPI_GPE0_BLK_LEN, ACPI_PM1_CNT, ACPI_PM1_CNT_LEN, ACPI_PM1_EVT, ACPI_PM1_EVT_LEN, ACPI_PM_TMR, ACPI_PM_TMR_LEN, ACPI_SCI_IRQ, AcpiPm,
} from './acpi-pm.js';
import type { DeviceLog } from './device-log.js';
import { FwCfg, FW_CFG_PORT_SEL } from './fwcfg.js';
import type { IoPortBus } from './iobus.js';
import { IoApic } from './ioapic.js';
import {
  APIC_LVT_LINT0, APIC_LVT_LINT1, APIC_SVR, LocalApic, LVT_DELIVERY_EXTINT, LVT_DELIVERY_NMI, LVT_TRIGGER_MODE, SVR_APIC_SOFTWARE_ENABLE,
  type ApicHost,
} from './lapic.js';
import { DualPic, ICW1_IC4, ICW1_INIT, ICW4_8086, PIC_MASTER_COMMAND, PIC_MASTER_DATA, PIC_SLAVE_COMMAND, PIC_SLAVE_DATA } from './pic.js';
import { CW_MODE_SHIFT, CW_RW_SHIFT, Pit8254, PIT_CONTROL, PIT_COUNTER0 } from './pit.js';
import { SpeakerPort, SPEAKER_PORT } from './speaker.js';
import { PostPort, POST_PORT } from './post-port.js';
import { TimerMux } from './timers.js';
import { CmosRtc, RTC_INDEX_PORT } from './rtc.js';
import { PCI_CONFIG_ADDRESS, PciHost } from './pci-host.js';
import { PC_TESTDEV_IOPORT, PC_TESTDEV_IRQ_LINE, PC_TESTDEV_IRQ_LINES, PcTestdevIomem, PcTestdevPorts } from './pc-testdev.js';

export interface PcDevicesOptions {
  io: IoPortBus;
  /** Guest RAM in bytes (fw_cfg RAM_SIZE). */
  ramSize: number;
  log: DeviceLog;
  /** The guest powered the machine off (ACPI S5). */
  powerOff?: () => void;
}

export class PcDevices {
  readonly lapic: LocalApic;
  readonly pic: DualPic;
  readonly pit: Pit8254;
  readonly fwCfg: FwCfg;
  /** CMOS RTC at 0x70/0x71. */
  readonly rtc: CmosRtc;
  /** Port 0x61: PIT counter 2 gate and OUT. */
  readonly portB: SpeakerPort;
  readonly ioapic: IoApic;
  readonly testdevIomem = new PcTestdevIomem();
  readonly pci = new PciHost();
  readonly acpiPm: AcpiPm;
  private host: ApicHost | undefined;
  /** The CPU's one timer event shared by the LAPIC timer and the PIT's IRQ0 (timers.ts). */
  private readonly timers = new TimerMux();

  constructor(opts: PcDevicesOptions) {
    this.lapic = new LocalApic({ log: opts.log });
    this.pic = new DualPic(() => this.host?.notifyInterrupt());
    this.lapic.connectExtInt(this.pic);
    this.ioapic = new IoApic({ log: opts.log });
    this.ioapic.attach(this.lapic);
    this.lapic.onLevelEoi((vector) => this.ioapic.eoi(vector));
    // The PIT reads the CPU clock once the CPU exists (attachCpu); before that, time is 0.
    this.pit = new Pit8254(() => this.host?.clock ?? 0);
    this.fwCfg = new FwCfg({ ramSize: opts.ramSize, cpus: 1 });
    this.portB = new SpeakerPort(this.pit);
    opts.io.attach(PIC_MASTER_COMMAND, 2, this.pic);
    opts.io.attach(PIC_SLAVE_COMMAND, 2, this.pic);
    opts.io.attach(PIT_COUNTER0, 4, this.pit);
    opts.io.attach(SPEAKER_PORT, 1, this.portB);
    opts.io.attach(POST_PORT, 1, new PostPort());
    opts.io.attach(FW_CFG_PORT_SEL, 2, this.fwCfg);
    this.rtc = new CmosRtc(() => this.host?.clock ?? 0);
    opts.io.attach(RTC_INDEX_PORT, 2, this.rtc);
    const testdev = new PcTestdevPorts((irq, level) => this.setIsaIrq(irq, level));
    opts.io.attach(PC_TESTDEV_IOPORT, 12, testdev); // 0xE0-0xEB: data, flush page, byte-wide data
    opts.io.attach(PC_TESTDEV_IRQ_LINE, PC_TESTDEV_IRQ_LINES, testdev);
    opts.io.attach(PCI_CONFIG_ADDRESS, 8, this.pci);
    this.acpiPm = new AcpiPm({
      timer: this.timers.channel(),
      setSci: (level) => this.setIsaIrq(ACPI_SCI_IRQ, level),
      powerOff: () => opts.powerOff?.(),
      log: opts.log,
    });
    opts.io.attach(ACPI_PM1_EVT, ACPI_PM1_EVT_LEN, this.acpiPm);
    opts.io.attach(ACPI_PM1_CNT, ACPI_PM1_CNT_LEN, this.acpiPm);
    opts.io.attach(ACPI_PM_TMR, ACPI_PM_TMR_LEN, this.acpiPm);
    opts.io.attach(ACPI_GPE0_BLK, ACPI_GPE0_BLK_LEN, this.acpiPm);
  }

  /** What the CPU takes in its options: the APIC page and the APIC as interrupt controller. */
  cpuOptions(): Pick<CpuOptions, 'mmio' | 'interrupts'> {
    return { mmio: [this.lapic, this.ioapic, this.testdevIomem], interrupts: this.lapic };
  }

  /** Connect the devices that need the CPU's clock/timer (call once, right after the CPU is created). */
  attachCpu(host: ApicHost): void {
    this.host = host;
    this.timers.attach(host);
    const lapicTimer = this.timers.channel();
    this.lapic.attach({
      get clock() { return host.clock; },
      getMsr: (index) => host.getMsr(index),
      setTimer: (tick, fn) => lapicTimer.setTimer(tick, fn),
      notifyInterrupt: () => host.notifyInterrupt(),
      nmi: () => host.nmi?.(),
    });
    this.pit.connectIrq0(this.timers.channel(), (level) => this.irq0(level));
  }

  /** IRQ0 (PIT counter 0's OUT) goes to the 8259's IR0 and the I/O APIC's pin 2 (QEMU's pc wiring). */
  private irq0(level: boolean): void {
    this.setIsaIrq(0, level);
  }

  /** An ISA interrupt line (0-15, COM1's IRQ4, pc-testdev's lines) changed level; wired as QEMU's pc machine
   *  wires it (hw/i386/x86.c gsi_handler): to the 8259 pair (IRQ 0-15) and to the I/O APIC (IRQ 0 on pin 2). */
  setIsaIrq(irq: number, level: boolean): void {
    if (irq < 16) this.pic.setIrq(irq, level);
    this.ioapic.setIsaIrq(irq, level);
  }

  /**
   * The device state QEMU's firmware (SeaBIOS and its Multiboot option ROM) leaves for a `-kernel`
   * guest, measured with test/guest-src/devices/probe under qemu-system-x86_64 7.2: both 8259As
   * initialized (vector bases 0x08 and 0x70, cascade on IR2) with masks 0xB8/0x8E, PIT counter 0 in
   * mode 2 (rate generator, count 65536), the local APIC software-enabled (SVR 0x1FF, spurious vector
   * 0xFF) with LINT0 = ExtINT and LINT1 = NMI, both level-triggered. A Multiboot kernel booted by
   * dbstub starts from the same state, so what it reads back matches QEMU. Done through the devices'
   * own register interfaces, as the firmware does it.
   */
  firmwareHandoff(): void {
    const pic = this.pic;
    for (const [cmd, data, base, icw3, mask] of [
      [PIC_MASTER_COMMAND, PIC_MASTER_DATA, 0x08, 0x04, 0xb8],
      [PIC_SLAVE_COMMAND, PIC_SLAVE_DATA, 0x70, 0x02, 0x8e],
    ] as const) {
      pic.out(cmd, 1, ICW1_INIT | ICW1_IC4);
      pic.out(data, 1, base);
      pic.out(data, 1, icw3);
      pic.out(data, 1, ICW4_8086);
      pic.out(data, 1, mask);
    }
    this.pit.out(PIT_CONTROL, 1, (2 << CW_MODE_SHIFT) | (3 << CW_RW_SHIFT)); // counter 0, LSB then MSB, mode 2
    this.pit.out(PIT_COUNTER0, 1, 0);
    this.pit.out(PIT_COUNTER0, 1, 0);
    this.lapic.write(APIC_SVR, 4, SVR_APIC_SOFTWARE_ENABLE | 0xff);
    this.lapic.write(APIC_LVT_LINT0, 4, LVT_TRIGGER_MODE | LVT_DELIVERY_EXTINT);
    this.lapic.write(APIC_LVT_LINT1, 4, LVT_TRIGGER_MODE | LVT_DELIVERY_NMI);
  }

  /** Power-on state of every device here. */
  reset(): void {
    this.lapic.reset();
    this.ioapic.reset();
    this.pic.reset();
    this.pit.reset();
    this.rtc.reset();
    this.portB.reset();
    this.fwCfg.reset();
    this.pci.reset();
    this.acpiPm.reset();
  }
}
