// Real guest programs (examples/, built by scripts/build-guests.mjs in the global setup) run to
// completion on the bare machine. Expected serial output is computed here, independently of the guest.
import { describe, expect, it } from 'vitest';
import { Machine } from '../../src/machine/machine.js';
import { createLogger } from '../../src/log.js';

/** A logger whose JSON lines are collected for assertions. */
function capturingLogger() {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger({ level: 'debug', destination: { write: (s: string) => void lines.push(JSON.parse(s)) } });
  return { logger, lines };
}

const GUESTS = 'build/guests';
const load = (name: string, config: Record<string, unknown> = {}) => Machine.fromFile(`${GUESTS}/${name}.elf`, { config: { mode: 'bare', ...config } });

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
  }
  return ~c >>> 0;
}

describe('hello (the bundled default guest)', () => {
  it('prints, sorts, checks a CRC and exits with status 1', async () => {
    const m = load('hello');
    const r = await m.runToCompletion({ maxInsns: 20_000_000 });
    // Same xorshift32 and sort as examples/hello/hello.c.
    let x = 2463534242;
    const vals: number[] = [];
    for (let i = 0; i < 16; i++) {
      x ^= x << 13;
      x >>>= 0;
      x ^= x >>> 17;
      x ^= x << 5;
      x >>>= 0;
      vals.push(x % 1000);
    }
    vals.sort((a, b) => a - b);
    expect(m.serialOutput).toBe(
      'Hello from a dbstub guest!\n' + `sorted: ${vals.join(' ')}\n` + 'crc32("123456789") = 0xcbf43926\n' + 'all checks passed\n',
    );
    expect(r).toEqual({ kind: 'exit', code: 1, value: 0 });
    expect(m.exitCode).toBe(1);
  });

  it('the committed prebuilt copy runs the same way', async () => {
    const m = Machine.fromFile('examples/prebuilt/hello.elf', { config: { mode: 'bare' } });
    const r = await m.runToCompletion({ maxInsns: 20_000_000 });
    expect(r.kind).toBe('exit');
    expect(m.serialOutput).toMatch(/all checks passed\n$/);
  });

  it('reset() brings back the entry state: a second run repeats the first', async () => {
    const m = load('hello');
    const before = m.cpu.instructionsRetired;
    await m.runToCompletion({ maxInsns: 20_000_000 });
    const first = m.serialOutput;
    const insns = m.cpu.instructionsRetired - before;
    m.reset();
    const afterReset = m.cpu.instructionsRetired;
    expect(m.serialOutput).toBe('');
    expect(m.exitCode).toBeUndefined();
    expect(m.cpu.getRip()).toBe(m.image.entry);
    const r = await m.runToCompletion({ maxInsns: 20_000_000 });
    expect(r.kind).toBe('exit');
    expect(m.serialOutput).toBe(first);
    expect(m.cpu.instructionsRetired - afterReset).toBe(insns);
  });

  it('onSerial delivers every byte in order', async () => {
    const m = load('hello');
    let seen = '';
    m.onSerial((t) => (seen += t));
    await m.runToCompletion({ maxInsns: 20_000_000 });
    expect(seen).toBe(m.serialOutput);
    expect(seen.length).toBeGreaterThan(50);
  });
});

describe('crc (C workload)', () => {
  it('prints the CRC32 computed here and exits with ((crc & 0x7f) << 1) | 1', async () => {
    const buf = new Uint8Array(65536);
    let x = 12345;
    for (let i = 0; i < buf.length; i++) {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      buf[i] = (x >>> 16) & 0xff;
    }
    const crc = crc32(buf);
    for (const vendor of ['intel', 'amd']) {
      const m = load('crc', { vendor });
      const r = await m.runToCompletion({ maxInsns: 100_000_000 });
      expect(m.serialOutput).toBe(`crc32=0x${crc.toString(16).padStart(16, '0')}\n`);
      expect(r).toEqual({ kind: 'exit', code: ((crc & 0x7f) << 1) | 1, value: crc & 0x7f });
    }
  });

  it('stops with budget when --max-insns runs out, exactly at the bound', async () => {
    const m = load('crc');
    const before = m.cpu.instructionsRetired;
    const r = await m.runToCompletion({ maxInsns: 12_345, sliceInsns: 1000 });
    expect(r).toEqual({ kind: 'budget' });
    expect(m.cpu.instructionsRetired - before).toBe(12_345);
    expect(m.exitCode).toBeUndefined();
  });

  it('interrupt() stops a running guest between slices', async () => {
    const m = load('crc');
    const before = m.cpu.instructionsRetired;
    let slices = 0;
    const r = await m.runToCompletion({
      sliceInsns: 1000,
      onSlice: () => {
        if (++slices === 3) m.interrupt('test');
      },
    });
    expect(r).toEqual({ kind: 'interrupted', why: 'test' });
    expect(m.cpu.instructionsRetired - before).toBe(3000);
  });
});

