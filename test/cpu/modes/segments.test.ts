// Segment-register loads outside 64-bit mode (SDM Vol. 2 MOV Sreg; Vol. 3 5.4-5.6): hidden base/limit with
// G scaling, the accessed bit, and the faults: #GP(selector) beyond the table / wrong type / privilege,
// #NP(selector) and #SS(selector) for not-present segments, #GP(0) for a null SS; a null DS is legal.
// Also the switches to real-address and virtual-8086 mode and the debug unit in 32-bit code.
import { describe, expect, it } from 'vitest';
import { loadSegment } from '../../../src/cpu/segments.js';
import { A_DATA32, A_TSS32, CODE, EXTRA, GDT, KCS, KDS, descriptor, makeSys } from '../support/sys.js';

const DS = 3, SS = 2;

function loadVia(reg: 'ds' | 'ss', sel: number, setup?: (s: ReturnType<typeof makeSys>) => void) {
  const s = makeSys();
  setup?.(s);
  s.load(`.code32\n  mov $${sel}, %eax\n  mov %ax, %${reg}\n  hlt`);
  const kind = s.cpu.run(10).kind;
  return { s, kind, exc: s.exc.map((e) => [e.vector, e.errorCode]) };
}

describe('segment loads', () => {
  it('loads base, G-scaled limit and attributes, and sets the accessed bit', () => {
    const { s, kind } = loadVia('ds', EXTRA, (m) => m.setGdt(7, descriptor(0x12345000, 0xf, (A_DATA32 & ~1) | 0x800)));
    expect(kind).toBe('hlt');
    const ds = s.cpu.getState().seg[DS]!;
    expect([ds.selector, ds.base, ds.limit, ds.attrs & 0xff]).toEqual([EXTRA, 0x12345000n, 0xffff, (A_DATA32 | 1) & 0xff]);
    expect((s.dv.getUint32(GDT + 7 * 8 + 4, true) >>> 8) & 1).toBe(1); // accessed
    expect(s.c.flatSegs).toBe(false);
    // Byte granularity: limit as stored.
    const t = loadVia('ds', EXTRA, (m) => m.setGdt(7, descriptor(0, 0x1234, A_DATA32 & ~0x800)));
    expect(t.s.cpu.getState().seg[DS]!.limit).toBe(0x1234);
  });

  it('a null selector is legal for DS; for SS it is #GP(0)', () => {
    const ok = loadVia('ds', 0);
    expect(ok.kind).toBe('hlt');
    expect(ok.s.cpu.getState().seg[DS]!.selector).toBe(0);
    expect(loadVia('ss', 0).exc).toEqual([[13, 0]]);
  });

  it('#GP(selector) beyond the GDT limit, for a system descriptor, for an execute-only code segment', () => {
    expect(loadVia('ds', 0x48).exc).toEqual([[13, 0x48]]);
    expect(loadVia('ds', 0x30).exc).toEqual([[13, 0x30]]); // the TSS descriptor
    expect(loadVia('ds', EXTRA, (m) => m.setGdt(7, descriptor(0, 0xfffff, 0x8 | 0x10 | 0x80 | 0xc00))).exc).toEqual([[13, EXTRA]]);
  });

  it('#GP(selector) when DPL < CPL or RPL; #NP(selector) / #SS(selector) for not-present segments', () => {
    // Data segment with DPL 0 from CPL 3.
    const user = makeSys({ cpl3: true });
    user.load(`.code32\n  mov $${KDS}, %eax\n  mov %ax, %ds\n  hlt`);
    user.cpu.run(10);
    expect(user.exc.map((e) => [e.vector, e.errorCode])).toEqual([[13, KDS]]);
    // RPL 3 for a DPL 0 segment at CPL 0.
    expect(loadVia('ds', KDS | 3).exc).toEqual([[13, KDS]]);
    // SS with RPL != CPL.
    expect(loadVia('ss', KDS | 1).exc).toEqual([[13, KDS]]);
    const np = (m: ReturnType<typeof makeSys>): void => m.setGdt(7, descriptor(0, 0xfffff, A_DATA32 & ~0x80));
    expect(loadVia('ds', EXTRA, np).exc).toEqual([[11, EXTRA]]);
    expect(loadVia('ss', EXTRA, np).exc).toEqual([[12, EXTRA]]);
  });

  it('loadSegment (the export cpu-insn32 calls) raises the same faults and updates ss32', () => {
    const s = makeSys();
    s.setGdt(7, descriptor(0, 0xffff, (A_DATA32 & ~0xc00) | 1)); // 16-bit stack segment (B=0)
    loadSegment(s.c, SS, EXTRA);
    expect(s.c.ss32).toBe(false);
    expect(() => loadSegment(s.c, SS, 0)).toThrow();
    expect(s.c.excVec).toBe(13);
  });
});

