export { IoPortBus, type PortDevice, type UnclaimedPortListener } from './iobus.js';
export { Serial16550, COM1_BASE, LSR_THRE, LSR_TEMT } from './serial.js';
export { DebugExit, DEBUG_EXIT_IOSIZE, DEBUG_EXIT_PORT, exitStatus } from './debug-exit.js';
export { LocalApic, APIC_DEFAULT_BASE, type ApicHost, type LocalApicOptions } from './lapic.js';
export { DualPic, Pic8259 } from './pic.js';
export { Pit8254 } from './pit.js';
export { FwCfg, FW_CFG_PORT_SEL, FW_CFG_PORT_DATA, type FwCfgOptions } from './fwcfg.js';
export { DEVICE_EVENTS, type DeviceLog } from './device-log.js';
export { PcDevices, type PcDevicesOptions } from './pc.js';
