// The text gdb shows for our one thread (`info threads`, qThreadExtraInfo and qXfer:threads). QEMU's
// handle_query_thread_extra (gdbstub.c, 7.2) says "halted" only while the vCPU waits in HLT (cpu->halted)
// and "running" otherwise, including while the debugger holds it stopped; dbstub said "halted" at every stop.

export function threadExtraText(cpuHalted: boolean): string {
  return `CPU#0 [${cpuHalted ? 'halted' : 'running'}]`;
}
