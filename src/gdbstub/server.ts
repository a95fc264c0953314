// The TCP front end: one debugger at a time on Node's `net`.
// - Listens on 127.0.0.1 unless told otherwise (gdbserver and QEMU's stub have no authentication; GDB's
//   SECURITY.txt says not to expose them).
// - A second connection while one is attached is closed at once with a log line; the first keeps its session.
// - A connection whose first bytes are an HTTP request line or header is dropped: a web page can make a browser
//   send HTTP to a localhost port, and a stub that treats the text as garbage and keeps reading would be a
//   cross-protocol target (OpenOCD CVE-2018-5704, docs/protocol.md "Robustness").
// - When the debugger goes away (D, quit, crash, network), the session interrupts a running guest and
//   detaches: debugger breakpoints removed, guest paused, ready for the next attach.

import net from 'node:net';
import { DEFAULT_PACKET_SIZE, RspLink } from './codec.js';
import { silentLogger, type RspLogger } from './logger.js';
import { GdbSession } from './session.js';
import type { GdbTarget } from './target.js';
import { tuneV8ForRsp } from './v8-tuning.js';

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
}

export interface GdbServer {
  readonly port: number;
  readonly host: string;
  /** True while a debugger is attached. */
  readonly attached: boolean;
  close(): Promise<void>;
}

const HTTP_START = /^(GET|POST|PUT|HEAD|OPTIONS|DELETE|PATCH|CONNECT|TRACE) /;

/** True when the opening bytes of a connection are HTTP rather than RSP (gdb opens with `+` or `$`). */
export function looksLikeHttp(first: string): boolean {
  return HTTP_START.test(first) || /^Host:/im.test(first);
}

export async function startGdbServer(opts: GdbServerOptions): Promise<GdbServer> {
  const log = opts.logger ?? silentLogger;
  const host = opts.host ?? '127.0.0.1';
  const packetSize = opts.packetSize ?? DEFAULT_PACKET_SIZE;
  const rejectHttp = opts.rejectHttp ?? true;
  const tuneV8 = opts.tuneV8 ?? true;
  let active: { socket: net.Socket; session: GdbSession; id: number } | undefined;
  const sockets = new Set<net.Socket>();
  let nextId = 1;

  const server = net.createServer((socket) => {
    const id = nextId++;
    const peer = `${socket.remoteAddress}:${socket.remotePort}`;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    if (active !== undefined) {
      log.info({ event: 'rsp.refused', conn: id, peer, attached: active.id }, `refusing ${peer}: a debugger is already attached`);
      socket.on('error', () => {});
      socket.destroy();
      return;
    }
    socket.setNoDelay(true);
    // At the first debugger, not at listen: start-up work that runs after listen (the CLI's help-text cache)
    // would otherwise be optimised under the lower budget too, compile time spent for nothing.
    if (tuneV8) tuneV8ForRsp();
    log.info({ event: 'rsp.connect', conn: id, peer }, `gdb connected from ${peer}`);
    const link = new RspLink(
      (bytes) => {
        if (!socket.destroyed) socket.write(bytes);
      },
      {
        maxPacketSize: packetSize,
        diag: (what, detail) => log.debug({ event: 'rsp.link', conn: id, what, ...detail }),
      },
    );
    const session = new GdbSession({
      target: opts.target,
      send: (p) => link.send(p),
      onNoAck: () => link.startNoAck(),
      log,
      packetSize,
      conn: id,
    });
    const me = { socket, session, id };
    active = me;
    // Bytes held back until we know the peer is not speaking HTTP (decided by the first byte for real gdb).
    let held: Buffer[] | undefined = rejectHttp ? [] : undefined;

    socket.on('data', (data: Buffer) => {
      let chunk = data;
      if (held !== undefined) {
        held.push(data);
        const all = Buffer.concat(held);
        const head = all.subarray(0, 64).toString('latin1');
        if (looksLikeHttp(head)) {
          log.warn({ event: 'rsp.http-rejected', conn: id, peer }, `dropping ${peer}: it speaks HTTP, not RSP`);
          held = undefined;
          socket.destroy();
          return;
        }
        // RSP opens with `+`, `$` or 0x03; otherwise wait for enough text to rule out a request line.
        if (!/^[$+\x03-]/.test(head) && all.length < 16) return;
        held = undefined;
        chunk = all;
      }
      if (pausing !== undefined) {
        pausing.push(chunk);
        return;
      }
      feed(chunk);
    });
    // A guest started with --run keeps running until a debugger attaches; like QEMU (vm_stop when the gdb
    // chardev opens) we pause it first and hold the debugger's packets until it has stopped.
    let pausing: Buffer[] | undefined;
    if (opts.target.running) {
      pausing = [];
      log.info({ event: 'rsp.pause-on-attach', conn: id }, 'pausing the running guest for the debugger');
      opts.target.interrupt();
      const poll = (): void => {
        if (socket.destroyed) return;
        if (opts.target.running) {
          setTimeout(poll, 2);
          return;
        }
        const held = pausing ?? [];
        pausing = undefined;
        for (const c of held) feed(c);
      };
      setTimeout(poll, 0);
    }
    const feed = (chunk: Buffer): void => {
      link.receive(chunk, (ev) => {
        switch (ev.type) {
          case 'packet':
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
    };
    socket.on('error', (err) => log.info({ event: 'rsp.socket-error', conn: id, err: err.message }, 'socket error'));
    socket.on('close', () => {
      session.close();
      if (active === me) active = undefined;
      log.info({ event: 'rsp.disconnect', conn: id, peer }, 'gdb disconnected; guest paused, waiting for the next attach');
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', (err) => log.error({ event: 'rsp.server-error', err: err.message }, 'gdb server error'));
  const addr = server.address() as net.AddressInfo;
  log.info({ event: 'rsp.listen', host, port: addr.port }, `gdb server listening on ${host}:${addr.port}`);

  return {
    port: addr.port,
    host,
    get attached() {
      return active !== undefined;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
