import { describe, expect, it } from 'vitest';
import { IoPortBus } from '../../src/devices/iobus.js';
import { DualPic } from '../../src/devices/pic.js';
import { Pit8254, ticksForCycles } from '../../src/devices/pit.js';
import { SpeakerPort } from '../../src/devices/speaker.js';
import { FwCfg, FW_CFG_PORT_DATA, FW_CFG_PORT_SEL } from '../../src/devices/fwcfg.js';
import { COM1_BASE, Serial16550 } from '../../src/devices/serial.js';

describe('8259A pair', () => {
  function bus() {
    const io = new IoPortBus();
    const pic = new DualPic();
    io.attach(0x20, 2, pic);
    io.attach(0xa0, 2, pic);
    return { io, pic };
  }

  it('takes the ICW1-ICW4 remap sequence and reads the masks back', () => {
    const { io, pic } = bus();
    io.out(0x21, 1, 0x5a); // OCW1 before init
    expect(io.in(0x21, 1)).toBe(0x5a);
    io.out(0x20, 1, 0x11); // ICW1: edge, cascade, ICW4
    expect(io.in(0x21, 1)).toBe(0); // ICW1 clears the mask
    io.out(0xa0, 1, 0x11);
    io.out(0x21, 1, 0x20); // ICW2: vectors 0x20-0x27
    io.out(0xa1, 1, 0x28);
    io.out(0x21, 1, 0x04); // ICW3: slave on IR2
    io.out(0xa1, 1, 0x02); // ICW3: slave ID 2
    expect(pic.master.initializing).toBe(true);
    io.out(0x21, 1, 0x01); // ICW4: 8086 mode
    io.out(0xa1, 1, 0x01);
    expect(pic.master.initializing).toBe(false);
    expect([pic.master.vectorBase, pic.slave.vectorBase, pic.master.icw3, pic.slave.icw3, pic.master.icw4]).toEqual([0x20, 0x28, 0x04, 0x02, 0x01]);
    io.out(0x21, 1, 0xff); // OCW1: mask everything
    io.out(0xa1, 1, 0xfb);
    expect(io.in(0x21, 1)).toBe(0xff);
    expect(io.in(0xa1, 1)).toBe(0xfb);
  });

  it('single mode without ICW4 ends after ICW2; OCW2/OCW3 are accepted and IRR/ISR/poll read empty', () => {
    const { io, pic } = bus();
    io.out(0x20, 1, 0x12); // ICW1: single, no ICW4
    io.out(0x21, 1, 0x40);
    expect(pic.master.initializing).toBe(false);
    io.out(0x21, 1, 0x3c);
    expect(io.in(0x21, 1)).toBe(0x3c);
    io.out(0x20, 1, 0x20); // OCW2 non-specific EOI
    io.out(0x20, 1, 0x0b); // OCW3: read ISR
    expect(pic.master.readsIsr).toBe(true);
    expect(io.in(0x20, 1)).toBe(0);
    io.out(0x20, 1, 0x0a); // OCW3: read IRR
    expect(pic.master.readsIsr).toBe(false);
    expect(io.in(0x20, 1)).toBe(0);
    io.out(0x20, 1, 0x0c); // OCW3: poll
    expect(io.in(0x20, 1)).toBe(0);
    expect(io.in(0x21, 1)).toBe(0x3c);
    pic.reset();
    expect(io.in(0x21, 1)).toBe(0);
  });
});

