// RSP framing (GDB manual, "Remote Protocol" > Overview): packets are `$payload#cc` where cc is the modulo-256
// sum of the payload bytes in two hex digits; the receiver answers `+` (good) or `-` (resend) until
// QStartNoAckMode; `}` escapes a byte as 0x7d followed by byte^0x20; `X*c` repeats X (c - 29) more times
// (run-length encoding). 0x03 outside a packet is a Ctrl-C interrupt request.
//
// Everything here is pure (no sockets, no timers) so the tests can drive it byte by byte.
//
// Limits and policies (documented in README and docs of this module):
// - maxPacketSize bounds the payload between `$` and `#` after RLE expansion. The decoder never buffers more
//   than that. A packet that overflows is still tracked to its `#cc` (so the stream stays in sync, unlike
//   QEMU, which silently drops the rest and then treats the tail as garbage), acknowledged like any other
//   packet (its checksum is checked over the wire bytes), and reported as `oversize`; the session answers
//   `E22`. NAKing it instead would make gdb retransmit the same packet forever.
// - RLE counts on input follow QEMU's validation (commit 046aba16): the count byte must be printable
//   (0x20..0x7e), not `#` or `$`, and there must be a byte to repeat. A violation marks the packet
//   `malformed` (answered `E22`) instead of guessing.
// - A `$` inside a packet means the previous packet was cut short: it is discarded and a new one starts.
// - Bytes outside packets other than `$ + - 0x03` are ignored (line noise, gdb's stray acks).

export const CH_DOLLAR = 0x24;
export const CH_HASH = 0x23;
export const CH_ESCAPE = 0x7d; // '}'
export const CH_STAR = 0x2a; // '*'
export const CH_ACK = 0x2b; // '+'
export const CH_NAK = 0x2d; // '-'
export const CH_INTERRUPT = 0x03; // Ctrl-C (GDB manual, "Interrupts")
/** RLE count byte c means c - RLE_BIAS extra copies (GDB manual: "the count plus 29"). */
export const RLE_BIAS = 29;
/** Largest repeat a count byte can express: 0x7e - 29 = 97. */
export const RLE_MAX_REPEAT = 0x7e - RLE_BIAS;
/** Runs shorter than this many extra copies are cheaper sent literally (count byte 0x20 = 3 extra copies). */
export const RLE_MIN_REPEAT = 0x20 - RLE_BIAS;

export const DEFAULT_PACKET_SIZE = 0x4000;


export function toBytes(s: string | Uint8Array): Uint8Array {
  if (typeof s !== 'string') return s;
  // Payloads are ASCII (hex, XML, keywords); latin1 maps each char to one byte, never expanding.
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i) & 0xff;
  return out;
}

export function bytesToLatin1(b: Uint8Array): string {
  // Buffer's latin1 is ISO-8859-1 (one code unit per byte); TextDecoder('latin1') would be windows-1252.
  return Buffer.from(b.buffer, b.byteOffset, b.length).toString('latin1');
}

export function checksum(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let s = 0;
  for (let i = start; i < end; i++) s = (s + bytes[i]) & 0xff;
  return s;
}

/** Bytes that must be escaped in binary data: `#`, `$`, `}`, `*` (GDB manual, "Overview", binary data). */
export function needsEscape(b: number): boolean {
  return b === CH_HASH || b === CH_DOLLAR || b === CH_ESCAPE || b === CH_STAR;
}

export function escapeBinary(data: Uint8Array): Uint8Array {
  let extra = 0;
  for (let i = 0; i < data.length; i++) if (needsEscape(data[i])) extra++;
  if (extra === 0) return data;
  const out = new Uint8Array(data.length + extra);
  let j = 0;
  for (let i = 0; i < data.length; i++) {
    const b = data[i];
    if (needsEscape(b)) {
      out[j++] = CH_ESCAPE;
      out[j++] = b ^ 0x20;
    } else out[j++] = b;
  }
  return out;
}

/** Undo `}` escaping; undefined when the data ends in a lone `}`. */
export function unescapeBinary(data: Uint8Array): Uint8Array | undefined {
  const out = new Uint8Array(data.length);
  let j = 0;
  for (let i = 0; i < data.length; i++) {
    const b = data[i];
    if (b === CH_ESCAPE) {
      if (i + 1 >= data.length) return undefined;
      out[j++] = data[++i] ^ 0x20;
    } else out[j++] = b;
  }
  return out.subarray(0, j);
}

