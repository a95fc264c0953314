import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  checksum,
  encodePacket,
  escapeBinary,
  FrameDecoder,
  RspLink,
  unescapeBinary,
  type FrameEvent,
  type LinkEvent,
} from '../../src/gdbstub/codec.js';

const b = (s: string) => Uint8Array.from(Buffer.from(s, 'latin1'));
const s = (u: Uint8Array) => Buffer.from(u).toString('latin1');

function frame(payload: string): string {
  const sum = checksum(b(payload));
  return `$${payload}#${sum.toString(16).padStart(2, '0')}`;
}

function decodeAll(input: string | Uint8Array, max = 0x4000): FrameEvent[] {
  const d = new FrameDecoder(max);
  const evs: FrameEvent[] = [];
  d.feed(typeof input === 'string' ? b(input) : input, (e) => evs.push(e));
  return evs;
}

/** What gdb does with a reply (remote.c read_frame then remote_unescape_input for binary replies). */
function gdbExpand(wire: string): string {
  expect(wire[0]).toBe('$');
  const hash = wire.lastIndexOf('#');
  const body = wire.slice(1, hash);
  expect(parseInt(wire.slice(hash + 1), 16)).toBe(checksum(b(body)));
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    expect(c === '#' || c === '$').toBe(false);
    if (c === '*') {
      const n = body.charCodeAt(++i) - 29;
      expect(n).toBeGreaterThanOrEqual(3);
      expect(n).toBeLessThanOrEqual(97);
      out += out[out.length - 1].repeat(n);
    } else out += c;
  }
  return out;
}

describe('framing and checksums', () => {
  it('decodes a packet and verifies its checksum', () => {
    expect(decodeAll(frame('qSupported:swbreak+'))).toEqual([
      { type: 'packet', payload: b('qSupported:swbreak+'), checksumOk: true },
    ]);
  });
  it('flags a wrong checksum and a non-hex checksum', () => {
    expect(decodeAll('$g#00')).toEqual([{ type: 'packet', payload: b('g'), checksumOk: false }]);
    expect(decodeAll('$g#zz')[0]).toMatchObject({ checksumOk: false });
    expect(decodeAll('$g#67')[0]).toMatchObject({ checksumOk: true });
    expect(decodeAll('$g#6A')[0]).toMatchObject({ checksumOk: false });
  });
  it('accepts upper-case checksum digits', () => {
    const f = frame('m1000,4').toUpperCase().replace('M', 'm');
    expect(decodeAll(f)[0]).toMatchObject({ type: 'packet', checksumOk: true });
  });
  it('reports acks, naks and Ctrl-C outside packets, and ignores garbage', () => {
    expect(decodeAll('+xx-\x03').map((e) => e.type)).toEqual(['ack', 'garbage', 'nak', 'interrupt']);
  });
  it('treats 0x03 inside a packet as data', () => {
    expect(decodeAll(frame('X0,1:\x03'))[0]).toMatchObject({ type: 'packet', payload: b('X0,1:\x03') });
  });
  it('reassembles packets split across chunks at every position', () => {
    const text = '+' + frame('m1000,40') + frame('g') + '\x03';
    for (let cut = 0; cut <= text.length; cut++) {
      const d = new FrameDecoder();
      const evs: FrameEvent[] = [];
      d.feed(b(text.slice(0, cut)), (e) => evs.push(e));
      d.feed(b(text.slice(cut)), (e) => evs.push(e));
      expect(evs.map((e) => e.type)).toEqual(['ack', 'packet', 'packet', 'interrupt']);
      expect(s((evs[2] as { payload: Uint8Array }).payload)).toBe('g');
    }
  });
  it('drops a packet cut short by a new $ and decodes the new one', () => {
    const evs = decodeAll('$m10' + frame('g'));
    expect(evs.map((e) => e.type)).toEqual(['truncated', 'packet']);
  });
  it('encodes with a correct checksum', () => {
    expect(s(encodePacket('OK'))).toBe('$OK#9a');
    expect(s(encodePacket(''))).toBe('$#00');
  });
});