describe('descriptor-table registers outside 64-bit mode', () => {
  it('SGDT/SIDT store 6 bytes, LGDT/LIDT load a 32-bit base (24 bits with a 16-bit operand), LTR takes an 8-byte TSS descriptor', () => {
    const s = makeSys();
    // GDT entry 8 (0x40): an available 32-bit TSS at 0x12345678; the next 8 bytes must not be read as a base.
    s.setGdt(8, descriptor(0x12345678, 0x67, A_TSS32 & ~2));
    s.w64(GDT + 9 * 8, 0xffffffffffffffffn);
    s.w32(0x60000 + 0x10, 0xdeadbeef); // sentinel after the 6-byte SGDT image
    s.load(`
.code32
  sgdt 0x60000
  sidt 0x60008
  movw $0x4f, 0x60020
  movl $${GDT}, 0x60022
  lgdt 0x60020
  movw $0x1ff, 0x60030
  movl $0xab123456, 0x60032
  data16 lidt 0x60030
  mov $0x40, %ax
  ltr %ax
  hlt`);
    expect(s.cpu.run(100).kind).toBe('hlt');
    expect(s.exc).toEqual([]);
    expect([s.dv.getUint16(0x60000, true), s.r32(0x60002), s.r32(0x60010)]).toEqual([0x3f, GDT, 0xdeadbeef]);
    expect([s.dv.getUint16(0x60008, true), s.r32(0x6000a)]).toEqual([0x7ff, 0x1000]);
    const st = s.cpu.getState();
    expect([st.gdtr.limit, st.gdtr.base, st.idtr.limit, st.idtr.base]).toEqual([0x4f, BigInt(GDT), 0x1ff, 0x123456n]);
    expect([st.tr.selector, st.tr.base, st.tr.limit, st.tr.attrs & 0xf]).toEqual([0x40, 0x12345678n, 0x67, 0xb]);
    expect((s.dv.getUint32(GDT + 0x44, true) >>> 8) & 0xf).toBe(0xb); // marked busy in the GDT
  });
});

describe('LAR / LSL / VERR / VERW', () => {
  it('report access rights and limits with ZF, never fault on a bad selector', () => {
    const s = makeSys();
    s.setGdt(7, descriptor(0, 0xf, A_DATA32)); // G=1: limit 0xffff
    s.load(`
.code32
  mov $0x12345678, %edx
  mov $${KCS}, %eax
  lar %ax, %ebx
  setz %cl
  mov $${EXTRA}, %eax
  lsl %ax, %esi
  setz %ch
  mov $0x48, %eax                    # beyond the GDT limit: ZF=0, destination unchanged
  lar %ax, %edx
  setz %dh
  mov $${KDS}, %eax
  verr %ax
  setz %al
  mov $${0x08}, %edi
  verw %di
  setz %ah
  hlt`);
    expect(s.cpu.run(100).kind).toBe('hlt');
    expect(s.exc).toEqual([]);
    const gdtHi = s.dv.getUint32(GDT + 8 + 4, true);
    expect(Number(s.cpu.getGpr(3))).toBe((gdtHi & 0x00ffff00) >>> 0);
    expect(Number(s.cpu.getGpr(6))).toBe(0xffff);
    expect(Number(s.cpu.getGpr(1)) & 0xffff).toBe(0x0101); // LAR and LSL: ZF=1
    expect(Number(s.cpu.getGpr(2)) & 0xffff00ff).toBe(0x12340078); // DH = 0 (ZF=0), DL/high bytes kept
    expect(Number(s.cpu.getGpr(0)) & 0xffff).toBe(0x0001); // VERR data: 1; VERW code: 0
  });

  it('from CPL 3 a DPL 0 segment is neither readable nor writable', () => {
    const s = makeSys({ cpl3: true });
    s.load(`
.code32
  mov $${KDS}, %eax
  verr %ax
  setz %bl
  verw %ax
  setz %bh
  mov $${0x20 | 3}, %eax
  verw %ax
  setz %cl
  jmp .`);
    s.cpu.run(20);
    expect(s.exc).toEqual([]);
    expect(Number(s.cpu.getGpr(3)) & 0xffff).toBe(0);
    expect(Number(s.cpu.getGpr(1)) & 0xff).toBe(1);
  });
});

