// qXfer:features:read:ANNEX:OFFSET,LENGTH. Replies `m<data>` when more follows, `l<data>` for the last part
// (an offset at or past the end gives a bare `l`). Data is binary-escaped. LENGTH is clamped so the escaped
// reply fits in one packet (QEMU clamps to (MAX-5)/2 the same way).

import { E_INVAL, E_NOENT, type Reply, type SessionContext } from '../context.js';
import { escapeBinary, toBytes } from '../codec.js';
import { parseHexNum } from '../hex.js';
import { buildTargetXml } from '../tdesc.js';

export function xferFeatures(ctx: SessionContext, doc: () => Uint8Array, args: string): Reply {
  // args: "read:ANNEX:OFF,LEN" (after "qXfer:features:")
  const m = /^read:([^:]*):([0-9a-fA-F]+),([0-9a-fA-F]+)$/.exec(args);
  if (m === null) return args.startsWith('read:') ? E_INVAL : '';
  if (m[1] !== 'target.xml') return E_NOENT;
  const off = parseHexNum(m[2]);
  const len = parseHexNum(m[3]);
  if (off === undefined || len === undefined) return E_INVAL;
  const data = doc();
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