describe('escaping', () => {
  it('escapes # $ } * as } + byte^0x20', () => {
    expect(s(escapeBinary(b('a#$}*b')))).toBe('a}\x03}\x04}]}\x0ab');
    expect(s(unescapeBinary(b('a}\x03}\x04}]}\x0ab'))!)).toBe('a#$}*b');
  });
  it('rejects a lone trailing escape', () => {
    expect(unescapeBinary(b('ab}'))).toBeUndefined();
  });
  it('never lets framing characters through encodePacket', () => {
    const wire = s(encodePacket('a#b$c*d}'));
    expect(wire.slice(1, -3)).not.toMatch(/[#$*]/);
  });
  it('round-trips arbitrary binary', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (data) => {
        expect(unescapeBinary(escapeBinary(data))).toEqual(data);
      }),
    );
  });
});

describe('run-length encoding', () => {
  it('decodes X*c as c-29 extra copies (QEMU/gdb convention)', () => {
    // ' ' = 32 -> 3 extra copies
    expect(s((decodeAll(frame('0* '))[0] as { payload: Uint8Array }).payload)).toBe('0000');
    expect(s((decodeAll(frame('a*~'))[0] as { payload: Uint8Array }).payload)).toBe('a'.repeat(98));
  });
  it('rejects invalid counts like QEMU: non-printable, # and $, and nothing to repeat', () => {
    expect(decodeAll(frame('0*\x1f'))[0]).toMatchObject({ type: 'malformed' });
    expect(decodeAll(frame('0*\x7f'))[0]).toMatchObject({ type: 'malformed' });
    expect(decodeAll(frame('* '))[0]).toMatchObject({ type: 'malformed' });
    // `*#` : the # ends the packet; it is not taken as a count
    const evs = decodeAll('$0*#' + checksum(b('0*')).toString(16).padStart(2, '0'));
    expect(evs[0]).toMatchObject({ type: 'malformed', checksumOk: true });
  });
  it('compresses runs in replies', () => {
    const wire = s(encodePacket('0'.repeat(16) + 'x', { rle: true }));
    expect(wire.length).toBeLessThan(16);
    expect(gdbExpand(wire)).toBe('0'.repeat(16) + 'x');
  });
  it('never produces # or $ as a count (runs of 7 and 8)', () => {
    for (let n = 1; n <= 300; n++) {
      const wire = s(encodePacket('a'.repeat(n), { rle: true }));
      expect(gdbExpand(wire)).toBe('a'.repeat(n));
    }
  });
  it('never compresses escaped bytes', () => {
    const payload = s(escapeBinary(b('}}}}}}}}####')));
    const wire = s(encodePacket(payload, { rle: true }));
    expect(wire).not.toContain('*');
    expect(s(unescapeBinary(b(gdbExpand(wire)))!)).toBe('}}}}}}}}####');
  });
  it('round-trips encode -> decode for arbitrary escaped binary with and without RLE', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), fc.boolean(), (data, rle) => {
        const wire = encodePacket(escapeBinary(data), { rle });
        const evs = decodeAll(wire);
        expect(evs).toHaveLength(1);
        const ev = evs[0] as { type: string; payload: Uint8Array; checksumOk: boolean };
        expect(ev.type).toBe('packet');
        expect(ev.checksumOk).toBe(true);
        expect(unescapeBinary(ev.payload)).toEqual(data);
        expect(s(b(gdbExpand(s(wire))))).toBe(s(ev.payload));
      }),
      { numRuns: 300 },
    );
  });
  it('round-trips runs of few distinct characters (RLE-heavy)', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.constantFrom('0', 'f', 'x', '}', '#', '*'), fc.integer({ min: 1, max: 250 })), { maxLength: 12 }), (runs) => {
        const data = b(runs.map(([c, n]) => c.repeat(n)).join(''));
        const ev = decodeAll(encodePacket(escapeBinary(data), { rle: true }))[0] as { payload: Uint8Array };
        expect(unescapeBinary(ev.payload)).toEqual(data);
      }),
    );
  });
});

