// qXfer:features:read:ANNEX:OFFSET,LENGTH and qXfer:threads:read::OFFSET,LENGTH. Replies `m<data>` when more
// follows, `l<data>` for the last part (an offset at or past the end gives a bare `l`). Data is binary-escaped.
// LENGTH is clamped so the escaped reply fits in one packet (QEMU clamps to (MAX-5)/2 the same way).
//
// Why qXfer:threads: after every stop gdb refreshes its thread list. With qfThreadInfo that is two round trips
// (qfThreadInfo, then qsThreadInfo for the end of the list); with qXfer:threads:read (GDB manual, "Thread List
// Format"; gdbserver offers it, QEMU does not) it is one, because our whole list fits in the first reply.
// That is one round trip fewer per stepi and per watchpoint hit.

import { threadExtraText } from './thread-text.js';
import { E_INVAL, E_NOENT, THREAD_ID, type Reply, type SessionContext } from '../context.js';
import { escapeBinary, toBytes } from '../codec.js';
import { parseHexNum } from '../hex.js';
import { buildTargetXml } from '../tdesc.js';

export function xferFeatures(ctx: SessionContext, doc: () => Uint8Array, args: string): Reply {
  // args: "read:ANNEX:OFF,LEN" (after "qXfer:features:")
  const m = /^read:([^:]*):([0-9a-fA-F]+),([0-9a-fA-F]+)$/.exec(args);
  if (m === null) return args.startsWith('read:') ? E_INVAL : '';
  if (m[1] !== 'target.xml') return E_NOENT;
  return xferSlice(ctx, doc(), m[2]!, m[3]!);
}

/** The thread list in its two possible states, built once (gdb asks after every stop). */
const THREADS_XML = new Map<boolean, Uint8Array>();

/** Our one thread (id 1, the same id qfThreadInfo and stop replies use), with qThreadExtraInfo's text. */
export function threadsXml(ctx: SessionContext): Uint8Array {
  const halted = ctx.target.cpuHalted;
  let doc = THREADS_XML.get(halted);
  if (doc === undefined) {
    doc = toBytes(`<?xml version="1.0"?>\n<threads>\n<thread id="${THREAD_ID.toString(16)}" core="0">${threadExtraText(halted)}</thread>\n</threads>\n`);
    THREADS_XML.set(halted, doc);
  }
  return doc;
}

/** Replies to the request gdb repeats after every stop (`read::0,1000`), per thread state and packet size: the
 *  escaped list is the same each time, and escaping it was a visible part of a fresh server's first hits. */
const THREADS_REPLY = new Map<string, Reply>();

export function xferThreads(ctx: SessionContext, args: string): Reply {
  // args: "read::OFF,LEN" (after "qXfer:threads:"; the annex is empty)
  const halted = ctx.target.cpuHalted;
  const key = `${halted ? 1 : 0}:${ctx.packetSize}:${args}`;
  const cached = THREADS_REPLY.get(key);
  if (cached !== undefined) return cached;
  const m = /^read:([^:]*):([0-9a-fA-F]+),([0-9a-fA-F]+)$/.exec(args);
  if (m === null) return args.startsWith('read:') ? E_INVAL : '';
  if (m[1] !== '') return E_NOENT;
  const reply = xferSlice(ctx, threadsXml(ctx), m[2]!, m[3]!);
  // Only the whole-list request is kept (a handful of keys at most; other offsets are rare and not remembered).
  if (/^read::0+,/.test(args) && THREADS_REPLY.size < 16) THREADS_REPLY.set(key, reply);
  return reply;
}

function xferSlice(ctx: SessionContext, data: Uint8Array, offHex: string, lenHex: string): Reply {
  const off = parseHexNum(offHex);
  const len = parseHexNum(lenHex);
  // A zero length asks for nothing: `m` with no data would tell the client to ask again forever (issue 18 item 12).
  if (off === undefined || len === undefined || len === 0) return E_INVAL;
  if (off >= data.length) return 'l';
  const n = Math.min(len, Math.floor((ctx.packetSize - 5) / 2), data.length - off);
  const part = escapeBinary(data.subarray(off, off + n));
  const out = new Uint8Array(part.length + 1);
  out[0] = off + n >= data.length ? 0x6c /* l */ : 0x6d /* m */;
  out.set(part, 1);
  return out;
}

/** target.xml bytes, built once per session (the register list is fixed for the target's lifetime). */
export function targetXmlCache(ctx: SessionContext): () => Uint8Array {
  let cached: Uint8Array | undefined;
  return () => (cached ??= toBytes(Buffer.from(buildTargetXml(ctx.target), 'utf8').toString('latin1')));
}
