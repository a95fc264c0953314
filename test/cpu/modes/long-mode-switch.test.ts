// The Multiboot trampoline: 32-bit flat protected mode, PAE page tables, EFER.LME, CR0.PG (EFER.LMA=1,
// compatibility mode), far JMP to a 64-bit code segment (SDM Vol. 3 10.8.5 / 11.8.5), with the mode and
// EFER checked at every step, and the #GP(0) cases of the switch.
import { describe, expect, it } from 'vitest';
import { A_CODE64, CODE, CS64, EXTRA, GDT, KCS, KSTACK0, PT_AREA, TSS, UCS, UDS, descriptor, makeSys, type Sys } from '../support/sys.js';

const EFER_LME = 0x100n, EFER_LMA = 0x400n;
const PML4 = PT_AREA, PDPT = PT_AREA + 0x1000, PD = PT_AREA + 0x2000;

/** Identity-map the first 4 MiB with user-accessible 2 MiB pages (4-level tables). */
function identityTables(s: Sys): void {
  s.w64(PML4, BigInt(PDPT | 7));
  s.w64(PDPT, BigInt(PD | 7));
  s.w64(PD, 0x87n);
  s.w64(PD + 8, 0x200087n);
}

/** From 32-bit flat protected mode to IA-32e mode (compatibility mode, EFER.LMA=1) with identityTables'
 *  PML4: EFER.LME, CR4.PAE, CR3, CR0.PG (SDM Vol. 3 10.8.5). */
const ENTER_IA32E = `
  mov $0xc0000080, %ecx
  rdmsr
  or $0x100, %eax                   # EFER.LME
  wrmsr
  mov %cr4, %eax
  or $0x20, %eax                    # CR4.PAE
  mov %eax, %cr4
  mov $${PML4}, %eax
  mov %eax, %cr3
  mov %cr0, %eax
  or $0x80000000, %eax              # CR0.PG: EFER.LMA=1
  mov %eax, %cr0`;

const TRAMPOLINE = `
.code32
  out %al, $0xe9                    # 1: protected32, EFER=0
  mov $0xc0000080, %ecx
  rdmsr
  or $0x100, %eax                   # EFER.LME
  wrmsr
  mov $2, %al
  out %al, $0xe9                    # 2: still protected32, LME=1 LMA=0
  mov %cr4, %eax
  or $0x20, %eax                    # CR4.PAE
  mov %eax, %cr4
  mov $${PML4}, %eax
  mov %eax, %cr3
  mov %cr0, %eax
  or $0x80000000, %eax              # CR0.PG: IA-32e mode activated (LMA=1), compatibility mode
  mov %eax, %cr0
  mov $3, %al
  out %al, $0xe9                    # 3: compat32
  ljmp $${CS64}, $long64
.code64
long64:
  mov $0x123456789, %rax            # a 64-bit immediate only decodes right in 64-bit mode
  mov %rax, %rbx
  mov $4, %al
  out %al, $0xe9                    # 4: long64
  hlt
`;

