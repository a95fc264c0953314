// gdb's register file over the accelerator's register groups (QEMU's kvm_arch_get_registers /
// kvm_arch_put_registers: KVM_GET/SET_REGS, _SREGS, _FPU, _DEBUGREGS, _MSRS). Reads fetch each group once;
// writes (gdb's `P` and `G`) are one transaction: every change is applied to copies of the groups, the
// changed groups are written, and when the accelerator refuses one (KVM_SET_SREGS's -EINVAL for a state the
// CPU cannot hold, a reserved MXCSR bit, DR6/DR7 bits 63:32) the groups already written are put back, so a
// refused write leaves every register as it was (issue 18 item 6).

import { DR_COUNT, DR_STATUS, MSR_IA32_DEBUGCTL } from '../cpu/index.js';
import type { AccelDebugRegs, AccelFpu, Accelerator, AccelRegs, AccelSregs } from './accel.js';
import { REGISTERS, type RegDef } from './registers.js';

/** gdb's eflags register is the low 32 bits of RFLAGS. */
const EFLAGS_MASK = 0xffffffffn;
const SELECTOR_MASK = 0xffffn;

/** One register file read: each group fetched on first use (gdb's `g` takes them all, `p` one). */
export class RegisterReader {
  private regs?: AccelRegs;
  private sregs?: AccelSregs;
  private fpu?: AccelFpu;
  private dregs?: AccelDebugRegs;
  constructor(private readonly accel: Accelerator) {}

  value(def: RegDef): bigint {
    const k = def.kind;
    switch (k.k) {
      case 'gpr':
        return BigInt.asUintN(64, (this.regs ??= this.accel.getRegs()).gpr[k.enc]!);
      case 'rip':
        return BigInt.asUintN(64, (this.regs ??= this.accel.getRegs()).rip);
      case 'eflags':
        return (this.regs ??= this.accel.getRegs()).rflags & EFLAGS_MASK;
      case 'seg':
        return BigInt((this.sregs ??= this.accel.getSregs()).seg[k.seg]!.selector);
      case 'state':
        return BigInt.asUintN(64, (this.sregs ??= this.accel.getSregs())[k.field]);
      case 'st':
        return (this.fpu ??= this.accel.getFpu()).x87.st[k.n]!;
      case 'x87':
        return BigInt((this.fpu ??= this.accel.getFpu()).x87[k.field] >>> 0);
      case 'xmm':
        return (this.fpu ??= this.accel.getFpu()).xmm[k.n]!;
      case 'mxcsr':
        return BigInt((this.fpu ??= this.accel.getFpu()).mxcsr);
      case 'dr': {
        const d = (this.dregs ??= this.accel.getDebugRegs());
        return BigInt.asUintN(64, k.n < DR_COUNT ? d.db[k.n]! : k.n === DR_STATUS ? d.dr6 : d.dr7);
      }
      case 'debugctl':
        return this.accel.getMsr(MSR_IA32_DEBUGCTL) ?? 0n;
    }
  }
}

interface Group<T> {
  old: T;
  cur: T;
  dirty: boolean;
}

const group = <T>(v: T): Group<T> => ({ old: v, cur: structuredClone(v), dirty: false });

/**
 * Write `changes` (register index -> value, in gdb's order) all or nothing. Returns false, with nothing
 * changed, when an index is unknown, a read-only register would change, or the accelerator refuses a group.
 */
export function writeRegisterFile(accel: Accelerator, changes: ReadonlyMap<number, bigint>): boolean {
  let regs: Group<AccelRegs> | undefined;
  let sregs: Group<AccelSregs> | undefined;
  let fpu: Group<AccelFpu> | undefined;
  let dregs: Group<AccelDebugRegs> | undefined;
  let debugctl: Group<bigint> | undefined;
  for (const [index, value] of changes) {
    const def = REGISTERS[index] as RegDef | undefined;
    if (!def) return false;
    const v = BigInt.asUintN(def.bitsize, value);
    const k = def.kind;
    switch (k.k) {
      case 'gpr':
      case 'rip':
      case 'eflags': {
        regs ??= group(accel.getRegs());
        const r = regs.cur;
        if (k.k === 'gpr') r.gpr[k.enc] = v;
        else if (k.k === 'rip') r.rip = v;
        else r.rflags = (r.rflags & ~EFLAGS_MASK) | v;
        regs.dirty = true;
        break;
      }
      case 'seg':
      case 'state': {
        sregs ??= group(accel.getSregs());
        const s = sregs.cur;
        if (k.k === 'seg') s.seg[k.seg] = { ...s.seg[k.seg]!, selector: Number(v & SELECTOR_MASK) };
        else s[k.field] = v;
        sregs.dirty = true;
        break;
      }
      case 'st':
      case 'x87': {
        fpu ??= group(accel.getFpu());
        const x = fpu.cur.x87;
        // 16-bit registers (FCW, FSW, FTW, the selectors) and the 11-bit FOP: wider values are refused (E22).
        const width = k.k === 'st' ? 80n : k.field === 'fip' || k.field === 'fdp' ? 32n : k.field === 'fop' ? 11n : 16n;
        if (v >> width !== 0n) return false;
        if (k.k === 'st') x.st[k.n] = v;
        else x[k.field] = Number(v);
        fpu.dirty = true;
        break;
      }
      case 'xmm':
      case 'mxcsr':
        fpu ??= group(accel.getFpu());
        if (k.k === 'xmm') fpu.cur.xmm[k.n] = v;
        else fpu.cur.mxcsr = Number(v); // a reserved bit set: refused, as LDMXCSR would #GP
        fpu.dirty = true;
        break;
      case 'dr': {
        dregs ??= group(accel.getDebugRegs());
        const d = dregs.cur;
        if (k.n < DR_COUNT) d.db[k.n] = v;
        else if (k.n === DR_STATUS) d.dr6 = v;
        else d.dr7 = v;
        dregs.dirty = true;
        break;
      }
      case 'debugctl':
        debugctl ??= group(accel.getMsr(MSR_IA32_DEBUGCTL) ?? 0n);
        debugctl.cur = v;
        debugctl.dirty = true;
        break;
    }
  }
  // The order QEMU's kvm_arch_put_registers writes them in (regs, sregs, fpu/xsave, MSRs, debug registers).
  const steps: { set: (old: boolean) => boolean }[] = [];
  const add = <T>(g: Group<T> | undefined, put: (v: T) => boolean): void => {
    if (g?.dirty) steps.push({ set: (old) => put(old ? g.old : g.cur) });
  };
  add(regs, (v) => accel.setRegs(v));
  add(sregs, (v) => accel.setSregs(v));
  add(fpu, (v) => accel.setFpu(v));
  add(debugctl, (v) => accel.setMsr(MSR_IA32_DEBUGCTL, v));
  add(dregs, (v) => accel.setDebugRegs(v));
  for (let i = 0; i < steps.length; i++) {
    if (steps[i]!.set(false)) continue;
    for (let j = i - 1; j >= 0; j--) steps[j]!.set(true);
    return false;
  }
  return true;
}
