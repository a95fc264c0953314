// c / s / C / S / vCont? / vCont (c, C, s, S, r when the target range-steps). All-stop, one thread: the first vCont action that names our thread (or no
// thread, or -1) decides. `t` (stop) is meaningful only in non-stop mode; in all-stop we are already stopped
// when gdb can send it, so it gets OK. No reply here: the stop reply is sent when the target stops.

import { E_INVAL, NO_REPLY, THREAD_ID, type Reply, type SessionContext } from '../context.js';
import { parseHexBig, parseHexNum } from '../hex.js';
import type { ResumeAction } from '../target.js';
import { regIndex } from './registers.js';

export const VCONT_ACTIONS = 'vCont;c;C;s;S';
/** With a target that can range-step: one `vCont;r` replaces the stepi round trips of a `step`/`next` over a
 *  source line (gdb checks the pc after every instruction itself otherwise). gdbserver offers it; QEMU does not. */
export const VCONT_ACTIONS_RANGE = VCONT_ACTIONS + ';r';

/** Optional resume address (`c addr`): gdb rarely sends it; it sets RIP first. */
function setPc(ctx: SessionContext, addrText: string): boolean {
  if (addrText === '') return true;
  const addr = parseHexBig(addrText);
  const pc = regIndex(ctx.target, 'rip');
  if (addr === undefined || pc < 0) return false;
  return ctx.target.writeRegister(pc, addr);
}

/** `c [addr]` / `s [addr]`. */
export function simple(ctx: SessionContext, kind: 'continue' | 'step', args: string): Reply {
  if (!setPc(ctx, args)) return E_INVAL;
  ctx.resume({ kind });
  return NO_REPLY;
}

/** `C sig[;addr]` / `S sig[;addr]`. */
export function withSignal(ctx: SessionContext, kind: 'continue' | 'step', args: string): Reply {
  const semi = args.indexOf(';');
  const sig = parseHexNum(semi >= 0 ? args.slice(0, semi) : args, 0xff);
  if (sig === undefined) return E_INVAL;
  if (semi >= 0 && !setPc(ctx, args.slice(semi + 1))) return E_INVAL;
  ctx.resume({ kind, signal: sig });
  return NO_REPLY;
}

function threadMatches(tid: string | undefined): boolean {
  if (tid === undefined || tid === '-1' || tid === '0') return true;
  // Accept the multiprocess spelling pP.T too, should a client send it.
  const t = tid.startsWith('p') ? tid.slice(tid.indexOf('.') + 1) : tid;
  if (t === '-1' || t === '0') return true;
  return parseHexNum(t, 0xffffffff) === THREAD_ID;
}

/** `vCont;action[:thread]...` (args is what follows `vCont`). */
export function vCont(ctx: SessionContext, args: string): Reply {
  if (args === '?') return ctx.target.rangeStepping ? VCONT_ACTIONS_RANGE : VCONT_ACTIONS;
  if (!args.startsWith(';')) return E_INVAL;
  for (const item of args.slice(1).split(';')) {
    const colon = item.indexOf(':');
    const act = colon >= 0 ? item.slice(0, colon) : item;
    const tid = colon >= 0 ? item.slice(colon + 1) : undefined;
    if (!threadMatches(tid)) continue;
    let action: ResumeAction;
    switch (act[0]) {
      case 'c':
      case 's':
        if (act.length !== 1) return E_INVAL;
        action = { kind: act[0] === 'c' ? 'continue' : 'step' };
        break;
      case 'C':
      case 'S': {
        const sig = parseHexNum(act.slice(1), 0xff);
        if (sig === undefined) return E_INVAL;
        action = { kind: act[0] === 'C' ? 'continue' : 'step', signal: sig };
        break;
      }
      case 'r': {
        // rSTART,END: step while START <= pc < END.
        if (!ctx.target.rangeStepping) return E_INVAL;
        const comma = act.indexOf(',');
        const start = comma > 1 ? parseHexBig(act.slice(1, comma)) : undefined;
        const end = comma > 1 ? parseHexBig(act.slice(comma + 1)) : undefined;
        if (start === undefined || end === undefined) return E_INVAL;
        action = { kind: 'step', range: { start, end } };
        break;
      }
      case 't':
        return 'OK';
      default:
        return E_INVAL; // anything else: not advertised
    }
    ctx.resume(action);
    return NO_REPLY;
  }
  return E_INVAL;
}
