// Maskable interrupts, the virtual clock and HLT (api.ts InterruptController, setTimer, clock, halted) with a
// fake controller as the unit boundary: delivery at instruction boundaries with IF=1, the STI and MOV SS
// shadows (SDM Vol. 3 6.8.3), HLT wake-up (pushed EIP = the instruction after HLT), the clock jumping to
// the timer deadline while halted, and the timer firing at an exact instruction boundary.
import { describe, expect, it } from 'vitest';
import { CODE, KCS, STACK, gate32, makeSys, type Sys } from '../support/sys.js';

const VEC = 0x40;
const HANDLER = 0x30000;
const COUNT = 0x50000; // handler's counter

/** A machine running `code` at CODE with the vector VEC gate installed; its handler counts at COUNT,
 *  remembers the interrupted EIP in EDI and returns. */
function withHandler(code: string, gateType: 0xe | 0xf = 0xe): Sys {
  const s = makeSys();
  s.intercept = false;
  s.setIdt32(VEC, gate32(KCS, HANDLER, gateType));
  s.load(`
.code32
  incl ${COUNT}
  mov (%esp), %edi
  iret`, HANDLER);
  s.load(code);
  return s;
}

/** The controller raises VEC and tells the CPU (api.ts InterruptController / notifyInterrupt). */
function raise(s: Sys): void {
  s.pic.pending.push(VEC);
  s.cpu.notifyInterrupt();
}