/** The encoder as first written (an array of numbers, then copied): the fast encodePacket must match it byte for byte. */
function referenceEncode(payload: string | Uint8Array, rle: boolean): string {
  const p = typeof payload === 'string' ? b(payload) : payload;
  const out: number[] = [0x24];
  const good = (k: number) => ![0x23, 0x24, 0x2a, 0x7d].includes(k + 29);
  let i = 0;
  while (i < p.length) {
    const c = p[i];
    if (c === 0x7d) {
      const next = i + 1 < p.length ? p[i + 1] : -1;
      if (next >= 0 && next !== 0x23 && next !== 0x24 && next !== 0x2a) {
        out.push(0x7d, next);
        i += 2;
      } else {
        out.push(0x7d, 0x5d);
        i += 1;
      }
      continue;
    }
    if (c === 0x23 || c === 0x24 || c === 0x2a) {
      out.push(0x7d, c ^ 0x20);
      i += 1;
      continue;
    }
    let run = 1;
    while (i + run < p.length && p[i + run] === c) run++;
    i += run;
    out.push(c);
    let extra = run - 1;
    if (!rle) {
      while (extra-- > 0) out.push(c);
      continue;
    }
    while (extra > 0) {
      if (extra < 3) {
        while (extra-- > 0) out.push(c);
        break;
      }
      let k = Math.min(extra, 97);
      while (!good(k)) k--;
      out.push(0x2a, k + 29);
      extra -= k;
      if (extra > 0) {
        out.push(c);
        extra--;
      }
    }
  }
  const sum = checksum(Uint8Array.from(out), 1);
  return s(Uint8Array.from(out)) + '#' + sum.toString(16).padStart(2, '0');
}

describe('encodePacket matches the reference encoder byte for byte', () => {
  it('on arbitrary bytes, framing characters and runs, with and without RLE', () => {
    const run = fc.tuple(fc.constantFrom(0x30, 0x66, 0x7d, 0x23, 0x24, 0x2a, 0x5d, 0x00, 0xff), fc.integer({ min: 1, max: 120 }));
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 400 }), fc.array(run, { maxLength: 10 }).map((rs) => Uint8Array.from(rs.flatMap(([c, n]) => Array(n).fill(c))))), fc.boolean(), (data, rle) => {
        expect(s(encodePacket(data, { rle }))).toBe(referenceEncode(data, rle));
        expect(s(encodePacket(s(data), { rle }))).toBe(referenceEncode(data, rle));
      }),
      { numRuns: 500 },
    );
  });
  it('returns a plain Uint8Array holding only the frame', () => {
    const f = encodePacket('OK');
    expect(f.constructor).toBe(Uint8Array);
    expect(f.length).toBe(6);
  });
});

describe('packet size limit', () => {
  it('reports an oversize packet, keeps its checksum, and stays in sync', () => {
    const big = 'M0,10:' + '0'.repeat(100);
    const evs = decodeAll(frame(big) + frame('g'), 64);
    expect(evs[0]).toMatchObject({ type: 'oversize', checksumOk: true, length: big.length });
    expect(evs[1]).toMatchObject({ type: 'packet', payload: b('g') });
  });
  it('counts RLE expansion against the limit', () => {
    const evs = decodeAll(frame('a*~a*~'), 100);
    expect(evs[0]).toMatchObject({ type: 'oversize' });
  });
  it('accepts a packet of exactly the limit', () => {
    expect(decodeAll(frame('a'.repeat(64)), 64)[0]).toMatchObject({ type: 'packet' });
  });
});

function link(opts: { maxRetransmits?: number } = {}) {
  const wrote: string[] = [];
  const events: LinkEvent[] = [];
  const l = new RspLink((x) => wrote.push(s(x)), opts);
  return { l, wrote, events, rx: (t: string) => l.receive(b(t), (e) => events.push(e)) };
}

