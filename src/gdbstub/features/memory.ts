// m / M / X / x: guest virtual memory. Lengths are bounded by maxMemoryRead/maxMemoryTransfer (E22 above); an unmapped
// start gives E14; a read that runs into an unmapped page returns the readable prefix, which gdb accepts and
// continues from (GDB manual, `m`: "fewer bytes than requested").

import { E_FAULT, E_INVAL, maxMemoryRead, maxMemoryTransfer, type Reply, type SessionContext } from '../context.js';
import { escapeBinary, needsEscape, unescapeBinary } from '../codec.js';
import { bytesToHex, hexToBytes, parseHexBig, parseHexNum, U64_MAX } from '../hex.js';

const PAGE = 0x1000n;

interface AddrLen {
  addr: bigint;
  len: number;
}

/** "addr,len" with strict hex; the range must not wrap past 2^64. */
function parseAddrLen(s: string, max: number): AddrLen | undefined {
  const comma = s.indexOf(',');
  if (comma < 0) return undefined;
  const addr = parseHexBig(s.slice(0, comma));
  const len = parseHexNum(s.slice(comma + 1), max);
  if (addr === undefined || len === undefined) return undefined;
  if (len > 0 && addr + BigInt(len) - 1n > U64_MAX) return undefined;
  return { addr, len };
}

/** Read as much of [addr, addr+len) as is mapped, page by page after a failed whole read. */
export function readPrefix(ctx: SessionContext, addr: bigint, len: number): Uint8Array | undefined {
  const whole = ctx.target.readMemory(addr, len);
  if (whole !== undefined) return whole.length > len ? whole.subarray(0, len) : whole;
  const parts: Uint8Array[] = [];
  let got = 0;
  let a = addr;
  while (got < len) {
    const n = Math.min(len - got, Number(PAGE - (a % PAGE)));
    const chunk = ctx.target.readMemory(a, n);
    if (chunk === undefined || chunk.length === 0) break;
    parts.push(chunk.subarray(0, n));
    got += Math.min(chunk.length, n);
    a += BigInt(n);
  }
  if (got === 0) return undefined;
  const out = new Uint8Array(got);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

export function readHex(ctx: SessionContext, args: string): Reply {
  const r = parseAddrLen(args, maxMemoryRead(ctx));
  if (r === undefined) return E_INVAL;
  if (r.len === 0) return '';
  const data = readPrefix(ctx, r.addr, r.len);
  return data === undefined ? E_FAULT : bytesToHex(data);
}

/** `x addr,len` (GDB 16, advertised by binary-upload+): `b` + escaped binary data. */
export function readBinary(ctx: SessionContext, args: string): Reply {
  const r = parseAddrLen(args, maxMemoryTransfer(ctx));
  if (r === undefined) return E_INVAL;
  if (r.len === 0) return 'b';
  const whole = readPrefix(ctx, r.addr, r.len);
  if (whole === undefined) return E_FAULT;
  const data = whole.subarray(0, fitsEscaped(whole, ctx.packetSize - 1));
  const esc = escapeBinary(data);
  const out = new Uint8Array(esc.length + 1);
  out[0] = 0x62; // 'b'
  out.set(esc, 1);
  return out;
}

/** How many leading bytes of data escape into at most `room` bytes. */
function fitsEscaped(data: Uint8Array, room: number): number {
  let used = 0;
  for (let i = 0; i < data.length; i++) {
    used += needsEscape(data[i]!) ? 2 : 1;
    if (used > room) return i;
  }
  return data.length;
}

export function writeHex(ctx: SessionContext, args: string): Reply {
  const colon = args.indexOf(':');
  if (colon < 0) return E_INVAL;
  const r = parseAddrLen(args.slice(0, colon), maxMemoryTransfer(ctx));
  if (r === undefined) return E_INVAL;
  const data = hexToBytes(args.slice(colon + 1));
  if (data === undefined || data.length !== r.len) return E_INVAL;
  if (r.len === 0) return 'OK';
  return ctx.target.writeMemory(r.addr, data) ? 'OK' : E_FAULT;
}

/** `X addr,len:binary`; gdb probes support with a zero-length X, answered OK. raw is the whole packet. */
export function writeBinary(ctx: SessionContext, raw: Uint8Array): Reply {
  const colon = raw.indexOf(0x3a);
  if (colon < 0) return E_INVAL;
  const head = Buffer.from(raw.subarray(1, colon)).toString('latin1');
  const r = parseAddrLen(head, maxMemoryTransfer(ctx));
  if (r === undefined) return E_INVAL;
  const body = raw.subarray(colon + 1);
  const data = unescapeBinary(body); // undefined for a lone trailing `}`
  if (data === undefined || data.length !== r.len) return E_INVAL;
  if (r.len === 0) return 'OK';
  return ctx.target.writeMemory(r.addr, data) ? 'OK' : E_FAULT;
}

