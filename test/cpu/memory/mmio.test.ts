// MMIO routing (api.ts MmioRegion): every access inside a region reaches the device with its size, 8-byte
// accesses as two dwords (low first), with paging off and on, for a region above RAM (the LAPIC page) and
// one shadowing RAM (the RAM underneath stays untouched and is never served from the TLB/fast path).
import { describe, expect, it } from 'vitest';
import type { MmioRegion } from '../../../src/cpu/api.js';
import { PT_AREA, makeSys } from '../support/sys.js';

/** MOVQ with an XMM register needs CR4.OSFXSR (SDM Vol. 3 13.1.3). */
const CR4_OSFXSR = 0x200n;

interface Access { op: 'r' | 'w'; off: number; size: number; value?: number }

function recorder(base: number, log: Access[]): MmioRegion {
  return {
    base, size: 4096,
    read: (off, size) => { log.push({ op: 'r', off, size }); return (0x11223344 + off) >>> 0 & (size === 4 ? 0xffffffff : size === 2 ? 0xffff : 0xff); },
    write: (off, size, value) => { log.push({ op: 'w', off, size, value }); },
  };
}

const PROGRAM = (base: number): string => `
.code32
  mov ${base + 0x20}, %eax
  movw ${base + 0x30}, %bx
  movb ${base + 0x31}, %cl
  movl $0xabcdef01, ${base + 0x80}
  movw $0x1234, ${base + 0x84}
  movb $0x56, ${base + 0x86}
  movq ${base + 0x40}, %xmm0
  movq %xmm0, ${base + 0x90}
  mov ${base + 0x20}, %esi            # again: a TLB entry must not make it RAM
  hlt`;

const EXPECTED: Access[] = [
  { op: 'r', off: 0x20, size: 4 },
  { op: 'r', off: 0x30, size: 2 },
  { op: 'r', off: 0x31, size: 1 },
  { op: 'w', off: 0x80, size: 4, value: 0xabcdef01 },
  { op: 'w', off: 0x84, size: 2, value: 0x1234 },
  { op: 'w', off: 0x86, size: 1, value: 0x56 },
  { op: 'r', off: 0x40, size: 4 },
  { op: 'r', off: 0x44, size: 4 },
  { op: 'w', off: 0x90, size: 4, value: 0x11223384 },
  { op: 'w', off: 0x94, size: 4, value: 0x11223388 },
  { op: 'r', off: 0x20, size: 4 },
];

describe('MMIO regions', () => {
  it('routes every access of the LAPIC page (above RAM) with paging off; 8-byte accesses are two dwords', () => {
    const log: Access[] = [];
    const s = makeSys({ mmio: [recorder(0xfee00000, log)], state: (st) => { st.cr4 = CR4_OSFXSR; } });
    s.load(PROGRAM(0xfee00000));
    expect(s.cpu.run(100).kind).toBe('hlt');
    expect(s.exc).toEqual([]);
    expect(log).toEqual(EXPECTED);
    expect(Number(s.cpu.getGpr(0))).toBe(0x11223364);
    expect(Number(s.cpu.getGpr(3)) & 0xffff).toBe(0x3374);
    expect(Number(s.cpu.getGpr(1)) & 0xff).toBe(0x75);
  });

  it('a region shadowing RAM wins over RAM, with paging on (mapped at another linear address)', () => {
    const log: Access[] = [];
    const s = makeSys({ mmio: [recorder(0x200000, log)] });
    for (let k = 0; k < 4096; k += 4) s.w32(0x200000 + k, 0x5a5a5a5a);
    // 32-bit paging: identity map 0-4 MiB with a PSE page, and linear 0x00800000 -> physical 0x200000 (4 KiB).
    const PD = PT_AREA, PT = PT_AREA + 0x1000;
    s.w32(PD, 0x83);
    s.w32(PD + 8, PT | 3);
    s.w32(PT, 0x200000 | 3);
    const st = s.cpu.getState();
    st.cr4 = 0x10n | CR4_OSFXSR; st.cr3 = BigInt(PD); st.cr0 = 0x80000011n;
    s.cpu.setState(st);
    s.load(PROGRAM(0x800000));
    expect(s.cpu.run(100).kind).toBe('hlt');
    expect(s.exc).toEqual([]);
    expect(log).toEqual(EXPECTED);
    expect(s.r32(0x200080)).toBe(0x5a5a5a5a); // RAM under the device untouched
    expect(s.cpu.translate(0x800020n, false)).toBe(0x200020);
  });

  it('unbacked physical space outside RAM and regions reads all ones and drops writes', () => {
    const s = makeSys();
    s.load(`
.code32
  movl $5, 0xf0000000
  mov 0xf0000000, %eax
  movw 0xf0000010, %bx
  hlt`);
    expect(s.cpu.run(100).kind).toBe('hlt');
    expect(Number(s.cpu.getGpr(0))).toBe(0xffffffff);
    expect(Number(s.cpu.getGpr(3)) & 0xffff).toBe(0xffff);
  });
});
