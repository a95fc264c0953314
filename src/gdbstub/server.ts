// The TCP front end: one debugger at a time on Node's `net`.
// - Listens on 127.0.0.1 unless told otherwise (gdbserver and QEMU's stub have no authentication; GDB's
//   SECURITY.txt says not to expose them). The CLI warns when it binds beyond loopback.
// - One debugger holds the session. A connection arriving while it is held waits, as QEMU's chardev makes a
//   second client wait (it stops accepting while one is connected), so `disconnect` + `target remote` always
//   works even when the old socket's close is processed after the new connect. A waiter is promoted when
//   the holder goes; if the holder is still there after `busyReplyMs`, the waiter's first packet is answered
//   `E.<why>` (gdb prints "Remote failure reply: E.dbstub: ...") and it is closed.
// - A holder that has not completed one packet exchange (a port scanner, stray bytes, a non-RSP client) gives
//   its place up to a newcomer at once and is closed after `handshakeTimeoutMs` anyway; a holder that went
//   silent (no byte for `takeoverIdleMs`, no continue in flight) gives it up to a newcomer, as a user who
//   restarts gdb expects (issue 18 item 3).
// - Backpressure: requests are parsed in small pieces and reading stops while more than `maxUnsentBytes` of
//   replies wait to be sent, so a client that sends without reading costs bounded memory (issue 18 item 2);
//   a connection whose input is not being served (it waits for the session) is read only up to MAX_HELD_BYTES.
// - A connection whose first bytes are HTTP (a request line, or a Host: header anywhere in the opening text)
//   is dropped: a web page can make a browser send HTTP to a localhost port, and a stub that treats the text
//   as garbage and keeps reading would be a cross-protocol target (OpenOCD CVE-2018-5704, docs/protocol.md "Robustness").
// - When the debugger goes away (quit, crash, network), the session interrupts a running guest and
//   detaches: debugger breakpoints removed, guest paused, ready for the next attach. After a `D` the guest
//   runs on (unless the target keeps it paused), and the disconnect line says so.

import net from 'node:net';
import { DEFAULT_PACKET_SIZE, RspLink, checksum, toBytes } from './codec.js';
import { silentLogger, type RspLogger } from './logger.js';
import { GdbSession } from './session.js';
import type { GdbTarget } from './target.js';
import { tuneV8ForRsp } from './v8-tuning.js';
import { directReadSocket, directWriter } from './direct-io.js';

export interface GdbServerOptions {
  target: GdbTarget;
  host?: string;
  /** 0 (default) picks a free port; the chosen one is in the result. */
  port?: number;
  logger?: RspLogger;
  packetSize?: number;
  /** Drop connections that open with HTTP (default true). */
  rejectHttp?: boolean;
  /** Lower V8's tier-up budget for this process when the first debugger attaches, so a fresh server reaches
   *  optimised code within its first operations (v8-tuning.ts; default true). Process-wide: an embedder that
   *  must not touch V8's flags passes false. */
  tuneV8?: boolean;
  /** Close a connection that has not completed a packet exchange after this long (default 5000 ms). */
  handshakeTimeoutMs?: number;
  /** A holder silent this long (no byte received, no resume in flight) gives its place to a newcomer
   *  (default 5000 ms: longer than a gdb script's pauses, shorter than a user's patience). */
  takeoverIdleMs?: number;
  /** How long a newcomer waits for the holder to go before its first packet is answered E.<why>
   *  (default 1500 ms: under gdb's default `remotetimeout` of 2 s). */
  busyReplyMs?: number;
  /** Stop reading a client's requests while this many reply bytes wait to be sent (default 1 MiB). */
  maxUnsentBytes?: number;
  /** Read each connection through Node's `onread` buffer instead of 'data' events, and write a reply straight
   *  to the socket when nothing is queued (direct-io.ts; default true). Either falls back to the stream by itself
   *  where this Node cannot; false keeps the stream for both. */
  directIo?: boolean;
  /** A port already listening on `host` (`port` is then ignored): the CLI opens it before loading the machine so
   *  that gdb can connect while the rest starts up (cli/listen.ts; docs/performance.md, "Start-up"). */
  listener?: EarlyListener;
}

/** A listening port opened before this server existed, holding the connections it accepted meanwhile. */
export interface EarlyListener {
  /** Listening already; created with `pauseOnConnect`, so a held connection's bytes wait in the kernel. */
  readonly server: net.Server;
  /** Give every held connection, and each later one, to `onSocket`. Called once. */
  adopt(onSocket: (socket: net.Socket) => void): void;
}

export interface GdbServer {
  readonly port: number;
  readonly host: string;
  /** True while a debugger is attached. */
  readonly attached: boolean;
  close(): Promise<void>;
}

