import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { encodePacket, escapeBinary, FrameDecoder, unescapeBinary } from '../../src/gdbstub/codec.js';
import { GdbSession } from '../../src/gdbstub/session.js';
import { buildTargetXml } from '../../src/gdbstub/tdesc.js';
import { FakeTarget } from './fake-target.js';

const b = (s: string) => Uint8Array.from(Buffer.from(s, 'latin1'));
const s = (u: Uint8Array | string) => (typeof u === 'string' ? u : Buffer.from(u).toString('latin1'));

function setup(packetSize = 0x4000) {
  const target = new FakeTarget();
  const out: string[] = [];
  let noAck = 0;
  const session = new GdbSession({ target, send: (p) => out.push(s(p)), onNoAck: () => noAck++, packetSize });
  /** Send one packet, return the replies it produced synchronously. */
  const tx = (p: string | Uint8Array): string[] => {
    const before = out.length;
    session.handlePacket(typeof p === 'string' ? b(p) : p);
    return out.slice(before);
  };
  const one = (p: string | Uint8Array): string => {
    const r = tx(p);
    expect(r).toHaveLength(1);
    return r[0];
  };
  return { target, out, session, tx, one, noAckCount: () => noAck };
}

const tick = () => new Promise((r) => setTimeout(r, 0));
const hex = (n: bigint, bytes: number) => Buffer.from(Array.from({ length: bytes }, (_, i) => Number((n >> BigInt(8 * i)) & 0xffn))).toString('hex');

describe('queries', () => {
  it('qSupported advertises the stub features and records gdb’s', () => {
    const t = setup();
    const r = t.one('qSupported:multiprocess+;swbreak+;hwbreak+;xmlRegisters=i386');
    for (const f of ['PacketSize=4000', 'qXfer:features:read+', 'qXfer:threads:read+', 'swbreak+', 'hwbreak+', 'vContSupported+', 'QStartNoAckMode+', 'binary-upload+'])
      expect(r.split(';')).toContain(f);
    expect(t.session.gdbFeatures.has('swbreak')).toBe(true);
    expect(t.session.gdbFeatures.has('xmlRegisters')).toBe(true);
  });
  it('answers the connection-time queries', () => {
    const t = setup();
    expect(t.one('vMustReplyEmpty')).toBe('');
    expect(t.one('qAttached')).toBe('1');
    expect(t.one('qAttached:1')).toBe('1');
    expect(t.one('qC')).toBe('QC1');
    expect(t.one('qfThreadInfo')).toBe('m1');
    expect(t.one('qsThreadInfo')).toBe('l');
    expect(t.one('qOffsets')).toBe('Text=0;Data=0;Bss=0');
    expect(t.one('qSymbol::')).toBe('OK');
    expect(t.one('qTStatus')).toBe('');
    expect(t.one('Hg0')).toBe('OK');
    expect(t.one('Hc-1')).toBe('OK');
    expect(t.one('Hg1')).toBe('OK');
    expect(t.one('Hg2')).toBe('E22');
    expect(t.one('Hx1')).toBe('E22');
    expect(t.one('T1')).toBe('OK');
    expect(t.one('T01')).toBe('OK');
    expect(t.one('T2')).toBe('E02');
    // QEMU's wording: "halted" only while the CPU waits in HLT, "running" at any other stop.
    expect(Buffer.from(t.one('qThreadExtraInfo,1'), 'hex').toString()).toBe('CPU#0 [running]');
    t.target.cpuHalted = true;
    expect(Buffer.from(t.one('qThreadExtraInfo,1'), 'hex').toString()).toBe('CPU#0 [halted]');
  });
  it('answers unknown packets with the empty reply', () => {
    const t = setup();
    for (const p of ['qHostInfo', 'jThreadsInfo', 'vAttach;1', 'vFile:open:', 'QNonStop:1', 'bc', 'Z9,0,1'.slice(0, 0) + 'y', 'qXfer:memory-map:read::0,100'])
      expect(t.one(p)).toBe('');
  });
  it('QStartNoAckMode replies OK and then switches the link', () => {
    const t = setup();
    const r = t.one('QStartNoAckMode');
    expect(r).toBe('OK');
    expect(t.noAckCount()).toBe(1);
  });
});

