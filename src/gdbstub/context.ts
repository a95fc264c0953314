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

/** Largest memory transfer per m/M/x/X: half the packet size, so a hex reply (2 chars per byte) or a fully
 *  escaped binary reply still fits in one packet. QEMU bounds `m` the same way. */
export function maxMemoryTransfer(ctx: SessionContext): number {
  return Math.floor((ctx.packetSize - 4) / 2);
}
