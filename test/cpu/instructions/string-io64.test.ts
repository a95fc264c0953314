// INS/OUTS (6C-6F) in 64-bit mode (SDM Vol. 2 INS/OUTS, REP): data size, address size, DF, segment
// overrides, the I/O permission bitmap, the I/O breakpoint and the instruction intercept.
import { describe, expect, it } from 'vitest';
import { DR7_RW_IO, DR_CONTROL, dr7Breakpoint } from '../../../src/cpu/index.js';
import { CODE, DATA, TSS, UCS, UDS, USTACK, haltedVector, makeMachine, reg, runToHlt } from '../support/harness.js';

const RCX = 1, RSI = 6, RDI = 7;
const toUser = `
  push $${UDS}
  push $${USTACK}
  push $0x2
  push $${UCS}
  lea user(%rip), %rax
  push %rax
  iretq
`;
/** Allow `port` (size bytes) in the harness TSS I/O bitmap (all ports denied there otherwise). */
function allow(m: ReturnType<typeof makeMachine>, port: number, size: number): void {
  for (let p = port; p < port + size; p++) m.mem.u8[TSS + 0x68 + (p >> 3)]! &= ~(1 << (p & 7));
}
/** The RIP the #DB/#GP handler stub's frame holds (64-bit frame: RIP at [RSP], error code first for #GP). */
function frameRip(m: ReturnType<typeof makeMachine>, withError: boolean): bigint {
  return m.r64(Number(reg(m, 4)) + (withError ? 8 : 0));
}

