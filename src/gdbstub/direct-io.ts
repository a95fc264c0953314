// Reading and writing a debugger's bytes without Node's stream machinery around each packet.
//
// Every RSP round trip is one read and one write of a few dozen bytes. Measured on the bench machine (a Node
// echo server against a blocking client; docs/performance.md, "Session 11: a fresh server's round trip, and
// Node's socket path"), the 'data' event path costs ~110 us of CPU per round trip over a fresh process's first
// 300 round trips and ~39 us once V8 has optimised it; Node's `onread` option for net.Socket (documented under
// socket.connect(): bytes land in one reused buffer and a callback gets them, no push/addChunk/emit) costs ~69
// and ~32 us. A fresh `dbstub serve` lives most of a gdb session in that cold phase, where Node's stream code was
// about two thirds of what a packet cost the server.
//
// Node offers `onread` only to sockets it creates for a connect(), not to the ones a net.Server accepts. So an
// accepted connection (accepted paused: `pauseOnConnect`, nothing read yet) is handed to a new net.Socket built
// on the same libuv handle with `onread`; the accepting Socket object gives the handle up and is destroyed
// without closing it, which also keeps the server's connection count right. This uses two things Node does not
// document (the `handle` constructor option, which Node's own net.Server uses, and the `_handle` field), so
// every step is checked and any surprise keeps the accepted socket as it is, read through 'data' events.

import { writeSync } from 'node:fs';
import net from 'node:net';

/** Bytes read at most per callback (the handle's read buffer; gdb's packets are far smaller). */
const READ_BUFFER_BYTES = 64 * 1024;

interface HandleOwner {
  _handle: { readonly reading?: boolean; useUserBuffer?: unknown } | null;
}

/**
 * A socket on `accepted`'s connection whose received bytes go to `onChunk` (a copy, the caller may keep it),
 * or undefined when this Node cannot do it (then `accepted` is untouched). `accepted` must not have started
 * reading: a server created with `pauseOnConnect`.
 */
export function directReadSocket(accepted: net.Socket, onChunk: (chunk: Buffer) => void): net.Socket | undefined {
  const old = accepted as unknown as HandleOwner;
  const handle = old._handle;
  if (handle === null || typeof handle !== 'object' || typeof handle.useUserBuffer !== 'function' || handle.reading === true) return undefined;
  const buffer = Buffer.allocUnsafe(READ_BUFFER_BYTES);
  let socket: net.Socket;
  try {
    socket = new net.Socket({
      handle,
      readable: true,
      writable: true,
      onread: {
        buffer,
        callback: (n: number, buf: Uint8Array): boolean => {
          onChunk(Buffer.from(buf.subarray(0, n)));
          return true; // keep reading (false would stop the handle's reads)
        },
      },
    } as unknown as net.SocketConstructorOpts);
  } catch {
    return undefined;
  }
  if ((socket as unknown as HandleOwner)._handle !== handle) {
    socket.destroy();
    return undefined;
  }
  // The accepting wrapper lets go of the handle (now the new socket's) and is destroyed without closing it.
  old._handle = null;
  accepted.destroy();
  return socket;
}

/** The socket's file descriptor (Unix), or -1. */
function socketFd(socket: net.Socket): number {
  const fd = (socket as unknown as { _handle: { fd?: unknown } | null })._handle?.fd;
  return typeof fd === 'number' && fd >= 0 ? fd : -1;
}

/**
 * A writer for `socket` that writes a reply straight to its descriptor when nothing else is queued: the same
 * non-blocking write(2) Node's stream does first (libuv's uv_try_write), without the Writable machinery around
 * it (~10 us per reply in a fresh process, measured as above). Whatever the kernel does not take at once (a
 * full send buffer: EAGAIN or a short write), and every write while earlier bytes wait, goes through
 * socket.write, so bytes stay in order and backpressure (`writableLength`, 'drain') still works.
 */
export function directWriter(socket: net.Socket): (bytes: Uint8Array) => void {
  const fd = socketFd(socket);
  if (fd < 0) return (bytes) => void socket.write(bytes);
  return (bytes) => {
    let rest = bytes;
    if (socket.writableLength === 0 && !socket.destroyed) {
      try {
        const n = writeSync(fd, bytes);
        if (n >= bytes.length) return;
        rest = bytes.subarray(n);
      } catch {
        // EAGAIN (send buffer full), or a dead connection: the stream's own write reports and handles either.
      }
    }
    socket.write(rest);
  };
}
