// The #DB route log: every routing decision the chain makes (QEMU's kvm_handle_debug after a
// KVM_EXIT_DEBUG, KVM queueing a #DB in the kernel, or the bare CPU delivering one), kept in a ring for
// `monitor info db`, counted for `dbstub run`'s summary, and logged as 'db.route' events.

import { DR6_RESET, VEC_DB } from '../cpu/index.js';
import { deliverDbPayload, hex32 } from '../hv/index.js';
import type { Logger } from '../log.js';
import type { HandleDebugResult } from './handle-debug.js';

/** Decisions kept for `monitor info db` (older ones only survive in the counts and the log). */
const ROUTE_RING = 64;

/** One #DB routing decision (monitor `info db`, log event 'db.route'). */
export interface DbRoute {
  seq: number;
  /** Who decided: QEMU's kvm_handle_debug after a KVM_EXIT_DEBUG, KVM in the kernel, or the bare CPU. */
  by: 'qemu' | 'kvm' | 'bare';
  exception: number;
  pc: bigint;
  dr6: number;
  dr7: number;
  singlestep: boolean;
  routing?: string;
  cap: boolean;
  claim?: HandleDebugResult['claim'];
  outcome: 'debugger' | 'guest' | 'both' | 'none';
  reinject?: { vector: number; hasPayload: boolean; payload: number };
  /** DR6 the guest's handler finally sees (filled in when KVM injects). */
  guestDr6?: number;
  source?: string;
  /** A known-defect marker shown by `monitor info db` and logged as a warning. */
  note?: string;
}

export interface RouteCounts {
  byOutcome: Record<string, number>;
  byDecider: Record<string, number>;
  total: number;
}

export interface RouteLogOptions {
  log?: Logger | undefined;
  /** KVM_CAP_EXCEPTION_PAYLOAD: decides how a QEMU re-injection's payload reaches the guest's DR6. */
  exceptionPayload: boolean;
}

export class DbRouteLog {
  /** The last ROUTE_RING decisions, oldest first. */
  readonly routes: DbRoute[] = [];
  readonly counts: RouteCounts = { byOutcome: {}, byDecider: {}, total: 0 };
  /** The decision whose re-injection KVM has not delivered yet (its guestDr6 is filled in at injection). */
  awaitingInject: DbRoute | undefined;
  private seq = 0;
  private readonly opts: RouteLogOptions;
  /** The guest's DR6 before an injection (KVM's vcpu->arch.dr6), for the predicted DR6 in the log line; set
   *  by the accelerator that has one. */
  guestDr6: (() => number) | undefined;

  constructor(opts: RouteLogOptions) {
    this.opts = opts;
  }

  /** Whether a log line at `level` would be written: routes happen at every gdb round trip, so their log
   *  objects (hex strings) are only built when someone will read them. */
  private logs(level: 'debug' | 'info'): boolean {
    const log = this.opts.log;
    return log !== undefined && (typeof log.isLevelEnabled !== 'function' || log.isLevelEnabled(level));
  }

  record(r: Omit<DbRoute, 'seq'>): DbRoute {
    const route: DbRoute = { seq: ++this.seq, ...r };
    this.routes.push(route);
    if (this.routes.length > ROUTE_RING) this.routes.shift();
    const c = this.counts;
    c.total++;
    c.byOutcome[route.outcome] = (c.byOutcome[route.outcome] ?? 0) + 1;
    c.byDecider[route.by] = (c.byDecider[route.by] ?? 0) + 1;
    const lvl = route.by === 'qemu' ? 'info' : 'debug';
    if (this.logs(lvl)) {
      this.opts.log![lvl](
        {
          event: 'db.route',
          seq: route.seq,
          by: route.by,
          exception: route.exception,
          pc: '0x' + route.pc.toString(16),
          dr6: hex32(route.dr6),
          dr7: hex32(route.dr7),
          singlestep: route.singlestep,
          routing: route.routing,
          cap: route.cap,
          claim: route.claim,
          outcome: route.outcome,
          reinject: route.reinject && { vector: route.reinject.vector, hasPayload: route.reinject.hasPayload, payload: hex32(route.reinject.payload) },
          predictedGuestDr6: route.reinject && route.reinject.vector === VEC_DB ? hex32(this.predictGuestDr6(route)) : undefined,
        },
        '#DB routed',
      );
    }
    return route;
  }

  /** KVM injected the #DB of the decision awaiting injection: remember what the guest's DR6 became. */
  injected(dr6After: number, detail: { payload: number | undefined; merged: number; rf: boolean }): void {
    const r = this.awaitingInject;
    if (!r) return;
    r.guestDr6 = dr6After;
    this.awaitingInject = undefined;
    if (this.logs('debug')) {
      this.opts.log!.debug({ event: 'db.inject', seq: r.seq, guestDr6: hex32(dr6After), payload: detail.payload === undefined ? undefined : hex32(detail.payload), merged: hex32(detail.merged), rf: detail.rf }, '#DB injected');
    }
  }

  /** Forget the ring (machine reset); the counts are the run's and stay. */
  clear(): void {
    this.routes.length = 0;
  }

  /** A copy of the counts (for a run summary). */
  snapshotCounts(): RouteCounts {
    return { byOutcome: { ...this.counts.byOutcome }, byDecider: { ...this.counts.byDecider }, total: this.counts.total };
  }

  /** What the guest's DR6 will be once KVM injects this re-injection (for the log line). */
  private predictGuestDr6(r: DbRoute): number {
    const ri = r.reinject!;
    if (r.by === 'qemu' && !this.opts.exceptionPayload) return ri.payload;
    const dr6 = this.guestDr6?.();
    return ri.hasPayload ? deliverDbPayload(dr6 ?? DR6_RESET, ri.payload) : (dr6 ?? 0);
  }

  /** The last `n` decisions, one per line (`monitor info db`, the run summary). */
  format(n: number): string {
    const rs = this.routes.slice(-n);
    if (rs.length === 0) return 'no #DB events yet\n';
    return rs.map(formatRoute).join('\n') + '\n';
  }
}

function formatRoute(r: DbRoute): string {
  const parts = [
    `#${r.seq} ${r.by}`,
    `exc=${r.exception}`,
    `pc=0x${r.pc.toString(16)}`,
    r.by === 'qemu' ? `dr6=${hex32(r.dr6)} dr7=${hex32(r.dr7)}` : `payload=${hex32(r.dr6)}`,
    r.routing ? `routing=${r.routing}` : '',
    `cap=${r.cap ? 'on' : 'off'}`,
    r.singlestep ? 'stepping' : '',
    r.claim ? `claim=${r.claim}` : '',
    `-> ${r.outcome}`,
    r.reinject ? `reinject(vec=${r.reinject.vector}${r.reinject.hasPayload ? ` payload=${hex32(r.reinject.payload)}` : ''})` : '',
    r.guestDr6 !== undefined ? `guest DR6=${hex32(r.guestDr6)}` : '',
    r.source ? `[${r.source}]` : '',
  ];
  return parts.filter(Boolean).join(' ') + (r.note ? `\n    !! ${r.note}` : '');
}