describe('stop replies', () => {
  it('? reports the last stop with thread and expedited rax..r15 and rip (so gdb needs no g to show the frame)', () => {
    const t = setup();
    const r = t.one('?');
    const tg = t.target;
    let expedited = '';
    for (let i = 0; i <= 16; i++) expedited += `${i.toString(16)}:${hex(tg.regs[i], 8)};`;
    expect(r).toBe(`T05thread:01;${expedited}`);
    expect(r).not.toMatch(/;11:/); // eflags (register 0x11) is not expedited
  });
  it('reports watch/rwatch/awatch with the data address', () => {
    const t = setup();
    for (const type of ['watch', 'rwatch', 'awatch'] as const) {
      t.target.stop = { kind: 'signal', signal: 5, reason: { type, addr: 0x2010n } };
      expect(t.one('?')).toMatch(new RegExp(`^T05${type}:2010;thread:01;`));
    }
  });
  it('includes swbreak:/hwbreak: only after gdb announced them', () => {
    const t = setup();
    t.target.stop = { kind: 'signal', signal: 5, reason: { type: 'swbreak' } };
    expect(t.one('?')).not.toContain('swbreak');
    t.one('qSupported:swbreak+;hwbreak+');
    expect(t.one('?')).toMatch(/^T05swbreak:;thread:01;/);
    t.target.stop = { kind: 'signal', signal: 5, reason: { type: 'hwbreak' } };
    expect(t.one('?')).toMatch(/^T05hwbreak:;thread:01;/);
  });
  it('reports exits as W and other signals by number', () => {
    const t = setup();
    t.target.stop = { kind: 'exited', code: 42 };
    expect(t.one('?')).toBe('W2a');
    t.target.stop = { kind: 'signal', signal: 11, detail: 'triple fault' };
    expect(t.one('?')).toMatch(/^T0bthread:01;/);
  });
  it('omits expedited registers the target cannot read', () => {
    const t = setup();
    t.target.throwOn.add('readRegister');
    expect(t.one('?')).toBe('T05thread:01;');
  });
});

describe('registers', () => {
  it('g concatenates all registers little-endian at their byte sizes', () => {
    const t = setup();
    const g = t.one('g');
    const sizes = t.target.registers.map((r) => Math.ceil(r.bitsize / 8));
    expect(g.length).toBe(2 * sizes.reduce((a, c) => a + c, 0));
    expect(g.slice(0, 16)).toBe(hex(t.target.regs[0], 8));
    expect(g.slice(16, 32)).toBe(hex(t.target.regs[1], 8));
  });
  it('G writes changed registers and leaves read-only ones alone when unchanged', () => {
    const t = setup();
    const g = t.one('g');
    const changed = 'ff'.repeat(8) + g.slice(16);
    expect(t.one('G' + changed)).toBe('OK');
    expect(t.target.regs[0]).toBe(0xffffffffffffffffn);
    expect(t.target.calls.filter((c) => c.op === 'writeRegister')).toHaveLength(1);
    expect(t.one('G' + changed.slice(0, -2))).toBe('E22');
    expect(t.one('G' + changed + '00')).toBe('E22');
    expect(t.one('G' + changed.slice(0, -2) + 'zz')).toBe('E22');
  });
  it('p/P read and write one register with strict lengths', () => {
    const t = setup();
    expect(t.one('p10')).toBe(hex(t.target.regs[16], 8));
    expect(t.one('P0=1122334455667788')).toBe('OK');
    expect(t.target.regs[0]).toBe(0x8877665544332211n);
    expect(t.one('p0')).toBe('1122334455667788');
    expect(t.one('P0=11')).toBe('E22');
    expect(t.one('P0=11223344556677zz')).toBe('E22');
    expect(t.one('P0')).toBe('E22');
    expect(t.one('p99')).toBe('E22');
    expect(t.one('p-1')).toBe('E22');
    expect(t.one('pzz')).toBe('E22');
    expect(t.one(`P${(t.target.registers.length - 1).toString(16)}=${'00'.repeat(8)}`)).toBe('E22');
  });
  it('sizes 80- and 128-bit registers correctly', () => {
    const t = setup();
    expect(t.one('p13')).toHaveLength(20);
    expect(t.one('p14')).toHaveLength(32);
  });
});

