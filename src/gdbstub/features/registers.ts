// g / G / p / P: registers in target.registers order, each little-endian in ceil(bitsize/8) bytes. The layout is
// exactly the one target.xml declares (regnum = index), so gdb and the stub cannot disagree.

import { E_INVAL, type Reply, type SessionContext } from '../context.js';
import { fromLeBytes, hexToBytes, leHex, parseHexNum } from '../hex.js';
import type { GdbTarget } from '../target.js';

export function regBytes(target: GdbTarget, index: number): number {
  return Math.ceil(target.registers[index].bitsize / 8);
}

/** Hex of one register; `xx` per byte when the target cannot read it (gdb shows it as <unavailable>). */
export function regHex(target: GdbTarget, index: number): string {
  const n = regBytes(target, index);
  try {
    return leHex(target.readRegister(index), n);
  } catch {
    return 'xx'.repeat(n);
  }
}

/** `g`: gdb asks for it at nearly every stop, so one bulk read when the target offers it. */
export function readAll(ctx: SessionContext): Reply {
  const t = ctx.target;
  let values: readonly bigint[] | undefined;
  try {
    values = t.readRegisters?.();
  } catch {
    values = undefined; // fall back to one read per register, which marks only the failing ones `xx`
  }
  let s = '';
  for (let i = 0; i < t.registers.length; i++) {
    const v = values?.[i];
    s += v === undefined ? regHex(t, i) : leHex(v, regBytes(t, i));
  }
  return s;
}

export function writeAll(ctx: SessionContext, args: string): Reply {
  const t = ctx.target;
  const bytes = hexToBytes(args);
  if (bytes === undefined) return E_INVAL;
  let off = 0;
  let ok = true;
  const changes = new Map<number, bigint>();
  for (let i = 0; i < t.registers.length && off < bytes.length; i++) {
    const n = regBytes(t, i);
    if (off + n > bytes.length) return E_INVAL; // a register cut in half
    const v = fromLeBytes(bytes.subarray(off, off + n));
    off += n;
    // Only write what changed: G carries every register, including ones the target treats as read-only.
    let cur: bigint | undefined;
    try {
      cur = BigInt.asUintN(n * 8, t.readRegister(i));
    } catch {
      cur = undefined;
    }
    if (cur !== v) changes.set(i, v);
  }
  if (off !== bytes.length) return E_INVAL; // longer than the register file
  // A target that can is asked for all of it at once (nothing written when it refuses one register).
  if (t.writeRegisters) return changes.size === 0 || t.writeRegisters(changes) ? 'OK' : E_INVAL;
  for (const [i, v] of changes) if (!t.writeRegister(i, v)) ok = false;
  return ok ? 'OK' : E_INVAL;
}

export function readOne(ctx: SessionContext, args: string): Reply {
  const idx = parseHexNum(args, 0xffff);
  if (idx === undefined || idx >= ctx.target.registers.length) return E_INVAL;
  return regHex(ctx.target, idx);
}

export function writeOne(ctx: SessionContext, args: string): Reply {
  const eq = args.indexOf('=');
  if (eq < 0) return E_INVAL;
  const idx = parseHexNum(args.slice(0, eq), 0xffff);
  if (idx === undefined || idx >= ctx.target.registers.length) return E_INVAL;
  const bytes = hexToBytes(args.slice(eq + 1));
  if (bytes === undefined || bytes.length !== regBytes(ctx.target, idx)) return E_INVAL;
  return ctx.target.writeRegister(idx, fromLeBytes(bytes)) ? 'OK' : E_INVAL;
}

/** Register index by name (rip, rsp, rbp), or -1. */
export function regIndex(target: GdbTarget, name: string): number {
  return target.registers.findIndex((r) => r.name === name);
}
