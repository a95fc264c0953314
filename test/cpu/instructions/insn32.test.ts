// 32-bit protected-mode instruction semantics (flat segments, paging off): snippets assembled with
// `as --32` run to HLT; expected values follow the SDM Vol. 2 instruction pages.
import { describe, expect, it } from 'vitest';
import { AF, CF, DATA, EAX, EBP, EBX, ECX, EDI, EDX, ESI, ESP, OF, PF, SF, STACK, ZF, make32 } from '../support/machine32.js';

function run(src: string, setup?: (m: ReturnType<typeof make32>) => void) {
  const m = make32();
  m.load(src + '\nhlt\n');
  setup?.(m);
  const k = m.run();
  return { m, k };
}

describe('32-bit code segment: stack and near branches', () => {
  it('PUSH/POP r32 move ESP by 4 and store 32 bits; 40-4F are INC/DEC', () => {
    const { m, k } = run(`
      mov $0x11223344, %eax
      push %eax
      pop %ebx
      inc %ebx            # 0x43: INC EBX (a REX prefix in 64-bit mode)
      dec %ecx            # 0x49: DEC ECX
      pushl $-2
      popl %edx
      push %eax
    `);
    expect(k).toBe('hlt');
    expect(m.r(EBX)).toBe(0x11223345);
    expect(m.r(ECX)).toBe(0xffffffff);
    expect(m.r(EDX)).toBe(0xfffffffe);
    expect(m.r(ESP)).toBe(STACK - 4);
    expect(m.dv.getUint32(STACK - 4, true)).toBe(0x11223344);
  });
  it('CALL/RET near push and pop a 4-byte EIP; RET imm16 releases the arguments', () => {
    const { m, k } = run(`
      push $7
      call f
      jmp done
    f: mov 4(%esp), %eax
      mov (%esp), %edx
      ret $4
    done:
    `);
    expect(k).toBe('hlt');
    expect(m.r(EAX)).toBe(7);
    expect(m.r(ESP)).toBe(STACK);
    expect(m.r(EDX)).toBeGreaterThan(0x10000); // the return address pushed by CALL
    expect(m.r(EDX)).toBeLessThan(0x10020);
  });
  it('PUSHA/POPA: order, the original ESP image, ESP skipped on POPA', () => {
    const { m, k } = run(`
      mov $1, %eax; mov $2, %ecx; mov $3, %edx; mov $4, %ebx; mov $6, %ebp; mov $7, %esi; mov $8, %edi
      pusha
      mov (%esp), %eax     # EDI slot
      mov 12(%esp), %ebx   # ESP image
      movl $0x55, 28(%esp) # EAX slot
      movl $0x99, 12(%esp) # ESP slot: ignored by POPA
      popa
    `);
    expect(k).toBe('hlt');
    expect(m.r(EAX)).toBe(0x55);
    expect(m.r(EBX)).toBe(4);
    expect(m.r(ECX)).toBe(2);
    expect(m.r(EDI)).toBe(8);
    expect(m.r(ESP)).toBe(STACK);
    expect(m.dv.getUint32(STACK - 32 + 12, true)).toBe(0x99);
  });
  it('PUSHA stores EDI at ESP-32 and the ESP image is the value before the instruction', () => {
    const { m } = run('mov $0xabc, %edi\npusha\nmov 12(%esp), %eax');
    expect(m.r(EAX)).toBe(STACK);
    expect(m.dv.getUint32(STACK - 32, true)).toBe(0xabc);
  });
  it('ENTER $16, $2 / LEAVE with 32-bit frames', () => {
    const { m, k } = run(`
      mov $0x1000, %ebp
      movl $0xaaaa, 0xffc      # [EBP-4]: copied by the nested-level loop
      enter $16, $2
      mov %ebp, %esi
      mov %esp, %edi
      mov 0(%ebp), %eax        # saved EBP
      mov -4(%ebp), %ebx       # copied display entry
      mov -8(%ebp), %ecx       # frame pointer pushed last
      leave
    `);
    expect(k).toBe('hlt');
    expect(m.r(ESI)).toBe(STACK - 4);
    expect(m.r(EDI)).toBe(STACK - 4 - 8 - 16);
    expect(m.r(EAX)).toBe(0x1000);
    expect(m.r(EBX)).toBe(0xaaaa);
    expect(m.r(ECX)).toBe(STACK - 4);
    expect(m.r(EBP)).toBe(0x1000);
    expect(m.r(ESP)).toBe(STACK);
  });
  it('PUSH Sreg with a 32-bit operand size: Intel writes 16 bits, AMD the zero-extended selector', () => {
    for (const vendor of ['intel', 'amd'] as const) {
      const m = make32({ vendor });
      m.load('movl $0xdeadbeef, -4(%esp)\npush %ds\nhlt');
      expect(m.run()).toBe('hlt');
      expect(m.r(ESP)).toBe(STACK - 4);
      expect(m.dv.getUint32(STACK - 4, true)).toBe(vendor === 'intel' ? 0xdead0010 : 0x10);
    }
  });
  it('PUSH Sreg moves ESP by 4 and writes the 16-bit selector; PUSHF/POPF 32-bit', () => {
    const { m, k } = run(`
      movl $0xdeadbeef, -4(%esp)
      push %ds
      pop %ebx
      stc
      pushf
      pop %ecx
      push $0x8c5          # OF | SF | ZF | PF | CF
      popf
    `);
    expect(k).toBe('hlt');
    expect(m.r(EBX)).toBe(0xdead0010);
    expect(m.r(ECX) & (CF | ZF | 2)).toBe(CF | 2); // the pushed image: CF set, bit 1 reads as 1
    expect(m.flags() & (CF | PF | ZF | SF | OF)).toBe(CF | PF | ZF | SF | OF);
  });
  it('LOOP uses ECX, JECXZ tests ECX, addr16 LOOP (67 E2) uses CX', () => {
    const { m, k } = run(`
      mov $5, %ecx; xor %eax, %eax
    1: add $2, %eax
      loop 1b
      jecxz 2f
      mov $99, %eax
    2: mov $0x10003, %ecx
      xor %ebx, %ebx
    3: inc %ebx
      addr16 loop 3b
    `);
    expect(k).toBe('hlt');
    expect(m.r(EAX)).toBe(10);
    expect(m.r(EBX)).toBe(3);
    expect(m.r(ECX)).toBe(0x10000); // only CX counted down
  });
  it('a near JMP with operand-size prefix truncates EIP to 16 bits', () => {
    const m = make32();
    // At 0x10000: 66 E9 rel16 -> IP = (0x0004 + 0x1000) & 0xffff = 0x1004, EIP upper half cleared.
    m.mem.writePhys(0x10000, new Uint8Array([0x66, 0xe9, 0x00, 0x10]));
    m.mem.writePhys(0x1004, new Uint8Array([0xf4]));
    expect(m.run()).toBe('hlt');
    expect(Number(m.cpu.getRip())).toBe(0x1005);
  });
});

