import { describe, it, expect } from 'vitest';
import { makeMachine, runToHlt, reg, haltedVector, CODE, DATA, IDT, STUB_BASE, UCS, UDS, USTACK, type Machine } from '../support/harness.js';
import type { DbEvent } from '../../../src/cpu/api.js';

/** Frame of the exception the CPU halted in (no error code for #DB/#BP). */
function frame(m: Machine) {
  const rsp = Number(reg(m, 4));
  return { rip: m.r64(rsp), cs: m.r64(rsp + 8), rflags: Number(m.r64(rsp + 16)) };
}
const dbEvents = (m: Machine): DbEvent[] => { const ev: DbEvent[] = []; m.cpu.addObserver({ onDebugEvent: (e) => void ev.push(e) }); return ev; };

describe('debug unit', () => {
  it('TF set by POPF traps after the NEXT instruction (BS), TF cleared on handler entry', () => {
    const m = makeMachine();
    const ev = dbEvents(m);
    m.load(`
      pushf
      orq $0x100, (%rsp)
      popf
      mov $1, %eax
      mov $2, %ebx
    `);
    runToHlt(m);
    expect(haltedVector(m)).toBe(1);
    const f = frame(m);
    expect(m.mem.u8[Number(f.rip)]).toBe(0xbb); // the trap came after `mov $1, %eax`: RIP at mov $2, %ebx
    expect(reg(m, 0)).toBe(1n);
    expect(reg(m, 3)).toBe(0n);
    expect(f.rflags & 0x100).toBe(0x100);
    expect(Number(m.cpu.getRflags()) & 0x100).toBe(0);
    expect(m.cpu.getDr(6)).toBe(0xffff4ff0n);
    expect(ev.length).toBe(1);
    expect(ev[0]!.causes).toEqual(['single-step']);
    expect(ev[0]!.dr6After).toBe(0xffff4ff0);
  });
  it('instruction breakpoint: fault-like, RF=0 pushed; IRETQ with RF=1 executes the instruction', () => {
    const m = makeMachine();
    // #DB handler: count, set RF in the frame, iretq
    m.load(`incl ${DATA}\n orq $0x10000, 16(%rsp)\n iretq`, CODE + 0x1000);
    const g = IDT + 16;
    const off = CODE + 0x1000;
    m.w64(g, BigInt(off & 0xffff) | (8n << 16n) | (0x8en << 40n) | (BigInt(off >>> 16) << 48n));
    m.load(`
      mov $0x401, %eax
      lea target(%rip), %rcx
      mov %rcx, %dr0
      mov %rax, %dr7
    target:
      mov $5, %edx
      hlt
    `);
    runToHlt(m);
    expect(reg(m, 2)).toBe(5n);
    expect(m.mem.u8[DATA]).toBe(1); // exactly one #DB
    expect(m.cpu.getDr(6) & 0xfn).toBe(1n);
    // and the pushed RF was 0: check via a halting handler
    const m2 = makeMachine();
    m2.load(`mov $0x401, %eax\n lea t(%rip), %rcx\n mov %rcx, %dr0\n mov %rax, %dr7\n t: nop`);
    runToHlt(m2);
    expect(haltedVector(m2)).toBe(1);
    const f = frame(m2);
    expect(f.rflags & 0x10000).toBe(0);
    expect(m2.mem.u8[Number(f.rip)]).toBe(0x90);
  });
  it('data write breakpoint: trap after the store, DR6.B0, LEN aligned', () => {
    const m = makeMachine();
    m.load(`
      mov $${DATA}, %rcx
      mov %rcx, %dr0
      mov $0xd0001, %eax
      mov %rax, %dr7
      movb $1, ${DATA + 2}
      mov $3, %esi
    `);
    runToHlt(m);
    expect(haltedVector(m)).toBe(1);
    expect(m.mem.u8[Number(frame(m).rip)]).toBe(0xbe);
    expect(m.cpu.getDr(6)).toBe(0xffff0ff1n);
    // a read does not match R/W=01
    const m2 = makeMachine();
    m2.load(`mov $${DATA}, %rcx\n mov %rcx, %dr0\n mov $0xd0001, %eax\n mov %rax, %dr7\n mov ${DATA}, %ebx\n hlt`);
    runToHlt(m2);
    expect(haltedVector(m2)).toBe(-1);
  });
  it('MOV SS holds data-breakpoint and single-step #DBs; delivered merged after the next instruction (seed 003: DR6 = BS|B0)', () => {
    const m = makeMachine();
    m.mem.u8[DATA] = 0x10; // KDS selector
    m.load(`
      mov $${DATA}, %rcx
      mov %rcx, %dr0
      mov $0x30001, %eax
      mov %rax, %dr7
      pushf
      orq $0x100, (%rsp)
      popf
      mov ${DATA}, %ss
      mov $7, %edi
      mov $8, %esi
    `);
    runToHlt(m);
    expect(haltedVector(m)).toBe(1);
    expect(reg(m, 7)).toBe(7n);
    expect(reg(m, 6)).toBe(0n);
    expect(m.cpu.getDr(6)).toBe(0xffff4ff1n);
    expect(m.mem.u8[Number(frame(m).rip)]).toBe(0xbe);
  });
  it('general detect: MOV DR with DR7.GD=1 is a fault-like #DB with BD, GD cleared', () => {
    const m = makeMachine();
    m.load(`mov $0x2400, %eax\n mov %rax, %dr7\n mov %dr0, %rbx`);
    runToHlt(m);
    expect(haltedVector(m)).toBe(1);
    expect(m.cpu.getDr(6)).toBe(0xffff2ff0n);
    expect(m.cpu.getDr(7) & 0x2000n).toBe(0n);
    const f = frame(m);
    expect(m.mem.u8[Number(f.rip)]).toBe(0x0f);
    expect(f.rflags & 0x10000).toBe(0); // seed 002: GD #DB pushes RF=0
  });
  it('bus lock: split LOCK at CPL3 with DEBUGCTL bit 2 -> trap #DB, DR6.BLD cleared; not at CPL0', () => {
    const mk = (user: boolean) => {
      const m = makeMachine({ busLockDetect: true });
      m.cpu.setMsr(0x1d9, 4n);
      const body = `mov $${DATA}, %rdi\n lock incl 62(%rdi)\n mov $1, %esi\n hlt`;
      m.load(user ? `push $${UDS}\n push $${USTACK}\n push $2\n push $${UCS}\n lea u(%rip), %rax\n push %rax\n iretq\n u: ${body}` : body);
      runToHlt(m);
      return m;
    };
    const mu = mk(true);
    expect(haltedVector(mu)).toBe(1);
    expect(mu.cpu.getDr(6)).toBe(0xffff07f0n);
    expect(frame(mu).cs).toBe(BigInt(UCS));
    const mk0 = mk(false);
    expect(haltedVector(mk0)).toBe(-1);
    expect(reg(mk0, 6)).toBe(1n);
  });
  it('ICEBP: trap-like #DB, DR6 cause bits untouched; INT3 via onException intercept leaves DR6 and RIP', () => {
    const m = makeMachine();
    const ev = dbEvents(m);
    m.load(`int1\n nop`);
    runToHlt(m);
    expect(haltedVector(m)).toBe(1);
    expect(frame(m).rip).toBe(BigInt(CODE + 1));
    expect(m.cpu.getDr(6)).toBe(0xffff0ff0n);
    expect(ev[0]!.causes).toEqual(['icebp']);
    const m2 = makeMachine();
    m2.host.onException = (e) => e.vector === 3;
    m2.load(`nop\n int3`);
    const r = m2.cpu.run(100);
    expect(r.kind).toBe('intercept');
    if (r.kind === 'intercept' && r.what === 'exception') {
      expect(r.event.vector).toBe(3);
      expect(r.event.rip).toBe(BigInt(CODE + 2));
    }
    expect(m2.cpu.getRip()).toBe(BigInt(CODE + 1));
  });
  it('#DB intercepted by onException: StopReason intercept, DR6 not written, payload in payload polarity', () => {
    const m = makeMachine();
    const ev = dbEvents(m);
    m.host.onException = (e) => e.vector === 1;
    m.load(`mov $${DATA}, %rcx\n mov %rcx, %dr1\n mov $0x00d00004, %eax\n mov %rax, %dr7\n movl $1, ${DATA}\n nop`);
    const r = m.cpu.run(100);
    expect(r.kind).toBe('intercept');
    if (r.kind === 'intercept' && r.what === 'exception') expect(r.event.dbPayload).toBe(2);
    expect(m.cpu.getDr(6)).toBe(0xffff0ff0n);
    expect(ev[0]!.intercepted).toBe(true);
    expect(ev[0]!.dr6After).toBeUndefined();
  });
  it('onInstruction intercept stops before CPUID; executeIntercepted / skipInstruction', () => {
    const m = makeMachine();
    m.host.onInstruction = (k) => k === 'cpuid';
    m.load(`xor %eax, %eax\n cpuid\n hlt`);
    const r = m.cpu.run(100);
    expect(r).toMatchObject({ kind: 'intercept', what: 'instruction', instruction: 'cpuid', length: 2 });
    expect(m.cpu.getRip()).toBe(BigInt(CODE + 2));
    expect(m.cpu.executeIntercepted().kind).toBe('budget');
    expect(reg(m, 3)).not.toBe(0n);
    m.cpu.setRip(BigInt(CODE + 2));
    m.cpu.run(1);
    m.cpu.skipInstruction(2);
    expect(m.cpu.getRip()).toBe(BigInt(CODE + 4));
  });
  it('external breakpoints and watchpoints', () => {
    const m = makeMachine();
    m.load(`nop\n nop\n movl $1, ${DATA}\n nop\n hlt`);
    m.cpu.setExternalBreakpoints([BigInt(CODE + 1)]);
    let r = m.cpu.run(100);
    expect(r).toEqual({ kind: 'ext-breakpoint', rip: BigInt(CODE + 1) });
    r = m.cpu.run(100);
    expect(r.kind).toBe('ext-breakpoint');
    m.cpu.suppressExternalBreakpointOnce();
    m.cpu.setExternalWatchpoints([{ addr: BigInt(DATA), len: 4, kind: 'write' }]);
    r = m.cpu.run(100);
    expect(r).toMatchObject({ kind: 'ext-watchpoint', addr: BigInt(DATA), write: true });
    expect(m.mem.u8[DATA]).toBe(1);
  });
  it('single-step across INT n: #DB taken before the handler\'s first instruction', () => {
    const m = makeMachine();
    m.load(`pushf\n orq $0x100, (%rsp)\n popf\n int $0x80`);
    runToHlt(m);
    expect(haltedVector(m)).toBe(1);
    const f = frame(m);
    expect(f.rip).toBe(BigInt(STUB_BASE + 0x80 * 16)); // the INT 0x80 handler's first instruction
    expect(f.rflags & 0x100).toBe(0); // handler entry cleared TF
    expect(m.cpu.getDr(6)).toBe(0xffff4ff0n);
  });
  it('hostSingleStep: a #DB (BS) for each instruction without TF visible to the guest', () => {
    const m = makeMachine();
    m.host.onException = (e) => e.vector === 1;
    m.cpu.hostSingleStep = true;
    m.load(`nop\n nop\n hlt`);
    const r = m.cpu.run(100);
    expect(r.kind).toBe('intercept');
    if (r.kind === 'intercept' && r.what === 'exception') expect(r.event.dbPayload).toBe(0x4000);
    expect(m.cpu.getRip()).toBe(BigInt(CODE + 1));
    expect(Number(m.cpu.getRflags()) & 0x100).toBe(0);
  });
  it('DR6 writes: reserved bits fixed, bit 12 reads 0, BLD writable only with busLockDetect (AMD: only with DEBUGCTL bit 2)', () => {
    const w = (opts: Parameters<typeof makeMachine>[0], debugctl = 0n) => {
      const m = makeMachine(opts);
      if (debugctl) m.cpu.setMsr(0x1d9, debugctl);
      m.load(`xor %eax, %eax\n mov %rax, %dr6\n mov %dr6, %rbx\n hlt`);
      runToHlt(m);
      return reg(m, 3);
    };
    expect(w({ busLockDetect: false })).toBe(0xffff0ff0n);
    expect(w({ busLockDetect: true })).toBe(0xffff07f0n);
    expect(w({ busLockDetect: true, vendor: 'amd' })).toBe(0xffff0ff0n);
    expect(w({ busLockDetect: true, vendor: 'amd' }, 4n)).toBe(0xffff07f0n);
    expect(w({ busLockDetect: false, rtm: true })).toBe(0xfffe0ff0n);
  });
  it('MOV SS on a watched operand then ICEBP: one #DB, RIP after ICEBP, DR6 = B0 (held cause merged)', () => {
    const m = makeMachine();
    m.mem.u8[DATA] = 0x10;
    m.load(`mov $${DATA}, %rcx\n mov %rcx, %dr0\n mov $0x70001, %eax\n mov %rax, %dr7\n mov ${DATA}, %ss\n int1\n nop`);
    const ev = dbEvents(m);
    runToHlt(m);
    expect(haltedVector(m)).toBe(1);
    expect(m.cpu.getDr(6)).toBe(0xffff0ff1n);
    expect(m.mem.u8[Number(frame(m).rip)]).toBe(0x90);
    expect(ev.length).toBe(1);
  });
  it('MOV SS with TF then a GD-faulting MOV DR: BD only (the held BS is discarded with the faulting instruction)', () => {
    const m = makeMachine();
    m.mem.u8[DATA] = 0x10;
    m.load(`mov $0x2400, %eax\n mov %rax, %dr7\n pushf\n orq $0x100, (%rsp)\n popf\n mov ${DATA}, %ss\n mov %rax, %dr6`);
    runToHlt(m);
    expect(haltedVector(m)).toBe(1);
    expect(m.cpu.getDr(6)).toBe(0xffff2ff0n);
    expect(frame(m).rflags & 0x100).toBe(0x100);
    expect(m.cpu.pendingDebugExceptions).toBe(0);
  });
});
