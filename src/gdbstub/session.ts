// The protocol core: one debugger session over one link. It parses packets, dispatches them to the feature
// modules, and sends exactly one reply per packet (or none for resumes, whose stop reply comes later, and `k`).
// It knows nothing of sockets (server.ts) or framing (codec.ts), so the tests drive it with plain byte arrays.
//
// Failure policy: a handler never throws out of here. Malformed arguments get E22, unmapped memory E14, an
// unexpected exception is logged at error level and answered E05; unknown packets get the empty reply
// (GDB manual: "an empty response ... the command is not supported").

import {
  E_INVAL,
  E_IO,
  NO_REPLY,
  type Reply,
  type SessionContext,
} from './context.js';
import { bytesToLatin1, DEFAULT_PACKET_SIZE } from './codec.js';
import { debugEnabled, renderPacket, silentLogger, type RspLogger } from './logger.js';
import { buildStopReply } from './stop-reply.js';
import type { GdbTarget, ResumeAction, StopEvent } from './target.js';
import * as bp from './features/breakpoints.js';
import * as mem from './features/memory.js';
import * as mon from './features/monitor.js';
import * as q from './features/query.js';
import * as regs from './features/registers.js';
import * as res from './features/resume.js';
import { targetXmlCache, xferFeatures, xferThreads } from './features/xfer.js';

export interface SessionOptions {
  target: GdbTarget;
  /** Put one packet payload on the wire (framing and acks are the link's job). */
  send: (payload: string | Uint8Array) => void;
  /** Called right after the OK to QStartNoAckMode was sent. */
  onNoAck?: () => void;
  log?: RspLogger;
  packetSize?: number;
  /** Connection id for log lines. */
  conn?: number;
}

export class GdbSession implements SessionContext {
  readonly target: GdbTarget;
  readonly log: RspLogger;
  readonly packetSize: number;
  readonly gdbFeatures = new Set<string>();
  running = false;
  private closed = false;
  private detached = false;
  /** `!` received: gdb speaks extended-remote (`target extended-remote`, gdbserver --multi style). */
  private extended = false;
  /** The machine was (re)started by gdb's R/vRun in this session: qAttached says 0, so gdb kills it on quit. */
  private startedByGdb = false;
  private resumeGen = 0;
  private after: (() => void)[] = [];
  private readonly targetXml: () => Uint8Array;
  private readonly sendRaw: (payload: string | Uint8Array) => void;
  private readonly onNoAck: () => void;
  private readonly conn: number | undefined;
  /** Per-packet debug lines render every packet; decided once per session so a quiet log costs nothing. */
  private readonly tracePackets: boolean;

  constructor(opts: SessionOptions) {
    this.target = opts.target;
    this.log = opts.log ?? silentLogger;
    this.packetSize = opts.packetSize ?? DEFAULT_PACKET_SIZE;
    this.sendRaw = opts.send;
    this.onNoAck = opts.onNoAck ?? (() => {});
    this.conn = opts.conn;
    this.tracePackets = debugEnabled(this.log);
    this.targetXml = targetXmlCache(this);
  }

  get isClosed(): boolean {
    return this.closed;
  }

  private out(payload: string | Uint8Array): void {
    if (this.closed) return;
    if (this.tracePackets) this.log.debug({ event: 'rsp.packet', dir: 'out', conn: this.conn, data: renderPacket(payload) });
    this.sendRaw(payload);
  }

  sendExtra(payload: string | Uint8Array): void {
    this.out(payload);
  }

  afterReply(fn: () => void): void {
    this.after.push(fn);
  }

  stopReply(ev: StopEvent): string {
    return buildStopReply(this.target, ev, this.gdbFeatures);
  }

  resume(action: ResumeAction): void {
    const gen = ++this.resumeGen;
    this.running = true;
    if (this.tracePackets) this.log.debug({ event: 'rsp.resume', conn: this.conn, action: action.kind, signal: action.signal });
    this.target.resume(action, (ev) => {
      // Only the first stop of the latest resume counts, and nothing is sent on a dead session.
      if (gen !== this.resumeGen || !this.running) return;
      this.running = false;
      if (this.closed) return;
      if (ev.kind === 'signal' && ev.detail) {
        this.log.info({ event: 'rsp.stop', conn: this.conn, signal: ev.signal, detail: ev.detail }, ev.detail);
      }
      let reply: string;
      try {
        reply = this.stopReply(ev);
      } catch (e) {
        this.log.error({ event: 'rsp.handler-error', conn: this.conn, err: String(e) }, 'building the stop reply failed');
        reply = ev.kind === 'exited' ? 'W00' : 'T05';
      }
      this.out(reply);
    });
  }

