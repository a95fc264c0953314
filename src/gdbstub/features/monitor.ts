// qRcmd,HEX (gdb `monitor CMD`): the command is hex-decoded and handed to target.monitor(); its text comes back
// as `O`+hex console-output packets, then `OK` (GDB manual, "General Query Packets", qRcmd). A failing command
// prints its error and a pointer to `monitor help` instead of breaking the session.

import { E_INVAL, type Reply, type SessionContext } from '../context.js';
import { hexToText, textToHex } from '../hex.js';

export function rcmd(ctx: SessionContext, args: string): Reply {
  const cmd = hexToText(args);
  if (cmd === undefined) return E_INVAL;
  let out: string;
  try {
    out = ctx.target.monitor(cmd.trim());
  } catch (e) {
    ctx.log.warn({ event: 'rsp.monitor-error', command: cmd, err: String(e) }, 'monitor command failed');
    out = `monitor ${cmd.trim()}: ${e instanceof Error ? e.message : String(e)}\nType "monitor help" for the commands.\n`;
  }
  if (out.length > 0 && !out.endsWith('\n')) out += '\n';
  if (/^unknown/i.test(out) && !out.includes('monitor help')) out += 'Type "monitor help" for the commands.\n';
  // Each O packet carries at most (packetSize - 1) / 2 bytes of text (2 hex chars per byte, 1 for the `O`);
  // split on characters so multi-byte UTF-8 never straddles two packets.
  const chunkChars = Math.max(1, Math.floor((ctx.packetSize - 1) / 2 / 4));
  for (let i = 0; i < out.length; i += chunkChars) ctx.sendExtra('O' + textToHex(out.slice(i, i + chunkChars)));
  return 'OK';
}
