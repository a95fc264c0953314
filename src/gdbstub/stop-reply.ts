// Stop replies (GDB manual, "Stop Reply Packets"): `T` + signal + `n:r;` pairs. We send thread:01, the
// expedited registers, and the reason: watch/rwatch/awatch:ADDR for data breakpoints (gdb matches ADDR as the stopped data
// address), swbreak:/hwbreak: only when gdb announced swbreak+/hwbreak+ in qSupported, as the manual requires.
// `W` + exit code when the guest exited.

import { THREAD_ID } from './context.js';
import { hex2, leHex } from './hex.js';
import { regBytes, regHex, regIndex } from './features/registers.js';
import type { GdbTarget, StopEvent } from './target.js';

// Expedited registers: all sixteen GPRs and rip, not only gdbserver's rbp/rsp/rip (QEMU sends none). When gdb
// prints the stop location it unwinds the frame (callee-saved rbx, r12-r15 from the CFI) and shows arguments
// that live in rdi/rsi/...; any register missing from the stop reply costs a `g` round trip at every stop
// (measured: a continue to a watchpoint went from 11 to 10 round trips). ~330 more bytes in one packet are far
// cheaper than a round trip.
const EXPEDITE = ['rax', 'rbx', 'rcx', 'rdx', 'rsi', 'rdi', 'rbp', 'rsp', 'r8', 'r9', 'r10', 'r11', 'r12', 'r13', 'r14', 'r15', 'rip'];
/** Register numbers of EXPEDITE per register list (found once, not by name at every stop). */
const expediteCache = new WeakMap<readonly unknown[], number[]>();

function expediteIndices(target: GdbTarget): number[] {
  let idx = expediteCache.get(target.registers);
  if (idx === undefined) {
    idx = EXPEDITE.map((name) => regIndex(target, name)).filter((i) => i >= 0);
    expediteCache.set(target.registers, idx);
  }
  return idx;
}

export function buildStopReply(target: GdbTarget, ev: StopEvent, gdbFeatures: ReadonlySet<string>): string {
  if (ev.kind === 'exited') return 'W' + hex2(ev.code & 0xff);
  let s = 'T' + hex2(ev.signal & 0xff);
  const r = ev.reason;
  if (r !== undefined) {
    if (r.type === 'watch' || r.type === 'rwatch' || r.type === 'awatch') s += `${r.type}:${BigInt.asUintN(64, r.addr).toString(16)};`;
    else if (r.type === 'swbreak' && gdbFeatures.has('swbreak')) s += 'swbreak:;';
    else if (r.type === 'hwbreak' && gdbFeatures.has('hwbreak')) s += 'hwbreak:;';
  }
  s += `thread:${hex2(THREAD_ID)};`;
  const idx = expediteIndices(target);
  let values: readonly bigint[] | undefined;
  try {
    values = target.readRegisterList?.(idx);
  } catch {
    values = undefined; // one register at a time below: an unreadable one is left out, not the whole list
  }
  for (let k = 0; k < idx.length; k++) {
    const i = idx[k]!;
    const v = values ? leHex(values[k]!, regBytes(target, i)) : regHex(target, i);
    if (v.startsWith('xx')) continue;
    s += `${i.toString(16)}:${v};`;
  }
  return s;
}
