// Hardware task switching with 32-bit TSSs (SDM Vol. 3 8.3): CALL to a TSS (back-link, NT, busy flags,
// state saved and restored), IRET with NT=1 back to the caller, an INT through a task gate in the IDT, an
// exception with an error code through a task gate (#DF handled by a task), and CR0.TS / DR7 local enables.
import { describe, expect, it } from 'vitest';
import { A_TSS32, CODE, IDT, KCS, KDS, TSS, TSS_SEL, descriptor, makeSys, type Sys } from '../support/sys.js';

const TSS_B = 0x2000, TSS_C = 0x2100, SEL_B = 0x38, SEL_C = 0x40;
const CODE_B = 0x30000, CODE_C = 0x31000;
const NT = 0x4000, BUSY = 2;

/** A 32-bit TSS that starts at `eip` with flat kernel segments and its own stack. */
function task(s: Sys, base: number, eip: number, esp: number, ebx: number): void {
  for (let k = 0; k < 0x68; k += 4) s.w32(base + k, 0);
  s.w32(base + 0x20, eip);
  s.w32(base + 0x24, 2);
  s.w32(base + 0x28 + 4 * 3, ebx);
  s.w32(base + 0x28 + 4 * 4, esp);
  for (let k = 0; k < 6; k++) s.w32(base + 0x48 + 4 * k, k === 1 ? KCS : KDS);
}

function setup(): Sys {
  const s = makeSys();
  s.intercept = false;
  s.setGdt(6, descriptor(TSS, 0x67, A_TSS32 | BUSY)); // the running task's TSS is busy (as after LTR)
  s.setGdt(7, descriptor(TSS_B, 0x67, A_TSS32));
  s.setGdt(8, descriptor(TSS_C, 0x67, A_TSS32));
  const st = s.cpu.getState();
  st.gdtr = { base: st.gdtr.base, limit: 0x4f };
  s.cpu.setState(st);
  task(s, TSS_B, CODE_B, 0x68000, 0xb0b);
  task(s, TSS_C, CODE_C, 0x67000, 0xc0c);
  return s;
}
const typeOf = (s: Sys, sel: number): number => (s.r32(0x800 + sel + 4) >>> 8) & 0xf;