describe('32-bit code segment: data instructions', () => {
  it('string ops: REP MOVSB with 32-bit ESI/EDI/ECX; addr16 STOSW uses DI and CX', () => {
    const { m, k } = run(`
      mov $${DATA}, %esi
      lea 0x100(%esi), %edi
      mov $5, %ecx
      rep movsb
      mov %edi, %ebx
      mov $0x12340010, %edi    # DI = 0x0010 (upper half kept)
      mov $0xffff0002, %ecx    # CX = 2
      mov $0x7777, %eax
      addr16 rep stosw
    `, (mm) => { mm.mem.writePhys(DATA, new Uint8Array([1, 2, 3, 4, 5, 6])); });
    expect(k).toBe('hlt');
    expect(Array.from(m.mem.u8.subarray(DATA + 0x100, DATA + 0x106))).toEqual([1, 2, 3, 4, 5, 0]);
    expect(m.r(EBX)).toBe(DATA + 0x105);
    expect(m.r(EDI)).toBe(0x12340014);
    expect(m.r(ECX)).toBe(0xffff0000);
    expect(m.dv.getUint32(0x10, true)).toBe(0x77777777);
  });
  it('XLAT with EBX; MOV moffs32', () => {
    const { m } = run(`
      mov $${DATA}, %ebx
      mov $3, %al
      xlat
      mov %al, ${DATA + 0x20}
      mov ${DATA + 4}, %ecx
    `, (mm) => { mm.mem.writePhys(DATA, new Uint8Array([9, 8, 7, 6, 0x11, 0x22, 0x33, 0x44])); });
    expect(m.r(EAX) & 0xff).toBe(6);
    expect(m.mem.u8[DATA + 0x20]).toBe(6);
    expect(m.r(ECX)).toBe(0x44332211);
  });
  it('16-bit addressing in 32-bit code: LEA (%bx,%si) wraps at 64 KiB, (%bp) uses SS', () => {
    const { m } = run(`
      mov $0xfff0, %ebx
      mov $0x20, %esi
      addr16 lea 5(%bx,%si), %eax
      mov $${DATA}, %ebp
      addr16 lea (%bp,%di), %ecx
    `);
    expect(m.r(EAX)).toBe(0x15);
    expect(m.r(ECX)).toBe(DATA & 0xffff);
  });
  it('DAA/DAS/AAA/AAS/AAM/AAD (SDM Vol. 2 examples)', () => {
    const { m } = run(`
      mov $0x79, %al; add $0x35, %al; daa; mov %eax, %ebx; pushf; pop %esi   # 79+35 = 114 BCD: AL=14 CF=1
      mov $0x35, %al; sub $0x47, %al; das; mov %eax, %ecx; pushf; pop %edi   # 35-47 = -12: AL=88 CF=1
      mov $0x0008, %ax; add $0x09, %al; aaa; mov %eax, %edx                   # 8+9 = 17 unpacked: AX=0107
      mov $63, %ax; aam; mov %eax, %ebp                                       # AH=6 AL=3
      aad                                                                     # AL = 6*10+3 = 63, AH=0
    `);
    expect(m.r(EBX) & 0xff).toBe(0x14);
    expect(m.r(ESI) & CF).toBe(CF);
    expect(m.r(ESI) & AF).toBe(AF);
    expect(m.r(ECX) & 0xff).toBe(0x88);
    expect(m.r(EDI) & CF).toBe(CF);
    expect(m.r(EDX) & 0xffff).toBe(0x0107);
    expect(m.r(EBP) & 0xffff).toBe(0x0603);
    expect(m.r(EAX) & 0xffff).toBe(63);
  });
  it('AAS borrows into AH; AAM 0 raises #DE', () => {
    const { m } = run('mov $0x0203, %ax\nsub $5, %al\naas');
    expect(m.r(EAX) & 0xffff).toBe(0x0108); // 23 - 5 = 18 unpacked: AH=1 AL=8
    expect(m.flags() & (CF | AF)).toBe(CF | AF);
    const d = run('.byte 0xd4, 0x00');
    expect(d.k).toBe('intercept');
    expect(d.m.exc[0]?.vector).toBe(0);
  });
  it('SALC sets AL from CF; ARPL adjusts RPL and ZF', () => {
    const { m } = run(`
      stc; .byte 0xd6; mov %eax, %ebx   # D6 = SALC
      clc; .byte 0xd6; mov %eax, %ecx
      mov $0x10, %dx; mov $0x3, %si
      arpl %si, %dx
      pushf; pop %edi
      arpl %si, %dx
    `);
    expect(m.r(EBX) & 0xff).toBe(0xff);
    expect(m.r(ECX) & 0xff).toBe(0);
    expect(m.r(EDX) & 0xffff).toBe(0x13);
    expect(m.r(EDI) & ZF).toBe(ZF);
    expect(m.flags() & ZF).toBe(0);
  });
  it('BOUND: inside passes, outside raises #BR (vector 5, a fault at the instruction)', () => {
    const ok = run(`movl $-5, ${DATA}; movl $10, ${DATA + 4}; mov $-5, %eax; bound %eax, ${DATA}; mov $10, %eax; bound %eax, ${DATA}`);
    expect(ok.k).toBe('hlt');
    const bad = run(`movl $-5, ${DATA}; movl $10, ${DATA + 4}; mov $11, %eax; bound %eax, ${DATA}`);
    expect(bad.k).toBe('intercept');
    expect(bad.m.exc[0]?.vector).toBe(5);
    expect(bad.m.exc[0]?.cls).toBe('fault');
  });
  it('INTO raises #OF (vector 4) only when OF=1, as a trap after the instruction', () => {
    const none = run('xor %eax, %eax\ninto');
    expect(none.k).toBe('hlt');
    const of = run('mov $0x7fffffff, %eax\nadd $1, %eax\ninto');
    expect(of.k).toBe('intercept');
    expect(of.m.exc[0]?.vector).toBe(4);
    expect(Number(of.m.exc[0]!.rip)).toBe(Number(of.m.exc[0]!.instructionRip) + 1);
  });
  it('LES loads offset and selector (m16:32); C4 with mod=11 (VEX) is #UD', () => {
    const { m } = run(`movl $0x12345678, ${DATA}; movw $0x10, ${DATA + 4}; les ${DATA}, %ecx; mov %es, %edx`);
    expect(m.r(ECX)).toBe(0x12345678);
    expect(m.r(EDX) & 0xffff).toBe(0x10);
    const vex = run('.byte 0xc5, 0xf8, 0x77'); // VZEROUPPER
    expect(vex.m.exc[0]?.vector).toBe(6);
  });
  it('MUL/DIV/shift at 32 bits, CMOV/SETcc, BSWAP, BT', () => {
    const { m } = run(`
      mov $0x80000001, %eax; mov $4, %ecx; mul %ecx        # EDX:EAX = 0x2_00000004
      mov %eax, %esi; mov %edx, %edi
      mov $100, %eax; xor %edx, %edx; mov $7, %ecx; div %ecx  # 14 r 2
      mov %edx, %ebx
      mov $0x12345678, %ebp; bswap %ebp
      bt $4, %ebp; setc %cl; cmovc %ebp, %ecx   # bit 4 of 0x12 is set: CF=1
    `);
    expect(m.r(ESI)).toBe(4);
    expect(m.r(EDI)).toBe(2);
    expect(m.r(EAX)).toBe(14);
    expect(m.r(EBX)).toBe(2);
    expect(m.r(EBP)).toBe(0x78563412);
    expect(m.r(ECX)).toBe(0x78563412);
  });
  it('POP with ESP-based memory destination uses ESP after the increment', () => {
    const { m } = run('push $0x42\npush $0x99\npopl (%esp)\npop %eax');
    expect(m.r(EAX)).toBe(0x99);
    expect(m.r(ESP)).toBe(STACK);
  });
  it('opcodes valid only outside 64-bit mode decode: PUSH ES / POP DS / 82 alias of 80', () => {
    const { m, k } = run('push %es\npop %ds\n.byte 0x82, 0xc0, 0x05\n'); // add $5, %al via 82
    expect(k).toBe('hlt');
    expect(m.r(EAX) & 0xff).toBe(5);
  });
  void EAX;
});