  requestDetach(): void {
    this.afterReply(() => {
      this.detached = true;
      const runs = this.target.detach(true);
      this.log.info({ event: 'rsp.detach', conn: this.conn, runs }, runs ? 'gdb detached; guest runs on' : 'gdb detached; guest stays paused');
    });
  }

  /** R / vRun: the machine back to its entry state, stopped there (the stop `?` or vRun's reply reports). */
  private restart(how: 'R' | 'vRun', args: string[]): void {
    this.target.kill();
    this.startedByGdb = true;
    if (args.some((a) => a !== '')) {
      // vRun;file;args: there is one machine and one guest image; a program name or arguments cannot change it.
      this.log.warn({ event: 'rsp.run-args-ignored', conn: this.conn, args }, 'vRun program/arguments ignored: the machine restarts its own guest');
    }
    this.log.info({ event: 'rsp.restart', conn: this.conn, how, extended: this.extended }, 'gdb restarted the guest: machine reset to its entry, paused');
  }

  /** Ctrl-C (0x03 outside a packet). */
  handleInterrupt(): void {
    if (this.closed) return;
    this.log.debug({ event: 'rsp.interrupt', conn: this.conn, running: this.running });
    if (this.running) this.target.interrupt();
  }

  /** A framed packet that exceeded PacketSize (or whose RLE expanded past it): answered E22. */
  handleOversize(length: number): void {
    this.log.warn({ event: 'rsp.oversize', conn: this.conn, length, max: this.packetSize }, 'packet larger than PacketSize dropped');
    if (!this.running) this.out(E_INVAL);
  }

  handleMalformed(reason: string): void {
    this.log.warn({ event: 'rsp.malformed', conn: this.conn, reason }, 'malformed packet');
    if (!this.running) this.out(E_INVAL);
  }

  handlePacket(payload: Uint8Array): void {
    if (this.closed) return;
    if (this.tracePackets) this.log.debug({ event: 'rsp.packet', dir: 'in', conn: this.conn, data: renderPacket(payload) });
    if (this.running) {
      // All-stop: gdb sends nothing but 0x03 while the target runs. Answering would be taken as the stop reply.
      this.log.warn({ event: 'rsp.packet-while-running', conn: this.conn, data: renderPacket(payload, 40) }, 'packet ignored while running');
      return;
    }
    let reply: Reply;
    try {
      reply = this.dispatch(payload);
    } catch (e) {
      this.log.error(
        { event: 'rsp.handler-error', conn: this.conn, packet: renderPacket(payload, 60), err: e instanceof Error ? e.stack ?? e.message : String(e) },
        'packet handler failed',
      );
      reply = E_IO;
      this.after = [];
    }
    if (reply !== NO_REPLY) this.out(reply);
    const after = this.after;
    this.after = [];
    for (const fn of after) {
      try {
        fn();
      } catch (e) {
        this.log.error({ event: 'rsp.handler-error', conn: this.conn, err: String(e) }, 'post-reply action failed');
      }
    }
  }

