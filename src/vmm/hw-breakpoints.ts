// QEMU's debugger hardware breakpoint table (target/i386/kvm/kvm.c: kvm_arch_insert_hw_breakpoint,
// kvm_arch_remove_hw_breakpoint, kvm_arch_update_guest_debug), docs/semantics.md §3.1-3.2.

import { BreakpointType } from '../gdbstub/index.js';
import { DR_CONTROL, DR_COUNT, DR7_FIXED_1, DR7_GE, DR7_RW_EXEC, DR7_RW_RW, DR7_RW_WRITE, dr7Breakpoint } from '../cpu/index.js';
import type { HwBreakpoint } from './handle-debug.js';
import { KVM_GUESTDBG_BLOCKIRQ, KVM_GUESTDBG_ENABLE, KVM_GUESTDBG_SINGLESTEP, KVM_GUESTDBG_USE_HW_BP, KVM_GUESTDBG_USE_SW_BP } from '../hv/index.js';
/** KVM_SET_GUEST_DEBUG control flags, re-exported for the VMM's callers. */
export { KVM_GUESTDBG_BLOCKIRQ, KVM_GUESTDBG_ENABLE, KVM_GUESTDBG_SINGLESTEP, KVM_GUESTDBG_USE_HW_BP, KVM_GUESTDBG_USE_SW_BP };


/** struct kvm_guest_debug */
export interface KvmGuestDebug {
  control: number;
  /** debugreg[0..7]; [4],[5] unused. */
  debugreg: bigint[];
}

export const MAX_HW_BREAKPOINTS = DR_COUNT;

export type InsertResult = 'ok' | 'unsupported' | 'error';

export class HwBreakpointTable {
  readonly slots: HwBreakpoint[] = [];

  /** kvm_arch_insert_hw_breakpoint: -ENOSYS (unsupported) for read watchpoints, -EINVAL/-ENOBUFS/-EEXIST (error). */
  insert(type: BreakpointType, addr: bigint, kind: number): InsertResult {
    let bp: HwBreakpoint;
    switch (type) {
      case BreakpointType.Hardware:
        bp = { addr, len: 1, type: 'hw' };
        break;
      case BreakpointType.WriteWatch:
      case BreakpointType.AccessWatch: {
        const len = kind;
        if (len !== 1 && len !== 2 && len !== 4 && len !== 8) return 'error';
        if (addr & BigInt(len - 1)) return 'error';
        bp = { addr, len, type: type === BreakpointType.WriteWatch ? 'write' : 'access' };
        break;
      }
      default:
        return 'unsupported'; // GDB_WATCHPOINT_READ: DR7 has no read-only mode
    }
    if (this.slots.length >= MAX_HW_BREAKPOINTS) return 'error';
    if (this.find(bp.addr, bp.len, bp.type) >= 0) return 'error';
    this.slots.push(bp);
    return 'ok';
  }

  /** kvm_arch_remove_hw_breakpoint: the last entry moves into the hole, so slots renumber. */
  remove(type: BreakpointType, addr: bigint, kind: number): InsertResult {
    const t = type === BreakpointType.Hardware ? 'hw' : type === BreakpointType.WriteWatch ? 'write' : type === BreakpointType.AccessWatch ? 'access' : undefined;
    if (!t) return 'unsupported';
    const len = t === 'hw' ? 1 : kind;
    const i = this.find(addr, len, t);
    if (i < 0) return 'error';
    const last = this.slots.pop()!;
    if (i < this.slots.length) this.slots[i] = last;
    return 'ok';
  }

  clear(): void {
    this.slots.length = 0;
  }

  private find(addr: bigint, len: number, type: HwBreakpoint['type']): number {
    return this.slots.findIndex((b) => b.addr === addr && b.type === type && (type === 'hw' || b.len === len));
  }
}

const TYPE_RW: Record<HwBreakpoint['type'], number> = { hw: DR7_RW_EXEC, write: DR7_RW_WRITE, access: DR7_RW_RW };

/**
 * kvm_arch_update_guest_debug + kvm_update_guest_debug: the struct passed to KVM_SET_GUEST_DEBUG.
 * Global enables only (Gn) plus GE and the fixed bit 10 (DR7_GE | DR7_FIXED_1 | ...).
 */
export function encodeGuestDebug(opts: { singlestep: boolean; swBreakpoints: number; hw: readonly HwBreakpoint[]; blockIrq?: boolean }): KvmGuestDebug {
  let control = 0;
  const debugreg: bigint[] = [0n, 0n, 0n, 0n, 0n, 0n, 0n, 0n];
  if (opts.singlestep) control |= KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_SINGLESTEP;
  if (opts.singlestep && opts.blockIrq) control |= KVM_GUESTDBG_BLOCKIRQ;
  if (opts.swBreakpoints > 0) control |= KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_USE_SW_BP;
  if (opts.hw.length > 0) {
    control |= KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_USE_HW_BP;
    let dr7 = DR7_GE | DR7_FIXED_1;
    opts.hw.forEach((bp, n) => {
      debugreg[n] = bp.addr;
      dr7 |= dr7Breakpoint(n, TYPE_RW[bp.type], bp.len, true);
    });
    debugreg[DR_CONTROL] = BigInt(dr7 >>> 0);
  }
  return { control: control >>> 0, debugreg };
}