describe('acknowledgements', () => {
  it('acks good packets with + and naks bad checksums with -', () => {
    const t = link();
    t.rx(frame('g') + '$g#00');
    expect(t.wrote).toEqual(['+', '-']);
    expect(t.events).toEqual([{ type: 'packet', payload: b('g') }]);
  });
  it('retransmits the last reply on - up to the limit, then gives up', () => {
    const t = link({ maxRetransmits: 2 });
    t.l.send('OK');
    t.rx('---');
    expect(t.wrote).toEqual(['$OK#9a', '$OK#9a', '$OK#9a']);
    t.rx('-');
    expect(t.wrote).toHaveLength(3);
  });
  it('does not retransmit once the reply was acked', () => {
    const t = link();
    t.l.send('OK');
    t.rx('+-');
    expect(t.wrote).toEqual(['$OK#9a']);
  });
  it('stops acking and ignores naks in no-ack mode, processing even a bad checksum', () => {
    const t = link();
    t.l.startNoAck();
    t.l.send('OK');
    t.rx('-' + frame('g') + '$m0,1#00');
    expect(t.wrote).toEqual(['$OK#9a']);
    expect(t.events.map((e) => e.type)).toEqual(['packet', 'packet']);
  });
  it('switching to no-ack takes effect for the very next packet in the same chunk', () => {
    const t = link();
    t.l.receive(b(frame('QStartNoAckMode') + frame('g')), (e) => {
      t.events.push(e);
      if (t.events.length === 1) {
        t.l.send('OK');
        t.l.startNoAck();
      }
    });
    // The ack of QStartNoAckMode travels with its reply in one write; the next packet is not acked.
    expect(t.wrote).toEqual(['+$OK#9a']);
  });
  it('sends the ack and the reply in one write, the ack alone when there is no immediate reply', () => {
    const t = link();
    t.l.receive(b(frame('g') + frame('c')), (e) => {
      t.events.push(e);
      if (t.events.length === 1) t.l.send('00');
    });
    expect(t.wrote).toEqual(['+$00#60', '+']);
    // A NAK of that reply resends the frame only, without the ack.
    t.rx('-');
    expect(t.wrote[2]).toBe('$00#60');
  });
  it('passes Ctrl-C through and reports oversize packets after acking them', () => {
    const wrote: string[] = [];
    const evs: LinkEvent[] = [];
    const l = new RspLink((x) => wrote.push(s(x)), { maxPacketSize: 8 });
    l.receive(b('\x03' + frame('123456789')), (e) => evs.push(e));
    expect(evs.map((e) => e.type)).toEqual(['interrupt', 'oversize']);
    expect(wrote).toEqual(['+']);
  });
});

describe('fuzz: random input', () => {
  it('never throws, emits only well-typed events, and payloads stay within the limit', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.uint8Array({ maxLength: 200 }), fc.constantFrom(b('$'), b('#'), b('*'), b('}'), b('+'), b('-'), b('\x03'), b('#00'))), { maxLength: 40 }),
        (chunks) => {
          const d = new FrameDecoder(128);
          for (const c of chunks) {
            d.feed(c, (e) => {
              if (e.type === 'packet') expect(e.payload.length).toBeLessThanOrEqual(128);
            });
          }
          // The decoder resynchronises: a valid packet after any garbage is decoded (after at most one `$`-restart
          // of a pending packet and a terminator).
          const evs: FrameEvent[] = [];
          d.feed(b('#00' + frame('g')), (e) => evs.push(e));
          const last = evs[evs.length - 1];
          expect(last).toMatchObject({ type: 'packet', payload: b('g'), checksumOk: true });
        },
      ),
      { numRuns: 500 },
    );
  });
  it('link survives random bytes and keeps every write a well-formed ack or frame', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 100 }), { maxLength: 20 }), (chunks) => {
        const t = link();
        t.l.send('OK');
        for (const c of chunks) t.l.receive(c, () => {});
        for (const w of t.wrote) expect(w === '+' || w === '-' || /^\$[^#$]*#[0-9a-f]{2}$/.test(w)).toBe(true);
      }),
    );
  });
});
