// A CpuHost whose intercept decisions a test sets per case; the default intercepts nothing, as the bare
// board does. The CPU gets it at construction (its one host); tests change the decisions, not the host.
import type { CpuHost, ExceptionEvent, InterceptableInstruction, TaskSwitchEvent } from '../../../src/cpu/api.js';

export class ScriptedHost implements CpuHost {
  onException: (ev: ExceptionEvent) => boolean = () => false;
  onInstruction: (kind: InterceptableInstruction, rip: bigint) => boolean = () => false;
  interceptException(ev: ExceptionEvent): boolean { return this.onException(ev); }
  interceptInstruction(kind: InterceptableInstruction, rip: bigint): boolean { return this.onInstruction(kind, rip); }
  /** The task switches the CPU offered, in order. */
  readonly taskSwitches: TaskSwitchEvent[] = [];
  interceptTaskSwitch(ev: TaskSwitchEvent): void { this.taskSwitches.push(ev); }
}
