// What a packet handler sees: the target, the session's negotiated state, and how to answer. Handlers are small
// modules under features/ (like the Rust gdbstub crate's optional extensions); session.ts dispatches to them.

import type { GdbTarget, StopEvent } from './target.js';
import type { RspLogger } from './logger.js';

/** A reply payload; NO_REPLY when the answer comes later (resume -> stop reply) or never (`k`). */
export type Reply = string | Uint8Array | typeof NO_REPLY;
export const NO_REPLY: unique symbol = Symbol('no-reply');

/** Error replies (gdb only checks for `E` + two hex digits); the numbers are errno values, as QEMU uses. */
export const E_INVAL = 'E22'; // malformed arguments, out-of-range lengths, target refused
export const E_FAULT = 'E14'; // unmapped memory
export const E_IO = 'E05'; // a handler failed unexpectedly (logged)
export const E_NOENT = 'E02'; // unknown qXfer annex, dead thread

/** Our single thread (gdb thread-id syntax: hex, 1-based). */
export const THREAD_ID = 1;

export interface SessionContext {
  readonly target: GdbTarget;
  readonly log: RspLogger;
  /** Advertised PacketSize: the largest payload we accept. */
  readonly packetSize: number;
  /** Features gdb announced in qSupported (e.g. swbreak, hwbreak, multiprocess). */
  readonly gdbFeatures: Set<string>;
  /** True between a resume and its stop reply. */
  running: boolean;
  /** Send an additional packet before the handler's own reply (qRcmd `O` output). */
  sendExtra(payload: string | Uint8Array): void;
  /** Run after the reply to the current packet is on the wire (QStartNoAckMode). */
  afterReply(fn: () => void): void;
  /** Resume the target and send the stop reply when it stops. */
  resume(action: Parameters<GdbTarget['resume']>[0]): void;
  /** Detach requested by gdb (after the OK has been sent). */
  requestDetach(): void;
  stopReply(ev: StopEvent): string;
}

/** Largest `m` read: the hex reply (2 characters per byte) of PacketSize characters. gdb sizes its reads from
 *  the PacketSize it was given (remote.c get_memory_read_packet_size, gdb 13: min(PacketSize/2) bytes per `m`),
 *  so 0x4000 gives `m addr,2000`; the reply is ours to send and gdb's buffer grows to take it. */
export function maxMemoryRead(ctx: SessionContext): number {
  return Math.floor(ctx.packetSize / 2);
}

/** Largest M/X write or `x` read length accepted: a write already arrived in one packet of at most PacketSize
 *  bytes (the decoder enforces it), so its length cannot usefully be larger; `x` answers the prefix whose
 *  escaped form fits one packet (as gdbserver's remote_escape_output does). */
export function maxMemoryTransfer(ctx: SessionContext): number {
  return ctx.packetSize;
}