describe('INS/OUTS in 64-bit mode', () => {
  it('REP INSB / INSW / INSD store DX port data at RDI, step RDI by the size, count RCX down', () => {
    for (const [mn, size, value] of [['insb', 1, 0x78], ['insw', 2, 0x5678], ['insl', 4, 0x12345678]] as const) {
      const m = makeMachine();
      m.load(`mov $0x3f8, %edx\n mov $${DATA}, %edi\n mov $3, %ecx\n rep ${mn}\n hlt`);
      runToHlt(m);
      expect(m.ioLog, mn).toEqual([0, 1, 2].map(() => ({ dir: 'in', port: 0x3f8, size, value: 0x12345678 })));
      for (let k = 0; k < 3; k++) {
        const got = size === 1 ? m.mem.u8[DATA + k] : size === 2 ? m.mem.u8[DATA + 2 * k]! | (m.mem.u8[DATA + 2 * k + 1]! << 8) : Number(m.r64(DATA + 4 * k) & 0xffffffffn);
        expect(got, `${mn} element ${k}`).toBe(value);
      }
      expect(reg(m, RDI)).toBe(BigInt(DATA + 3 * size));
      expect(reg(m, RCX)).toBe(0n);
    }
  });
  it('DF=1 walks down; REX.W keeps the data size at 4 bytes', () => {
    const m = makeMachine();
    m.load(`mov $0x80, %edx\n mov $${DATA + 8}, %edi\n mov $2, %ecx\n std\n rep insl\n cld\n hlt`);
    runToHlt(m);
    expect(reg(m, RDI)).toBe(BigInt(DATA));
    expect(m.r64(DATA + 4)).toBe(0x1234567812345678n);
    const w = makeMachine();
    w.load(`mov $0x80, %edx\n mov $${DATA}, %edi\n .byte 0x48, 0x6d\n hlt`); // REX.W INSD
    runToHlt(w);
    expect(w.ioLog).toEqual([{ dir: 'in', port: 0x80, size: 4, value: 0x12345678 }]);
    expect(reg(w, RDI)).toBe(BigInt(DATA + 4));
  });
  it('REP OUTSW sends the words at RSI; FS override adds the FS base to the source', () => {
    const m = makeMachine();
    m.mem.u8.set([0x11, 0x22, 0x33, 0x44], DATA);
    m.load(`mov $0xe9, %edx\n mov $${DATA}, %esi\n mov $2, %ecx\n rep outsw\n hlt`);
    runToHlt(m);
    expect(m.ioLog).toEqual([{ dir: 'out', port: 0xe9, size: 2, value: 0x2211 }, { dir: 'out', port: 0xe9, size: 2, value: 0x4433 }]);
    expect(reg(m, RSI)).toBe(BigInt(DATA + 4));
    const f = makeMachine();
    f.mem.u8[DATA + 0x105] = 0xa5;
    f.cpu.setMsr(0xc0000100, BigInt(DATA + 0x100)); // IA32_FS_BASE
    f.load(`mov $0xe9, %edx\n mov $5, %esi\n fs outsb\n hlt`);
    runToHlt(f);
    expect(f.ioLog).toEqual([{ dir: 'out', port: 0xe9, size: 1, value: 0xa5 }]);
  });
  it('a 32-bit address size (67) uses EDI/ECX and zero-extends them into RDI/RCX', () => {
    const m = makeMachine();
    m.load(`mov $0x80, %edx\n mov $1, %rdi\n shl $32, %rdi\n or $${DATA}, %rdi\n mov %rdi, %rcx\n mov $${DATA}, %ecx\n` +
      ` shl $32, %rcx\n or $2, %rcx\n .byte 0x67, 0xf3, 0x6c\n hlt`);
    runToHlt(m);
    expect(m.ioLog.length).toBe(2);
    expect(reg(m, RDI)).toBe(BigInt(DATA + 2));
    expect(reg(m, RCX)).toBe(0n);
  });
  it('CPL3 with IOPL=0: the TSS I/O bitmap decides for every byte of the port range (#GP(0), nothing transferred)', () => {
    const denied = makeMachine();
    allow(denied, 0x70, 1); // only 0x70 of 0x70-0x71
    denied.load(`${toUser}\nuser: mov $0x70, %edx\n mov $${DATA}, %edi\n mov $2, %ecx\n rep insw\n hlt`);
    runToHlt(denied);
    expect(haltedVector(denied)).toBe(13);
    expect(denied.r64(Number(reg(denied, 4)))).toBe(0n); // error code 0
    expect(denied.ioLog).toEqual([]);
    expect(reg(denied, RCX)).toBe(2n);
    const ok = makeMachine();
    allow(ok, 0x70, 2);
    ok.load(`${toUser}\nuser: mov $0x70, %edx\n mov $${DATA}, %esi\n mov $2, %ecx\n rep outsw\n int3`);
    runToHlt(ok);
    expect(haltedVector(ok)).toBe(3);
    expect(ok.ioLog.map((e) => `${e.dir} ${e.port} ${e.size}`)).toEqual(['out 112 2', 'out 112 2']);
  });
  it('I/O breakpoint (CR4.DE, DR7 R/W=10): trap #DB after the iteration that touched the port; the REP resumes with consistent counts', () => {
    const m = makeMachine({ cr4: 0x628n }); // + CR4.DE
    m.cpu.setDr(0, 0x3f9n);
    m.cpu.setDr(DR_CONTROL, BigInt(dr7Breakpoint(0, DR7_RW_IO, 2, false))); // L0, R/W0=10 (I/O), LEN0=01 (2 bytes: 3F8-3F9)
    m.load(`mov $0x3f8, %edx\n mov $${DATA}, %esi\n mov $3, %ecx\n rep outsb\n hlt`);
    runToHlt(m);
    expect(haltedVector(m)).toBe(1);
    expect(m.cpu.getDr(6) & 0xfn).toBe(1n);
    expect(m.ioLog.length).toBe(1);
    expect(reg(m, RCX)).toBe(2n);
    expect(reg(m, RSI)).toBe(BigInt(DATA + 1));
    // The trap's RIP is the REP OUTSB itself (not finished): 5 + 5 + 5 bytes of MOVs before it.
    expect(frameRip(m, false)).toBe(BigInt(CODE + 15));
    // Without CR4.DE the R/W=10 encoding is undefined and never matches.
    const n = makeMachine();
    n.cpu.setDr(0, 0x3f8n);
    n.cpu.setDr(DR_CONTROL, BigInt(dr7Breakpoint(0, DR7_RW_IO, 1, false)));
    n.load(`mov $0x3f8, %edx\n mov $${DATA}, %esi\n mov $3, %ecx\n rep outsb\n hlt`);
    runToHlt(n);
    expect(haltedVector(n)).toBe(-1);
    expect(n.ioLog.length).toBe(3);
  });
  it("the 'in'/'out' instruction intercept sees each iteration; intercepting stops before the access", () => {
    const m = makeMachine();
    const seen: string[] = [];
    m.host.onInstruction = (kind) => { if (kind !== 'hlt') seen.push(kind); return false; };
    m.load(`mov $0x80, %edx\n mov $${DATA}, %edi\n mov $3, %ecx\n rep insb\n mov $2, %ecx\n rep outsb\n hlt`);
    runToHlt(m);
    expect(seen).toEqual(['in', 'in', 'in', 'out', 'out']);
    const s = makeMachine();
    s.host.onInstruction = (kind) => kind === 'in';
    s.load(`mov $0x80, %edx\n mov $${DATA}, %edi\n mov $3, %ecx\n rep insb\n hlt`);
    const stop = s.cpu.run(1000);
    expect(stop).toMatchObject({ kind: 'intercept', instruction: 'in', rip: BigInt(CODE + 15), length: 2 });
    expect(s.ioLog).toEqual([]);
    expect(reg(s, RCX)).toBe(3n);
  });
  it('a non-canonical RSI is #GP(0) before the port is touched; LOCK is #UD', () => {
    const m = makeMachine();
    m.load(`mov $0x80, %edx\n mov $0x0000800000000000, %rsi\n outsb\n hlt`);
    runToHlt(m);
    expect(haltedVector(m)).toBe(13);
    expect(m.ioLog).toEqual([]);
    const l = makeMachine();
    l.load(`mov $0x80, %edx\n .byte 0xf0, 0x6e\n hlt`);
    runToHlt(l);
    expect(haltedVector(l)).toBe(6);
  });
});