describe('memory', () => {
  it('m reads, M and X write (X unescapes), x returns b+binary', () => {
    const t = setup();
    expect(t.one('M1000,4:deadbeef')).toBe('OK');
    expect(t.one('m1000,4')).toBe('deadbeef');
    const data = b('#$}*\x00\x03');
    const xpkt = new Uint8Array([...b('X1010,6:'), ...escapeBinary(data)]);
    expect(t.one(xpkt)).toBe('OK');
    expect(t.one('m1010,6')).toBe('23247d2a0003');
    const x = b(t.one('x1010,6'));
    expect(x[0]).toBe(0x62);
    expect(unescapeBinary(x.subarray(1))).toEqual(data);
  });
  it('x answers the prefix whose escaped form fits one packet (gdbserver does the same)', () => {
    const t = setup(0x400);
    expect(t.one('M1000,100:' + '23'.repeat(0x100))).toBe('OK'); // '#': escaped as two bytes
    const x = b(t.one('x1000,100'));
    expect(x.length).toBeLessThanOrEqual(0x400);
    const got = unescapeBinary(x.subarray(1))!;
    expect(got.length).toBe(0x100); // 1 + 2*0x100 fits 0x400
    const t2 = setup(0xc0); // room for b + 0x40 escaped bytes (0x80) + 0x3f plain ones
    expect(t2.one('M1000,80:' + '23'.repeat(0x40) + '00'.repeat(0x40))).toBe('OK');
    const y = b(t2.one('x1000,80'));
    expect(y.length).toBe(0xc0);
    expect(unescapeBinary(y.subarray(1))).toEqual(new Uint8Array([...Array(0x40).fill(0x23), ...Array(0x3f).fill(0)]));
  });
  it('answers zero-length X (gdb’s probe) with OK', () => {
    const t = setup();
    expect(t.one('X1000,0:')).toBe('OK');
    expect(t.one('X0,0:')).toBe('OK');
  });
  it('E14 for unmapped, readable prefix across the end of mapped memory', () => {
    const t = setup();
    expect(t.one('m0,4')).toBe('E14');
    expect(t.one('M0,1:00')).toBe('E14');
    expect(t.one('X0,1:a')).toBe('E14');
    expect(t.one('x0,4')).toBe('E14');
    expect(t.one('m2ffe,4')).toBe('0000');
  });
  it('E22 for huge, negative, overflowing and malformed lengths and addresses', () => {
    const t = setup(0x4000);
    for (const p of [
      'm1000,2001', // above PacketSize/2: the hex reply would not fit one packet
      'm1000,ffffffffffffffff',
      'm1000,-1',
      'm-1000,4',
      'mffffffffffffffff,2',
      'm10000000000000000,1',
      'm1000',
      'm1000,',
      'm,4',
      'm1000,4,4',
      'mzz,4',
      'x1000,7fffffff',
      'x1000,4001',
      'M1000,4001:00',
      'x1000,-4',
      'M1000,4:dead',
      'M1000,2:deadbeef',
      'M1000,ffffffff:00',
      'M1000,1:zz',
      'M1000,1',
      'X1000,4:ab',
      'X1000,-1:a',
      'X1000,1:}',
      'X1000,1',
    ])
      expect(t.one(p), p).toBe('E22');
    expect(t.one('m1000,2000')).toMatch(/^[0-9a-f]+$/); // largest allowed m, partially mapped
  });
});

