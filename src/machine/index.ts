// Public surface of src/machine: the PC board the CLI, the VMM and the benches run (machine.ts): Machine (CPU,
// RAM, the port bus with COM1, isa-debug-exit and the PC devices, the loader's boot), its run options and result
// (RunOptions, RunResult, MachineOptions), hltForeverDetail (why a halted guest can never wake), and hex.

export { Machine, hex, hltForeverDetail, type RunResult, type RunOptions, type MachineOptions } from './machine.js';
