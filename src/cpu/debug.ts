// The debug unit (SDM Vol. 3 chapter 18 "Debug, Branch Profile, TSC, and Intel RDT Features"; AMD APM
// Vol. 2 13.1). Everything here runs only while Cpu.slow != 0 (see Cpu.recomputeSlow), so the
// interpreter's fast path pays one integer test per instruction and one per data access.
//
// Hook points used by the run loop:
//   atRunStart  pending/deferred trap #DBs carried across run() calls (VMX pending debug exceptions)
//   before      requestStop, external breakpoints, instruction breakpoints (fault-like #DB)
//   dataAccess  data breakpoints and external watchpoints, matched per access, raised after the instruction
//   ioAccess    I/O breakpoints (R/W=10 with CR4.DE)
//   busLock     LOCKed split access with DEBUGCTL.BUS_LOCK_DETECT at CPL>0
//   after       TF/BTF single-step, accumulated data/IO/bus-lock causes, RF clearing, MOV-SS/STI shadows
//   onFault     drop the faulting instruction's partial causes

import type { DbEvent } from './api.js';
import type { Cpu } from './cpu.js';
import { SHADOW_MOVSS, SHADOW_NONE, SL_EXEC_BP, SL_IO_BP, SL_TRAP, STOP } from './state.js';
import { laToBig } from './canonical.js';
import type { Insn } from './decoder.js';
import * as A from './arch.js';

const NO_CAUSES: string[] = [];

function causesOf(payload: number, kind: 'fault' | 'trap', btf: boolean, icebp: boolean): string[] {
  if (icebp) return ['icebp'];
  const out: string[] = [];
  if (payload & A.DR6_BMASK) out.push('breakpoint');
  if (payload & A.DR6_BD) out.push('general-detect');
  if (payload & A.DR6_BS) out.push(btf ? 'branch-step' : 'single-step');
  if (payload & A.DR6_BLD) out.push('bus-lock');
  if (payload & A.DR6_BT) out.push('task-switch');
  void kind;
  return out.length ? out : NO_CAUSES;
}

/**
 * Raise a #DB: ExceptionEvent to the host (intercept => StopReason 'intercept', DR6 untouched as on
 * VMX), else write DR6 and deliver through the IDT. Always reports a DbEvent. Returns true if intercepted
 * or if delivery ended in shutdown.
 */
export function raiseDb(c: Cpu, payload: number, kind: 'fault' | 'trap', pushRip: number, instrRip: number, icebp: boolean): boolean {
  // A fault-class #DB (instruction breakpoint, general detect) on the instruction in a MOV-SS shadow: that
  // instruction does not complete, and a fault drops the traps MOV SS held back (Linux 6.1 mov_ss_trap.c's
  // observed rules "Any fault: drop the pending #DB trap", "breakpoint: only one #DB is delivered"; Cpu.handleThrow
  // does the same for the other faults). Kept, the held trap came as a second #DB at the handler's first
  // instruction, on Linux's #DB IST stack (mov_ss_trap_64 looped forever on AMD, where instruction breakpoints are
  // recognised in the shadow).
  if (kind === 'fault' && c.shadow === SHADOW_MOVSS) c.pendingDebugExceptions = 0;
  const ev = c.makeEvent(A.VEC_DB, -1, kind, pushRip, instrRip, payload, icebp);
  const dr6Before = c.dr6;
  const btf = (c.debugctl & A.DEBUGCTL_BTF) !== 0;
  let intercepted = false;
  try { intercepted = c.interceptException(ev); } catch (e) { c.log('error', 'hook-error', { hook: 'interceptException', error: String(e) }); }
  const dbe: DbEvent = {
    payload, kind, causes: causesOf(payload, kind, btf, icebp), rip: laToBig(pushRip), cpl: c.cpl,
    dr6Before, dr6After: undefined, intercepted,
  };
  if (intercepted) {
    c.stopReason = { kind: 'intercept', what: 'exception', event: ev };
    c.emitDbEvent(dbe);
    return true;
  }
  if (!icebp || payload !== 0) c.dr6 = A.dr6AfterDb(c.dr6, payload);
  // General detect: the CPU clears DR7.GD on entry to the #DB handler so it can use the DRs (SDM 18.2.4).
  if (payload & A.DR6_BD) { c.dr7 &= ~A.DR7_GD; }
  // Generating a #DB clears DEBUGCTL.BTF (SDM Vol. 3 19.4.3, 18.4.3 in older editions): a debugger sets
  // it again before each branch step. Like DR6, left alone when the #DB is intercepted.
  c.debugctl &= ~A.DEBUGCTL_BTF;
  dbe.dr6After = c.dr6;
  c.emitDbEvent(dbe);
  // Fault-like #DBs (code breakpoint, general detect) push RF=0 (seed 002); traps push the current RF.
  const ok = c.deliverException(A.VEC_DB, -1, kind, pushRip, instrRip, kind === 'fault' ? false : undefined, false, icebp ? 0 : 1, true);
  c.recomputeSlow();
  return !ok || c.stopReason !== null;
}

