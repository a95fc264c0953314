import { describe, it, expect } from 'vitest';
import { makeMachine, runToHlt, reg, haltedVector, CODE, DATA, RSP0, USTACK, UCS, UDS, KSTACK, IDT } from '../support/harness.js';

/** Kernel prologue that IRETQs to `user:` at CPL3 with IF=0. */
const toUser = (flags = '0x2') => `
  push $${UDS}
  push $${USTACK}
  push $${flags}
  push $${UCS}
  lea user(%rip), %rax
  push %rax
  iretq
`;

describe('exceptions and privilege', () => {
  it('IRETQ to CPL3, #GP from a privileged instruction switches to TSS.RSP0 with the full frame', () => {
    const m = makeMachine();
    m.load(`${toUser()}
    user:
      mov $7, %ebx
      mov %cr0, %rax
    `);
    const r = runToHlt(m);
    expect(r.kind).toBe('hlt');
    expect(haltedVector(m)).toBe(13);
    expect(m.cpu.getCpl()).toBe(0);
    const rsp = Number(reg(m, 4));
    expect(rsp).toBe(RSP0 - 48);
    const faultRip = m.r64(rsp + 8);
    expect(m.r64(rsp)).toBe(0n); // error code
    expect(m.mem.u8[Number(faultRip)]).toBe(0x0f); // RIP of the MOV CR
    expect(m.r64(rsp + 16)).toBe(BigInt(UCS));
    expect(Number(m.r64(rsp + 24)) & 0x10000).toBe(0x10000); // fault pushes RF=1
    expect(m.r64(rsp + 32)).toBe(BigInt(USTACK));
    expect(m.r64(rsp + 40)).toBe(BigInt(UDS));
    expect(reg(m, 3)).toBe(7n);
  });
  it('INT 0x80 from CPL3 through a DPL3 gate, INT 0x81 (DPL0) -> #GP(vector*8+2)', () => {
    const m = makeMachine();
    m.load(`${toUser()}
    user:
      int $0x80
    `);
    runToHlt(m);
    expect(haltedVector(m)).toBe(0x80);
    const m2 = makeMachine();
    m2.load(`${toUser()}
    user:
      int $0x81
    `);
    runToHlt(m2);
    expect(haltedVector(m2)).toBe(13);
    expect(m2.r64(Number(reg(m2, 4)))).toBe(BigInt(0x81 * 8 + 2));
  });
  it('#PF pushes the error code and sets CR2; user write to a supervisor page', () => {
    const m = makeMachine();
    // Make page DATA supervisor-only (PT entry for DATA's 4K page has U cleared)
    const pte = 0x4000 + (DATA >> 12) * 8;
    m.w64(pte, BigInt(DATA) | 3n);
    m.load(`${toUser()}
    user:
      movq $1, ${DATA + 8}
    `);
    runToHlt(m);
    expect(haltedVector(m)).toBe(14);
    const rsp = Number(reg(m, 4));
    expect(m.r64(rsp)).toBe(7n); // P | W | U
    expect(m.cpu.getState().cr2).toBe(BigInt(DATA + 8));
  });
  it('not-present page, NX fetch, and 1 GiB pages', () => {
    const m = makeMachine();
    m.w64(0x4000 + (DATA >> 12) * 8, 0n);
    m.load(`mov ${DATA}, %rax`);
    runToHlt(m);
    expect(haltedVector(m)).toBe(14);
    expect(m.r64(Number(reg(m, 4)))).toBe(0n);
    // NX
    const m2 = makeMachine();
    m2.w64(0x4000 + (DATA >> 12) * 8, BigInt(DATA) | 3n | (1n << 63n));
    m2.load(`mov $${DATA}, %rax\n jmp *%rax`);
    runToHlt(m2);
    expect(haltedVector(m2)).toBe(14);
    expect(m2.r64(Number(reg(m2, 4)))).toBe(0x11n); // P | I/D
    // 1 GiB page mapping linear 1GiB -> physical 0
    const m3 = makeMachine();
    m3.w64(0x2000 + 8, 0x87n);
    m3.mem.u8[DATA] = 0x5a;
    m3.load(`movzbl ${0x40000000 + DATA}, %eax\n hlt`);
    runToHlt(m3);
    expect(reg(m3, 0)).toBe(0x5an);
  });
  it('TLB: a PTE change is invisible until INVLPG / CR3 reload', () => {
    const m = makeMachine();
    const pte = 0x4000 + (DATA >> 12) * 8;
    m.mem.u8[DATA] = 1; m.mem.u8[DATA + 0x1000] = 2;
    m.load(`
      movzbl ${DATA}, %eax
      movq $${DATA + 0x1000 + 7}, ${pte}
      movzbl ${DATA}, %ebx
      invlpg ${DATA}
      movzbl ${DATA}, %ecx
      hlt
    `);
    runToHlt(m);
    expect([reg(m, 0), reg(m, 3), reg(m, 1)]).toEqual([1n, 1n, 2n]);
  });
  it('triple fault when the IDT cannot deliver anything', () => {
    const m = makeMachine();
    m.load(`
      lidt idtr(%rip)
      ud2
    idtr: .word 0
      .quad 0
    `);
    const r = m.cpu.run(100);
    expect(r.kind).toBe('triple-fault');
    expect(m.cpu.run(100).kind).toBe('triple-fault');
    expect(m.logs.some((l) => l.event === 'triple-fault')).toBe(true);
    m.cpu.reset();
    expect(m.cpu.getRip()).toBe(0xfff0n);
  });
  it('#DF when #GP delivery faults (not-present #GP gate) -> vector 8 with error code 0', () => {
    const m = makeMachine();
    // clear P of gate 13
    const g = IDT + 13 * 16;
    m.w64(g, m.r64(g) & ~(1n << 47n));
    m.load(`mov %cr0, %rax\n` + 'hlt'); // at CPL0: fine, so force #GP another way
    m.load(`mov $1, %rax\n shl $63, %rax\n mov (%rax), %rbx`);
    runToHlt(m);
    expect(haltedVector(m)).toBe(8);
    expect(m.r64(Number(reg(m, 4)))).toBe(0n);
  });
  it('#DE on divide by zero and quotient overflow; SYSCALL/SYSRET round trip', () => {
    const m = makeMachine();
    m.load(`xor %ecx, %ecx\n mov $5, %eax\n div %ecx`);
    runToHlt(m);
    expect(haltedVector(m)).toBe(0);
    const m2 = makeMachine();
    m2.cpu.setMsr(0xc0000082, BigInt(CODE + 0x800));
    m2.cpu.setMsr(0xc0000084, 0x200n);
    m2.load(`${toUser('0x202')}
    user:
      mov $42, %edi
      syscall
      mov %eax, %esi
      int3
    `);
    m2.load(`mov %rdi, %rax\n add $1, %rax\n sysretq`, CODE + 0x800);
    runToHlt(m2);
    expect(haltedVector(m2)).toBe(3);
    expect(reg(m2, 6)).toBe(43n);
    // the int3 trap was taken from CPL3: pushed CS is the user CS
    expect(m2.r64(Number(reg(m2, 4)) + 8)).toBe(BigInt(UCS));
  });
  it('CLI/HLT/IN at CPL3 with IOPL=0 -> #GP; OUT allowed by the TSS I/O bitmap', () => {
    for (const insn of ['cli', 'hlt', 'in $0x60, %al']) {
      const m = makeMachine();
      m.load(`${toUser()}\nuser: ${insn}`);
      runToHlt(m);
      expect(haltedVector(m), insn).toBe(13);
    }
    const m = makeMachine();
    m.mem.u8[0x5800 + 0x68 + (0xe9 >> 3)] &= ~(1 << (0xe9 & 7));
    m.load(`${toUser()}\nuser: mov $0x41, %al\n out %al, $0xe9\n int3`);
    runToHlt(m);
    expect(haltedVector(m)).toBe(3);
    expect(m.ioLog[0]).toEqual({ dir: 'out', port: 0xe9, size: 1, value: 0x41 });
  });
  it('RDMSR of an unknown MSR -> #GP; DEBUGCTL bit 2 needs busLockDetect', () => {
    const m = makeMachine();
    m.load(`mov $0x12345, %ecx\n rdmsr`);
    runToHlt(m);
    expect(haltedVector(m)).toBe(13);
    const m2 = makeMachine({ busLockDetect: false });
    m2.load(`mov $0x1d9, %ecx\n mov $4, %eax\n xor %edx, %edx\n wrmsr`);
    runToHlt(m2);
    expect(haltedVector(m2)).toBe(13);
    const m3 = makeMachine({ busLockDetect: true });
    m3.load(`mov $0x1d9, %ecx\n mov $4, %eax\n xor %edx, %edx\n wrmsr\n rdmsr\n hlt`);
    runToHlt(m3);
    expect(reg(m3, 0)).toBe(4n);
    expect(m3.cpu.getMsr(0x1d9)).toBe(4n);
  });
  it('CPUID vendor strings and feature bits', () => {
    for (const vendor of ['intel', 'amd'] as const) {
      const m = makeMachine({ vendor, busLockDetect: true, rtm: true });
      const [, b, c, d] = m.cpu.cpuid(0, 0);
      const s = [b, d, c].map((x) => String.fromCharCode(x & 0xff, (x >>> 8) & 0xff, (x >>> 16) & 0xff, x >>> 24)).join('');
      expect(s).toBe(vendor === 'intel' ? 'GenuineIntel' : 'AuthenticAMD');
      expect(m.cpu.cpuid(7, 0)[2] & (1 << 24)).not.toBe(0);
      expect(m.cpu.cpuid(7, 0)[1] & (1 << 11)).not.toBe(0);
      expect(m.cpu.cpuid(0x80000001, 0)[3] & (1 << 29)).not.toBe(0);
    }
  });
  it('self-modifying code: a store into decoded code is seen on the next execution', () => {
    const m = makeMachine();
    m.load(`
      xor %ebx, %ebx
      mov $2, %ecx
    again:
    patch: mov $1, %eax
      add %eax, %ebx
      movl $5, patch+1(%rip)
      dec %ecx
      jnz again
      hlt
    `);
    runToHlt(m);
    expect(reg(m, 3)).toBe(6n);
  });
  it('host writePhys invalidates decoded instructions', () => {
    const m = makeMachine();
    m.load(`mov $1, %eax\n hlt`);
    runToHlt(m);
    expect(reg(m, 0)).toBe(1n);
    m.mem.writePhys(CODE + 1, new Uint8Array([9]));
    m.cpu.setRip(BigInt(CODE));
    runToHlt(m);
    expect(reg(m, 0)).toBe(9n);
  });
  it('#UD for unsupported encodings, logged with the bytes', () => {
    const table: number[][] = [[0x06], [0x27], [0x60], [0xce], [0xd8, 0xc0], [0x0f, 0x38, 0x00, 0xc0], [0x0f, 0xff, 0xc0], [0xc4, 0xe2, 0x79, 0x18, 0xc0], [0x9a, 0, 0, 0, 0, 0, 0]];
    for (const bytes of table) {
      const m = makeMachine();
      m.mem.writePhys(CODE, new Uint8Array(bytes));
      runToHlt(m);
      expect(haltedVector(m), bytes.join(',')).toBe(6);
      const log = m.logs.find((l) => l.event === 'undefined-opcode');
      expect(log?.data.bytes, bytes.join(',')).toMatch(new RegExp('^' + bytes[0]!.toString(16).padStart(2, '0')));
      expect(m.r64(Number(reg(m, 4)))).toBe(BigInt(CODE)); // fault: RIP at the instruction
    }
    // LOCK on a non-RMW instruction and UD2: #UD
    for (const bytes of [[0xf0, 0x90], [0xf0, 0x01, 0xc0], [0x0f, 0x0b]]) {
      const m = makeMachine();
      m.mem.writePhys(CODE, new Uint8Array(bytes));
      runToHlt(m);
      expect(haltedVector(m)).toBe(6);
    }
  });
  it('MOV DR at CPL3 -> #GP; DR4/DR5 alias DR6/DR7 when CR4.DE=0 and #UD when CR4.DE=1', () => {
    const m = makeMachine();
    m.load(`${toUser()}\nuser: mov %dr7, %rax`);
    runToHlt(m);
    expect(haltedVector(m)).toBe(13);
    const m2 = makeMachine({ cr4: 0x620n });
    m2.load(`mov %dr4, %rax\n mov %dr5, %rbx\n mov $0x401, %ecx\n mov %rcx, %dr5\n mov %dr7, %rdx\n hlt`);
    runToHlt(m2);
    expect(reg(m2, 0)).toBe(0xffff0ff0n);
    expect(reg(m2, 3)).toBe(0x400n);
    expect(reg(m2, 2)).toBe(0x401n);
    const m3 = makeMachine({ cr4: 0x628n });
    m3.load(`mov %dr4, %rax`);
    runToHlt(m3);
    expect(haltedVector(m3)).toBe(6);
  });
  it('string instructions with REP, and KSTACK untouched by a clean run', () => {
    const m = makeMachine();
    m.load(`
      mov $${DATA}, %rdi
      mov $0x11, %al
      mov $100, %ecx
      rep stosb
      mov $${DATA}, %rsi
      mov $${DATA + 0x200}, %rdi
      mov $25, %ecx
      rep movsl
      mov $${DATA + 0x200}, %rdi
      mov $0x11, %al
      mov $200, %ecx
      repe scasb
      hlt
    `);
    runToHlt(m);
    expect(m.mem.u8[DATA + 0x200 + 99]).toBe(0x11);
    expect(reg(m, 1)).toBe(99n); // stopped after the first mismatch at index 100
    expect(reg(m, 4)).toBe(BigInt(KSTACK));
  });
  it('a JS error inside the CPU (here: a throwing hook) never escapes run(): logged, stop-requested', () => {
    const m = makeMachine();
    m.host.onInstruction = () => { throw new Error('boom'); };
    m.load(`nop\n cpuid\n hlt`);
    const r = m.cpu.run(100);
    expect(r.kind).toBe('stop-requested');
    expect(m.logs.some((l) => l.event === 'cpu-internal-error' && l.level === 'error')).toBe(true);
    expect(m.cpu.getRip()).toBe(BigInt(CODE + 1));
  });
  it('injectEvent delivers an external interrupt through the IDT (IF cleared by the interrupt gate), IRETQ returns', () => {
    const m = makeMachine();
    m.load(`sti\n nop\n nop\n hlt`);
    m.mem.writePhys(0x8000 + 0x20 * 16, new Uint8Array([0x48, 0xcf])); // vector 0x20: iretq
    m.cpu.run(2);
    expect(m.cpu.injectEvent(0x20, 'interrupt')).toBe(true);
    expect(m.cpu.getRip()).toBe(BigInt(0x8000 + 0x20 * 16));
    expect(Number(m.cpu.getRflags()) & 0x200).toBe(0);
    expect(m.cpu.run(100).kind).toBe('hlt');
    expect(Number(m.cpu.getRflags()) & 0x200).toBe(0x200);
  });
  it('requestStop stops at the next instruction boundary', () => {
    const m = makeMachine();
    m.load(`1: jmp 1b`);
    m.cpu.requestStop('ctrl-c');
    expect(m.cpu.run(1000)).toEqual({ kind: 'stop-requested', why: 'ctrl-c' });
    expect(m.cpu.run(1000).kind).toBe('budget');
  });
});
