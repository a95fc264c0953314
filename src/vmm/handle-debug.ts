// QEMU's kvm_handle_debug (target/i386/kvm/kvm.c) as a pure function, with the three routings of
// seed 000 (docs/semantics.md §3.3, §4):
//  - 'pre-patch': upstream before the Bus Lock Detect patch. Re-inject only unclaimed events, payload =
//    the raw DR6 of the exit (a DR6-format value where KVM expects pending-debug format).
//  - 'bld-patch': seed 000 exactly as posted: re-inject when unclaimed OR when DR6.BLD (active-low) is 0,
//    payload `ret == 0 ? dr6 ^ DR6_BLD : DR6_BLD`, for #BP exits too (stale dr6).
//  - 'corrected': the same decision with the payload in the format the KVM path expects (payload
//    polarity with KVM_CAP_EXCEPTION_PAYLOAD, the raw DR6 value without it, since QEMU then stores it with
//    KVM_SET_DEBUGREGS), the bus-lock test limited to exception == #DB, and the debugger's own causes
//    (Bn of its slots, BS while it single-steps) removed from what goes back to the guest.

import type { QemuDbRouting } from '../config/config.js';
import {
  VEC_DB, DR6_ACTIVE_LOW, DR6_BD, DR6_BS, DR6_BT, DR6_BLD, DR6_RTM, DR6_BMASK, DR7_RW_EXEC, DR7_RW_RW, DR7_RW_WRITE, DR_COUNT, dr7Rw,
} from '../cpu/index.js';

/** #DB causes in payload polarity (uapi DR6_BMASK, BLD, BD, BS, BT, RTM). */
const DB_CAUSES = DR6_BMASK | DR6_BLD | DR6_BD | DR6_BS | DR6_BT | DR6_RTM;

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
  return inp.routing === 'corrected' ? correctedHandleDebug(inp) : upstreamHandleDebug(inp);
}

/** target/i386/kvm/kvm.c kvm_handle_debug (QEMU 9.x/10.x), and the same with seed 000's patch applied. */
function upstreamHandleDebug(inp: HandleDebugInput): HandleDebugResult {
  const dr6 = inp.dr6 >>> 0;
  let ret = false;
  let claim: HandleDebugResult['claim'];
  let watchpointHit: HandleDebugResult['watchpointHit'];

  if (inp.exception === VEC_DB) {
    if (dr6 & DR6_BS) {
      // Bn are not examined on a BS exit (§3.3 pitfall 1).
      if (inp.singlestepEnabled) {
        ret = true;
        claim = 'singlestep';
      }
    } else {
      for (let n = 0; n < DR_COUNT; n++) {
        if (!(dr6 & (1 << n))) continue;
        switch (dr7Rw(inp.dr7, n)) {
          case DR7_RW_EXEC:
            ret = true;
            claim = 'hw-breakpoint';
            break;
          case DR7_RW_WRITE:
            ret = true;
            claim = 'watchpoint';
            // QEMU reads its own table even when the DR7 came from the guest (§3.3 pitfall 2).
            watchpointHit = { addr: inp.hwBreakpoints[n]?.addr ?? 0n, kind: 'write', slot: n };
            break;
          case DR7_RW_RW:
            ret = true;
            claim = 'watchpoint';
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
  const isDb = inp.exception === VEC_DB;
  if (inp.routing === 'pre-patch') {
    if (!ret) out.reinject = { vector: inp.exception, hasPayload: isDb, payload: dr6 };
  } else if (!ret || !(dr6 & DR6_BLD)) {
    out.reinject = { vector: inp.exception, hasPayload: isDb, payload: (!ret ? dr6 ^ DR6_BLD : DR6_BLD) >>> 0 };
  }
  return out;
}

/** The GDB_BREAKPOINT_* type a DR7 R/W field holds, for matching an exit's Bn against QEMU's own table. */
const RW_TYPE: Record<number, HwBreakpoint['type'] | undefined> = { [DR7_RW_EXEC]: 'hw', [DR7_RW_WRITE]: 'write', [DR7_RW_RW]: 'access' };

/**
 * 'corrected': what a QEMU that routes by cause would do (docs/semantics.md §10.1).
 * 1. Causes are read in payload polarity: c = exit DR6 ^ DR6_ACTIVE_LOW, restricted to B0-B3, BLD, BD, BS, BT, RTM.
 * 2. The gdbstub handles exactly: BS while it single-steps (cs->singlestep_enabled); Bn when slot n of its own
 *    hw_breakpoint[] table is in use and the exit's DR7 slot n has that entry's type (the exit's DR7 is the
 *    debugger's only while it has hardware breakpoints; otherwise it is the guest's and Bn is the guest's own);
 *    on a #BP exit, a software breakpoint of its own at pc. Bn are examined on a BS exit too.
 * 3. Every other cause goes back to the guest: one #DB with payload = c minus the handled causes (KVM's
 *    pending-debug format with KVM_CAP_EXCEPTION_PAYLOAD; DR6 format, payload ^ DR6_ACTIVE_LOW, without it, since
 *    QEMU then stores it with KVM_SET_DEBUGREGS). An unhandled #BP is re-injected as #BP. An exit nothing of which
 *    is handled is re-injected whole (QEMU's ret == 0 case). The dr6 of a #BP exit is never read (it is stale).
 * 4. gdb stops when anything was handled; a re-injection may accompany the stop (outcome 'both').
 */
function correctedHandleDebug(inp: HandleDebugInput): HandleDebugResult {
  const dr6 = inp.dr6 >>> 0;
  if (inp.exception !== VEC_DB) {
    if (inp.swBreakpointAt(inp.pc)) return { debuggerStop: true, claim: 'sw-breakpoint' };
    return { debuggerStop: false, reinject: { vector: inp.exception, hasPayload: false, payload: 0 } };
  }
  const causes = (dr6 ^ DR6_ACTIVE_LOW) & DB_CAUSES;
  let handled = 0;
  let claim: HandleDebugResult['claim'];
  let watchpointHit: HandleDebugResult['watchpointHit'];
  for (let n = 0; n < DR_COUNT; n++) {
    const bp = inp.hwBreakpoints[n];
    if (!(causes & (1 << n)) || !bp || RW_TYPE[dr7Rw(inp.dr7, n)] !== bp.type) continue;
    handled |= 1 << n;
    if (bp.type === 'hw') claim ??= 'hw-breakpoint';
    else {
      claim = 'watchpoint';
      watchpointHit ??= { addr: bp.addr, kind: bp.type, slot: n };
    }
  }
  if (causes & DR6_BS && inp.singlestepEnabled) {
    handled |= DR6_BS;
    claim ??= 'singlestep';
  }
  const out: HandleDebugResult = { debuggerStop: handled !== 0 };
  if (claim) out.claim = claim;
  if (watchpointHit) out.watchpointHit = watchpointHit;
  const rest = (causes & ~handled) >>> 0;
  if (handled === 0 || rest !== 0) {
    out.reinject = { vector: VEC_DB, hasPayload: true, payload: inp.exceptionPayloadCap ? rest : (rest ^ DR6_ACTIVE_LOW) >>> 0 };
  }
  return out;
}

