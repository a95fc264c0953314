// The TCP front end with the in-test target: connection policy, acks on a real socket, disconnect handling.
import { afterEach, describe, expect, it } from 'vitest';
import net from 'node:net';
import { checksum } from '../../src/gdbstub/codec.js';
import { startGdbServer, looksLikeHttp, type GdbServer } from '../../src/gdbstub/server.js';
import type { RspLogger } from '../../src/gdbstub/logger.js';
import { FakeTarget } from './fake-target.js';

const frame = (p: string) => `$${p}#${checksum(Buffer.from(p, 'latin1')).toString(16).padStart(2, '0')}`;

class Client {
  data = '';
  closed = false;
  constructor(readonly sock: net.Socket) {
    sock.on('data', (d) => (this.data += d.toString('latin1')));
    sock.on('close', () => (this.closed = true));
    sock.on('error', () => {});
  }
  static connect(port: number): Promise<Client> {
    return new Promise((res, rej) => {
      const s = net.connect(port, '127.0.0.1', () => res(new Client(s)));
      s.on('error', rej);
    });
  }
  send(t: string) {
    this.sock.write(Buffer.from(t, 'latin1'));
  }
  async until(pred: (d: string) => boolean, ms = 5000): Promise<string> {
    const t0 = Date.now();
    while (!pred(this.data)) {
      if (Date.now() - t0 > ms) throw new Error(`timeout; got ${JSON.stringify(this.data)}`);
      await new Promise((r) => setTimeout(r, 5));
    }
    return this.data;
  }
  async waitClosed(ms = 5000) {
    const t0 = Date.now();
    while (!this.closed) {
      if (Date.now() - t0 > ms) throw new Error('socket not closed');
      await new Promise((r) => setTimeout(r, 5));
    }
  }
}

function recorder() {
  const lines: Record<string, unknown>[] = [];
  const rec = (level: string) => (o: Record<string, unknown>) => void lines.push({ level, ...o });
  const log: RspLogger = { debug: rec('debug'), info: rec('info'), warn: rec('warn'), error: rec('error') };
  return { lines, log };
}