describe('breakpoints', () => {
  it('maps Z0-Z4/z0-z4 to the target and its results to OK / empty / E22', () => {
    const t = setup();
    for (let type = 0; type <= 4; type++) {
      expect(t.one(`Z${type},2000,${type < 2 ? 1 : 4}`)).toBe('OK');
      expect(t.one(`z${type},2000,1`)).toBe('OK');
    }
    const ins = t.target.calls.filter((c) => c.op === 'insertBreakpoint');
    expect(ins.map((c) => c.args[0])).toEqual([0, 1, 2, 3, 4]);
    expect(ins[2].args).toEqual([2, 0x2000n, 4]);
    t.target.bpResult = 'unsupported';
    expect(t.one('Z3,2000,4')).toBe('');
    t.target.bpResult = 'error';
    expect(t.one('Z2,2000,8')).toBe('E22');
  });
  it('rejects malformed Z packets and passes conditions through harmlessly', () => {
    const t = setup();
    expect(t.one('Z5,2000,1')).toBe('');
    expect(t.one('Z0,2000,1;X2,0a')).toBe('OK');
    for (const p of ['Z0,2000', 'Z0,,1', 'Z0,2000,-1', 'Z0,2000,ffffffff', 'Z0,1ffffffffffffffff,1', 'Zq,2000,1', 'Z0,zz,1', 'Z'])
      expect(t.one(p), p).toBe('E22');
  });
});

describe('execution', () => {
  it('c resumes and the stop reply arrives when the target stops', async () => {
    const t = setup();
    expect(t.tx('c')).toEqual([]);
    expect(t.session.running).toBe(true);
    await tick();
    expect(t.out.pop()).toMatch(/^T05thread:01;/);
    expect(t.session.running).toBe(false);
  });
  it('s / S / C / c addr pass the right action', async () => {
    const t = setup();
    t.tx('s');
    await tick();
    t.tx('S05');
    await tick();
    t.tx('C0b');
    await tick();
    t.tx('c2000');
    await tick();
    const acts = t.target.calls.filter((c) => c.op === 'resume').map((c) => c.args[0]);
    expect(acts).toEqual([{ kind: 'step' }, { kind: 'step', signal: 5 }, { kind: 'continue', signal: 11 }, { kind: 'continue' }]);
    expect(t.target.regs[16]).toBe(0x2000n);
    expect(t.one('Czz')).toBe('E22');
    expect(t.one('cqq')).toBe('E22');
  });
  it('vCont? and vCont actions', async () => {
    const t = setup();
    expect(t.one('vCont?')).toBe('vCont;c;C;s;S');
    expect(t.tx('vCont;s:1;c')).toEqual([]);
    await tick();
    expect(t.tx('vCont;c:-1')).toEqual([]);
    await tick();
    expect(t.tx('vCont;C05:1')).toEqual([]);
    await tick();
    expect(t.tx('vCont;s:p1.1')).toEqual([]);
    await tick();
    const acts = t.target.calls.filter((c) => c.op === 'resume').map((c) => c.args[0]);
    expect(acts).toEqual([{ kind: 'step' }, { kind: 'continue' }, { kind: 'continue', signal: 5 }, { kind: 'step' }]);
    expect(t.one('vCont;t:1')).toBe('OK');
    expect(t.one('vCont;c:2')).toBe('E22');
    expect(t.one('vCont;r1000,2000:1')).toBe('E22');
    expect(t.one('vCont;x')).toBe('E22');
    expect(t.one('vCont')).toBe('');
  });
  it('vCont;r (range stepping) is offered and parsed only for a target that range-steps', async () => {
    const t = setup();
    Object.assign(t.target, { rangeStepping: true });
    expect(t.one('vCont?')).toBe('vCont;c;C;s;S;r');
    expect(t.tx('vCont;r1000,1010:1;c')).toEqual([]);
    await tick();
    expect(t.tx('vCont;rffffffff81000000,ffffffff81000020')).toEqual([]);
    await tick();
    const acts = t.target.calls.filter((c) => c.op === 'resume').map((c) => c.args[0]);
    expect(acts).toEqual([
      { kind: 'step', range: { start: 0x1000n, end: 0x1010n } },
      { kind: 'step', range: { start: 0xffffffff81000000n, end: 0xffffffff81000020n } },
    ]);
    for (const bad of ['vCont;r1000', 'vCont;r,10', 'vCont;r10,', 'vCont;r1x,20', 'vCont;r10,2g'] as const) expect(t.one(bad), bad).toBe('E22');
  });
  it('Ctrl-C while running interrupts and reports T02; ignored while stopped', () => {
    const t = setup();
    t.target.nextStop = undefined;
    t.tx('c');
    t.session.handleInterrupt();
    expect(t.out.pop()).toMatch(/^T02thread:01;/);
    const before = t.target.calls.length;
    t.session.handleInterrupt();
    expect(t.target.calls.slice(before).some((c) => c.op === 'interrupt')).toBe(false);
  });
  it('ignores packets while running (all-stop) and replies to none of them', () => {
    const t = setup();
    t.target.nextStop = undefined;
    t.tx('c');
    expect(t.tx('g')).toEqual([]);
    expect(t.tx('m1000,4')).toEqual([]);
    t.session.handleInterrupt();
    expect(t.out).toHaveLength(1);
  });
  it('reports guest exit as W', async () => {
    const t = setup();
    t.target.nextStop = { kind: 'exited', code: 3 };
    t.tx('c');
    await tick();
    expect(t.out.pop()).toBe('W03');
  });
  it('only the first onStop of a resume is reported', () => {
    const t = setup();
    t.target.nextStop = undefined;
    t.tx('c');
    const cb = t.target.pending!;
    t.target.interrupt();
    cb({ kind: 'signal', signal: 5 });
    expect(t.out).toHaveLength(1);
  });
});