describe('task switching', () => {
  it('CALL to a TSS nests (back-link, NT, busy), IRET returns and restores the caller\'s registers', () => {
    const s = setup();
    s.load(`
.code32
  pushf
  pop %esi
  pushf
  pop %edi
  str %di
  mov %ebx, %ebp
  mov $0xbbbb, %eax
  mov $0x42, %al
  out %al, $0xe9
  iret`, CODE_B);
    s.load(`
.code32
  mov $0xaaaa, %eax
  lcall $${SEL_B}, $0
  mov $0x43, %cl
  hlt`);
    expect(s.cpu.run(100).kind).toBe('hlt');
    expect(s.exc).toEqual([]);
    expect(s.checkpoints.map((c) => c.value & 0xff)).toEqual([0x42]);
    // In task B: EFLAGS.NT=1, TR = SEL_B, EBX from its TSS; the back-link names the caller.
    expect(s.r32(TSS_B) & 0xffff).toBe(TSS_SEL);
    // Back in the caller: EAX restored from its TSS, execution after the CALL, B no longer busy.
    expect(Number(s.cpu.getGpr(0)) & 0xffff).toBe(0xaaaa);
    expect(Number(s.cpu.getGpr(1)) & 0xff).toBe(0x43);
    expect(Number(s.cpu.getRflags()) & NT).toBe(0);
    expect([typeOf(s, TSS_SEL), typeOf(s, SEL_B)]).toEqual([0xb, 0x9]);
    const st = s.cpu.getState();
    expect(st.tr.selector).toBe(TSS_SEL);
    expect(Number(st.cr0) & 8).toBe(8); // CR0.TS set by the task switch
    // Task B's saved state: its registers at the IRET, EIP after the IRET.
    expect([s.r32(TSS_B + 0x28 + 4 * 6) & NT, s.r32(TSS_B + 0x28 + 4 * 7) & 0xffff, s.r32(TSS_B + 0x28 + 4 * 5)])
      .toEqual([NT, SEL_B, 0xb0b]);
    expect(s.r32(TSS_B + 0x20)).toBe(CODE_B + 0x14); // after the 1-byte IRET at offset 0x13
    // Each switch is offered to the host (a hypervisor's VM exit) with the instruction that caused it: the
    // LCALL after the 5-byte MOV, the IRET at offset 0x13 of task B.
    expect(s.taskSwitches).toEqual([
      { selector: SEL_B, source: 'call', rip: BigInt(CODE + 5) },
      { selector: TSS_SEL, source: 'iret', rip: BigInt(CODE_B + 0x13) },
    ]);
  });

  it('JMP to a TSS whose EFLAGS has VM=1 enters virtual-8086 mode; a #UD there switches back through a task gate', () => {
    // kvm-unit-tests taskswitch2 test_vm86_switch, with a JMP instead of its IRET: the new task's selectors are
    // paragraphs (base = selector * 16, limit FFFFH), CPL 3 (SDM Vol. 3 8.3, 20.2.5).
    const s = setup();
    const V86_CS = CODE_B >> 4;
    task(s, TSS_B, 0, 0x800, 0xb0b);
    s.w32(TSS_B + 0x24, 0x20002); // EFLAGS: VM
    [0x2345, V86_CS, 0, 0x1234, 0, 0].forEach((sel, k) => s.w32(TSS_B + 0x48 + 4 * k, sel));
    s.load('.code16\n  ud2', CODE_B);
    s.dv.setBigUint64(IDT + 6 * 8, BigInt((TSS_SEL << 16) >>> 0) | (BigInt(0x8500) << 32n), true); // #UD: task gate
    s.load(`.code32\n  ljmp $${SEL_B}, $0\n  mov $0x43, %cl\n  hlt`);
    s.intercept = true;
    // Stop at the #UD, still in virtual-8086 mode.
    expect(s.cpu.run(10).kind).toBe('intercept');
    expect(s.exc.map((e) => [e.vector, e.rip])).toEqual([[6, 0n]]);
    expect(s.cpu.mode).toBe('virtual8086');
    expect(s.cpu.getCpl()).toBe(3);
    const st = s.cpu.getState();
    expect(st.seg.map((g) => [g.selector, Number(g.base), g.limit, g.attrs])).toEqual([
      [0x2345, 0x23450, 0xffff, 0xf3], [V86_CS, CODE_B, 0xffff, 0xf3], [0, 0, 0xffff, 0xf3],
      [0x1234, 0x12340, 0xffff, 0xf3], [0, 0, 0xffff, 0xf3], [0, 0, 0xffff, 0xf3],
    ]);
    // Deliver it: the task gate switches back to the first task (saving the virtual-8086 one with VM=1).
    s.intercept = false;
    expect(s.cpu.run(10).kind).toBe('hlt');
    expect(s.cpu.mode).toBe('protected32');
    expect(Number(s.cpu.getGpr(1)) & 0xff).toBe(0x43);
    expect(s.r32(TSS_B + 0x24) & 0x20000).toBe(0x20000);
    expect([s.r32(TSS_B + 0x48 + 4), s.r32(TSS_B + 0x48 + 12)].map((v) => v & 0xffff)).toEqual([V86_CS, 0x1234]);
  });

  it('a #GP delivered through a task gate runs the handler task with the error code on its stack', () => {
    const s = setup();
    s.dv.setBigUint64(IDT + 13 * 8, BigInt((SEL_C << 16) >>> 0) | (BigInt(0x8500) << 32n), true); // task gate, P, DPL 0
    s.load(`
.code32
  pop %esi                           # the error code
  mov %ebx, %edi
  hlt`, CODE_C);
    s.load(`
.code32
  mov $0x1230, %ax
  mov %ax, %ds
  hlt`);
    s.cpu.setDr(7, 0x401n); // L0 set: cleared by the task switch
    s.cpu.setDr(0, 0x7777777n);
    expect(s.cpu.run(100).kind).toBe('hlt');
    expect(s.exc.map((e) => [e.vector, e.errorCode])).toEqual([[13, 0x1230]]);
    expect([Number(s.cpu.getGpr(6)), Number(s.cpu.getGpr(7))]).toEqual([0x1230, 0xc0c]);
    expect(s.r32(TSS_C) & 0xffff).toBe(TSS_SEL);
    // The faulting MOV is where the old task resumes.
    expect(s.r32(TSS + 0x20)).toBe(CODE + 4);
    expect(Number(s.cpu.getDr(7)) & 0x1).toBe(0);
    expect(s.cpu.getState().tr.selector).toBe(SEL_C);
    // An event through a task gate is offered with the RIP it returns to (the faulting MOV).
    expect(s.taskSwitches).toEqual([{ selector: SEL_C, source: 'event', rip: BigInt(CODE + 4) }]);
  });

  it('JMP to a busy TSS (the running task) is #GP(selector)', () => {
    const s = setup();
    s.load(`.code32\n  ljmp $${TSS_SEL}, $0\n  hlt`);
    s.intercept = true;
    expect(s.cpu.run(10).kind).toBe('intercept');
    expect(s.exc.map((e) => [e.vector, e.errorCode])).toEqual([[13, TSS_SEL]]);
    // A descriptor check that fails comes before any VM exit (SDM Vol. 3C 26.4.2): nothing offered to the host.
    expect(s.taskSwitches).toEqual([]);
  });

  it('a bad selector in the new task\'s TSS is #TS(selector) taken in the new task (EIP of the new task)', () => {
    const s = setup();
    s.w32(TSS_B + 0x48 + 4 * 3, 0x48 | 0); // DS = 0x48: beyond the GDT limit
    s.load(`.code32\n  ljmp $${SEL_B}, $0\n  hlt`);
    s.intercept = true;
    expect(s.cpu.run(10).kind).toBe('intercept');
    expect(s.exc.map((e) => [e.vector, e.errorCode, e.rip])).toEqual([[10, 0x48, BigInt(CODE_B)]]);
    expect(s.cpu.getState().tr.selector).toBe(SEL_B);
  });

  // SDM Vol. 3 18.3.1.5: with the T flag (bit 0 at offset 100) of the new task's TSS set, a trap-like #DB
  // with DR6.BT is raised after the switch, before the new task's first instruction.
  it('a JMP to a TSS with the T flag set raises #DB with DR6.BT at the new task\'s first instruction', () => {
    const s = setup();
    s.w32(TSS_B + 0x64, 1);
    s.load(`.code32\n  mov $1, %eax\n  hlt`, CODE_B);
    s.load(`.code32\n  ljmp $${SEL_B}, $0\n  hlt`);
    s.intercept = true;
    expect(s.cpu.run(10).kind).toBe('intercept');
    expect(s.exc.map((e) => [e.vector, e.cls, e.rip, e.dbPayload])).toEqual([[1, 'trap', BigInt(CODE_B), 0x8000]]);
    expect(s.cpu.getState().tr.selector).toBe(SEL_B);
    expect(Number(s.cpu.getGpr(0))).not.toBe(1); // the new task has not executed yet
    // Delivered (not intercepted), the #DB writes DR6.BT; the other cause bits stay clear.
    const b = setup();
    b.w32(TSS_B + 0x64, 1);
    b.load(`.code32\n  mov $1, %eax\n  hlt`, CODE_B);
    b.load(`.code32\n  ljmp $${SEL_B}, $0\n  hlt`);
    b.intercept = false;
    b.cpu.run(1);
    expect(b.exc[0]?.vector).toBe(1); // (the fixture has no #DB gate: its delivery then faults on)
    expect(Number(b.cpu.getDr(6)) & 0xe00f).toBe(0x8000);
  });

  it('without the T flag no #DB; with it, a #GP through a task gate is followed by the BT #DB in the handler task', () => {
    const plain = setup();
    plain.load(`.code32\n  mov $1, %eax\n  hlt`, CODE_B);
    plain.load(`.code32\n  ljmp $${SEL_B}, $0\n  hlt`);
    expect(plain.cpu.run(10).kind).toBe('hlt');
    expect(plain.exc).toEqual([]);

    const s = setup();
    s.w32(TSS_C + 0x64, 1);
    s.dv.setBigUint64(IDT + 13 * 8, BigInt((SEL_C << 16) >>> 0) | (BigInt(0x8500) << 32n), true);
    s.load(`.code32\n  pop %esi\n  hlt`, CODE_C);
    s.load(`.code32\n  mov $0x1230, %ax\n  mov %ax, %ds\n  hlt`);
    const dr6Before = Number(s.cpu.getDr(6));
    // Let the #GP be delivered (through the task gate), then stop at the next event: the BT #DB, taken
    // before task C's POP runs.
    s.onException = (ev) => { s.exc.push(ev); return ev.vector === 1; };
    expect(s.cpu.run(10).kind).toBe('intercept');
    expect(s.exc.map((e) => [e.vector, e.cls, e.rip, e.dbPayload])).toEqual([[13, 'fault', BigInt(CODE + 4), 0], [1, 'trap', BigInt(CODE_C), 0x8000]]);
    expect(Number(s.cpu.getGpr(6))).not.toBe(0x1230); // the POP of the error code has not run
    expect(dr6Before & 0x8000).toBe(0);
  });
});