let server: GdbServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('gdb server over TCP', () => {
  it('acks, answers, and logs every packet at debug level', async () => {
    const { lines, log } = recorder();
    const target = new FakeTarget();
    server = await startGdbServer({ target, port: 0, logger: log });
    const c = await Client.connect(server.port);
    c.send('+' + frame('qC'));
    expect(await c.until((d) => d.includes('#'))).toBe('+' + frame('QC1'));
    c.send('+$qC#00');
    await c.until((d) => d.endsWith('-'));
    c.send(frame('QStartNoAckMode'));
    await c.until((d) => d.includes(frame('OK')));
    c.data = '';
    c.send('+' + frame('qC'));
    expect(await c.until((d) => d.includes('#'))).toBe(frame('QC1'));
    expect(lines.some((l) => l.event === 'rsp.packet' && l.dir === 'in' && l.data === 'qC' && l.level === 'debug')).toBe(true);
    expect(lines.some((l) => l.event === 'rsp.packet' && l.dir === 'out' && l.data === 'QC1')).toBe(true);
    expect(lines.some((l) => l.event === 'rsp.connect' && l.level === 'info')).toBe(true);
    c.sock.destroy();
  });

  it('tells a second debugger why it is refused while the first keeps its session', async () => {
    const { lines, log } = recorder();
    server = await startGdbServer({ target: new FakeTarget(), port: 0, logger: log, busyReplyMs: 200, takeoverIdleMs: 60_000 });
    const a = await Client.connect(server.port);
    a.send(frame('qC'));
    await a.until((d) => d.includes('QC1'));
    const b = await Client.connect(server.port);
    b.send(frame('qSupported'));
    await b.waitClosed();
    expect(b.data).toMatch(/^\+\$E\.dbstub: another debugger is attached/);
    expect(lines.some((l) => l.event === 'rsp.refused' && l.level === 'info')).toBe(true);
    a.data = '';
    a.send('+' + frame('qAttached'));
    await a.until((d) => d.includes(frame('1')));
    expect(server.attached).toBe(true);
    a.sock.destroy();
  });

  it('drops connections that speak HTTP', async () => {
    const { lines, log } = recorder();
    const target = new FakeTarget();
    server = await startGdbServer({ target, port: 0, logger: log });
    const c = await Client.connect(server.port);
    c.send('POST / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n$qRcmd,7265736574#00');
    await c.waitClosed();
    expect(c.data).toBe('');
    expect(lines.some((l) => l.event === 'rsp.http-rejected')).toBe(true);
    expect(target.calls.some((x) => x.op === 'monitor')).toBe(false);
    expect(looksLikeHttp('GET / HTTP/1.1')).toBe(true);
    expect(looksLikeHttp('xx\r\nHost: a\r\n')).toBe(true);
    expect(looksLikeHttp('+$qSupported:')).toBe(false);
  });

  it('a client vanishing mid-run leaves the guest paused and the next attach works', async () => {
    const target = new FakeTarget();
    target.nextStop = undefined; // runs until interrupted
    server = await startGdbServer({ target, port: 0 });
    const a = await Client.connect(server.port);
    a.send(frame('vCont;c'));
    await a.until(() => target.running);
    a.sock.destroy();
    const t0 = Date.now();
    while (server.attached && Date.now() - t0 < 5000) await new Promise((r) => setTimeout(r, 5));
    expect(target.running).toBe(false);
    expect(target.calls.map((c) => c.op).slice(-2)).toEqual(['interrupt', 'detach']);
    const b = await Client.connect(server.port);
    b.send(frame('?'));
    await b.until((d) => d.includes('T02'));
    b.sock.destroy();
  });

  it('Ctrl-C over the socket stops a running guest with T02', async () => {
    const target = new FakeTarget();
    target.nextStop = undefined;
    server = await startGdbServer({ target, port: 0 });
    const c = await Client.connect(server.port);
    c.send(frame('c'));
    await c.until(() => target.running);
    c.send('\x03');
    await c.until((d) => /\$T02thread:01;/.test(d));
    c.sock.destroy();
  });

  it('pauses a guest that is already running when a debugger attaches', async () => {
    const target = new FakeTarget();
    target.nextStop = undefined;
    target.resume({ kind: 'continue' }, () => {});
    server = await startGdbServer({ target, port: 0 });
    const c = await Client.connect(server.port);
    c.send(frame('?'));
    await c.until((d) => d.includes('T02'));
    expect(target.running).toBe(false);
    c.sock.destroy();
  });

  it('survives many connect/disconnect cycles without leaking sockets', async () => {
    const target = new FakeTarget();
    server = await startGdbServer({ target, port: 0 });
    for (let i = 0; i < 40; i++) {
      const c = await Client.connect(server.port);
      if (i % 3 === 0) c.send(frame('m1000,4').slice(0, 5)); // mid-packet
      if (i % 3 === 1) {
        c.send(frame('g'));
        await c.until((d) => d.includes('#'));
      }
      c.sock.destroy();
      const t0 = Date.now();
      while (server.attached && Date.now() - t0 < 5000) await new Promise((r) => setTimeout(r, 2));
      expect(server.attached).toBe(false);
    }
    expect(target.calls.filter((c) => c.op === 'detach')).toHaveLength(40);
    const c = await Client.connect(server.port);
    c.send(frame('qC'));
    await c.until((d) => d.includes('QC1'));
    c.sock.destroy();
  });

  it('answers an oversize packet with E22 after acking it and keeps serving', async () => {
    server = await startGdbServer({ target: new FakeTarget(), port: 0, packetSize: 256 });
    const c = await Client.connect(server.port);
    c.send(frame('M1000,100:' + '00'.repeat(0x100)) + frame('qC'));
    await c.until((d) => d.includes('QC1'));
    expect(c.data).toBe('+' + frame('E22') + '+' + frame('QC1'));
    c.sock.destroy();
  });
});