describe('lifecycle', () => {
  it('D replies OK then detaches; k kills without a reply; vKill replies OK', () => {
    const t = setup();
    expect(t.one('D')).toBe('OK');
    expect(t.target.calls.at(-1)).toMatchObject({ op: 'detach', args: [true] }); // runs on, as under QEMU
    expect(t.tx('k')).toEqual([]);
    expect(t.target.calls.at(-1)!.op).toBe('kill');
    expect(t.one('vKill;a410')).toBe('OK');
  });
  it('a dropped connection mid-run interrupts, detaches, and sends nothing more', () => {
    const t = setup();
    t.target.nextStop = undefined;
    t.tx('c');
    t.session.close();
    const ops = t.target.calls.map((c) => c.op);
    expect(ops.slice(-2)).toEqual(['interrupt', 'detach']);
    expect(t.target.calls.at(-1)!.args).toEqual([false]); // a dropped connection leaves the guest paused
    expect(t.target.running).toBe(false);
    expect(t.out).toHaveLength(0);
    expect(t.tx('g')).toEqual([]);
  });
  it('extended mode: ! OK; R restarts with no reply of its own; vRun restarts and answers with the stop; qAttached 0 after', () => {
    const t = setup();
    expect(t.one('qAttached')).toBe('1');
    expect(t.one('!')).toBe('OK');
    expect(t.tx('R00')).toEqual([]);
    expect(t.target.calls.at(-1)!.op).toBe('kill');
    expect(t.one('?')).toMatch(/^T05/);
    expect(t.one('qAttached')).toBe('0');
    const before = t.target.calls.filter((c) => c.op === 'kill').length;
    expect(t.one('vRun;')).toMatch(/^T05/);
    expect(t.one('vRun;2f746d702f61;61726731')).toMatch(/^T05/); // a file name and an argument: ignored (logged)
    expect(t.target.calls.filter((c) => c.op === 'kill').length).toBe(before + 2);
  });
  it('a dropped connection after D does not detach twice', () => {
    const t = setup();
    t.one('D');
    t.session.close();
    expect(t.target.calls.filter((c) => c.op === 'detach')).toHaveLength(1);
  });
});