// ---------------------------------------------------------------------------------------------
export function atRunStart(c: Cpu): boolean {
  if (c.deferredTrap) {
    const p = c.deferredTrap;
    c.deferredTrap = 0;
    c.recomputeSlow();
    if (raiseDb(c, p, 'trap', c.rip, c.rip, false)) return true;
  }
  // Pending debug exceptions outside a MOV-SS shadow are delivered before the next instruction
  // (SDM Vol. 3 27.7.3 for the VM-entry case; the hypervisor model clears the field when it owns it).
  if (c.pendingDebugExceptions && c.shadow !== SHADOW_MOVSS) {
    const p = c.pendingDebugExceptions;
    c.pendingDebugExceptions = 0;
    if (raiseDb(c, p, 'trap', c.rip, c.rip, false)) return true;
  }
  return false;
}

/** Before an instruction. Returns true when the loop must stop. */
export function before(c: Cpu): boolean {
  for (let guard = 0; guard < 8; guard++) {
    if (c.stopWhy) {
      c.stopReason = { kind: 'stop-requested', why: c.stopWhy };
      c.stopWhy = '';
      c.recomputeSlow();
      return true;
    }
    const rip = c.rip;
    if (c.taskSwitchTrap) {
      // A task switch made by event delivery: the BT #DB comes before the new task's first instruction.
      c.taskSwitchTrap = false;
      c.dbBeforeRan = false;
      if (raiseDb(c, A.DR6_BT, 'trap', rip, rip, false)) return true;
      continue;
    }
    const fl = c.fl;
    c.dbBeforeRan = true;
    c.dbTfStart = (fl & A.RFLAGS_TF) !== 0 || c.hostSingleStep;
    c.dbRfStart = (fl & A.RFLAGS_RF) !== 0;
    c.dbHits = 0; c.dbBusLock = false; c.dbBranch = false; c.dbExtWpHit = -1; c.rfKeep = false;
    if (c.extBps.length) {
      // The debugger's breakpoints are linear addresses too, as QEMU's TCG compares them with CS.base + EIP
      // (tb pc) and KVM reports CS.base + RIP (kvm_get_linear_rip): they differ from RIP only outside 64-bit
      // mode with a code segment base (real-address and virtual-8086 mode).
      const la = c.csBase === 0 ? rip : (rip + c.csBase) >>> 0;
      if (c.suppressExtBpOnce) c.suppressExtBpOnce = false;
      else if (c.extBps.indexOf(la) >= 0) {
        c.stopReason = { kind: 'ext-breakpoint', rip: laToBig(la) };
        c.dbBeforeRan = false;
        return true;
      }
    }
    // Instruction breakpoints (SDM 18.3.1.1): DR7 enabled, R/W=00, LEN ignored; suppressed by RF=1, and on
    // Intel in the MOV-SS shadow (KVM's emulator models the same inhibit, docs/semantics.md §2.8).
    if ((c.slow & SL_EXEC_BP) && !(fl & A.RFLAGS_RF) && !(c.vendor === 'intel' && c.shadow === SHADOW_MOVSS)) {
      // DR0-DR3 hold linear addresses: CS.base + EIP outside 64-bit mode (csBase is 0 in 64-bit mode).
      const la = c.csBase === 0 ? rip : (rip + c.csBase) >>> 0;
      let hits = 0;
      const dr7 = c.dr7;
      for (let n = 0; n < A.DR_COUNT; n++) {
        if (A.dr7Enabled(dr7, n) && A.dr7Rw(dr7, n) === A.DR7_RW_EXEC && c.drLin[n] === la) hits |= 1 << n;
      }
      if (hits) {
        c.insnRip = rip;
        c.dbBeforeRan = false;
        if (raiseDb(c, hits, 'fault', rip, rip, false)) return true;
        continue; // now at the handler: check again
      }
    }
    return false;
  }
  return false;
}