// Time in input cycles: a test clock at the first tick by which `n` cycles (1.193182 MHz, ~838 ns each) have
// passed since tick 0, where the counters are loaded (pit.ts pitCycles/ticksForCycles, QEMU's i8254 formula).
describe('8254 PIT (1.193182 MHz input, one clock tick = one ns)', () => {
  function setup() {
    let cycles = 0;
    let clock = 0;
    const pit = new Pit8254(() => clock);
    const io = new IoPortBus();
    io.attach(0x40, 4, pit);
    io.attach(0x61, 1, new SpeakerPort(pit));
    const tick = (n: number) => {
      cycles += n;
      clock = ticksForCycles(cycles);
    };
    return { io, pit, tick };
  }

  it('counts floor(ns * 1193182 / 10^9) input cycles: one cycle per ~838 clock ticks', () => {
    let clock = 0;
    const pit = new Pit8254(() => clock);
    pit.out(0x43, 1, 0x30); // counter 0, LSB/MSB, mode 0
    pit.out(0x40, 1, 0);
    pit.out(0x40, 1, 0x10); // 4096
    clock = 838;
    expect(pit.count(0)).toBe(4096); // 838 ns < one cycle (838.095 ns)
    clock = 839;
    expect(pit.count(0)).toBe(4095);
    clock = 1_000_000; // 1 ms: 1193.182 cycles
    expect(pit.count(0)).toBe(4096 - 1193);
    expect(ticksForCycles(1193)).toBe(999_848); // ceil(1193 * 10^9 / 1193182)
  });

  it('mode 2 counter loaded LSB then MSB counts down from the clock and reloads; the latch holds a value', () => {
    const { io, tick } = setup();
    io.out(0x43, 1, 0x34); // counter 0, LSB then MSB, mode 2
    io.out(0x40, 1, 0xe8);
    io.out(0x40, 1, 0x03); // 1000
    tick(10);
    io.out(0x43, 1, 0x00); // latch counter 0
    tick(100);
    expect(io.in(0x40, 1) | (io.in(0x40, 1) << 8)).toBe(990);
    expect(io.in(0x40, 1) | (io.in(0x40, 1) << 8)).toBe(890); // live again
    tick(890);
    expect(io.in(0x40, 1) | (io.in(0x40, 1) << 8)).toBe(1000); // reloaded
  });

  it('mode 0 LSB-only counter wraps after terminal count; read-back returns status then count', () => {
    const { io, pit, tick } = setup();
    io.out(0x43, 1, 0x90); // counter 2, LSB only, mode 0
    io.out(0x42, 1, 50);
    tick(20);
    expect(io.in(0x42, 1)).toBe(30);
    io.out(0x43, 1, 0xc8); // read-back: count and status of counter 2
    tick(5);
    expect(io.in(0x42, 1)).toBe(0x10 | 0x00); // OUT low, RW=01, mode 0, binary
    expect(io.in(0x42, 1)).toBe(30);
    tick(35);
    expect(pit.count(2)).toBe(0xffff - 9);
    io.out(0x43, 1, 0xe8); // read-back: status only
    expect(io.in(0x42, 1) & 0x80).toBe(0x80); // OUT high after terminal count
  });

  it('port 0x61: bit 0 gates counter 2 (low after reset), bit 5 reads OUT2, bit 4 toggles per read', () => {
    const { io, tick } = setup();
    expect(io.in(0x61, 1) & 0x03).toBe(0);
    io.out(0x61, 1, 0x01);
    io.out(0x43, 1, 0xb0); // counter 2, LSB/MSB, mode 0
    io.out(0x42, 1, 100);
    io.out(0x42, 1, 0);
    const a = io.in(0x61, 1);
    const b = io.in(0x61, 1);
    expect(a & 0x23).toBe(0x01); // gate high, OUT2 low while counting
    expect((a ^ b) & 0x10).toBe(0x10);
    tick(99);
    expect(io.in(0x61, 1) & 0x20).toBe(0);
    tick(1);
    expect(io.in(0x61, 1) & 0x20).toBe(0x20);
  });

  it('a rising gate edge restarts counter 2 in mode 1 (one-shot: OUT low while counting, high at terminal count)', () => {
    let clock = 0;
    const pit = new Pit8254(() => clock);
    const io = new IoPortBus();
    io.attach(0x40, 4, pit);
    io.attach(0x61, 1, new SpeakerPort(pit));
    io.out(0x43, 1, 0xb2); // counter 2, LSB/MSB, mode 1
    io.out(0x42, 1, 50);
    io.out(0x42, 1, 0);
    const edge = 80_000; // counting has not been triggered: keep the elapsed time out of the next count
    clock = edge;
    io.out(0x61, 1, 0x00);
    io.out(0x61, 1, 0x01); // rising edge: trigger
    expect(pit.count(2)).toBe(50);
    expect(pit.outputLevel(2)).toBe(false);
    clock = edge + ticksForCycles(49);
    expect(pit.outputLevel(2)).toBe(false);
    clock = edge + ticksForCycles(50);
    expect(pit.outputLevel(2)).toBe(true);
  });

  it('after reset every counter runs in mode 3 from 65536, decrementing by 2', () => {
    const { pit, tick } = setup();
    expect(pit.count(0)).toBe(0);
    tick(3);
    expect(pit.count(0)).toBe(0x10000 - 6);
  });
});