describe('32-bit protected mode -> long mode (Multiboot trampoline)', () => {
  it('walks protected32 -> (LME) -> compat32 (LMA) -> long64 with EFER as the SDM describes', () => {
    const s = makeSys();
    identityTables(s);
    s.load(TRAMPOLINE);
    expect(s.cpu.mode).toBe('protected32');
    const r = s.cpu.run(1000);
    expect(r.kind).toBe('hlt');
    expect(s.exc).toEqual([]);
    const cp = s.checkpoints.map((c) => [c.value & 0xff, c.mode, c.efer & (EFER_LME | EFER_LMA)]);
    expect(cp).toEqual([
      [0, 'protected32', 0n],
      [2, 'protected32', EFER_LME],
      [3, 'compat32', EFER_LME | EFER_LMA],
      [4, 'long64', EFER_LME | EFER_LMA],
    ]);
    expect(s.cpu.getGpr(3)).toBe(0x123456789n);
    expect(s.cpu.getState().seg[1]!.selector).toBe(CS64);
  });

  it('decodes the same physical bytes per mode: 48 FF C0 is DEC EAX; INC EAX in 32-bit code and INC RAX in 64-bit code', () => {
    const s = makeSys();
    identityTables(s);
    const SUB = CODE + 0x800;
    // The subroutine page is executed in both modes; its decoded records must not leak between them.
    s.load(`
.code32
  .byte 0x48, 0xff, 0xc0
  ret
`, SUB);
    s.load(`
.code32
  mov $5, %eax
  call ${SUB}
  mov %eax, %esi                   # 32-bit result
${ENTER_IA32E}
  ljmp $${CS64}, $1f
.code64
1:
  mov $0x80000, %rsp
  mov $5, %eax
  call ${SUB}
  mov %rax, %rdi                   # 64-bit result
  hlt
`);
    expect(s.cpu.run(1000).kind).toBe('hlt');
    expect(s.exc).toEqual([]);
    expect(s.cpu.getGpr(6)).toBe(5n); // dec, inc
    expect(s.cpu.getGpr(7)).toBe(6n); // inc rax
  });

  it('#GP(0): CR0.PG with EFER.LME=1 but CR4.PAE=0', () => {
    const s = makeSys();
    identityTables(s);
    s.load(`
.code32
  mov $0xc0000080, %ecx
  rdmsr
  or $0x100, %eax
  wrmsr
  mov $${PML4}, %eax
  mov %eax, %cr3
  mov %cr0, %eax
  or $0x80000000, %eax
  mov %eax, %cr0
  hlt
`);
    const r = s.cpu.run(100);
    expect(r.kind).toBe('intercept');
    expect(s.exc.map((e) => [e.vector, e.errorCode])).toEqual([[13, 0]]);
    expect(s.cpu.getMsr(0xc0000080)! & EFER_LMA).toBe(0n);
    expect(s.cpu.mode).toBe('protected32');
  });

  it('#GP(0): changing EFER.LME while paging is on', () => {
    const s = makeSys();
    // 32-bit paging with a 4 MiB PSE page mapping the first 4 MiB.
    s.w32(PT_AREA, 0x83);
    s.load(`
.code32
  mov %cr4, %eax
  or $0x10, %eax                    # PSE
  mov %eax, %cr4
  mov $${PT_AREA}, %eax
  mov %eax, %cr3
  mov %cr0, %eax
  or $0x80000000, %eax
  mov %eax, %cr0
  mov $7, %al
  out %al, $0xe9
  mov $0xc0000080, %ecx
  rdmsr
  or $0x100, %eax
  wrmsr
  hlt
`);
    const r = s.cpu.run(100);
    expect(r.kind).toBe('intercept');
    expect(s.checkpoints.map((c) => c.mode)).toEqual(['protected32']);
    expect(s.exc.map((e) => [e.vector, e.errorCode])).toEqual([[13, 0]]);
    expect(s.cpu.getMsr(0xc0000080)).toBe(0n);
  });

  function inLongMode(extra: string, s = makeSys()): Sys {
    identityTables(s);
    s.load(`
.code32
${ENTER_IA32E}
${extra}
`);
    return s;
  }

  it('#GP(0): clearing CR4.PAE while EFER.LMA=1 (compatibility mode)', () => {
    const s = inLongMode(`
  mov $3, %al
  out %al, $0xe9
  mov %cr4, %eax
  and $~0x20, %eax
  mov %eax, %cr4
  hlt`);
    expect(s.cpu.run(100).kind).toBe('intercept');
    expect(s.checkpoints.map((c) => c.mode)).toEqual(['compat32']);
    expect(s.exc.map((e) => [e.vector, e.errorCode])).toEqual([[13, 0]]);
  });

  it('#GP(0): clearing CR0.PG in 64-bit mode; from compatibility mode it leaves IA-32e mode (LMA=0)', () => {
    const s = inLongMode(`
  ljmp $${CS64}, $1f
.code64
1:
  mov %cr0, %rax
  btr $31, %rax
  mov %rax, %cr0
  hlt`);
    expect(s.cpu.run(100).kind).toBe('intercept');
    expect(s.exc.map((e) => [e.vector, e.errorCode])).toEqual([[13, 0]]);
    expect(s.cpu.mode).toBe('long64');

    const t = inLongMode(`
  mov %cr0, %eax
  and $0x7fffffff, %eax
  mov %eax, %cr0
  mov $5, %al
  out %al, $0xe9
  hlt`);
    expect(t.cpu.run(100).kind).toBe('hlt');
    expect(t.exc).toEqual([]);
    expect(t.checkpoints.map((c) => [c.mode, c.efer & (EFER_LME | EFER_LMA)])).toEqual([['protected32', EFER_LME]]);
  });

  it('#GP(selector): far JMP to a code segment with L=1 and D=1 in IA-32e mode', () => {
    const s = inLongMode(`
  ljmp $0x38, $0`);
    // GDT entry 7: L=1 and D=1 together are reserved.
    s.setGdt(7, (0x00affb000000ffffn) | (1n << 54n));
    expect(s.cpu.run(100).kind).toBe('intercept');
    expect(s.exc.map((e) => [e.vector, e.errorCode])).toEqual([[13, 0x38]]);
    expect(s.cpu.getState().seg[1]!.selector).toBe(KCS);
  });

  const IDT64 = 0x3000, HANDLER = 0x30000;
  /** A 64-bit IDT with a DPL3 interrupt gate for vector 0x80 to HANDLER (16-byte gate, 64-bit code segment) and
   *  the 64-bit TSS's RSP0 (8 bytes at offset 4). */
  function withInt80Gate(): ReturnType<typeof makeSys> {
    const s = makeSys({ state: (st) => { st.idtr = { base: BigInt(IDT64), limit: 0xfff }; } });
    s.intercept = false;
    s.w64(TSS + 4, BigInt(KSTACK0));
    s.w32(IDT64 + 0x80 * 16, (CS64 << 16) | (HANDLER & 0xffff));
    s.w32(IDT64 + 0x80 * 16 + 4, (HANDLER & 0xffff0000) | 0x8000 | (3 << 13) | (0xe << 8));
    return s;
  }

  it('64-bit kernel -> SYSRET to compatibility-mode CPL3 code -> INT through the 64-bit IDT -> IRETQ back to compat32', () => {
    const s = withInt80Gate();
    s.load(`
.code64
  mov $0xa2, %al
  out %al, $0xe9
  iretq`, HANDLER);
    inLongMode(`
  ljmp $${CS64}, $1f
.code64
1:
  mov $0x80000, %rsp
  mov $0xc0000081, %ecx
  xor %eax, %eax
  mov $0x00180008, %edx              # STAR: SYSCALL CS 0x08, SYSRET base 0x18
  wrmsr
  mov $0xc0000080, %ecx
  rdmsr
  or $1, %eax                        # EFER.SCE
  wrmsr
  mov $0xa0, %al
  out %al, $0xe9
  mov $user32, %ecx
  mov $2, %r11d
  sysretl
.code32
user32:
  mov $0x70000, %esp
  mov %cs, %ebx
  int $0x80
  mov %cs, %esi
  mov %ss, %edi
  jmp .`, s);
    expect(s.cpu.run(60).kind).toBe('budget');
    expect(s.exc.map((e) => [e.vector, e.cls])).toEqual([[0x80, 'software-interrupt']]);
    expect(s.checkpoints.map((c) => [c.value & 0xff, c.mode, c.cpl])).toEqual([[0xa0, 'long64', 0], [0xa2, 'long64', 0]]);
    expect(s.cpu.mode).toBe('compat32');
    expect(s.cpu.getCpl()).toBe(3);
    expect([Number(s.cpu.getGpr(3)) & 0xffff, Number(s.cpu.getGpr(6)) & 0xffff, Number(s.cpu.getGpr(7)) & 0xffff]).toEqual([UCS, UCS, UDS]);
    // The 64-bit frame on RSP0: RIP, CS, RFLAGS, RSP, SS (8 bytes each, RSP0 16-byte aligned).
    const f = KSTACK0 - 40;
    expect([s.r64(f + 8), s.r64(f + 24), s.r64(f + 32)]).toEqual([BigInt(UCS), 0x70000n, BigInt(UDS)]);
    void KCS; void CODE;
  });

  it('IRETQ to compatibility mode loads EIP = bits 31:0 of the RIP image (Linux SYSENTER from 64-bit code)', () => {
    // SDM Vol. 2A IRET checks "EIP" against the CS limit when the new mode is not 64-bit mode, and no
    // canonical check applies to it (Bochs branch_far masks RIP to 32 bits the same way). Linux 6.1
    // do_fast_syscall_32 sets regs->ip = mm->context.vdso + vdso32 int80_landing_pad (0x...559) for a
    // SYSENTER from a 64-bit process and IRETs to __USER32_CS: the selftests' SIGSEGV RIP is that
    // address's low half (single_step_syscall "Set TF and check SYSENTER", mov_ss_trap "MOV SS; SYSENTER").
    const s = withInt80Gate();
    s.load(`
.code64
  movabs $0x7ffd00000000, %rax
  or %rax, (%rsp)                    # RIP image 0x00007ffd_xxxxxxxx: a 64-bit vDSO-like address
  iretq`, HANDLER);
    inLongMode(`
  ljmp $${CS64}, $1f
.code64
1:
  mov $0x80000, %rsp
  mov $0xc0000081, %ecx
  xor %eax, %eax
  mov $0x00180008, %edx              # STAR: SYSCALL CS 0x08, SYSRET base 0x18
  wrmsr
  mov $0xc0000080, %ecx
  rdmsr
  or $1, %eax                        # EFER.SCE
  wrmsr
  mov $user32, %ecx
  mov $2, %r11d
  sysretl
.code32
user32:
  mov $0x70000, %esp
  int $0x80
  mov $0x1234, %esi
  jmp .`, s);
    expect(s.cpu.run(60).kind).toBe('budget');
    expect(s.exc.map((e) => [e.vector, e.cls])).toEqual([[0x80, 'software-interrupt']]);
    expect(s.cpu.mode).toBe('compat32');
    expect(s.cpu.getCpl()).toBe(3);
    expect(s.cpu.getGpr(6)).toBe(0x1234n); // the instruction after INT 0x80 ran
    expect(s.cpu.getRip() >> 32n).toBe(0n);
    expect(s.r64(KSTACK0 - 40) >> 32n).toBe(0x7ffdn); // the image really had bits 63:32 set
  });

  it('LRETQ $16 to CPL3 loads a non-canonical RSP image bit for bit, plus the immediate', () => {
    // SDM Vol. 2A RET (far, return to outer privilege level): the immediate skips the caller's parameters
    // before SS:RSP are popped and is added to the popped RSP again; only
    // RIP is checked for canonicality. The same pops as IRETQ's (Linux's mov_ss_trap / sigreturn selftests
    // return to user code with a non-canonical RSP that way).
    const s = inLongMode(`
  ljmp $${CS64}, $1f
.code64
1:
  mov $0x80000, %rsp
  pushq $${UDS}
  movabs $0x8badf00d5aadc0de, %rax
  push %rax
  pushq $0                           # 16 bytes of parameters released by the immediate
  pushq $0
  pushq $${EXTRA | 3}
  mov $user64, %eax
  push %rax
  lretq $16
user64:
  mov %rsp, %rbx
  jmp .`);
    s.dv.setBigUint64(GDT + (EXTRA >> 3) * 8, descriptor(0, 0xfffff, A_CODE64 | (3 << 5)), true);
    const r = s.cpu.run(60);
    expect([r.kind, s.exc.map((e) => [e.vector, e.errorCode, e.rip])]).toEqual(['budget', []]);
    expect([s.cpu.mode, s.cpu.getCpl()]).toEqual(['long64', 3]);
    expect(s.cpu.getGpr(3)).toBe(0x8badf00d5aadc0den + 16n);
  });

  it('MOV to/from CR8 in 64-bit mode goes to the interrupt controller (TPR[7:4])', () => {
    const s = inLongMode(`
  ljmp $${CS64}, $1f
.code64
1:
  mov $9, %eax
  mov %rax, %cr8
  mov %cr8, %rbx
  hlt`);
    s.pic.cr8Writes.length = 0; // setState wrote the initial CR8
    expect(s.cpu.run(100).kind).toBe('hlt');
    expect(s.pic.cr8Writes).toEqual([9]);
    expect(s.cpu.getGpr(3)).toBe(9n);
    s.pic.cr8 = 4;
    expect(s.cpu.getState().cr8).toBe(4n);
  });

  it('CALL through a 64-bit call gate from compatibility mode enters 64-bit code; LRETQ returns to compat32', () => {
    const HANDLER = 0x30000;
    const s = inLongMode(`
  mov $0x7000, %esp
  lcall $0x38, $0
  mov %esp, %esi
  mov $0x31, %al
  out %al, $0xe9
  hlt`);
    // GDT entries 7-8 (0x38): a 16-byte 64-bit call gate to CS64:HANDLER, DPL 0.
    s.w32(0x800 + 0x38, ((CS64 << 16) | (HANDLER & 0xffff)) >>> 0);
    s.w32(0x800 + 0x3c, ((HANDLER & 0xffff0000) | 0x8000 | (0xc << 8)) >>> 0);
    s.w32(0x800 + 0x40, 0);
    s.w32(0x800 + 0x44, 0);
    s.load(`
.code64
  mov %rsp, %rdi
  mov $0x30, %al
  out %al, $0xe9
  lretq`, HANDLER);
    expect(s.cpu.run(100).kind).toBe('hlt');
    expect(s.exc).toEqual([]);
    expect(s.checkpoints.map((c) => [c.value & 0xff, c.mode])).toEqual([[0x30, 'long64'], [0x31, 'compat32']]);
    expect(s.cpu.getGpr(7)).toBe(0x7000n - 16n); // 8-byte CS and RIP pushed
    expect(s.r64(0x7000 - 8)).toBe(BigInt(KCS));
    expect(s.cpu.getGpr(6)).toBe(0x7000n);
  });

  it('#GP(0): activating IA-32e mode from a code segment with L=1; CR0.PG without CR0.PE', () => {
    const s = makeSys();
    identityTables(s);
    // GDT entry 7: flat code with G=1, D=1 and L=1 (flags nibble 0xE; L is ignored outside IA-32e mode).
    s.setGdt(7, 0x00ef9b000000ffffn);
    s.load(`
.code32
  ljmp $0x38, $1f
1:
  mov $3, %al
  out %al, $0xe9
${ENTER_IA32E}
  hlt`);
    expect(s.cpu.run(100).kind).toBe('intercept');
    expect(s.checkpoints.map((c) => c.mode)).toEqual(['protected32']);
    expect(s.exc.map((e) => [e.vector, e.errorCode])).toEqual([[13, 0]]);
    expect(s.cpu.getMsr(0xc0000080)! & EFER_LMA).toBe(0n);

    const t = makeSys();
    t.load(`
.code32
  mov $0x80000010, %eax
  mov %eax, %cr0
  hlt`);
    expect(t.cpu.run(100).kind).toBe('intercept');
    expect(t.exc.map((e) => [e.vector, e.errorCode])).toEqual([[13, 0]]);
    expect(t.cpu.mode).toBe('protected32');
  });

  for (const vendor of ['intel', 'amd'] as const) {
    it(`SYSCALL from compatibility mode: ${vendor === 'amd' ? 'enters 64-bit mode at CSTAR (AMD)' : '#UD (Intel)'}`, () => {
      const HANDLER = 0x30000;
      const s = inLongMode(`
  ljmp $${CS64}, $1f
.code64
1:
  mov $0xc0000081, %ecx
  xor %eax, %eax
  mov $0x00180008, %edx
  wrmsr
  mov $0xc0000083, %ecx              # CSTAR
  mov $${HANDLER}, %eax
  xor %edx, %edx
  wrmsr
  mov $0xc0000080, %ecx
  rdmsr
  or $1, %eax
  wrmsr
  mov $user32, %ecx
  mov $user32 + 2, %r12              # the return address SYSCALL will save in RCX
  mov $2, %r11d
  sysretl
.code32
user32:
  syscall
  hlt`, makeSys({ vendor }));
      s.load(`
.code64
  mov %rcx, %rbx
  mov $0x99, %al
  out %al, $0xe9
  hlt`, HANDLER);
      const r = s.cpu.run(100);
      if (vendor === 'amd') {
        expect(r.kind).toBe('hlt');
        expect(s.checkpoints.map((c) => [c.value & 0xff, c.mode, c.cpl])).toEqual([[0x99, 'long64', 0]]);
        expect(s.cpu.getGpr(3)).toBe(s.cpu.getGpr(12)); // RCX = the EIP after the 2-byte SYSCALL
      } else {
        expect(r.kind).toBe('intercept');
        expect(s.exc.map((e) => e.vector)).toEqual([6]);
        expect(s.cpu.mode).toBe('compat32');
      }
    });
  }

  // FF /5 and FF /3 in 64-bit mode: m16:32 by default; REX.W makes it m16:64 on Intel, while AMD ignores
  // REX.W and still reads m16:32 (SDM Vol. 2 JMP/CALL; APM Vol. 3 JMP (Far), CALL (Far)).
  for (const vendor of ['intel', 'amd'] as const) {
    it(`far JMP/CALL through memory in 64-bit mode (${vendor}): m16:32 to compat32, REX.W ${vendor === 'intel' ? 'm16:64' : 'ignored (m16:32)'}`, () => {
      const PTR = 0x50000;
      const s = inLongMode(`
  ljmp $${CS64}, $1f
.code64
1:
  mov $0x7000, %esp
  mov $${PTR}, %eax
  ljmpl *(%rax)                      # m16:32 -> KCS:compat (32-bit code segment under LMA)
.code32
compat:
  mov $0x41, %al
  out %al, $0xe9
  ljmp $${CS64}, $2f
.code64
2:
  mov $${PTR + 16}, %eax
  rex.w lcall *(%rax)                # Intel: m16:64 -> CS64:far64; AMD: m16:32
  hlt
.code64
far64:
  mov $0x42, %al
  out %al, $0xe9
  hlt`, makeSys({ vendor }));
      // The snippet is assembled at CODE: find the two targets by their MOV AL / OUT byte sequences.
      const code = s.mem.readPhys(CODE, 0x200);
      const find = (bytes: number[]): number => {
        for (let k = 0; k + bytes.length <= code.length; k++) if (bytes.every((b, j) => code[k + j] === b)) return CODE + k;
        throw new Error('pattern not found');
      };
      const compat = find([0xb0, 0x41, 0xe6, 0xe9]);
      const far64 = find([0xb0, 0x42, 0xe6, 0xe9]);
      s.w32(PTR, compat); s.w32(PTR + 4, KCS);                       // m16:32
      s.w32(PTR + 16, far64); s.w32(PTR + 20, vendor === 'intel' ? 0 : CS64); // Intel: offset high dword; AMD: selector
      s.w32(PTR + 24, CS64);                                         // Intel: the selector after the 8-byte offset
      expect(s.cpu.run(200).kind).toBe('hlt');
      expect(s.exc).toEqual([]);
      expect(s.checkpoints.map((c) => [c.value & 0xff, c.mode])).toEqual([[0x41, 'compat32'], [0x42, 'long64']]);
      // The far CALL pushed CS then the return offset: 8 bytes each with REX.W (Intel), 4 bytes each on AMD.
      const sp = Number(s.cpu.getGpr(4));
      expect(sp).toBe(vendor === 'intel' ? 0x7000 - 16 : 0x7000 - 8);
    });
  }
});
