// QEMU's kvm_handle_debug (target/i386/kvm/kvm.c) as a pure function, with the three routings of
// seed 000 (SEMANTICS.md §3.3, §4):
//  - 'pre-patch': upstream before the Bus Lock Detect patch. Re-inject only unclaimed events, payload =
//    the raw DR6 of the exit (a DR6-format value where KVM expects pending-debug format).
//  - 'bld-patch': seed 000 exactly as posted: re-inject when unclaimed OR when DR6.BLD (active-low) is 0,
//    payload `ret == 0 ? dr6 ^ DR6_BLD : DR6_BLD`, for #BP exits too (stale dr6).
//  - 'corrected': the same decision with the payload in the format the KVM path expects (payload
//    polarity with KVM_CAP_EXCEPTION_PAYLOAD, the raw DR6 value without it, since QEMU then stores it with
//    KVM_SET_DEBUGREGS), the bus-lock test limited to exception == #DB, and the debugger's own causes
//    (Bn of its slots, BS while it single-steps) removed from what goes back to the guest.

import type { QemuDbRouting } from '../config/config.js';
import { BP_VECTOR, DB_VECTOR, DR6_ACTIVE_LOW, DR6_BS, DR6_BUS_LOCK, dr7SlotRw } from '../hv/debugregs.js';

/** One entry of QEMU's static hw_breakpoint[4] table. */
export interface HwBreakpoint {
  addr: bigint;
  len: number;
  /** GDB_BREAKPOINT_HW / _WATCHPOINT_WRITE / _WATCHPOINT_ACCESS. */
  type: 'hw' | 'write' | 'access';
}

export interface HandleDebugInput {
  /** kvm_run->debug.arch */
  exception: number;
  pc: bigint;
  dr6: number;
  dr7: number;
  /** cs->singlestep_enabled */
  singlestepEnabled: boolean;
  hwBreakpoints: readonly HwBreakpoint[];
  swBreakpointAt: (pc: bigint) => boolean;
  routing: QemuDbRouting;
  /** KVM_CAP_EXCEPTION_PAYLOAD enabled (only 'corrected' looks at it). */
  exceptionPayloadCap: boolean;
}

export interface HandleDebugResult {
  /** ret == EXCP_DEBUG: the vCPU thread stops and gdb gets a stop reply. */
  debuggerStop: boolean;
  /** Why QEMU claimed it. */
  claim?: 'singlestep' | 'hw-breakpoint' | 'watchpoint' | 'sw-breakpoint';
  watchpointHit?: { addr: bigint; kind: 'write' | 'access'; slot: number };
  /** kvm_queue_exception(env, vector, hasPayload, payload). */
  reinject?: { vector: number; hasPayload: boolean; payload: number };
}

export function kvmHandleDebug(inp: HandleDebugInput): HandleDebugResult {
  const dr6 = inp.dr6 >>> 0;
  let ret = false;
  let claim: HandleDebugResult['claim'];
  let watchpointHit: HandleDebugResult['watchpointHit'];
  // Causes QEMU consumed for the debugger (used only by 'corrected' to strip them from the guest payload).
  let claimedBits = 0;

  if (inp.exception === DB_VECTOR) {
    if (dr6 & DR6_BS) {
      // Bn are not examined on a BS exit (§3.3 pitfall 1).
      if (inp.singlestepEnabled) {
        ret = true;
        claim = 'singlestep';
        claimedBits |= DR6_BS;
      }
    } else {
      for (let n = 0; n < 4; n++) {
        if (!(dr6 & (1 << n))) continue;
        switch (dr7SlotRw(inp.dr7, n)) {
          case 0:
            ret = true;
            claim = 'hw-breakpoint';
            claimedBits |= 1 << n;
            break;
          case 1:
            ret = true;
            claim = 'watchpoint';
            claimedBits |= 1 << n;
            // QEMU reads its own table even when the DR7 came from the guest (§3.3 pitfall 2).
            watchpointHit = { addr: inp.hwBreakpoints[n]?.addr ?? 0n, kind: 'write', slot: n };
            break;
          case 3:
            ret = true;
            claim = 'watchpoint';
            claimedBits |= 1 << n;
            watchpointHit = { addr: inp.hwBreakpoints[n]?.addr ?? 0n, kind: 'access', slot: n };
            break;
          default:
            break; // I/O breakpoints: not QEMU's
        }
      }
    }
  } else if (inp.swBreakpointAt(inp.pc)) {
    ret = true;
    claim = 'sw-breakpoint';
  }

  const out: HandleDebugResult = { debuggerStop: ret };
  if (claim) out.claim = claim;
  if (watchpointHit) out.watchpointHit = watchpointHit;
  const isDb = inp.exception === DB_VECTOR;

  switch (inp.routing) {
    case 'pre-patch':
      if (!ret) out.reinject = { vector: inp.exception, hasPayload: isDb, payload: dr6 };
      break;
    case 'bld-patch':
      if (!ret || !(dr6 & DR6_BUS_LOCK)) {
        out.reinject = { vector: inp.exception, hasPayload: isDb, payload: (!ret ? dr6 ^ DR6_BUS_LOCK : DR6_BUS_LOCK) >>> 0 };
      }
      break;
    case 'corrected': {
      const busLock = isDb && !(dr6 & DR6_BUS_LOCK);
      if (!ret || busLock) {
        if (!isDb) {
          // Unclaimed #BP (a guest int3): re-inject it as is; no payload exists for #BP.
          out.reinject = { vector: inp.exception, hasPayload: false, payload: 0 };
        } else {
          // Positive-polarity causes left after removing what the debugger consumed.
          const causes = ((dr6 ^ DR6_ACTIVE_LOW) & ~claimedBits) >>> 0;
          out.reinject = {
            vector: DB_VECTOR,
            hasPayload: true,
            payload: inp.exceptionPayloadCap ? causes : (causes ^ DR6_ACTIVE_LOW) >>> 0,
          };
        }
      }
      break;
    }
  }
  return out;
}

export { BP_VECTOR, DB_VECTOR };
