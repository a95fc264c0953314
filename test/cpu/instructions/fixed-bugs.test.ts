// Simulator bugs found by the differential test (formerly listed as open known bugs) and other
// reported defects, now fixed: each reproducer asserts the architectural behaviour, so a regression fails.
import { describe, expect, it } from 'vitest';
import { defaultGpr, expectRun, run1, runAll } from '../support/helpers.js';
import { CODE, haltedVector, makeMachine, runToHlt } from '../support/harness.js';

const M64 = (1n << 64n) - 1n;

describe('fixed simulator bugs', () => {
  it('REX followed by a legacy prefix is ignored (SDM Vol. 2 2.2.1): 48 3E 01 D8 = ADD EAX, EBX', () => {
    expectRun(run1({ code: [0x48, 0x3e, 0x01, 0xd8] }), { regs: { rax: (defaultGpr(0) + defaultGpr(3)) & 0xffffffffn } });
  });

  it('of two REX prefixes only the last counts: 40 48 01 D8 = ADD RAX, RBX; 48 40 01 D8 = ADD EAX, EBX', () => {
    const rs = runAll([{ code: [0x40, 0x48, 0x01, 0xd8] }, { code: [0x48, 0x40, 0x01, 0xd8] }]);
    expectRun(rs[0]!, { regs: { rax: (defaultGpr(0) + defaultGpr(3)) & M64 } });
    expectRun(rs[1]!, { regs: { rax: (defaultGpr(0) + defaultGpr(3)) & 0xffffffffn } });
  });

  it('RMW crossing into a not-present page: #PF with W/R=1 and CR2 = start of that page (SDM Vol. 3 Figure 5-12)', () => {
    // 48 01 03 = ADD [RBX], RAX with RBX 4 bytes before the end of the mapped window.
    expectRun(run1({ code: [0x48, 0x01, 0x03], regs: { rbx: 0x101ffcn } }), { vector: 14, cr2: 0x102000n, errorCode: { mask: 0b11, value: 0b10 } });
    // BTS [RBX], imm crossing the same way (bit-test-and-modify is a write too).
    expectRun(run1({ code: [0x48, 0x0f, 0xba, 0x2b, 0x01], regs: { rbx: 0x101ffcn } }), { vector: 14, cr2: 0x102000n, errorCode: { mask: 0b11, value: 0b10 } });
  });

  it('BT [RBP], RBX with a non-canonical adjusted address is #SS(0) (SDM Vol. 3 6.15 Interrupt 12)', () => {
    expectRun(run1({ code: [0x48, 0x0f, 0xa3, 0x5d, 0x00], regs: { rbp: 0x101f00n, rbx: 1n << 62n } }), { vector: 12, errorCode: { mask: 0xffff, value: 0 } });
  });

  it('a #PF on the instruction fetch pushes the RIP that could not be fetched, not the branch before it', () => {
    const m = makeMachine();
    const seen: bigint[] = [];
    m.host.onException = (ev) => { seen.push(ev.vector === 14 ? ev.rip : -1n); return true; };
    // mov $0x40000000, %eax (mapped only up to 1 GiB); jmp *%rax
    m.mem.writePhys(CODE, new Uint8Array([0xb8, 0x00, 0x00, 0x00, 0x40, 0xff, 0xe0]));
    expect(runToHlt(m).kind).toBe('intercept');
    expect(seen).toEqual([0x40000000n]);
  });

  it('reset() sets instructionsRetired back to 0 (api.ts: "since reset")', () => {
    const m = makeMachine();
    m.mem.writePhys(CODE, new Uint8Array([0x90, 0x90, 0xf4]));
    runToHlt(m);
    expect(m.cpu.instructionsRetired).toBeGreaterThan(0);
    m.cpu.reset();
    expect(m.cpu.instructionsRetired).toBe(0);
  });

  it('the undefined-opcode log shows the bytes at RIP, not only the ones decoded (FLD1 = D9 E8, x87 arithmetic is not modelled)', () => {
    const m = makeMachine();
    m.mem.writePhys(CODE, new Uint8Array([0xd9, 0xe8, 0xf4]));
    runToHlt(m);
    expect(haltedVector(m)).toBe(6);
    const log = m.logs.find((l) => l.event === 'undefined-opcode');
    expect(String(log?.data.bytes)).toMatch(/^d9 e8 f4( [0-9a-f]{2}){12}$/);
  });

  it('PhysicalMemory.writePhys stores the bytes and drops decoded code of the pages it touches', () => {
    const m = makeMachine();
    // Execute MOV EAX, 1 once so the page is cached, then patch the immediate from the host side.
    m.mem.writePhys(CODE, new Uint8Array([0xb8, 1, 0, 0, 0, 0xf4]));
    runToHlt(m);
    expect(m.cpu.getGpr(0)).toBe(1n);
    m.mem.writePhys(CODE + 1, new Uint8Array([7]));
    expect(m.mem.readPhys(CODE, 6)).toEqual(new Uint8Array([0xb8, 7, 0, 0, 0, 0xf4]));
    m.cpu.setRip(BigInt(CODE));
    runToHlt(m);
    expect(m.cpu.getGpr(0)).toBe(7n);
    // Out-of-range bytes are dropped, in-range ones stored.
    const size = m.mem.size;
    m.mem.writePhys(size - 2, new Uint8Array([0xaa, 0xbb, 0xcc, 0xdd]));
    expect(m.mem.readPhys(size - 2, 2)).toEqual(new Uint8Array([0xaa, 0xbb]));
  });
});