describe('cpl3: round trip through the IDT', () => {
  it('runs user code at CPL3, takes INT3 and int $0x80 from CPL3, and returns to CPL0', async () => {
    const m = load('cpl3');
    const r = await m.runToCompletion({ maxInsns: 10_000_000 });
    expect(m.serialOutput).toContain('cpl3: kernel cs=0x8\n');
    expect(m.serialOutput).toContain('in user mode\n');
    expect(m.serialOutput).toContain('cpl3: back in kernel cs=0x8 result=303 bp_cs=0x23 bp_ss=0x1b bp_count=1\n');
    expect(m.serialOutput).toContain('cpl3: ok\n');
    expect(r).toEqual({ kind: 'exit', code: 1, value: 0 });
  });
});

describe('ud: #UD delivered to the guest handler', () => {
  it('reports UD2, an SSE instruction (CR4.OSFXSR=0) and an unsupported x87 one at their RIPs', async () => {
    const m = load('ud');
    const r = await m.runToCompletion({ maxInsns: 10_000_000 });
    const at = (sym: string) => `#UD at rip=0x${m.symbol(sym).toString(16)}\n`;
    expect(m.serialOutput).toBe(at('ud2_site') + at('sse_site') + at('x87_site') + 'ud: ok\n');
    expect(r).toEqual({ kind: 'exit', code: 1, value: 0 });
  });

  it('logs the unsupported opcode with its bytes as cpu.ud', async () => {
    const { logger, lines } = capturingLogger();
    const m = Machine.fromFile(`${GUESTS}/ud.elf`, { config: { mode: 'bare' }, logger });
    await m.runToCompletion({ maxInsns: 10_000_000 });
    const ud = lines.filter((l) => l.event === 'cpu.ud');
    const x87 = `0x${m.symbol('x87_site').toString(16)}`;
    expect(ud.some((l) => l.rip === x87 && String(l.bytes).startsWith('d9 e8'))).toBe(true);
    // UD2 is architecturally #UD, not an unsupported opcode: it must not be reported as one.
    const ud2 = `0x${m.symbol('ud2_site').toString(16)}`;
    expect(ud.some((l) => l.rip === ud2)).toBe(false);
    expect(lines.some((l) => l.event === 'guest.exit' && l.code === 1)).toBe(true);
    expect(lines.filter((l) => l.event === 'guest.serial').map((l) => l.text)).toContain('ud: ok');
  });
});

describe('triple fault', () => {
  it('is reported as a triple fault, not an exit', async () => {
    const m = load('triple');
    const r = await m.runToCompletion({ maxInsns: 10_000_000 });
    expect(r.kind).toBe('triple-fault');
    expect((r as { detail: string }).detail).toMatch(/#DF|double/i);
    expect(m.serialOutput).toBe('triple: loading an empty IDT and executing UD2\n');
    expect(m.exitCode).toBeUndefined();
  });
});

describe('HLT with interrupts off', () => {
  it('is reported as hlt-forever', async () => {
    const m = load('hello');
    m.memory.writePhys(Number(m.image.entry), new Uint8Array([0xfa, 0xf4])); // cli; hlt at the entry point
    const r = await m.runToCompletion({ maxInsns: 1000 });
    expect(r.kind).toBe('hlt-forever');
    expect((r as { detail: string }).detail).toMatch(/IF=0/);
  });
});

describe('boot environment as the guest sees it', () => {
  it('starts at the ELF entry in 64-bit mode at CPL0 with IF=0 and the documented selectors', () => {
    const m = load('hello');
    const s = m.cpu.getState();
    expect(s.rip).toBe(m.image.entry);
    expect(m.cpu.getCpl()).toBe(0);
    expect(s.rflags & 0x200n).toBe(0n);
    expect(s.seg[1].selector).toBe(0x08);
    expect(s.tr.selector).toBe(0x28);
    // Identity map: the debugger view of the entry point equals the physical bytes.
    expect([...m.cpu.readVirtual(m.image.entry, 4)!]).toEqual([...m.memory.readPhys(Number(m.image.entry), 4)]);
    expect(m.cpu.translate(0x3fff_f000n, true)).toBe(0x3fff_f000);
  });
});