/** Data access hook (called only when SL_DATA is armed). */
export function dataAccess(c: Cpu, la: number, size: number, write: boolean): void {
  const end = la + size;
  for (let k = 0; k < c.dbpCount; k++) {
    if (!write && c.dbpWriteOnly[k]) continue;
    // Any overlapping byte matches (SDM 18.2.5: the access need not start at the breakpoint address).
    if (la < c.dbpEnd[k]! && end > c.dbpBase[k]!) { c.dbHits |= c.dbpBit[k]!; c.slow |= SL_TRAP; }
  }
  const wps = c.extWps;
  for (let k = 0; k < wps.length; k++) {
    const w = wps[k]!;
    if (w.kind === 'write' && !write) continue;
    if (w.kind === 'read' && write) continue;
    const a = c.extWpLin[k]!;
    if (la < a + w.len && la + size > a && c.dbExtWpHit < 0) {
      c.dbExtWpHit = k; c.dbExtWpAddr = la; c.dbExtWpWrite = write; c.slow |= SL_TRAP;
    }
  }
}

/** I/O breakpoints (R/W=10, only with CR4.DE=1, SDM 18.2.4). */
export function ioAccess(c: Cpu, port: number, size: number): void {
  if (!(c.slow & SL_IO_BP) || !(c.cr4 & A.CR4_DE)) return;
  const dr7 = c.dr7;
  for (let n = 0; n < A.DR_COUNT; n++) {
    if (!A.dr7Enabled(dr7, n) || A.dr7Rw(dr7, n) !== A.DR7_RW_IO) continue;
    const len = A.dr7Len(dr7, n);
    const d = Number(c.drRaw[n]! & 0xffffn);
    const base = d - (d % len);
    if (port < base + len && port + size > base) { c.dbHits |= 1 << n; c.slow |= SL_TRAP; }
  }
}

/** A bus lock (LOCKed or XCHG access that splits a cache line). Trap #DB only at CPL>0 with DEBUGCTL bit 2 (docs/semantics.md §1.4). */
export function busLock(c: Cpu): void {
  if ((c.debugctl & A.DEBUGCTL_BUS_LOCK_DETECT) && c.cpl > 0) { c.dbBusLock = true; c.slow |= SL_TRAP; }
}

/** The instruction faulted: its partial debug causes never happen (SDM 18.3.1.2: traps are reported after completion). */
export function onFault(c: Cpu): void {
  c.dbHits = 0; c.dbBusLock = false; c.dbBeforeRan = false; c.dbExtWpHit = -1;
  c.shadowNew = SHADOW_NONE;
  c.recomputeSlow();
}