const HTTP_START = /^(GET|POST|PUT|HEAD|OPTIONS|DELETE|PATCH|CONNECT|TRACE) /;
/** Opening bytes held to rule out HTTP when a peer does not start like RSP: a request line and its headers. */
const HTTP_SNIFF_BYTES = 4096;
/** Requests are parsed this many bytes at a time, so backpressure is checked between small batches: one
 *  1 KiB piece holds at most ~100 `m` requests. */
const FEED_PIECE = 1024;
/** Connections waiting for the session beyond this are closed at once. */
const MAX_WAITING = 8;
/** Bytes held for a connection whose input is not being handled (it waits for the session, or its guest is being
 *  paused): past this, reading from it stops until the session takes it (the kernel and TCP hold the rest). A
 *  debugger sends one packet and waits for its reply; a client flooding while it waited grew the server by
 *  hundreds of MiB per second. */
const MAX_HELD_BYTES = 64 * 1024;

/** True when the opening bytes of a connection are HTTP rather than RSP (gdb opens with `+` or `$`). */
export function looksLikeHttp(first: string): boolean {
  return HTTP_START.test(first) || /^Host:/im.test(first);
}

/** True once the opening bytes decide the question: an RSP start byte, the end of HTTP headers, or enough
 *  text that a request line and its Host: header would have been seen. */
function sniffDecided(all: Buffer): boolean {
  if (all.length === 0) return false;
  const b = all[0]!;
  if (b === 0x24 || b === 0x2b || b === 0x2d || b === 0x03) return true; // $ + - Ctrl-C
  if (all.length >= HTTP_SNIFF_BYTES) return true;
  return all.includes('\r\n\r\n') || all.includes('\n\n');
}

/** An RSP packet carrying `payload`, framed with its checksum. */
function framePacket(payload: string): Buffer {
  const body = toBytes(payload);
  return Buffer.from(`$${payload}#${checksum(body).toString(16).padStart(2, '0')}`, 'latin1');
}

interface Conn {
  readonly id: number;
  readonly socket: net.Socket;
  readonly peer: string;
  readonly since: number;
  /** Last time any byte arrived. */
  lastRx: number;
  /** A well-formed packet has been received and handled: this is an RSP client. */
  exchanged: boolean;
  /** Received bytes not yet parsed (HTTP sniffing, pause-on-attach, backpressure, waiting for the session). */
  inbox: Buffer[];
  /** Still deciding whether the peer speaks HTTP. */
  sniffing: boolean;
  session?: GdbSession;
  link?: RspLink;
  /** The guest is being paused for this debugger: its packets wait. */
  pausing: boolean;
  gone: boolean;
  timers: NodeJS.Timeout[];
}

