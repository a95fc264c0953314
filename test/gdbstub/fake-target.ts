// A small in-test GdbTarget for packet-layer tests only (the real-gdb tests use the real machine from src/vmm).
import type { BreakpointResult, BreakpointType, GdbTarget, RegisterInfo, ResumeAction, StopEvent } from '../../src/gdbstub/target.js';

const core = 'org.gnu.gdb.i386.core';
const GPRS = ['rax', 'rbx', 'rcx', 'rdx', 'rsi', 'rdi', 'rbp', 'rsp', 'r8', 'r9', 'r10', 'r11', 'r12', 'r13', 'r14', 'r15'];

export const FAKE_REGISTERS: RegisterInfo[] = [
  ...GPRS.map((name) => ({ name, bitsize: 64, type: name === 'rbp' || name === 'rsp' ? 'data_ptr' : 'int64', feature: core })),
  { name: 'rip', bitsize: 64, type: 'code_ptr', feature: core },
  { name: 'eflags', bitsize: 32, type: 'i386_eflags', feature: core },
  { name: 'cs', bitsize: 32, type: 'int32', feature: core },
  { name: 'st0', bitsize: 80, type: 'i387_ext', feature: core },
  { name: 'xmm0', bitsize: 128, type: 'vec128', feature: 'org.gnu.gdb.i386.sse' },
  { name: 'dr7', bitsize: 64, type: 'int64', feature: 'org.dbstub.debug', group: 'system' },
];

export interface Call {
  op: string;
  args: unknown[];
}

export class FakeTarget implements GdbTarget {
  readonly registers = FAKE_REGISTERS;
  readonly architecture = 'i386:x86-64';
  readonly featureTypes = { [core]: '  <flags id="i386_eflags" size="4">\n    <field name="CF" start="0" end="0"/>\n  </flags>' };
  regs: bigint[] = FAKE_REGISTERS.map((_, i) => BigInt(i) * 0x0101010101n);
  /** Mapped pages: 0x1000-0x2fff. */
  mem = new Uint8Array(0x2000);
  memBase = 0x1000n;
  calls: Call[] = [];
  running = false;
  /** The CPU waits in HLT (tests set it). */
  cpuHalted = false;
  stop: StopEvent = { kind: 'signal', signal: 5 };
  pending: ((ev: StopEvent) => void) | undefined;
  /** What the next resume reports (undefined: keep running until interrupt). */
  nextStop: StopEvent | undefined = { kind: 'signal', signal: 5, reason: { type: 'swbreak' } };
  bpResult: BreakpointResult = 'ok';
  throwOn = new Set<string>();
  readOnly = new Set<number>([FAKE_REGISTERS.length - 1]);

  private check(op: string, ...args: unknown[]): void {
    this.calls.push({ op, args });
    if (this.throwOn.has(op)) throw new Error(`fake ${op} failure`);
  }
  readRegister(i: number): bigint {
    this.check('readRegister', i);
    if (i < 0 || i >= this.regs.length) throw new RangeError('no such register');
    return this.regs[i];
  }
  writeRegister(i: number, v: bigint): boolean {
    this.check('writeRegister', i, v);
    if (this.readOnly.has(i)) return false;
    this.regs[i] = v;
    return true;
  }
  private inRange(addr: bigint, len: number): boolean {
    return addr >= this.memBase && addr + BigInt(len) <= this.memBase + BigInt(this.mem.length);
  }
  readMemory(addr: bigint, len: number): Uint8Array | undefined {
    this.check('readMemory', addr, len);
    if (!this.inRange(addr, len)) return undefined;
    const o = Number(addr - this.memBase);
    return this.mem.slice(o, o + len);
  }
  writeMemory(addr: bigint, data: Uint8Array): boolean {
    this.check('writeMemory', addr, data);
    if (!this.inRange(addr, data.length)) return false;
    this.mem.set(data, Number(addr - this.memBase));
    return true;
  }
  insertBreakpoint(type: BreakpointType, addr: bigint, kind: number): BreakpointResult {
    this.check('insertBreakpoint', type, addr, kind);
    return this.bpResult;
  }
  removeBreakpoint(type: BreakpointType, addr: bigint, kind: number): BreakpointResult {
    this.check('removeBreakpoint', type, addr, kind);
    return this.bpResult;
  }
  resume(action: ResumeAction, onStop: (ev: StopEvent) => void): void {
    this.check('resume', action);
    this.running = true;
    this.pending = onStop;
    const ev = this.nextStop;
    if (ev !== undefined) queueMicrotask(() => this.fire(ev));
  }
  fire(ev: StopEvent): void {
    if (!this.running) return;
    this.running = false;
    this.stop = ev;
    const cb = this.pending;
    this.pending = undefined;
    cb?.(ev);
  }
  interrupt(): void {
    this.check('interrupt');
    if (this.running) this.fire({ kind: 'signal', signal: 2 });
  }
  lastStop(): StopEvent {
    return this.stop;
  }
  monitor(command: string): string {
    this.check('monitor', command);
    if (command === 'help') return 'help -- this text\ninfo dr -- debug registers';
    throw new Error(`unknown command "${command}"`);
  }
  detach(runOn: boolean): boolean {
    this.check('detach', runOn);
    return false;
  }
  kill(): void {
    this.check('kill');
  }
}