/** SYSCALL and SYSRET take their single-step action from RFLAGS.TF as the instruction leaves it (SYSCALL:
 *  after IA32_FMASK; SYSRET: from R11), not from TF at its start: no #DB when FMASK clears TF (the
 *  behaviour behind Xen's XSA-204), and a #DB at the first user instruction when SYSRET sets TF
 *  (kvm-unit-tests x86/syscall.c test_syscall_tf asserts both). A debugger's single-step still traps. */
export function singleStepFromResult(c: Cpu): void {
  const tf = (c.fl & A.RFLAGS_TF) !== 0 || c.hostSingleStep;
  c.dbTfStart = tf;
  if (tf) { c.dbBeforeRan = true; c.slow |= SL_TRAP; }
}

/** After a completed instruction (slow path). Returns true when the loop must stop. */
export function after(c: Cpu, ins: Insn): boolean {
  void ins;
  let trap = 0;
  if (c.dbBeforeRan && c.dbTfStart) {
    // TF at the start of the instruction decides (the one-instruction delay after POPF/IRET sets TF).
    // With DEBUGCTL.BTF the trap happens only for taken branches, interrupts and exceptions (SDM 18.4.3).
    if (!(c.debugctl & A.DEBUGCTL_BTF) || c.dbBranch) trap |= A.DR6_BS;
  }
  trap |= c.dbHits;
  if (c.dbBusLock) trap |= A.DR6_BLD;
  if (c.taskSwitchTrap) { trap |= A.DR6_BT; c.taskSwitchTrap = false; } // SDM 18.3.1.5
  // RF is cleared after every completed instruction except an IRET that loaded RF=1 (SDM 18.3.1.1).
  if ((c.fl & A.RFLAGS_RF) && !c.rfKeep) c.fl &= ~A.RFLAGS_RF;
  c.rfKeep = false;
  // Shadows: the new shadow covers exactly the next instruction.
  c.shadow = c.shadowNew;
  c.shadowNew = SHADOW_NONE;
  const wpHit = c.dbExtWpHit;
  c.dbHits = 0; c.dbBusLock = false; c.dbBeforeRan = false; c.dbExtWpHit = -1; c.dbBranch = false;
  if (c.shadow === SHADOW_MOVSS) {
    // MOV SS / POP SS: data-breakpoint and single-step #DBs are held pending and merged into the #DB
    // after the next instruction (SDM 6.8.3; seed 003).
    c.pendingDebugExceptions = c.pendingDebugExceptions | trap;
    trap = 0;
  } else if (c.pendingDebugExceptions) {
    trap |= c.pendingDebugExceptions;
    c.pendingDebugExceptions = 0;
  }
  c.recomputeSlow();
  if (wpHit >= 0) {
    if (trap) { c.deferredTrap |= trap; c.recomputeSlow(); }
    const st = c.stopReason;
    c.stopReason = { kind: 'ext-watchpoint', addr: laToBig(c.dbExtWpAddr), write: c.dbExtWpWrite, rip: laToBig(c.rip) };
    void st;
    return true;
  }
  if (trap && raiseDb(c, trap, 'trap', c.rip, c.insnRip, false)) return true;
  return c.stopReason !== null;
}

// ---------------------------------------------------------------------------------------------
// ICEBP / INT1 (F1): a trap-like #DB that leaves DR6's cause bits alone (SDM Vol. 3 18.3.2).
// ---------------------------------------------------------------------------------------------
export function icebp(c: Cpu, i: Insn): void {
  void i;
  c.stopReason = null;
  // Data-breakpoint causes held back by a MOV SS shadow are merged into the ICEBP #DB (seed 003 bare
  // metal: DR6 = B0); a held single-step is not reported, and ICEBP itself is never single-stepped
  // (its #DB delivery clears TF).
  let payload = 0;
  if (c.shadow === SHADOW_MOVSS) { payload = c.pendingDebugExceptions & A.DR6_BMASK; c.pendingDebugExceptions = 0; }
  c.dbTfStart = false;
  if (raiseDb(c, payload, 'trap', c.nextRip, c.insnRip, true)) {
    const sr = c.stopReason as { kind: string } | null;
    if (sr !== null && sr.kind === 'intercept') c.nextRip = c.insnRip; // exit on the ICEBP itself
    throw STOP;
  }
  c.nextRip = c.rip;
  c.dbBranch = true;
}