export async function startGdbServer(opts: GdbServerOptions): Promise<GdbServer> {
  const log = opts.logger ?? silentLogger;
  const host = opts.host ?? '127.0.0.1';
  const packetSize = opts.packetSize ?? DEFAULT_PACKET_SIZE;
  const rejectHttp = opts.rejectHttp ?? true;
  const tuneV8 = opts.tuneV8 ?? true;
  const handshakeMs = opts.handshakeTimeoutMs ?? 5000;
  const takeoverIdleMs = opts.takeoverIdleMs ?? 5000;
  const busyReplyMs = opts.busyReplyMs ?? 1500;
  const maxUnsent = opts.maxUnsentBytes ?? 1 << 20;
  const directIo = opts.directIo ?? true;
  const target = opts.target;
  let active: Conn | undefined;
  const waiting: Conn[] = [];
  const sockets = new Set<net.Socket>();
  let nextId = 1;
  let closing = false;

  const later = (c: Conn, ms: number, fn: () => void): void => {
    const t = setTimeout(() => {
      c.timers.splice(c.timers.indexOf(t), 1);
      if (!c.gone) fn();
    }, ms);
    t.unref();
    c.timers.push(t);
  };

  /** Tear a connection down (idempotent); its session detaches from the target. */
  const drop = (c: Conn): void => {
    if (c.gone) return;
    c.gone = true;
    for (const t of c.timers) clearTimeout(t);
    c.timers.length = 0;
    c.inbox.length = 0;
    c.session?.close();
    const w = waiting.indexOf(c);
    if (w >= 0) waiting.splice(w, 1);
    if (!c.socket.destroyed) c.socket.destroy();
    if (active === c) {
      active = undefined;
      // After a run-on `D` the guest runs without a debugger (session.close leaves it so); otherwise the
      // session has interrupted it. Say which, from the target itself.
      const runs = target.running;
      log.info(
        { event: 'rsp.disconnect', conn: c.id, peer: c.peer, guest: runs ? 'running' : 'paused' },
        runs ? 'gdb disconnected; guest runs on, waiting for the next attach' : 'gdb disconnected; guest paused, waiting for the next attach',
      );
      promote();
    }
  };

  const holderIdleMs = (h: Conn): number => Date.now() - h.lastRx;
  const holderSilent = (h: Conn): boolean => !h.exchanged || (holderIdleMs(h) >= takeoverIdleMs && h.session?.running !== true);

  /** A newcomer arrived or is still waiting: take over from a silent holder, keep waiting, or say why not. */
  const arbitrate = (c: Conn): void => {
    if (c.gone || active === c) return;
    const h = active;
    if (h === undefined) {
      promote();
      return;
    }
    if (holderSilent(h)) {
      const why = h.exchanged ? `silent for ${holderIdleMs(h)} ms` : 'no packet exchange';
      log.warn({ event: 'rsp.takeover', conn: c.id, peer: c.peer, from: h.id, why }, `${c.peer} takes over the session from conn ${h.id} (${why})`);
      drop(h); // promotes the first waiter (this one unless an earlier one waits)
      return;
    }
    const waited = Date.now() - c.since;
    if (waited >= busyReplyMs) {
      refuseBusy(c, h);
      return;
    }
    // Check again when the holder could have become silent, or when this one's wait is over.
    const untilSilent = h.session?.running === true ? busyReplyMs : takeoverIdleMs - holderIdleMs(h);
    later(c, Math.max(10, Math.min(busyReplyMs - waited, untilSilent)), () => arbitrate(c));
  };

  /** Tell a waiter why it cannot have the session: an E.<text> answer to its first packet, then close. */
  const refuseBusy = (c: Conn, h: Conn): void => {
    const why = `dbstub: another debugger is attached (${h.peer}, since ${new Date(h.since).toISOString()}); detach it or try again`;
    log.info({ event: 'rsp.refused', conn: c.id, peer: c.peer, attached: h.id }, `refusing ${c.peer}: a debugger is already attached`);
    const sentPacket = Buffer.concat(c.inbox).includes(0x24);
    if (sentPacket) c.socket.end(Buffer.concat([Buffer.from('+'), framePacket(`E.${why}`)]));
    c.gone = true; // the socket finishes writing, then closes (its 'close' handler only tidies up)
    for (const t of c.timers) clearTimeout(t);
    const w = waiting.indexOf(c);
    if (w >= 0) waiting.splice(w, 1);
    if (!sentPacket) c.socket.destroy();
  };

  /** Give the free session to the first live waiter. */
  const promote = (): void => {
    while (active === undefined && waiting.length > 0 && !closing) {
      const c = waiting.shift()!;
      if (!c.gone) attach(c);
    }
  };

  const attach = (c: Conn): void => {
    active = c;
    const { socket, id, peer } = c;
    socket.setNoDelay(true);
    // At the first debugger, not at listen: start-up work that runs after listen (the CLI's help-text cache)
    // would otherwise be optimised under the lower budget too, compile time spent for nothing.
    if (tuneV8) tuneV8ForRsp();
    log.info({ event: 'rsp.connect', conn: id, peer }, `gdb connected from ${peer}`);
    const write = directIo ? directWriter(socket) : (bytes: Uint8Array) => void socket.write(bytes);
    const link = new RspLink(
      (bytes) => {
        if (!socket.destroyed) write(bytes);
      },
      {
        maxPacketSize: packetSize,
        diag: (what, detail) => log.debug({ event: 'rsp.link', conn: id, what, ...detail }),
      },
    );
    c.link = link;
    c.session = new GdbSession({
      target,
      send: (p) => link.send(p),
      onNoAck: () => link.startNoAck(),
      log,
      packetSize,
      conn: id,
    });
    // A guest started with --run keeps running until a debugger attaches; like QEMU (vm_stop when the gdb
    // chardev opens) we pause it first and hold the debugger's packets until it has stopped.
    if (target.running) {
      c.pausing = true;
      log.info({ event: 'rsp.pause-on-attach', conn: id }, 'pausing the running guest for the debugger');
      target.interrupt();
      const poll = (): void => {
        if (target.running) {
          later(c, 2, poll);
          return;
        }
        c.pausing = false;
        pump(c);
      };
      later(c, 0, poll);
    }
    pump(c);
  };

  /** Parse held input in small pieces while the session may take it and the client reads its replies. */
  const pump = (c: Conn): void => {
    const { socket, session, link } = c;
    if (c.gone || active !== c || c.pausing || c.sniffing || session === undefined || link === undefined) return;
    while (c.inbox.length > 0) {
      if (socket.writableLength > maxUnsent) {
        // Backpressure: stop reading until the client has taken its replies ('drain' resumes).
        if (!socket.isPaused()) {
          socket.pause();
          log.debug({ event: 'rsp.backpressure', conn: c.id, unsent: socket.writableLength }, 'client is not reading its replies; reading paused');
        }
        return;
      }
      let chunk = c.inbox[0]!;
      if (chunk.length > FEED_PIECE) {
        c.inbox[0] = chunk.subarray(FEED_PIECE);
        chunk = chunk.subarray(0, FEED_PIECE);
      } else c.inbox.shift();
      link.receive(chunk, (ev) => {
        switch (ev.type) {
          case 'packet':
            c.exchanged = true;
            session.handlePacket(ev.payload);
            break;
          case 'interrupt':
            session.handleInterrupt();
            break;
          case 'oversize':
            session.handleOversize(ev.length);
            break;
          case 'malformed':
            session.handleMalformed(ev.reason);
            break;
        }
      });
      if (c.gone) return;
    }
    if (socket.isPaused()) socket.resume();
  };

  const onSocket = (accepted: net.Socket): void => {
    // Bytes straight to onData (direct-io.ts) where this Node allows it; 'data' events otherwise.
    let onData: (data: Buffer) => void = () => {};
    const direct = directIo ? directReadSocket(accepted, (data) => onData(data)) : undefined;
    const socket = direct ?? accepted;
    const id = nextId++;
    const peer = `${socket.remoteAddress}:${socket.remotePort}`;
    sockets.add(socket);
    const now = Date.now();
    const c: Conn = { id, socket, peer, since: now, lastRx: now, exchanged: false, inbox: [], sniffing: rejectHttp, pausing: false, gone: false, timers: [] };
    socket.on('error', (err) => log.info({ event: 'rsp.socket-error', conn: id, err: err.message }, 'socket error'));
    socket.on('close', () => {
      sockets.delete(socket);
      drop(c);
    });
    if (closing) {
      socket.destroy();
      return;
    }
    onData = (data: Buffer): void => {
      if (c.gone) return;
      c.lastRx = Date.now();
      c.inbox.push(data);
      if (c.sniffing) {
        const all = Buffer.concat(c.inbox);
        const head = all.subarray(0, HTTP_SNIFF_BYTES).toString('latin1');
        if (looksLikeHttp(head)) {
          log.warn({ event: 'rsp.http-rejected', conn: id, peer }, `dropping ${peer}: it speaks HTTP, not RSP`);
          drop(c);
          return;
        }
        if (!sniffDecided(all)) return;
        c.sniffing = false;
        c.inbox = [all];
      }
      if (active === c) pump(c);
      if ((active !== c || c.pausing) && !socket.isPaused() && c.inbox.reduce((n, b) => n + b.length, 0) > MAX_HELD_BYTES) {
        socket.pause(); // pump resumes it once the session has taken what is held
        log.debug({ event: 'rsp.held', conn: id, bytes: MAX_HELD_BYTES }, 'input held for a connection not being served; reading paused');
      }
    };
    if (direct === undefined) socket.on('data', onData);
    socket.on('drain', () => pump(c));
    // Connections are accepted paused (pauseOnConnect): one read through 'data' events starts here.
    if (socket.isPaused()) socket.resume();
    // A connection that never completes a packet exchange is not a debugger: it must not hold the session.
    later(c, handshakeMs, () => {
      if (c.exchanged) return;
      log.warn({ event: 'rsp.handshake-timeout', conn: id, peer, ms: handshakeMs }, `closing ${peer}: no RSP packet exchange within ${handshakeMs} ms`);
      drop(c);
    });
    if (active === undefined) {
      attach(c);
      return;
    }
    if (waiting.length >= MAX_WAITING) {
      log.info({ event: 'rsp.refused', conn: id, peer, attached: active.id }, `refusing ${peer}: ${MAX_WAITING} connections already wait for the session`);
      c.gone = true;
      socket.destroy();
      return;
    }
    log.info({ event: 'rsp.wait', conn: id, peer, attached: active.id }, `${peer} waits: conn ${active.id} holds the session`);
    waiting.push(c);
    arbitrate(c);
  };

  let server: net.Server;
  if (opts.listener) {
    server = opts.listener.server;
    opts.listener.adopt(onSocket);
  } else {
    // Accepted paused, so a connection's first bytes are read by the socket direct-io.ts builds for it.
    server = net.createServer({ pauseOnConnect: true }, onSocket);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(opts.port ?? 0, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  }
  server.on('error', (err) => log.error({ event: 'rsp.server-error', err: err.message }, 'gdb server error'));
  const addr = server.address() as net.AddressInfo;
  // With an EarlyListener the port was open already (the CLI printed it): this is the moment it is served.
  log.info({ event: 'rsp.listen', host, port: addr.port }, `gdb server ${opts.listener ? 'ready' : 'listening'} on ${host}:${addr.port}`);

  return {
    port: addr.port,
    host,
    get attached() {
      return active !== undefined;
    },
    close: () =>
      new Promise<void>((resolve) => {
        closing = true;
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
