// Strict hex and number helpers for packet arguments. Malformed hex is an error, never 0: QEMU's fromhex()
// silently maps bad digits to 0, and unchecked parsing has crashed other stubs (docs/protocol.md "Robustness").

/** Value of one ASCII hex digit, or -1. */
export function hexDigit(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x61 + 10;
  if (c >= 0x41 && c <= 0x46) return c - 0x41 + 10;
  return -1;
}

const HEX = '0123456789abcdef';

export const U64_MAX = (1n << 64n) - 1n;

/** Parse an unsigned big-endian hex number (gdb's addresses and lengths). undefined when empty, malformed, or wider than maxBits. */
export function parseHexBig(s: string, maxBits = 64): bigint | undefined {
  if (s.length === 0 || s.length > 64) return undefined;
  let v = 0n;
  for (let i = 0; i < s.length; i++) {
    const d = hexDigit(s.charCodeAt(i));
    if (d < 0) return undefined;
    v = (v << 4n) | BigInt(d);
  }
  if (v >> BigInt(maxBits) !== 0n) return undefined;
  return v;
}

/** Parse a small unsigned hex number (lengths, register numbers, kinds). undefined when malformed or > limit. */
export function parseHexNum(s: string, limit = 0x7fffffff): number | undefined {
  if (s.length === 0 || s.length > 16) return undefined;
  let v = 0;
  for (let i = 0; i < s.length; i++) {
    const d = hexDigit(s.charCodeAt(i));
    if (d < 0) return undefined;
    v = v * 16 + d;
    if (v > limit) return undefined;
  }
  return v;
}

/** Hex string (pairs) to bytes; undefined if odd length or a bad digit. */
export function hexToBytes(s: string): Uint8Array | undefined {
  if (s.length % 2 !== 0) return undefined;
  const out = new Uint8Array(s.length / 2);
  for (let i = 0; i < out.length; i++) {
    const hi = hexDigit(s.charCodeAt(2 * i));
    const lo = hexDigit(s.charCodeAt(2 * i + 1));
    if (hi < 0 || lo < 0) return undefined;
    out[i] = (hi << 4) | lo;
  }
  return out;
}

/** Lowercase hex, two digits per byte (Node's native encoder: `m` replies are up to 8 KiB of it). */
export function bytesToHex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.length).toString('hex');
}

export function textToHex(t: string): string {
  return bytesToHex(new TextEncoder().encode(t));
}

/** Hex-encoded text (qRcmd) to a string; undefined when the hex is malformed. */
export function hexToText(s: string): string | undefined {
  const b = hexToBytes(s);
  return b === undefined ? undefined : new TextDecoder('utf-8', { fatal: false }).decode(b);
}

/** Little-endian encoding of an unsigned value into `bytes` bytes (register transfer order on x86). */
export function leBytes(value: bigint, bytes: number): Uint8Array {
  const out = new Uint8Array(bytes);
  let v = value & ((1n << BigInt(bytes * 8)) - 1n);
  for (let i = 0; i < bytes; i++) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

export function fromLeBytes(b: Uint8Array): bigint {
  let v = 0n;
  for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]);
  return v;
}

/** Two lowercase hex digits of every byte value, for leHex. */
const BYTE_HEX: readonly string[] = Array.from({ length: 256 }, (_, b) => HEX[b >> 4] + HEX[b & 15]);

function u32LeHex(w: number): string {
  return BYTE_HEX[w & 0xff]! + BYTE_HEX[(w >>> 8) & 0xff]! + BYTE_HEX[(w >>> 16) & 0xff]! + BYTE_HEX[w >>> 24]!;
}

/** Scratch for leHex: a BigInt stored into a BigUint64Array element is read back as two 32-bit halves without
 *  allocating intermediate BigInts (every stop reply formats 17 registers, so this runs thousands of times). */
const U64 = new BigUint64Array(1);
const U32 = new Uint32Array(U64.buffer);
const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * Little-endian hex of the low `bytes` bytes of an unsigned value (register transfer order on x86): the same
 * text as bytesToHex(leBytes(value, bytes)), in 32-bit pieces rather than one BigInt shift per byte.
 */
export function leHex(value: bigint, bytes: number): string {
  if (value === 0n) return '00'.repeat(bytes); // most of the x87/SSE file
  if (bytes <= 8 && LITTLE_ENDIAN_HOST) {
    U64[0] = value; // ToBigUint64: the value modulo 2^64
    const lo = U32[0]!;
    const hi = U32[1]!;
    if (bytes === 8) return u32LeHex(lo) + u32LeHex(hi);
    let s = '';
    let w = lo;
    for (let i = 0; i < bytes; i++) {
      if (i === 4) w = hi;
      s += BYTE_HEX[w & 0xff]!;
      w >>>= 8;
    }
    return s;
  }
  let v = BigInt.asUintN(bytes * 8, value);
  let s = '';
  let left = bytes;
  while (left >= 4) {
    s += u32LeHex(Number(v & 0xffffffffn));
    v >>= 32n;
    left -= 4;
  }
  let w = Number(v);
  for (; left > 0; left--) {
    s += BYTE_HEX[w & 0xff]!;
    w >>>= 8;
  }
  return s;
}

/** Two-digit lowercase hex of a byte (signal numbers, exit codes, checksums). */
export function hex2(n: number): string {
  return HEX[(n >> 4) & 15] + HEX[n & 15];
}