function goodCount(n: number): boolean {
  const c = n + RLE_BIAS;
  // Never `#`/`$` (framing, GDB manual); also avoid `*` and `}` so no decoder can mistake the count for a
  // repeat marker or an escape.
  return c !== CH_HASH && c !== CH_DOLLAR && c !== CH_STAR && c !== CH_ESCAPE;
}

/**
 * Frame a reply: `$` + wire payload + `#cc`. The payload is taken as already escaped where the packet type
 * carries binary data (`}` starts a two-byte escape pair). Defensively, raw `#`, `$`, `*` are escaped so the
 * frame is always well formed. With rle, runs of one plain byte are compressed; escape pairs are never part of
 * a run (gdb expands repeats before it unescapes, so a repeated escape would corrupt the data).
 *
 * Every reply goes through here, so it encodes into one reused scratch buffer and sums the checksum on the
 * way (no array of numbers), then returns an exact-size copy (from Node's Buffer pool when small). A frame is
 * at most 2 bytes per payload byte (escape pairs; a run spends at most 3 bytes per 4 or more payload bytes)
 * plus `$`, `#` and two checksum digits, which is what the scratch buffer is sized for.
 */
let scratch = new Uint8Array(0x1000);

export function encodePacket(payload: string | Uint8Array, opts: { rle?: boolean } = {}): Uint8Array {
  const p = typeof payload === 'string' ? Buffer.from(payload, 'latin1') : payload;
  const n = p.length;
  const rle = opts.rle === true;
  if (scratch.length < 2 * n + 4) scratch = new Uint8Array(2 * n + 4);
  const out = scratch;
  out[0] = CH_DOLLAR;
  let o = 1;
  let sum = 0;
  let i = 0;
  while (i < n) {
    const b = p[i]!;
    if (b === CH_ESCAPE) {
      // Escape pair: copied as-is unless its second byte would break the frame; a lone `}` is itself escaped.
      const next = i + 1 < n ? p[i + 1]! : -1;
      const second = next >= 0 && next !== CH_HASH && next !== CH_DOLLAR && next !== CH_STAR ? next : CH_ESCAPE ^ 0x20;
      out[o++] = CH_ESCAPE;
      out[o++] = second;
      sum += CH_ESCAPE + second;
      i += second === next ? 2 : 1;
      continue;
    }
    if (b === CH_HASH || b === CH_DOLLAR || b === CH_STAR) {
      out[o++] = CH_ESCAPE;
      out[o++] = b ^ 0x20;
      sum += CH_ESCAPE + (b ^ 0x20);
      i += 1;
      continue;
    }
    let run = 1;
    while (i + run < n && p[i + run] === b) run++;
    i += run;
    out[o++] = b;
    sum += b;
    let extra = run - 1;
    if (!rle || extra < RLE_MIN_REPEAT) {
      while (extra-- > 0) {
        out[o++] = b;
        sum += b;
      }
      continue;
    }
    while (extra > 0) {
      if (extra < RLE_MIN_REPEAT) {
        while (extra-- > 0) {
          out[o++] = b;
          sum += b;
        }
        break;
      }
      let k = Math.min(extra, RLE_MAX_REPEAT);
      while (!goodCount(k)) k--;
      out[o++] = CH_STAR;
      out[o++] = k + RLE_BIAS;
      sum += CH_STAR + k + RLE_BIAS;
      extra -= k;
      // Repeat the literal before the next count so every `*` follows a plain byte.
      if (extra > 0) {
        out[o++] = b;
        sum += b;
        extra--;
      }
    }
  }
  sum &= 0xff;
  out[o++] = CH_HASH;
  out[o++] = hexChar(sum >> 4);
  out[o++] = hexChar(sum & 15);
  const frame = Buffer.from(out.subarray(0, o));
  return new Uint8Array(frame.buffer, frame.byteOffset, o);
}

function hexChar(n: number): number {
  return n < 10 ? 0x30 + n : 0x61 + n - 10;
}

function hexVal(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x61 + 10;
  if (c >= 0x41 && c <= 0x46) return c - 0x41 + 10;
  return -1;
}

