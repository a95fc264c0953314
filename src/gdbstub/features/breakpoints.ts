// Z0-Z4 / z0-z4 -> target.insertBreakpoint / removeBreakpoint. Target results map to replies as the contract
// says: 'unsupported' -> empty (gdb falls back, e.g. Z3 -> Z4 or writing int3 itself), 'error' -> E22.
// Conditions and commands after `;` (ConditionalBreakpoints / BreakpointCommands) are not advertised and ignored.

import { E_INVAL, type Reply, type SessionContext } from '../context.js';
import { parseHexBig, parseHexNum } from '../hex.js';
import type { BreakpointType } from '../target.js';

/** Largest `kind` accepted: x86 breakpoint kinds are 1, watch lengths are small; anything huge is hostile. */
export const MAX_BREAKPOINT_KIND = 0x10000;

export function breakpoint(ctx: SessionContext, insert: boolean, args: string): Reply {
  const semi = args.indexOf(';');
  const parts = (semi >= 0 ? args.slice(0, semi) : args).split(',');
  if (parts.length !== 3) return E_INVAL;
  const type = parseHexNum(parts[0], 0xff);
  if (type === undefined) return E_INVAL;
  if (type > 4) return ''; // unknown breakpoint type: unsupported
  const addr = parseHexBig(parts[1]);
  const kind = parseHexNum(parts[2], MAX_BREAKPOINT_KIND);
  if (addr === undefined || kind === undefined) return E_INVAL;
  const t = type as BreakpointType;
  const res = insert ? ctx.target.insertBreakpoint(t, addr, kind) : ctx.target.removeBreakpoint(t, addr, kind);
  switch (res) {
    case 'ok':
      return 'OK';
    case 'unsupported':
      return '';
    default:
      return E_INVAL;
  }
}
