// Issue 18 item 6: register writes the CPU cannot hold are refused as KVM_SET_SREGS refuses them
// (kvm_is_valid_sregs), and `G` is all or nothing. Over real TCP: `P` through real gdb, `G` through a raw RSP
// client (gdb itself prefers P), in both modes.
import { connect, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { CR4_PAE } from '../../src/cpu/index.js';
import { REGISTERS, registerIndex } from '../../src/vmm/index.js';
import { watchGuest } from './guest.js';
import { gdbBatch, printed, useRigs } from './rig.js';

/** Undo RSP run-length encoding: `c*N` is c repeated N - 29 more times (GDB manual "Overview"). */
function unRle(s: string): string {
  return s.replace(/(.)\*(.)/g, (_, c: string, n: string) => c.repeat(1 + n.charCodeAt(0) - 29));
}

/** A minimal RSP client: one packet out, one reply back (acks on). */
class RspClient {
  private buf = '';
  private waiters: (() => void)[] = [];
  private constructor(private readonly sock: Socket) {
    sock.setEncoding('latin1');
    sock.on('data', (d: string) => {
      this.buf += d;
      for (const w of this.waiters.splice(0)) w();
    });
  }
  static open(port: number): Promise<RspClient> {
    return new Promise((res, rej) => {
      const s = connect(port, '127.0.0.1', () => res(new RspClient(s)));
      s.on('error', rej);
    });
  }
  async request(data: string): Promise<string> {
    let sum = 0;
    for (const c of data) sum = (sum + c.charCodeAt(0)) & 0xff;
    this.sock.write(`$${data}#${sum.toString(16).padStart(2, '0')}`);
    for (;;) {
      const m = /\$([^#]*)#[0-9a-f]{2}/.exec(this.buf);
      if (m) {
        this.buf = this.buf.slice(m.index + m[0].length);
        this.sock.write('+');
        return unRle(m[1]!);
      }
      await new Promise<void>((r) => this.waiters.push(r));
    }
  }
  close(): void {
    this.sock.destroy();
  }
}

/** Hex-digit offset and width of register `name` in the `g` packet. */
function field(name: string): { at: number; width: number } {
  const i = registerIndex(name);
  const at = REGISTERS.slice(0, i).reduce((n, r) => n + r.bitsize / 4, 0);
  return { at, width: REGISTERS[i]!.bitsize / 4 };
}

const leHex = (v: bigint, width: number): string => {
  let s = '';
  for (let k = 0; k < width / 2; k++) s += Number((v >> BigInt(8 * k)) & 0xffn).toString(16).padStart(2, '0');
  return s;
};
const fromLeHex = (h: string): bigint => {
  let v = 0n;
  for (let k = h.length / 2 - 1; k >= 0; k--) v = (v << 8n) | BigInt(parseInt(h.slice(2 * k, 2 * k + 2), 16));
  return v;
};

describe.each(['kvm', 'bare'] as const)('register writes validated as KVM_SET_SREGS, %s mode', (mode) => {
  const rig = useRigs();

  it('P: CR4.PAE=0 in IA-32e mode is refused and CR4 keeps PAE; a legal write still works', async () => {
    const r = await rig(mode, watchGuest());
    const out = await gdbBatch(r, [
      'p/x $cr4 & 0x20',
      `p/x $efer`,
      'set $rax = 0x1234',
      'p/x $rax',
      `set $cr4 = $cr4 & ~${CR4_PAE}`,
    ], { lastMayFail: true });
    const v = printed(out);
    expect(v[0]).toBe('0x20');
    expect(v[2]).toBe('0x1234');
    expect(out).toMatch(/Could not write register "cr4"|E22|Remote failure reply/i);
    expect(r.vmm.readRegister(registerIndex('cr4')) & BigInt(CR4_PAE)).toBe(BigInt(CR4_PAE));
  });

  it('G: an impossible CR4 together with a new RAX is refused whole (E22), nothing written; a legal G is taken', async () => {
    const r = await rig(mode, watchGuest());
    const c = await RspClient.open(r.port);
    try {
      const g = await c.request('g');
      const cr4 = field('cr4');
      const rax = field('rax');
      const oldCr4 = fromLeHex(g.slice(cr4.at, cr4.at + cr4.width));
      expect(oldCr4 & BigInt(CR4_PAE)).toBe(BigInt(CR4_PAE));
      const put = (s: string, f: { at: number; width: number }, v: bigint): string => s.slice(0, f.at) + leHex(v, f.width) + s.slice(f.at + f.width);
      const bad = put(put(g, rax, 0xdeadn), cr4, oldCr4 & ~BigInt(CR4_PAE));
      expect(await c.request('G' + bad)).toBe('E22');
      expect(await c.request('g')).toBe(g);
      const good = put(g, rax, 0xbeefn);
      expect(await c.request('G' + good)).toBe('OK');
      const after = await c.request('g');
      expect(fromLeHex(after.slice(rax.at, rax.at + rax.width))).toBe(0xbeefn);
    } finally {
      c.close();
    }
  });
});