export type FrameEvent =
  /** A complete packet; payload is RLE-expanded but not unescaped (only binary packet types unescape). */
  | { type: 'packet'; payload: Uint8Array; checksumOk: boolean }
  | { type: 'oversize'; length: number; checksumOk: boolean }
  | { type: 'malformed'; reason: string; checksumOk: boolean }
  | { type: 'ack' }
  | { type: 'nak' }
  | { type: 'interrupt' }
  /** A packet start interrupted an unfinished packet, which was dropped. */
  | { type: 'truncated' }
  /** Bytes ignored between packets. */
  | { type: 'garbage'; count: number };

const enum St { Idle, Data, RleCount, Csum1, Csum2 }

/** Streaming frame decoder. Memory is bounded by maxPacketSize whatever arrives. */
export class FrameDecoder {
  private readonly buf: Uint8Array;
  private len = 0;
  /** Expanded length including bytes not stored once over the limit. */
  private total = 0;
  private sum = 0;
  private state = St.Idle;
  private oversize = false;
  private malformed: string | undefined;
  private csumHi = 0;
  private garbage = 0;

  constructor(readonly maxPacketSize = DEFAULT_PACKET_SIZE) {
    this.buf = new Uint8Array(maxPacketSize);
  }

  /** True while part of a packet has been read. */
  get inPacket(): boolean {
    return this.state !== St.Idle;
  }

  feed(chunk: Uint8Array, emit: (ev: FrameEvent) => void): void {
    for (let i = 0; i < chunk.length; i++) this.byte(chunk[i], emit);
    this.flushGarbage(emit);
  }

  private flushGarbage(emit: (ev: FrameEvent) => void): void {
    if (this.garbage > 0) {
      emit({ type: 'garbage', count: this.garbage });
      this.garbage = 0;
    }
  }

  private start(): void {
    this.state = St.Data;
    this.len = 0;
    this.total = 0;
    this.sum = 0;
    this.oversize = false;
    this.malformed = undefined;
  }

  private append(b: number, count: number): void {
    if (this.total + count > this.maxPacketSize) {
      this.oversize = true;
    }
    if (!this.oversize) {
      this.buf.fill(b, this.len, this.len + count);
      this.len += count;
    }
    this.total = Math.min(this.total + count, Number.MAX_SAFE_INTEGER);
  }

  private byte(b: number, emit: (ev: FrameEvent) => void): void {
    switch (this.state) {
      case St.Idle:
        if (b === CH_DOLLAR) {
          this.flushGarbage(emit);
          this.start();
        } else if (b === CH_ACK || b === CH_NAK || b === CH_INTERRUPT) {
          this.flushGarbage(emit);
          emit({ type: b === CH_ACK ? 'ack' : b === CH_NAK ? 'nak' : 'interrupt' });
        } else this.garbage++;
        return;
      case St.Data:
        if (b === CH_HASH) this.state = St.Csum1;
        else if (b === CH_DOLLAR) {
          emit({ type: 'truncated' });
          this.start();
        } else {
          this.sum = (this.sum + b) & 0xff;
          if (b === CH_STAR) this.state = St.RleCount;
          else this.append(b, 1);
        }
        return;
      case St.RleCount:
        if (b === CH_HASH) {
          this.malformed ??= 'RLE marker without a count';
          this.state = St.Csum1;
          return;
        }
        if (b === CH_DOLLAR) {
          emit({ type: 'truncated' });
          this.start();
          return;
        }
        this.sum = (this.sum + b) & 0xff;
        this.state = St.Data;
        if (b < 0x20 || b > 0x7e) {
          this.malformed ??= `invalid RLE count byte 0x${b.toString(16)}`;
        } else if (this.total === 0) {
          this.malformed ??= 'RLE repeat with nothing to repeat';
        } else {
          const last = this.oversize ? 0 : this.buf[this.len - 1];
          this.append(last, b - RLE_BIAS);
        }
        return;
      case St.Csum1:
        if (b === CH_DOLLAR) {
          emit({ type: 'truncated' });
          this.start();
          return;
        }
        this.csumHi = hexVal(b);
        this.state = St.Csum2;
        return;
      case St.Csum2: {
        if (b === CH_DOLLAR) {
          emit({ type: 'truncated' });
          this.start();
          return;
        }
        const lo = hexVal(b);
        const ok = this.csumHi >= 0 && lo >= 0 && ((this.csumHi << 4) | lo) === this.sum;
        this.state = St.Idle;
        if (this.oversize) emit({ type: 'oversize', length: this.total, checksumOk: ok });
        else if (this.malformed !== undefined) emit({ type: 'malformed', reason: this.malformed, checksumOk: ok });
        else emit({ type: 'packet', payload: this.buf.slice(0, this.len), checksumOk: ok });
        return;
      }
    }
  }
}

