// Stop replies (GDB manual, "Stop Reply Packets"): `T` + signal + `n:r;` pairs. We send thread:01, the
// expedited frame registers rbp/rsp/rip (saves gdb a `g` round trip at every stop; QEMU and gdbserver do the
// same), and the reason: watch/rwatch/awatch:ADDR for data breakpoints (gdb matches ADDR as the stopped data
// address), swbreak:/hwbreak: only when gdb announced swbreak+/hwbreak+ in qSupported, as the manual requires.
// `W` + exit code when the guest exited.

import { THREAD_ID } from './context.js';
import { hex2 } from './hex.js';
import { regHex, regIndex } from './features/registers.js';
import type { GdbTarget, StopEvent } from './target.js';

const EXPEDITE = ['rbp', 'rsp', 'rip'];

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
  for (const name of EXPEDITE) {
    const i = regIndex(target, name);
    if (i < 0) continue;
    const v = regHex(target, i);
    if (v.startsWith('xx')) continue;
    s += `${i.toString(16)}:${v};`;
  }
  return s;
}