describe('real-address and virtual-8086 mode (mode8086.ts), and the debug unit in 32-bit code', () => {
  it('a state with CR0.PE=0 runs in real-address mode at CPL 0, whatever the CS selector\'s low bits say', () => {
    const s = makeSys();
    const st = s.cpu.getState();
    st.cr0 = 0x10n;
    st.seg[1] = { ...st.seg[1]!, selector: (CODE >> 4) | 3, base: BigInt(CODE), limit: 0xffff, attrs: 0x9b };
    st.rip = 0n;
    s.cpu.setState(st);
    s.load('.code16\n  mov $0x1234, %ax\n  mov %ax, %ds\n  hlt');
    expect(s.cpu.mode).toBe('real');
    expect(s.cpu.getCpl()).toBe(0);
    expect(s.cpu.run(10).kind).toBe('hlt');
    // MOV DS in real-address mode: base = selector * 16, no descriptor read, no fault.
    const ds = s.cpu.getState().seg[DS]!;
    expect([ds.selector, ds.base]).toEqual([0x1234, 0x12340n]);
    expect(s.logs.filter((l) => l.event === 'cpu-unsupported-mode')).toEqual([]);
  });

  it('descriptor instructions are #UD and SYSENTER is #GP(0) in real-address mode; virtual-8086 mode refuses the same #UD ones', () => {
    const run = (v86: boolean, src: string): Array<[number, number | undefined]> => {
      const s = makeSys();
      const st = s.cpu.getState();
      if (v86) st.rflags = 0x20002n; else st.cr0 = 0x10n;
      st.seg[1] = { ...st.seg[1]!, selector: CODE >> 4, base: BigInt(CODE), limit: 0xffff, attrs: v86 ? 0xf3 : 0x9b };
      st.rip = 0n;
      s.cpu.setState(st);
      s.cpu.setMsr(0x174, BigInt(KCS)); // IA32_SYSENTER_CS: not the reason for SYSENTER's #GP below
      s.load(`.code16\n  ${src}\n  hlt`);
      s.cpu.run(5);
      return s.exc.map((e) => [e.vector, e.errorCode]);
    };
    // SDM Vol. 2 LAR/LSL/VERR/VERW/SLDT/STR/LLDT/LTR/ARPL: "not recognized in real-address mode" (and in
    // virtual-8086 mode); SYSENTER: #GP(0) when CR0.PE = 0.
    for (const insn of ['lar %ax, %bx', 'lsl %ax, %bx', 'verr %ax', 'sldt %ax', 'str %ax', 'lldt %ax', 'ltr %ax', 'arpl %ax, %bx']) {
      expect(run(false, insn), insn).toEqual([[6, undefined]]);
      expect(run(true, insn), insn).toEqual([[6, undefined]]);
    }
    expect(run(false, 'sysenter')).toEqual([[13, 0]]);
  });

  it('the virtual-8086 mode extensions are not offered: MOV CR4 refuses VME/PVI, and a VME state handed in stops the run', () => {
    const s = makeSys();
    s.load('.code32\n  mov $1, %eax\n  mov %eax, %cr4\n  hlt');
    s.cpu.run(5);
    expect(s.exc.map((e) => [e.vector, e.errorCode])).toEqual([[13, 0]]); // CPUID.1:EDX.VME is 0
    const t = makeSys();
    const st = t.cpu.getState();
    st.cr4 = 1n;
    st.rflags = 0x20002n;
    t.cpu.setState(st);
    const r = t.cpu.run(5);
    expect(r.kind === 'stop-requested' && r.why).toMatch(/virtual-8086 mode extensions \(CR4\.VME=1\) are not modelled/);
    expect(t.cpu.unsupportedMode).toMatch(/CR4\.VME/);
    expect(t.logs.filter((l) => l.event === 'cpu-unsupported-mode').length).toBe(1);
  });

  it('an IVT entry beyond IDTR.limit is #GP, and #GP beyond it a double fault; beyond that, shutdown', () => {
    // IDTR.limit 23H covers vectors 0-8: INT 10H finds no entry (#GP), the #GP none either (#DF, SDM Vol. 3
    // 6.15 Table 6-5: contributory after contributory), the #DF handler at IVT[8] runs (no error code pushed).
    const run = (limit: number): { s: ReturnType<typeof makeSys>; kind: string } => {
      const s = makeSys();
      s.intercept = false;
      const st = s.cpu.getState();
      st.cr0 = 0x10n;
      st.idtr = { base: 0n, limit };
      st.seg[1] = { ...st.seg[1]!, selector: CODE >> 4, base: BigInt(CODE), limit: 0xffff, attrs: 0x9b };
      st.seg[2] = { ...st.seg[2]!, selector: 0, base: 0n, limit: 0xffff, attrs: 0x93 };
      st.rip = 0n;
      st.gpr[4] = 0x8000n;
      s.cpu.setState(st);
      s.w32(8 * 4, ((CODE >> 4) << 16) | 0x100); // IVT[8] = CODE_SEG:0100
      s.load('.code16\n  int $0x10\n  hlt');
      s.load('.code16\n  hlt', CODE + 0x100);
      return { s, kind: s.cpu.run(10).kind };
    };
    const { s, kind } = run(0x23);
    expect(kind).toBe('hlt');
    expect(s.exc.map((e) => e.vector)).toEqual([0x10, 13, 8]);
    expect(s.cpu.getRip()).toBe(0x101n); // after the handler's HLT
    expect(s.cpu.getGpr(4)).toBe(0x8000n - 6n); // one FLAGS/CS/IP frame: the #DF's (the others were not delivered)
    expect(s.r32(0x8000 - 6) & 0xffff).toBe(0); // the IP of the INT: #DF is an abort delivered at the faulting instruction
    expect(run(0x1f).kind).toBe('triple-fault'); // IVT[8] beyond the limit too: shutdown
  });

  it('clearing CR0.PE from running code continues in real-address mode with the segment caches kept', () => {
    const s = makeSys();
    s.load(`.code32\n  mov %cr0, %eax\n  and $~1, %eax\n  mov %eax, %cr0\n  nop\n  hlt`);
    expect(s.cpu.run(10).kind).toBe('hlt');
    expect(s.cpu.instructionsRetired).toBe(5);
    expect(s.cpu.mode).toBe('real');
    expect(s.cpu.getState().seg[1]!.selector).toBe(KCS); // CS still holds what protected mode loaded
  });

  it('IRETD at CPL 0 with EFLAGS.VM=1 enters virtual-8086 mode at CPL 3 with paragraph segments', () => {
    const t = makeSys();
    const seg = (CODE + 0x100) >> 4;
    // GS, FS, DS, ES, SS, ESP, EFLAGS (VM), CS, EIP: the frame IRET pops to return to virtual-8086 mode.
    t.load(`.code32\n  pushl $0x30\n  pushl $0x40\n  pushl $0x50\n  pushl $0x60\n  pushl $0x70\n  pushl $0x800\n  pushl $0x20002\n  pushl $${seg}\n  pushl $0\n  iret`);
    t.load('.code16\n  nop\n  hlt', CODE + 0x100);
    t.cpu.run(20);
    // HLT at CPL 3 is #GP(0), offered to the host at the HLT.
    expect(t.exc.map((e) => [e.vector, e.errorCode, e.rip])).toEqual([[13, 0, 1n]]);
    expect(t.cpu.mode).toBe('virtual8086');
    expect(t.cpu.getCpl()).toBe(3);
    const st = t.cpu.getState();
    expect(st.seg.map((x) => [x.selector, Number(x.base), x.limit, x.attrs])).toEqual([
      [0x60, 0x600, 0xffff, 0xf3], [seg, seg * 16, 0xffff, 0xf3], [0x70, 0x700, 0xffff, 0xf3],
      [0x50, 0x500, 0xffff, 0xf3], [0x40, 0x400, 0xffff, 0xf3], [0x30, 0x300, 0xffff, 0xf3],
    ]);
    expect(st.gpr[4]).toBe(0x800n);
  });

  it('an instruction breakpoint in 32-bit code uses CS.base + EIP as the linear address', () => {
    const s = makeSys({ state: (st) => { st.seg[1] = { ...st.seg[1]!, base: 0x1000n, limit: 0xfffff }; } });
    s.load('.code32\n  nop\n  nop\n  hlt', CODE + 0x1000);
    s.cpu.setDr(0, BigInt(CODE + 0x1001));
    s.cpu.setDr(7, 0x401n);
    const r = s.cpu.run(10);
    expect(r.kind).toBe('intercept');
    expect(s.exc.map((e) => [e.vector, e.rip])).toEqual([[1, BigInt(CODE + 1)]]);
    expect(s.cpu.mode).toBe('protected32');
  });

  it('TF single-step and a data breakpoint in 32-bit code: #DB traps with BS / B0 at the next EIP', () => {
    const s = makeSys();
    s.load(`
.code32
  pushf
  orl $0x100, (%esp)
  popf
  nop
  nop`);
    expect(s.cpu.run(10).kind).toBe('intercept');
    // POPF sets TF: the trap follows the instruction after POPF (CODE+10: pushf 1, orl 7, popf 1, nop 1).
    expect(s.exc.map((e) => [e.vector, e.cls, e.rip, e.dbPayload & 0x4000])).toEqual([[1, 'trap', BigInt(CODE + 10), 0x4000]]);

    const t = makeSys();
    t.load(`
.code32
  nop
  movl $1, 0x60002
  nop`);
    t.cpu.setDr(0, 0x60000n);
    t.cpu.setDr(7, BigInt(0x401 | (1 << 16) | (3 << 18))); // L0, write, 4 bytes
    expect(t.cpu.run(10).kind).toBe('intercept');
    expect(t.exc.map((e) => [e.vector, e.cls, e.rip, e.dbPayload & 0xf])).toEqual([[1, 'trap', BigInt(CODE + 11), 1]]);
  });
});