describe('monitor', () => {
  it('sends the output as O packets of hex text, then OK', () => {
    const t = setup();
    const r = t.tx('qRcmd,' + Buffer.from('help').toString('hex'));
    expect(r.at(-1)).toBe('OK');
    const text = r.slice(0, -1).map((p) => { expect(p[0]).toBe('O'); return Buffer.from(p.slice(1), 'hex').toString(); }).join('');
    expect(text).toBe('help -- this text\ninfo dr -- debug registers\n');
    expect(t.target.calls.find((c) => c.op === 'monitor')!.args).toEqual(['help']);
  });
  it('a failing command prints a helpful text and still ends with OK', () => {
    const t = setup();
    const r = t.tx('qRcmd,' + Buffer.from('frobnicate').toString('hex'));
    expect(r.at(-1)).toBe('OK');
    const text = r.slice(0, -1).map((p) => Buffer.from(p.slice(1), 'hex').toString()).join('');
    expect(text).toContain('unknown command "frobnicate"');
    expect(text).toContain('monitor help');
  });
  it('rejects invalid hex and splits long output to fit the packet size', () => {
    const t = setup(256);
    expect(t.one('qRcmd,zz')).toBe('E22');
    expect(t.one('qRcmd,abc')).toBe('E22');
    t.target.monitor = () => 'x'.repeat(1000);
    const r = t.tx('qRcmd,' + Buffer.from('big').toString('hex'));
    expect(r.length).toBeGreaterThan(3);
    for (const p of r) expect(p.length).toBeLessThanOrEqual(256);
    expect(r.slice(0, -1).map((p) => Buffer.from(p.slice(1), 'hex').toString()).join('')).toBe('x'.repeat(1000) + '\n');
  });
});