describe('fw_cfg (legacy I/O interface)', () => {
  function setup(ramSize = 64 * 1024 * 1024) {
    const io = new IoPortBus();
    const fw = new FwCfg({ ramSize });
    io.attach(FW_CFG_PORT_SEL, 2, fw);
    const read = (sel: number, n: number) => {
      io.out(FW_CFG_PORT_SEL, 2, sel);
      return Array.from({ length: n }, () => io.in(FW_CFG_PORT_DATA, 1));
    };
    return { io, fw, read };
  }

  it('signature, ID (traditional interface only), RAM size, CPU counts in their byte orders', () => {
    const { read } = setup(0x1_2345_6000);
    expect(String.fromCharCode(...read(0x0000, 4))).toBe('QEMU');
    expect(read(0x0001, 4)).toEqual([1, 0, 0, 0]);
    expect(read(0x0003, 8)).toEqual([0x00, 0x60, 0x45, 0x23, 0x01, 0, 0, 0]);
    expect(read(0x0005, 2)).toEqual([1, 0]);
    expect(read(0x000f, 2)).toEqual([1, 0]);
  });

  it('reselecting restarts the offset; reads past the end and unknown selectors give 0', () => {
    const { io, read } = setup();
    expect(read(0x0000, 2)).toEqual([0x51, 0x45]);
    expect(read(0x0000, 6)).toEqual([0x51, 0x45, 0x4d, 0x55, 0, 0]);
    expect(read(0x1234, 3)).toEqual([0, 0, 0]);
    expect(read(0x8003, 2)).toEqual([0, 0]); // arch-local space is separate
    expect(read(0x4000, 1)).toEqual([0x51]); // write-channel bit selects the same item
    io.out(FW_CFG_PORT_SEL, 2, 0);
    expect(io.in(FW_CFG_PORT_SEL, 1)).toBe(0x51); // a byte read at either port reads data
    io.out(FW_CFG_PORT_DATA, 1, 0x99); // data write: ignored
    expect(io.in(FW_CFG_PORT_DATA, 1)).toBe(0x45);
  });

  it('FILE_DIR: big-endian count, then size/select/name entries', () => {
    const { fw, read } = setup();
    expect(read(0x0019, 4)).toEqual([0, 0, 0, 0]);
    const sel = fw.addFile('opt/dbstub/test', new Uint8Array([1, 2, 3]));
    expect(sel).toBe(0x20);
    const dir = read(0x0019, 4 + 64);
    expect(dir.slice(0, 4)).toEqual([0, 0, 0, 1]);
    expect(dir.slice(4, 8)).toEqual([0, 0, 0, 3]);
    expect(dir.slice(8, 10)).toEqual([0, 0x20]);
    expect(String.fromCharCode(...dir.slice(12, 12 + 15))).toBe('opt/dbstub/test');
    expect(dir[12 + 15]).toBe(0);
    expect(read(0x20, 4)).toEqual([1, 2, 3, 0]);
  });
});

describe('16550 UART (QEMU reset values)', () => {
  function setup() {
    const out: number[] = [];
    const io = new IoPortBus();
    const uart = new Serial16550(COM1_BASE, (b) => out.push(b));
    io.attach(COM1_BASE, 8, uart);
    const r = (off: number) => io.in(COM1_BASE + off, 1);
    const w = (off: number, v: number) => io.out(COM1_BASE + off, 1, v);
    return { out, uart, r, w };
  }

  it('reads QEMU values after reset: IER 0, IIR 01, LCR 0, MCR 08, LSR 60, MSR B0, divisor 12', () => {
    const { r, w } = setup();
    expect([r(1), r(2), r(3), r(4), r(5), r(6), r(7)]).toEqual([0, 0x01, 0, 0x08, 0x60, 0xb0, 0]);
    w(3, 0x80);
    expect([r(0), r(1)]).toEqual([0x0c, 0]);
  });

  it('runs the usual init sequence (IER off, DLAB, divisor 3, 8N1, FIFO on, MCR, scratch)', () => {
    const { r, w, out } = setup();
    w(1, 0x00);
    w(3, 0x80);
    w(0, 0x03);
    w(1, 0x00);
    w(3, 0x03);
    expect(r(3)).toBe(0x03);
    w(3, 0x80);
    expect([r(0), r(1)]).toEqual([0x03, 0x00]);
    w(3, 0x03);
    w(2, 0xc7);
    expect(r(2)).toBe(0xc1); // FIFOs enabled, no interrupt
    w(4, 0x0b);
    expect(r(4)).toBe(0x0b);
    w(7, 0xa5);
    expect(r(7)).toBe(0xa5);
    expect(r(5)).toBe(0x60); // THRE|TEMT, DR clear
    w(0, 0x41);
    expect(out).toEqual([0x41]);
  });

  it('loopback (MCR bit 4) returns the byte through RBR with LSR.DR and mirrors MCR in MSR; nothing is output', () => {
    const { r, w, out } = setup();
    w(4, 0x1e); // loop, OUT2, OUT1, RTS
    expect(r(6)).toBe(0x10 | 0x40 | 0x80); // CTS, RI, DCD
    w(0, 0xae);
    expect(r(5)).toBe(0x61);
    expect(r(0)).toBe(0xae);
    expect(r(5)).toBe(0x60);
    w(4, 0x0f);
    expect(r(6)).toBe(0xb0);
    expect(out).toEqual([]);
  });

  it('reports the THR-empty interrupt in IIR when IER enables it, until IIR is read', () => {
    const { r, w } = setup();
    w(1, 0x02);
    expect(r(2)).toBe(0x02);
    expect(r(2)).toBe(0x01);
    w(0, 0x41);
    expect(r(2)).toBe(0x02);
  });
});

describe('I/O bus: unknown ports', () => {
  it('read all ones for the access size and are reported once per port', () => {
    const seen: string[] = [];
    const io = new IoPortBus((port, dir, size) => seen.push(`${dir}:${port.toString(16)}:${size}`));
    expect([io.in(0x61, 1), io.in(0x61, 2), io.in(0x61, 4)]).toEqual([0xff, 0xffff, 0xffffffff]);
    io.out(0x80, 1, 0);
    io.out(0x80, 1, 0);
    expect(seen).toEqual(['in:61:1', 'out:80:1']);
    io.resetReports();
    io.in(0x61, 1);
    expect(seen).toHaveLength(3);
  });
});
