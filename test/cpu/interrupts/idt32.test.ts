// Event delivery through a 32-bit IDT (SDM Vol. 3 6.12): exact stack frames with and without a privilege
// change (TSS SS0:ESP0), EFLAGS bits cleared by interrupt/trap gates, error codes, IRETD back to the same
// and to an outer privilege level, far CALL/RETF, and a RETF that drops to CPL 3.
import { describe, expect, it } from 'vitest';
import { A_DATA32, CODE, IDT, KCS, KDS, KSTACK0, STACK, TSS, UCS, UDS, USTACK, descriptor, gate32, makeSys } from '../support/sys.js';

const IF = 0x200, TF = 0x100, NT = 0x4000;
const HANDLER = 0x30000;

describe('32-bit IDT delivery', () => {
  it('same privilege, interrupt gate: pushes EFLAGS, CS, EIP; clears IF and NT', () => {
    const s = makeSys();
    s.intercept = false;
    s.setIdt32(0x30, gate32(KCS, HANDLER, 0xe));
    s.load('.code32\n  hlt', HANDLER);
    s.load(`
.code32
  sti
  nop
  pushf
  orl $${NT}, (%esp)
  popf
  int $0x30
after:
  hlt`);
    expect(s.cpu.run(100).kind).toBe('hlt');
    const esp = Number(s.cpu.getGpr(4));
    expect(esp).toBe(STACK - 12);
    const eip = s.r32(esp), cs = s.r32(esp + 4), fl = s.r32(esp + 8);
    // int $0x30 is 2 bytes at CODE+11 (sti 1, nop 1, pushf 1, orl 7, popf 1).
    expect([eip, cs, fl & (IF | NT | 2)]).toEqual([CODE + 13, KCS, IF | NT | 2]);
    expect(Number(s.cpu.getRflags()) & (IF | NT)).toBe(0);
    expect(s.cpu.getRip()).toBe(BigInt(HANDLER + 1));
    expect(s.exc.map((e) => [e.vector, e.cls])).toEqual([[0x30, 'software-interrupt']]);
  });

  it('trap gate keeps IF; an exception with an error code pushes it below EIP', () => {
    const s = makeSys();
    s.intercept = false;
    s.setIdt32(13, gate32(KCS, HANDLER, 0xf));
    s.load('.code32\n  hlt', HANDLER);
    s.load(`
.code32
  sti
  mov $0x1230, %ax
  mov %ax, %ds          # selector 0x1230 is beyond the GDT limit: #GP(0x1230)
  hlt`);
    expect(s.cpu.run(100).kind).toBe('hlt');
    const esp = Number(s.cpu.getGpr(4));
    expect(esp).toBe(STACK - 16);
    expect([s.r32(esp), s.r32(esp + 4), s.r32(esp + 8), s.r32(esp + 12) & IF]).toEqual([0x1230, CODE + 5, KCS, IF]);
    expect(Number(s.cpu.getRflags()) & IF).toBe(IF);
  });

  it('CPL3 -> CPL0: stack switch from the TSS, frame SS, ESP, EFLAGS, CS, EIP; IRETD returns to CPL3', () => {
    const s = makeSys({ cpl3: true });
    s.intercept = false;
    s.setIdt32(0x80, gate32(KCS, HANDLER, 0xe, 3));
    // Handler: record ESP and CS, then return.
    s.load(`
.code32
  mov %esp, %esi
  mov %cs, %edi
  mov $0x55, %al
  out %al, $0xe9
  iret`, HANDLER);
    s.load(`
.code32
  mov $0x11, %al
  out %al, $0xe9
  int $0x80
back:
  mov %cs, %ebx
  mov %ss, %ecx
  mov $0x22, %al
  out %al, $0xe9
  jmp .`);
    const r = s.cpu.run(30);
    expect(r.kind).toBe('budget');
    expect(s.exc.map((e) => [e.vector, e.cls])).toEqual([[0x80, 'software-interrupt']]);
    const frame = KSTACK0 - 20;
    expect(Number(s.cpu.getGpr(6))).toBe(frame); // ESI = handler ESP
    expect([s.r32(frame), s.r32(frame + 4), s.r32(frame + 8) & ~0x8d5, s.r32(frame + 12), s.r32(frame + 16)])
      .toEqual([CODE + 6, UCS, 2, USTACK, UDS]);
    expect(Number(s.cpu.getGpr(7)) & 0xffff).toBe(KCS);
    expect(s.checkpoints.map((c) => [c.value & 0xff, c.cpl, c.mode])).toEqual([[0x11, 3, 'protected32'], [0x55, 0, 'protected32'], [0x22, 3, 'protected32']]);
    // Back at CPL3 with the user stack and selectors.
    expect([Number(s.cpu.getGpr(3)) & 0xffff, Number(s.cpu.getGpr(1)) & 0xffff, Number(s.cpu.getGpr(4))]).toEqual([UCS, UDS, USTACK]);
  });

  it('a gate with DPL < CPL refuses INT n from CPL3 with #GP(vector*8+2)', () => {
    const s = makeSys({ cpl3: true });
    s.setIdt32(0x80, gate32(KCS, HANDLER, 0xe, 0));
    s.setIdt32(13, gate32(KCS, HANDLER, 0xe, 0));
    s.load('.code32\n  int $0x80\n  hlt');
    expect(s.cpu.run(10).kind).toBe('intercept'); // onException intercepts: look at the first event only
    expect(s.exc.map((e) => [e.vector, e.errorCode])).toEqual([[0x80, undefined]]);
    s.intercept = false;
    const t = makeSys({ cpl3: true });
    t.intercept = false;
    t.setIdt32(0x80, gate32(KCS, HANDLER, 0xe, 0));
    t.setIdt32(13, gate32(KCS, HANDLER, 0xe, 0));
    t.load('.code32\n  hlt', HANDLER);
    t.load('.code32\n  int $0x80\n  hlt');
    expect(t.cpu.run(10).kind).toBe('hlt');
    const esp = Number(t.cpu.getGpr(4));
    expect(esp).toBe(KSTACK0 - 24);
    expect(t.r32(esp)).toBe(0x80 * 8 + 2); // error code: IDT bit set, EXT=0 (software interrupt)
    expect(t.r32(esp + 4)).toBe(CODE); // a fault: EIP of the INT instruction
  });

  it('far CALL/RETF at the same privilege and a RETF that drops to CPL 3', () => {
    const s = makeSys();
    s.intercept = false;
    s.load(`
.code32
  lcall $${KCS}, $sub
  mov %esp, %ebp
  push $${UDS}
  push $${USTACK}
  push $${UCS}
  push $user
  lret
sub:
  mov (%esp), %esi
  mov 4(%esp), %edi
  lret
user:
  mov $0x33, %al
  out %al, $0xe9
  jmp .`);
    expect(s.cpu.run(30).kind).toBe('budget');
    expect(s.exc).toEqual([]);
    expect(Number(s.cpu.getGpr(6))).toBe(CODE + 7); // return EIP pushed by the 7-byte lcall
    expect(Number(s.cpu.getGpr(7))).toBe(KCS);
    expect(Number(s.cpu.getGpr(5))).toBe(STACK);
    expect(s.checkpoints.map((c) => [c.value & 0xff, c.cpl])).toEqual([[0x33, 3]]);
    const st = s.cpu.getState();
    expect([st.seg[1]!.selector, st.seg[2]!.selector, Number(st.gpr[4])]).toEqual([UCS, UDS, USTACK]);
    // DS (DPL 0) is not accessible at CPL 3: RETF to the outer level nulled it.
    expect(st.seg[3]!.selector).toBe(0);
  });

  it('#GP while delivering #GP (IDT entry 13 empty) escalates to #DF through the 32-bit IDT', () => {
    const s = makeSys();
    s.intercept = false;
    s.setIdt32(8, gate32(KCS, HANDLER + 0x10, 0xe));
    s.load('.code32\n  hlt', HANDLER + 0x10);
    s.load('.code32\n  mov $0x1230, %ax\n  mov %ax, %ds\n  hlt');
    expect(s.cpu.run(10).kind).toBe('hlt');
    expect(s.exc.map((e) => [e.vector, e.errorCode])).toEqual([[13, 0x1230], [8, 0]]);
    expect(s.cpu.getRip()).toBe(BigInt(HANDLER + 0x11));
    const esp = Number(s.cpu.getGpr(4));
    expect([s.r32(esp), s.r32(esp + 4), s.r32(esp + 8)]).toEqual([0, CODE + 4, KCS]);
    void TF; void KDS; void IDT;
  });

  it('far JMP/CALL through m16:32 (FF /5, FF /3) and RETF imm16 (CA) release the callee\'s arguments', () => {
    const s = makeSys();
    s.w32(0x60000, CODE + 0x40); s.dv.setUint16(0x60004, KCS, true); // jmp target
    s.w32(0x60008, CODE + 0x80); s.dv.setUint16(0x6000c, KCS, true); // call target
    s.load(`
.code32
  ljmp *0x60000
  hlt`);
    s.load(`
.code32
  push $0x11
  push $0x22
  lcall *0x60008
  mov %esp, %ebp
  hlt`, CODE + 0x40);
    s.load(`
.code32
  mov 8(%esp), %esi
  mov 12(%esp), %edi
  lret $8`, CODE + 0x80);
    expect(s.cpu.run(100).kind).toBe('hlt');
    expect(s.exc).toEqual([]);
    expect([Number(s.cpu.getGpr(6)), Number(s.cpu.getGpr(7))]).toEqual([0x22, 0x11]);
    expect(Number(s.cpu.getGpr(5))).toBe(STACK); // the two arguments were popped by RETF 8
    expect(s.cpu.getRip()).toBe(BigInt(CODE + 0x40 + 13)); // after the HLT: push 2 + 2, lcall * 6, mov 2, hlt 1
  });

  it('SYSEXIT to CPL3 and SYSENTER back use the flat selectors derived from IA32_SYSENTER_CS', () => {
    const s = makeSys();
    s.load(`
.code32
  mov $0x174, %ecx                   # IA32_SYSENTER_CS
  mov $${KCS}, %eax
  xor %edx, %edx
  wrmsr
  mov $0x175, %ecx                   # IA32_SYSENTER_ESP
  mov $${KSTACK0}, %eax
  wrmsr
  mov $0x176, %ecx                   # IA32_SYSENTER_EIP
  mov $kentry, %eax
  wrmsr
  mov $user, %edx
  mov $${USTACK}, %ecx
  sti
  sysexit
user:
  mov %cs, %ebx
  mov %ss, %esi
  sysenter
kentry:
  mov %esp, %edi
  mov $0x44, %al
  out %al, $0xe9
  hlt`);
    expect(s.cpu.run(100).kind).toBe('hlt');
    expect(s.exc).toEqual([]);
    expect([Number(s.cpu.getGpr(3)) & 0xffff, Number(s.cpu.getGpr(6)) & 0xffff]).toEqual([UCS, UDS]);
    expect(Number(s.cpu.getGpr(7))).toBe(KSTACK0);
    expect(s.checkpoints.map((c) => [c.value & 0xff, c.cpl, c.mode])).toEqual([[0x44, 0, 'protected32']]);
    const st = s.cpu.getState();
    expect([st.seg[1]!.selector, st.seg[2]!.selector, Number(st.rflags) & IF]).toEqual([KCS, KDS, 0]);
  });

  it('CALL through a 32-bit call gate from CPL3: TSS stack, one parameter copied; RETF 4 returns to CPL3', () => {
    const s = makeSys({ cpl3: true });
    const GATE = 0x38 | 3, KERNEL = 0x30000;
    // Call gate: selector KCS, offset KERNEL, DPL 3, type 0xC, one dword parameter.
    s.w32(0x800 + 0x38, ((KCS << 16) | (KERNEL & 0xffff)) >>> 0);
    s.w32(0x800 + 0x3c, ((KERNEL & 0xffff0000) | 0x8000 | (3 << 13) | (0xc << 8) | 1) >>> 0);
    s.load(`
.code32
  mov %esp, %edi
  mov 8(%esp), %esi                  # the copied parameter (above EIP, CS)
  mov %cs, %ebx
  mov $0x66, %al
  out %al, $0xe9
  lret $4`, KERNEL);
    s.load(`
.code32
  push $0xabcd
  lcall $${GATE}, $0
  mov %esp, %ebp
  mov %cs, %ecx
  jmp .`);
    s.cpu.run(30);
    expect(s.exc).toEqual([]);
    expect(s.checkpoints.map((c) => [c.value & 0xff, c.cpl])).toEqual([[0x66, 0]]);
    const f = KSTACK0 - 20;
    expect(Number(s.cpu.getGpr(7))).toBe(f);
    // New stack: SS, ESP, param, CS, EIP (lowest).
    expect([s.r32(f + 16), s.r32(f + 12), s.r32(f + 8), s.r32(f + 4), s.r32(f)]).toEqual([UDS, USTACK - 4, 0xabcd, UCS, CODE + 12]); // push imm32 5 + lcall 7
    expect(Number(s.cpu.getGpr(6))).toBe(0xabcd);
    expect(Number(s.cpu.getGpr(3)) & 0xffff).toBe(KCS);
    expect([Number(s.cpu.getGpr(5)), Number(s.cpu.getGpr(1)) & 0xffff]).toEqual([USTACK, UCS]); // parameter released
  });

  it('a 16-bit interrupt gate pushes FLAGS, CS, IP as 2-byte slots and jumps to its 16-bit offset', () => {
    const s = makeSys();
    s.intercept = false;
    // Type 6 (16-bit interrupt gate), offset 0x8000.
    s.dv.setBigUint64(IDT + 0x32 * 8, BigInt(((KCS << 16) | 0x8000) >>> 0) | (BigInt(0x8600) << 32n), true);
    s.load('.code32\n  hlt', 0x8000);
    s.load('.code32\n  sti\n  int $0x32\n  hlt');
    expect(s.cpu.run(10).kind).toBe('hlt');
    const esp = Number(s.cpu.getGpr(4));
    expect(esp).toBe(STACK - 6);
    expect([s.dv.getUint16(esp, true), s.dv.getUint16(esp + 2, true), s.dv.getUint16(esp + 4, true) & IF]).toEqual([(CODE + 3) & 0xffff, KCS, IF]);
    expect(s.cpu.getRip()).toBe(0x8001n);
    expect(Number(s.cpu.getRflags()) & IF).toBe(0);
  });

  it('a same-privilege frame beyond the SS limit is #SS(0); with no usable stack it ends in a triple fault', () => {
    const s = makeSys({ state: (st) => { st.seg[2] = { ...st.seg[2]!, limit: 0xffff }; } }); // ESP 0x80000 is above it
    s.intercept = false;
    s.setIdt32(0x30, gate32(KCS, HANDLER, 0xe));
    s.setIdt32(12, gate32(KCS, HANDLER, 0xe));
    s.setIdt32(8, gate32(KCS, HANDLER, 0xe));
    s.load('.code32\n  int $0x30\n  hlt');
    const r = s.cpu.run(10);
    expect(r.kind).toBe('triple-fault');
    expect(s.exc.map((e) => [e.vector, e.errorCode])).toEqual([[0x30, undefined], [12, 0], [8, 0]]);
  });

  it('the inner-privilege frame must fit in the TSS stack segment: #SS(new SS selector)', () => {
    const s = makeSys({ cpl3: true });
    s.intercept = false;
    // GDT entry 7 (0x38): ring-0 stack with a byte-granular limit just below the frame at KSTACK0 - 20.
    s.setGdt(7, descriptor(0, KSTACK0 - 21, A_DATA32 & ~0x800));
    s.w32(TSS + 8, 0x38);
    s.setIdt32(0x80, gate32(KCS, HANDLER, 0xe, 3));
    s.setIdt32(12, gate32(KCS, HANDLER, 0xe));
    s.setIdt32(8, gate32(KCS, HANDLER, 0xe));
    s.load('.code32\n  int $0x80\n  hlt');
    expect(s.cpu.run(10).kind).toBe('triple-fault');
    expect(s.exc.map((e) => [e.vector, e.errorCode])).toEqual([[0x80, undefined], [12, 0x38], [8, 0]]);
    expect(s.cpu.getCpl()).toBe(3); // nothing was committed
  });
});