describe('target description', () => {
  it('groups registers per feature with regnums and inserts feature types', () => {
    const t = new FakeTarget();
    const xml = buildTargetXml(t);
    expect(xml).toContain('<architecture>i386:x86-64</architecture>');
    expect(xml).toMatch(/<feature name="org.gnu.gdb.i386.core">\n  <flags id="i386_eflags"/);
    expect(xml).toContain('<reg name="rip" bitsize="64" type="code_ptr" regnum="16"/>');
    expect(xml).toContain('<feature name="org.gnu.gdb.i386.sse">\n  <reg name="xmm0" bitsize="128" type="vec128" regnum="20"/>');
    expect(xml).toContain('<reg name="dr7" bitsize="64" type="int64" regnum="21" group="system"/>');
    expect(xml.match(/<feature /g)).toHaveLength(3);
  });
  it('qXfer:features:read returns the document in m/l chunks at the right offsets', () => {
    const t = setup(128);
    const whole = buildTargetXml(t.target);
    let off = 0;
    let doc = '';
    for (let i = 0; i < 1000; i++) {
      const r = b(t.one(`qXfer:features:read:target.xml:${off.toString(16)},${(0xffff).toString(16)}`));
      const part = s(unescapeBinary(r.subarray(1))!);
      expect(r.length).toBeLessThanOrEqual(128);
      doc += part;
      off += part.length;
      if (r[0] === 0x6c) break;
      expect(r[0]).toBe(0x6d);
    }
    expect(doc).toBe(whole);
    expect(t.one(`qXfer:features:read:target.xml:${off.toString(16)},10`)).toBe('l');
    expect(t.one(`qXfer:features:read:target.xml:ffffff,10`)).toBe('l');
    expect(t.one('qXfer:features:read:other.xml:0,10')).toBe('E02');
    expect(t.one('qXfer:features:read:target.xml:zz,10')).toBe('E22');
    expect(t.one('qXfer:features:read:target.xml:0')).toBe('E22');
  });
  it('qXfer:threads:read lists our one thread (id 1, qThreadExtraInfo text) in a single l reply', () => {
    const t = setup();
    const r = b(t.one('qXfer:threads:read::0,fff'));
    expect(r[0]).toBe(0x6c); // `l`: the whole list in the first reply, so one round trip per refresh
    const xml = s(unescapeBinary(r.subarray(1))!);
    expect(xml).toMatch(/^<\?xml version="1.0"\?>\n<threads>\n<thread id="1" core="0">CPU#0 \[running\]<\/thread>\n<\/threads>\n$/);
    // Offsets and lengths as for target.xml: a short read is `m`, the rest follows, past the end is `l`.
    const first = b(t.one('qXfer:threads:read::0,10'));
    expect(first[0]).toBe(0x6d);
    const rest = b(t.one('qXfer:threads:read::10,fff'));
    expect(s(unescapeBinary(first.subarray(1))!) + s(unescapeBinary(rest.subarray(1))!)).toBe(xml);
    expect(t.one('qXfer:threads:read::ffff,10')).toBe('l');
    expect(t.one('qXfer:threads:read:annex:0,10')).toBe('E02');
    expect(t.one('qXfer:threads:read::zz,10')).toBe('E22');
  });
  it('qXfer:threads:read after every stop: the same reply while the thread state is the same, the new text when it changes', () => {
    const t = setup();
    const running = t.one('qXfer:threads:read::0,1000');
    expect(t.one('qXfer:threads:read::0,1000')).toBe(running);
    t.target.cpuHalted = true;
    const halted = t.one('qXfer:threads:read::0,1000');
    expect(s(unescapeBinary(b(halted).subarray(1))!)).toContain('CPU#0 [halted]');
    t.target.cpuHalted = false;
    expect(t.one('qXfer:threads:read::0,1000')).toBe(running);
    expect(s(unescapeBinary(b(running).subarray(1))!)).toContain('CPU#0 [running]');
  });
});

describe('robustness', () => {
  it('a throwing target gives E05 and the session keeps serving', () => {
    const t = setup();
    t.target.throwOn.add('insertBreakpoint');
    t.target.throwOn.add('readMemory');
    t.target.throwOn.add('kill');
    expect(t.one('Z0,2000,1')).toBe('E05');
    expect(t.one('m1000,4')).toBe('E05');
    expect(t.one('vKill;1')).toBe('E05');
    expect(t.one('qC')).toBe('QC1');
  });
  it('oversize and malformed packets get E22', () => {
    const t = setup();
    t.session.handleOversize(99999);
    t.session.handleMalformed('bad RLE');
    expect(t.out).toEqual(['E22', 'E22']);
  });

  const packetArb = fc.oneof(
    fc.uint8Array({ maxLength: 64 }),
    fc.tuple(
      fc.constantFrom('m', 'M', 'x', 'X', 'g', 'G', 'p', 'P', 'Z', 'z', 'H', 'T', 'c', 's', 'C', 'S', 'q', 'Q', 'v', '?', 'D', 'k',
        'qRcmd,', 'qXfer:features:read:target.xml:', 'vCont;', 'vCont?', 'qSupported:', 'qThreadExtraInfo,', 'QStartNoAckMode'),
      fc.array(fc.oneof(fc.constantFrom(',', ':', ';', '-', '=', '}', '#', '*', '0', 'f', 'ffffffffffffffff', '1000', '2fff', '10000000000000000', '7fffffff', 'zz', 'p1.1'), fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), maxLength: 20 })), { maxLength: 8 }),
    ).map(([h, parts]) => b(h + parts.join(''))),
  );

  it('fuzz: random packets never throw out of the session, and every reply is a well-formed frame', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.oneof(packetArb, fc.constant('INT' as const)), { maxLength: 30 }), async (pkts) => {
        const t = setup(512);
        t.target.nextStop = { kind: 'signal', signal: 5, reason: { type: 'watch', addr: 0x1000n } };
        for (const p of pkts) {
          if (p === 'INT') t.session.handleInterrupt();
          else t.session.handlePacket(p);
          if (Math.random() < 0.3) await Promise.resolve();
        }
        await tick();
        for (const r of t.out) {
          // Framed reply decodes to exactly itself (well formed, right checksum, bounded).
          const d = new FrameDecoder(0x10000);
          const evs: unknown[] = [];
          d.feed(encodePacket(r, { rle: true }), (e) => evs.push(e));
          expect(evs).toHaveLength(1);
          expect(evs[0]).toMatchObject({ type: 'packet', checksumOk: true });
          expect(r.length).toBeLessThanOrEqual(512);
        }
        // The session still works after whatever came before.
        if (!t.session.running) expect(t.one('qC')).toBe('QC1');
      }),
      { numRuns: 400 },
    );
  });
});