// ---------------------------------------------------------------------------------------------
// MOV to/from DRn (SDM Vol. 2 "MOV—Move to/from Debug Registers")
// ---------------------------------------------------------------------------------------------
export function dr6Writable(c: Cpu): number {
  // BLD writable with BUS_LOCK_DETECT; on AMD only while DEBUGCTL.BLCKDB is set (APM, docs/semantics.md §1.1).
  return A.dr6WritableBits({ vendor: c.vendor, busLockDetect: c.features.busLockDetect, rtm: c.features.rtm, debugctlBusLockDetect: (c.debugctl & A.DEBUGCTL_BUS_LOCK_DETECT) !== 0 });
}

export function movDr(c: Cpu, i: Insn): void {
  if (i.lock) c.raiseUD();
  if (c.cpl !== 0) c.raiseGP0();
  let n = i.reg;
  if (n > 7) c.raiseUD();
  if (n === 4 || n === 5) {
    if (c.cr4 & A.CR4_DE) c.raiseUD(); // DR4/DR5 reserved with debug extensions
    n += 2; // alias DR6/DR7
  }
  // VMX: MOV-DR exiting has priority over the general-detect #DB (SDM Vol. 3C 26.1.1 lists the faults that win over
  // VM exits; #DB is not one; KVM's vmx.c handle_dr emulates GD itself because of it). SVM keeps GD first.
  if (c.vendor === 'intel' && c.intercept('mov-dr', i)) return;
  if (c.dr7 & A.DR7_GD) {
    // General detect: fault-like #DB before the access, RIP at the MOV (not deferred by MOV SS).
    c.stopReason = null;
    // The faulting MOV DR does not complete (raiseDb drops what a preceding MOV SS held back); nothing of
    // this instruction is reported after it.
    c.dbBeforeRan = false; c.dbTfStart = false; c.dbHits = 0;
    if (raiseDb(c, A.DR6_BD, 'fault', c.insnRip, c.insnRip, false)) { throw STOP; }
    throw DELIVERED;
  }
  if (c.vendor !== 'intel' && c.intercept('mov-dr', i)) return;
  const toDr = (i.op & 0xff) === 0x23;
  const r = i.rm;
  if (!toDr) {
    let lo = 0, hi = 0;
    if (n < 4) { const v = c.drRaw[n]!; lo = Number(v & 0xffffffffn) | 0; hi = Number(v >> 32n) | 0; }
    else if (n === 6) lo = c.dr6 | 0;
    else lo = c.dr7 | 0;
    // Outside 64-bit mode the operand is 32 bits (SDM Vol. 2 MOV DRn): the upper half is not written.
    c.rl[r] = lo; c.rh[r] = c.long64 ? hi : 0;
    return;
  }
  const lo = c.rl[r]!, hi = c.long64 ? c.rh[r]! : 0;
  if (n < 4) {
    c.setDr(n, (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0));
    return;
  }
  if (hi !== 0) c.raiseGP0(); // bits 63:32 of DR6/DR7 are reserved-0
  if (n === 6) {
    const w = dr6Writable(c);
    c.dr6 = ((A.DR6_RESET & ~w) | (lo & w)) >>> 0; // fixed bits read 1, bit 12 reads 0
  } else {
    c.dr7 = ((lo & A.DR7_VOLATILE & ~(c.features.rtm ? 0 : A.DR7_RTM)) | A.DR7_FIXED_1) >>> 0;
    c.recomputeSlow();
  }
}

/** Thrown after a #DB was delivered from inside an instruction handler: the loop continues at the handler. */
export const DELIVERED = { delivered: true } as const;