export type LinkEvent =
  | { type: 'packet'; payload: Uint8Array }
  | { type: 'oversize'; length: number }
  | { type: 'malformed'; reason: string }
  | { type: 'interrupt' };

export interface LinkDiagnostics {
  (what: 'bad-checksum' | 'retransmit' | 'retransmit-limit' | 'truncated' | 'garbage' | 'stray-ack', detail?: Record<string, unknown>): void;
}

export interface LinkOptions {
  maxPacketSize?: number;
  /** How many times one reply is resent on `-` before giving up on it. */
  maxRetransmits?: number;
  rle?: boolean;
  diag?: LinkDiagnostics;
}

/**
 * The acknowledgement layer on top of FrameDecoder: acks good packets with `+`, NAKs bad checksums with `-`,
 * resends the last reply when gdb NAKs it (bounded), and switches both off after QStartNoAckMode.
 * In no-ack mode a checksum mismatch is logged and the packet still processed, as gdbserver does: TCP is
 * reliable, and dropping it would leave gdb waiting forever.
 */
export class RspLink {
  readonly decoder: FrameDecoder;
  private noAck = false;
  private lastSent: Uint8Array | undefined;
  /** A `+` owed for the packet being handled: sent together with its reply (one write, so one TCP segment
   *  and one wake-up of gdb instead of two), or alone if the handler sends nothing right away (a resume). */
  private ackPending = false;
  private retransmits = 0;
  private readonly maxRetransmits: number;
  private readonly rle: boolean;
  private readonly diag: LinkDiagnostics;

  constructor(private readonly write: (bytes: Uint8Array) => void, opts: LinkOptions = {}) {
    this.decoder = new FrameDecoder(opts.maxPacketSize ?? DEFAULT_PACKET_SIZE);
    this.maxRetransmits = opts.maxRetransmits ?? 3;
    this.rle = opts.rle ?? true;
    this.diag = opts.diag ?? (() => {});
  }

  get ackMode(): boolean {
    return !this.noAck;
  }

  /** Stop sending and expecting acks (call right after sending the OK to QStartNoAckMode). */
  startNoAck(): void {
    this.noAck = true;
    this.lastSent = undefined;
  }

  send(payload: string | Uint8Array): Uint8Array {
    const frame = encodePacket(payload, { rle: this.rle });
    if (!this.noAck) {
      this.lastSent = frame;
      this.retransmits = 0;
    }
    if (this.ackPending) {
      this.ackPending = false;
      const both = new Uint8Array(frame.length + 1);
      both[0] = CH_ACK;
      both.set(frame, 1);
      this.write(both);
    } else this.write(frame);
    return frame;
  }

  receive(chunk: Uint8Array, onEvent: (ev: LinkEvent) => void): void {
    this.decoder.feed(chunk, (ev) => {
      switch (ev.type) {
        case 'ack':
          if (this.lastSent === undefined && !this.noAck) this.diag('stray-ack');
          this.lastSent = undefined;
          return;
        case 'nak':
          if (this.noAck) return;
          if (this.lastSent === undefined) return;
          if (this.retransmits >= this.maxRetransmits) {
            this.diag('retransmit-limit', { retransmits: this.retransmits });
            this.lastSent = undefined;
            return;
          }
          this.retransmits++;
          this.diag('retransmit', { attempt: this.retransmits });
          this.write(this.lastSent);
          return;
        case 'interrupt':
          onEvent({ type: 'interrupt' });
          return;
        case 'truncated':
          this.diag('truncated');
          return;
        case 'garbage':
          this.diag('garbage', { count: ev.count });
          return;
        default:
          break;
      }
      if (!ev.checksumOk) {
        this.diag('bad-checksum', { noAck: this.noAck });
        if (!this.noAck) {
          this.write(Uint8Array.of(CH_NAK));
          return;
        }
      } else if (!this.noAck) this.ackPending = true;
      try {
        if (ev.type === 'packet') onEvent({ type: 'packet', payload: ev.payload });
        else if (ev.type === 'oversize') onEvent({ type: 'oversize', length: ev.length });
        else onEvent({ type: 'malformed', reason: ev.reason });
      } finally {
        if (this.ackPending) {
          this.ackPending = false;
          this.write(Uint8Array.of(CH_ACK));
        }
      }
    });
  }
}
