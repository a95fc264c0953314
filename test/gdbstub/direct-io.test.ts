// The socket I/O shortcut (src/gdbstub/direct-io.ts) on real loopback sockets: what it must keep of Node's
// stream semantics (every byte once and in order, end of connection, the server's connection count, backpressure
// when the kernel's send buffer is full), and the stream path it falls back to.
import { afterEach, describe, expect, it } from 'vitest';
import net from 'node:net';
import { directReadSocket, directWriter } from '../../src/gdbstub/direct-io.js';
import { checksum } from '../../src/gdbstub/codec.js';
import { startGdbServer, type GdbServer } from '../../src/gdbstub/server.js';
import { FakeTarget } from './fake-target.js';

const frame = (p: string) => `$${p}#${checksum(Buffer.from(p, 'latin1')).toString(16).padStart(2, '0')}`;

/** A paused-accept server and one client connected to it; the accepted socket as the server's callback saw it. */
async function pair(): Promise<{ srv: net.Server; accepted: net.Socket; client: net.Socket }> {
  const srv = net.createServer({ pauseOnConnect: true });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const accepted = new Promise<net.Socket>((r) => srv.once('connection', r));
  const client = net.connect((srv.address() as net.AddressInfo).port, '127.0.0.1');
  client.on('error', () => {});
  return { srv, accepted: await accepted, client };
}

const closeServer = (srv: net.Server) => new Promise<void>((r) => srv.close(() => r()));

let server: GdbServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('directReadSocket', () => {
  it('delivers every byte once and in order, and sees the peer close', async () => {
    const { srv, accepted, client } = await pair();
    const chunks: Buffer[] = [];
    const s = directReadSocket(accepted, (b) => chunks.push(b));
    expect(s).toBeDefined();
    expect(accepted.destroyed).toBe(true); // the accepting wrapper is gone, the connection is not
    const closed = new Promise<void>((r) => s!.once('close', () => r()));
    const sent = Buffer.alloc(300_000);
    for (let i = 0; i < sent.length; i++) sent[i] = (i * 7 + (i >> 9)) & 0xff;
    client.end(sent);
    await closed;
    expect(Buffer.concat(chunks).equals(sent)).toBe(true);
    // The server counted the connection once and let it go: close() completes.
    await closeServer(srv);
  });

  it('keeps the accepted socket when it is already reading (not accepted paused)', async () => {
    const srv = net.createServer();
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const accepted = new Promise<net.Socket>((r) => srv.once('connection', r));
    const client = net.connect((srv.address() as net.AddressInfo).port, '127.0.0.1');
    const a = await accepted;
    expect(directReadSocket(a, () => {})).toBeUndefined();
    expect(a.destroyed).toBe(false);
    client.destroy();
    a.destroy();
    await closeServer(srv);
  });
});

describe('directWriter', () => {
  it('a client that does not read: the rest waits in the stream, in order, and the stream reports it', async () => {
    const { srv, accepted, client } = await pair();
    client.pause();
    const s = directReadSocket(accepted, () => {})!;
    const write = directWriter(s);
    // 64 KiB replies until the kernel's send and receive buffers are full (a few MiB on loopback, more where the
    // sysctls allow), then 8 more: the writer must queue them behind what it wrote directly.
    const replies: Buffer[] = [];
    let extra = 8;
    while (extra > 0 && replies.length < 4096) {
      const r = Buffer.alloc(65536, replies.length & 0xff);
      replies.push(r);
      write(r);
      if (s.writableLength > 0) extra--;
    }
    expect(s.writableLength).toBeGreaterThan(0); // backpressure is visible to the server (pump checks it)
    const got: Buffer[] = [];
    client.on('data', (d: Buffer) => got.push(d));
    const ended = new Promise<void>((r) => client.once('end', () => r()));
    s.end();
    client.resume();
    await ended;
    expect(Buffer.concat(got).equals(Buffer.concat(replies))).toBe(true);
    await closeServer(srv);
  });
});

describe('the gdb server with and without it', () => {
  for (const directIo of [true, false]) {
    it(`directIo ${directIo}: acks and answers, and a disconnect frees the session for the next client`, async () => {
      server = await startGdbServer({ target: new FakeTarget(), port: 0, directIo });
      for (let round = 0; round < 2; round++) {
        const sock = net.connect(server.port, '127.0.0.1');
        let data = '';
        sock.on('data', (d) => (data += d.toString('latin1')));
        await new Promise<void>((r) => sock.once('connect', () => r()));
        sock.write(frame('?'));
        const t0 = Date.now();
        while (!/^\+\$T05[^#]*#[0-9a-f]{2}$/.test(data)) {
          if (Date.now() - t0 > 5000) throw new Error(`no stop reply: ${JSON.stringify(data)}`);
          await new Promise((r) => setTimeout(r, 5));
        }
        sock.end();
        await new Promise((r) => sock.once('close', r));
        while (server.attached) await new Promise((r) => setTimeout(r, 5));
      }
    });
  }
});
