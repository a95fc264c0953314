// General queries and thread packets for our single-thread all-stop target.

import { threadExtraText } from './thread-text.js';
import { E_INVAL, E_NOENT, THREAD_ID, type Reply, type SessionContext } from '../context.js';
import { parseHexNum, textToHex } from '../hex.js';

export const STUB_FEATURES = (packetSize: number): string =>
  [
    `PacketSize=${packetSize.toString(16)}`,
    'qXfer:features:read+',
    // One round trip for gdb's thread-list refresh after each stop instead of qfThreadInfo + qsThreadInfo.
    'qXfer:threads:read+',
    'swbreak+',
    'hwbreak+',
    'vContSupported+',
    'QStartNoAckMode+',
    // `x` answered with the GDB 16 `b` prefix (sourceware bug 32593); older gdbs ignore the feature.
    'binary-upload+',
  ].join(';');

/** qSupported[:gdbfeature;...]: remember what gdb supports (swbreak/hwbreak gate the stop-reply reasons). */
export function supported(ctx: SessionContext, args: string): Reply {
  ctx.gdbFeatures.clear();
  if (args.startsWith(':')) {
    for (const f of args.slice(1).split(';')) {
      if (f.endsWith('+')) ctx.gdbFeatures.add(f.slice(0, -1));
      else if (f.includes('=')) ctx.gdbFeatures.add(f.slice(0, f.indexOf('=')));
    }
  }
  return STUB_FEATURES(ctx.packetSize);
}

/** Thread ids gdb may use for "our" thread: 0 = any, -1 = all, 1, and the multiprocess pP.T form. */
export function isOurThread(id: string, allowAll: boolean): boolean {
  let t = id;
  if (t.startsWith('p')) {
    const dot = t.indexOf('.');
    if (dot < 0) return allowAll;
    t = t.slice(dot + 1);
  }
  if (t === '0' || (allowAll && t === '-1')) return true;
  return parseHexNum(t, 0xffffffff) === THREAD_ID;
}

/** Hg / Hc THREAD. */
export function setThread(_ctx: SessionContext, args: string): Reply {
  const op = args[0];
  if (op !== 'g' && op !== 'c') return E_INVAL;
  return isOurThread(args.slice(1), true) ? 'OK' : E_INVAL;
}

/** T THREAD: alive? */
export function threadAlive(_ctx: SessionContext, args: string): Reply {
  return isOurThread(args, false) && args !== '0' ? 'OK' : E_NOENT;
}

export function threadExtraInfo(ctx: SessionContext, args: string): Reply {
  if (!isOurThread(args, false)) return E_NOENT;
  return textToHex(threadExtraText(ctx.target.cpuHalted));
}
