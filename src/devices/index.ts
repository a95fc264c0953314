export { IoPortBus, type PortDevice, type UnclaimedPortListener } from './iobus.js';
export { Serial16550, COM1_BASE, LSR_THRE, LSR_TEMT } from './serial.js';
export { DebugExit, DEBUG_EXIT_PORT, exitStatus } from './debug-exit.js';