  /** The connection is gone: stop a running guest, drop debugger breakpoints, leave it paused. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      // After a `D` the guest may be running on without a debugger (QEMU, gdbserver): leave it so.
      if (!this.detached && (this.running || this.target.running)) this.target.interrupt();
      this.running = false;
      this.resumeGen++;
      if (!this.detached) this.target.detach(false);
    } catch (e) {
      this.log.error({ event: 'rsp.handler-error', conn: this.conn, err: String(e) }, 'detach on disconnect failed');
    }
  }

  private dispatch(raw: Uint8Array): Reply {
    if (raw.length === 0) return '';
    const p = bytesToLatin1(raw);
    const rest = p.slice(1);
    switch (p[0]) {
      case '?':
        return this.stopReply(this.target.lastStop());
      case 'g':
        return rest === '' ? regs.readAll(this) : E_INVAL;
      case 'G':
        return regs.writeAll(this, rest);
      case 'p':
        return regs.readOne(this, rest);
      case 'P':
        return regs.writeOne(this, rest);
      case 'm':
        return mem.readHex(this, rest);
      case 'M':
        return mem.writeHex(this, rest);
      case 'x':
        return mem.readBinary(this, rest);
      case 'X':
        return mem.writeBinary(this, raw);
      case 'c':
        return res.simple(this, 'continue', rest);
      case 's':
        return res.simple(this, 'step', rest);
      case 'C':
        return res.withSignal(this, 'continue', rest);
      case 'S':
        return res.withSignal(this, 'step', rest);
      case 'Z':
        return bp.breakpoint(this, true, rest);
      case 'z':
        return bp.breakpoint(this, false, rest);
      case 'H':
        return q.setThread(this, rest);
      case 'T':
        return q.threadAlive(this, rest);
      case 'k':
        // gdb does not wait for an answer to `k` (QEMU sends none either).
        this.target.kill();
        this.log.info({ event: 'rsp.kill', conn: this.conn }, 'gdb killed the guest: machine reset to its entry, paused');
        return NO_REPLY;
      case 'D':
        this.requestDetach();
        return 'OK';
      case '!':
        // Extended mode (GDB manual, "Packets": `!`): R and vRun may restart the machine, and gdb stays
        // connected after a kill, ready to `run` again.
        this.extended = true;
        return 'OK';
      case 'R':
        // "Restart the program being debugged. ... no reply" (GDB manual, "Packets"): gdb sends `?` next
        // (remote.c extended_remote_restart), which reports the stop at the entry.
        this.restart('R', []);
        return NO_REPLY;
      case 'q':
      case 'Q':
        return this.query(p);
      case 'v':
        return this.vPacket(p);
      default:
        return '';
    }
  }

  private query(p: string): Reply {
    const m = /^([qQ][A-Za-z0-9.]*)(.*)$/s.exec(p)!;
    const name = m[1];
    const args = m[2];
    switch (name) {
      case 'qSupported':
        return q.supported(this, args);
      case 'QStartNoAckMode':
        this.afterReply(() => this.onNoAck());
        return 'OK';
      case 'qAttached':
        // The machine existed before gdb came: on quit gdb detaches rather than kills. After gdb's own `run`
        // (R/vRun) it is gdb's process, as for gdbserver, and quit kills it (a reset to the entry).
        return this.startedByGdb ? '0' : '1';
      case 'qC':
        return 'QC1';
      case 'qfThreadInfo':
        return 'm1';
      case 'qsThreadInfo':
        return 'l';
      case 'qThreadExtraInfo':
        return args.startsWith(',') ? q.threadExtraInfo(this, args.slice(1)) : E_INVAL;
      case 'qOffsets':
        // The loader places the ELF at its link addresses: no relocation.
        return 'Text=0;Data=0;Bss=0';
      case 'qSymbol':
        return 'OK';
      case 'qTStatus':
        return '';
      case 'qRcmd':
        return args.startsWith(',') ? mon.rcmd(this, args.slice(1)) : E_INVAL;
      case 'qXfer':
        if (args.startsWith(':features:')) return xferFeatures(this, this.targetXml, args.slice(':features:'.length));
        if (args.startsWith(':threads:')) return xferThreads(this, args.slice(':threads:'.length));
        return '';
      default:
        return '';
    }
  }

  private vPacket(p: string): Reply {
    if (p === 'vMustReplyEmpty') return '';
    if (p.startsWith('vCont')) {
      const args = p.slice(5);
      if (args === '?' || args.startsWith(';')) return res.vCont(this, args);
      return '';
    }
    if (p === 'vRun' || p.startsWith('vRun;')) {
      // vRun;hex(file)[;hex(arg)]...: restart, reply with the stop at the entry (GDB manual, "Packets").
      this.restart('vRun', p.slice(5).split(';'));
      return this.stopReply(this.target.lastStop());
    }
    if (p === 'vKill' || p.startsWith('vKill;')) {
      this.target.kill();
      this.log.info({ event: 'rsp.kill', conn: this.conn }, 'gdb killed the guest: machine reset to its entry, paused');
      return 'OK';
    }
    return '';
  }
}
