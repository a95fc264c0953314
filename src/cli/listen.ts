// `dbstub serve`'s port and its banner, kept free of the machine's modules: on the fast command-line path
// (main.ts) the port opens and the banner prints before the ~100 modules of the machine, the VMM and the RSP
// server load, so the gdb a user or script starts on seeing the banner connects while they load (its own
// start-up, ~120 ms here, overlaps ours instead of following it). A connection that arrives before the server
// is ready waits in the kernel, as one does for any busy server; nothing is answered early. docs/performance.md,
// "Start-up", has the measurements.

import { createServer, isIP, type Server, type Socket } from 'node:net';
import { resolve } from 'node:path';
import type { EarlyListener } from '../gdbstub/index.js';
import { CliError, EXIT, shownValue } from './exit-codes.js';

/** The checks on --port and --host the serve command makes before anything else. */
export function checkServeAddress(port: number, host: string): void {
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new CliError(`--port must be a number 0..65535, got ${shownValue(port)}`, EXIT.USAGE);
  // An empty --host (an unset shell variable: --host "$HOST") would make Node listen on every interface.
  if (host.trim() === '') throw new CliError('--host is empty (an unset shell variable?); give an address to listen on, e.g. --host 127.0.0.1 (the default)', EXIT.USAGE);
}

/** A listen failure as the user error it is: what went wrong and how to fix it (issue 18 item 10). */
export function listenError(e: unknown, host: string, port: number): Error {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'EADDRINUSE':
      return new CliError(`port ${port} on ${host} is in use (another dbstub, gdbserver or QEMU -s?); choose another with --port N, or --port 0 for a free one`, EXIT.UNAVAILABLE);
    case 'EADDRNOTAVAIL':
      return new CliError(`--host ${host} is not an address of this machine; use 127.0.0.1 (the default) or one of its interfaces' addresses`, EXIT.USAGE);
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EAI_FAIL':
    case 'EAI_NONAME':
      return new CliError(`--host ${host}: no such host name (cannot resolve it); give an address such as 127.0.0.1`, EXIT.USAGE);
    case 'EACCES':
    case 'EPERM':
      return new CliError(`not allowed to listen on port ${port} (ports below 1024 need privileges); use --port 1234, or --port 0 for a free one`, EXIT.USAGE);
    default:
      return e instanceof Error ? e : new Error(String(e));
  }
}

/** True for an address that only this machine can reach. */
export function isLoopback(address: string): boolean {
  if (address === 'localhost' || address === '::1' || address === '::ffff:127.0.0.1') return true;
  return isIP(address) === 4 && address.startsWith('127.');
}

/** What to type after `target remote` for a server bound to `address`:`port` (a wildcard address is reached
 *  through loopback; an IPv6 literal needs brackets in gdb's HOST:PORT syntax). */
export function connectHint(address: string, port: number): string {
  if (address === '0.0.0.0') return `127.0.0.1:${port}`;
  if (address === '::') return `[::1]:${port}`;
  return isIP(address) === 6 ? `[${address}]:${port}` : `${address}:${port}`;
}

/** What serve prints on stderr once its port is open: the warning for a non-loopback address, the listening
 *  line scripts wait for, and the gdb command to type. */
export function serveBanner(host: string, port: number, guest: string, running: boolean): string {
  let text = '';
  if (!isLoopback(host)) {
    const where = host === '0.0.0.0' || host === '::' ? 'every network interface' : host;
    text += `dbstub: WARNING: listening on ${where}: the gdb protocol has no authentication, so anyone who can reach this port can read and write guest memory and run the guest; use --host 127.0.0.1 unless you mean it\n`;
  }
  return (
    text +
    `dbstub: gdb server on ${host}:${port}, guest ${running ? 'running' : 'halted at its entry'}\n` +
    `dbstub: connect with: gdb -ex 'target remote ${connectHint(host, port)}' ${resolve(guest)}\n`
  );
}

/** A port opened early, which the serve command either gives to its gdb server or abandons (it failed). */
export interface OpenedPort extends EarlyListener {
  /** Stop listening and close every held connection (the process can then exit). */
  abandon(): void;
}

/** Open host:port now; the connections accepted before the gdb server adopts the port are held, paused. */
export async function openEarlyListener(host: string, port: number): Promise<OpenedPort> {
  const server: Server = createServer({ pauseOnConnect: true });
  let held: Socket[] | undefined = [];
  let handler: ((socket: Socket) => void) | undefined;
  server.on('connection', (socket: Socket) => {
    if (handler) handler(socket);
    else {
      held?.push(socket);
      // A client that gives up while held must not leave a dead socket for the server to adopt.
      socket.once('close', () => {
        const i = held ? held.indexOf(socket) : -1;
        if (i >= 0) held!.splice(i, 1);
      });
    }
  });
  await new Promise<void>((done, fail) => {
    server.once('error', fail);
    server.listen(port, host, () => {
      server.off('error', fail);
      done();
    });
  }).catch((e: unknown) => {
    throw listenError(e, host, port);
  });
  return {
    server,
    adopt(onSocket) {
      handler = onSocket;
      const sockets = held ?? [];
      held = undefined;
      for (const s of sockets) if (!s.destroyed) onSocket(s);
    },
    abandon() {
      for (const s of held ?? []) s.destroy();
      held = [];
      handler = (s) => s.destroy();
      server.close();
    },
  };
}

/** Ctrl-C / SIGTERM between the banner and the moment serve waits for them: remembered, so the server still
 *  closes cleanly (exit 0, "server closed") instead of dying of the signal while the machine loads. */
export interface HeldSignals {
  readonly signalled: boolean;
  /** Stop holding (serve's own handlers take over). */
  release(): void;
}

export function holdStopSignals(): HeldSignals {
  let signalled = false;
  const note = (): void => {
    signalled = true;
  };
  process.on('SIGINT', note);
  process.on('SIGTERM', note);
  return {
    get signalled() {
      return signalled;
    },
    release() {
      process.off('SIGINT', note);
      process.off('SIGTERM', note);
    },
  };
}

