export { Machine, hex, type RunResult, type RunOptions, type MachineOptions } from './machine.js';