describe('maskable interrupts', () => {
  it('is delivered at the next boundary with IF=1, then acknowledged; not while IF=0', () => {
    const s = withHandler(`
.code32
  nop
  nop
  sti
  nop
  nop
  hlt`);
    raise(s);
    expect(s.cpu.run(2).kind).toBe('budget'); // IF=0: nothing delivered
    expect(s.r32(COUNT)).toBe(0);
    expect(s.pic.asked).toBe(0);
    expect(s.cpu.run(100).kind).toBe('hlt');
    expect(s.r32(COUNT)).toBe(1);
    expect(s.pic.acked).toEqual([VEC]);
    // STI's shadow covers the first NOP: the interrupted EIP is the second NOP (CODE+4).
    expect(Number(s.cpu.getGpr(7))).toBe(CODE + 4);
    expect(s.exc.map((e) => [e.vector, e.cls, e.errorCode])).toEqual([[VEC, 'interrupt', undefined]]);
  });

  it('STI; HLT with an interrupt pending: HLT executes in the shadow, wakes, pushed EIP is after HLT', () => {
    const s = withHandler(`
.code32
  sti
  hlt
  mov $1, %ebx
  hlt`);
    raise(s);
    const r = s.cpu.run(100);
    expect(r.kind).toBe('hlt');
    expect(s.r32(COUNT)).toBe(1);
    expect(Number(s.cpu.getGpr(7))).toBe(CODE + 2);
    expect(Number(s.cpu.getGpr(3))).toBe(1);
    expect(s.cpu.halted).toBe(true);
  });

  it('MOV SS holds the interrupt for one instruction', () => {
    const t = withHandler(`
.code32
  sti
  nop
  mov %ss, %ax
  mov %ax, %ss
  inc %ebx
  inc %ebx
  hlt`);
    expect(t.cpu.run(4).kind).toBe('budget'); // through MOV SS: its shadow covers the first INC
    raise(t);
    expect(t.cpu.run(100).kind).toBe('hlt');
    // Without the shadow it would be taken before the first INC (CODE+7: sti 1, nop 1, 66 8C D0, 8E D0);
    // the shadow lets that INC complete first.
    expect(Number(t.cpu.getGpr(7))).toBe(CODE + 8);
    expect(Number(t.cpu.getGpr(3))).toBe(2);
  });

  it('HLT with IF=0 stays halted; with IF=1 and nothing armed reports hlt until an interrupt arrives', () => {
    const s = withHandler('.code32\n  hlt\n  hlt');
    expect(s.cpu.run(100).kind).toBe('hlt');
    expect(s.cpu.halted).toBe(true);
    const retired = s.cpu.instructionsRetired;
    expect(s.cpu.run(100).kind).toBe('hlt'); // still waiting: nothing executes
    expect(s.cpu.instructionsRetired).toBe(retired);

    s.cpu.requestStop('ctrl-c');
    expect(s.cpu.run(100)).toEqual({ kind: 'stop-requested', why: 'ctrl-c' });
    expect(s.cpu.halted).toBe(true);
    s.cpu.setState(s.cpu.getState()); // a debugger's register write-back leaves the HLT wait alone
    expect(s.cpu.halted).toBe(true);
    s.cpu.setRip(BigInt(CODE)); // moving RIP ends it: the first HLT executes again
    expect(s.cpu.halted).toBe(false);
    expect(s.cpu.run(100).kind).toBe('hlt');
    expect(s.cpu.instructionsRetired).toBe(retired + 1);

    const t = withHandler('.code32\n  sti\n  hlt\n  mov $7, %ecx\n  hlt');
    expect(t.cpu.run(100).kind).toBe('hlt');
    expect(t.cpu.halted).toBe(true);
    raise(t);
    expect(t.cpu.run(100).kind).toBe('hlt');
    expect(t.r32(COUNT)).toBe(1);
    expect(Number(t.cpu.getGpr(7))).toBe(CODE + 2);
    expect(Number(t.cpu.getGpr(1))).toBe(7);
  });

  it('HLT with IF=1 and the timer armed: the clock jumps to the deadline, the timer raises the interrupt', () => {
    const s = withHandler(`
.code32
  sti
  hlt
  mov $0x77, %al
  out %al, $0xe9
  hlt`);
    const fired: number[] = [];
    s.cpu.setTimer(s.cpu.clock + 100000, () => { fired.push(s.cpu.clock); raise(s); });
    expect(s.cpu.run(1000).kind).toBe('hlt');
    expect(fired).toEqual([100000]);
    expect(s.r32(COUNT)).toBe(1);
    // Five instructions ran before the second HLT's wait, but the clock is past the deadline.
    expect(s.cpu.instructionsRetired).toBeLessThan(20);
    expect(s.checkpoints.map((c) => c.clock >= 100000)).toEqual([true]);
    expect(s.cpu.clock).toBeGreaterThanOrEqual(100000);
  });

  it('the timer fires at the exact instruction boundary where clock reaches its tick (no per-instruction compare needed)', () => {
    const s = withHandler(`
.code32
  sti
1:
  inc %esi
  jmp 1b`);
    const seen: { clock: number; esi: number }[] = [];
    s.cpu.setTimer(57, () => {
      seen.push({ clock: s.cpu.clock, esi: Number(s.cpu.getGpr(6)) });
      s.cpu.setTimer(s.cpu.clock + 40, () => { seen.push({ clock: s.cpu.clock, esi: Number(s.cpu.getGpr(6)) }); });
    });
    expect(s.cpu.run(500).kind).toBe('budget');
    expect(s.cpu.instructionsRetired).toBe(500);
    // sti, then (inc, jmp) pairs: after 57 instructions ESI = 28.
    expect(seen).toEqual([{ clock: 57, esi: 28 }, { clock: 97, esi: 48 }]);
  });

  it('a timer armed from inside an instruction (device write) is honoured in the same run', () => {
    const s = makeSys({
      mmio: [{ base: 0xfee00000, size: 4096, read: () => 0, write: (_o, _z, v) => { s.cpu.setTimer(s.cpu.clock + v, () => { s.w32(0x60000, s.cpu.clock); }); } }],
    });
    s.load(`
.code32
  movl $10, 0xfee00380
1:
  inc %esi
  jmp 1b`);
    expect(s.cpu.run(200).kind).toBe('budget');
    // Armed while the first instruction executes (clock 0): fires at the boundary where clock = 10.
    expect(s.r32(0x60000)).toBe(10);
    void STACK;
  });

  it('RDMSR/WRMSR of IA32_APIC_BASE and the x2APIC range go to the interrupt controller', () => {
    const s = makeSys();
    s.pic.msrs.set(0x1b, 0xfee00d00n);
    s.pic.msrs.set(0x802, 0x5000000n);
    s.load(`
.code32
  mov $0x1b, %ecx
  rdmsr
  mov %eax, %esi
  mov $0x802, %ecx
  rdmsr
  mov %eax, %edi
  mov $0x808, %ecx
  mov $0x20, %eax
  xor %edx, %edx
  wrmsr
  mov $0x900, %ecx
  rdmsr
  hlt`);
    expect(s.cpu.run(100).kind).toBe('intercept'); // 0x900 is no MSR: #GP(0)
    expect(s.exc.map((e) => [e.vector, e.errorCode])).toEqual([[13, 0]]);
    expect(Number(s.cpu.getGpr(6))).toBe(0xfee00d00);
    expect(Number(s.cpu.getGpr(7))).toBe(0x5000000);
    expect(s.pic.msrs.get(0x808)).toBe(0x20n);
  });

  it('CPUID.01H:ECX[21] (x2APIC) follows the controller\'s x2apic flag', () => {
    const s = makeSys();
    const X2APIC = 1 << 21;
    expect(s.cpu.cpuid(1, 0)[2] & X2APIC).toBe(0);
    s.pic.x2apic = true;
    expect(s.cpu.cpuid(1, 0)[2] & X2APIC).toBe(X2APIC);
  });

  it('blockInterrupts holds a pending interrupt (a debugger stepping) until it is cleared', () => {
    const s = withHandler(`
.code32
  sti
  nop
  nop
  hlt
  hlt`);
    s.cpu.blockInterrupts = true;
    raise(s);
    s.cpu.setTimer(5000, () => { /* would be skipped to while halted if not blocked */ });
    expect(s.cpu.run(100).kind).toBe('hlt');
    expect(s.r32(COUNT)).toBe(0);
    expect(s.cpu.clock).toBe(4); // sti, nop, nop, hlt: the clock did not jump to the timer
    s.cpu.blockInterrupts = false;
    expect(s.cpu.run(100).kind).toBe('hlt');
    expect(s.r32(COUNT)).toBe(1);
    expect(Number(s.cpu.getGpr(7))).toBe(CODE + 4); // woken from the first HLT
  });

  it('a timer that keeps re-arming for the current tick is disarmed with a log line instead of hanging', () => {
    const s = makeSys();
    s.load('.code32\n1:\n  inc %esi\n  jmp 1b');
    let fired = 0;
    const rearm = (): void => { fired++; s.cpu.setTimer(s.cpu.clock, rearm); };
    s.cpu.setTimer(3, rearm);
    expect(s.cpu.run(50).kind).toBe('budget');
    expect(fired).toBe(10000);
    expect(s.logs.filter((l) => l.event === 'timer-storm').length).toBe(1);
  });
});