describe('32-bit code segment: decode-time specialisations (fast.ts)', () => {
  it('specialised and generic handlers leave the same registers, flags and memory', async () => {
    const { setSpecialize } = await import('../../../src/cpu/fast.js');
    const src = `
      mov $0x9e3779b9, %eax; mov $0x7f4a7c15, %ebx; mov $${DATA}, %edi; mov $200, %ecx
    1: add %ebx, %eax; xor %eax, %ebx; sub $0x1234, %ebx; and $0xfffff0ff, %eax; or %ecx, %ebx
      shl $3, %eax; shr $1, %ebx; sar $2, %eax; cmp %ebx, %eax; cmovl %ebx, %edx; test $0x100, %eax
      mov %eax, (%edi); mov 4(%edi), %esi; add %esi, %ebx; mov %ebx, 4(%edi); inc %edx; dec %esi
      add $4, %edi; and $0x${(DATA + 0xfc).toString(16)}, %edi
      cmp $0, %ecx; jz 2f
      dec %ecx; jnz 1b
    2:`;
    const runOnce = (spec: boolean) => {
      setSpecialize(spec);
      try {
        const { m, k } = run(src);
        return { k, regs: [0, 1, 2, 3, 4, 5, 6, 7].map((r) => m.r(r)), fl: m.flags(), mem: Array.from(m.mem.u8.subarray(DATA, DATA + 0x104)) };
      } finally { setSpecialize(true); }
    };
    const a = runOnce(true), b = runOnce(false);
    expect(a.k).toBe('hlt');
    expect(a).toEqual(b);
  });
});
