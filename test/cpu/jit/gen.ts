// Random 64-bit instruction streams for the engine differential test: a loop whose body mixes the forms the
// block compiler inlines (ALU reg/imm at 32/64 bits, MOV reg/imm/load/store, LEA, INC/DEC, shifts by a
// constant, CMOVcc, Jcc/JMP) with forms it leaves to the interpreter's handlers (8/16-bit operands, ADC/SBB,
// memory-destination ALU, LOCK, XCHG, IMUL/MUL, string stores, CPUID, PUSHF, SETcc, BT...), short forward
// branches, PUSH/POP pairs and stores into the code itself (an ADD's immediate, rewritten every iteration).
// RBX is the data base and RSP the stack: never written by the random part.
import { DATA } from './machine.js';

export class Rng {
  private s: bigint;
  // The seed goes through the output mix first: a plain `seed * gamma` start would make seed n+1's stream seed n's
  // shifted by one draw (splitmix steps the state by gamma), so consecutive seeds gave near-identical programs.
  constructor(seed: number) {
    this.s = BigInt.asUintN(64, BigInt(seed) * 0x9e3779b97f4a7c15n + 0x632be59bd9b4e019n);
    this.s = this.next64();
  }
  /** splitmix64 */
  next64(): bigint {
    this.s = (this.s + 0x9e3779b97f4a7c15n) & 0xffffffffffffffffn;
    let z = this.s;
    z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & 0xffffffffffffffffn;
    z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & 0xffffffffffffffffn;
    return z ^ (z >> 31n);
  }
  int(n: number): number { return Number(this.next64() % BigInt(n)); }
  pick<T>(a: readonly T[]): T { return a[this.int(a.length)]!; }
  chance(p: number): boolean { return this.int(1000) < p * 1000; }
}

const R64 = ['rax', 'rcx', 'rdx', 'rdi', 'r8', 'r9', 'r10', 'r11', 'r12', 'r13', 'r14', 'r15'];
const R32: Record<string, string> = { rax: 'eax', rcx: 'ecx', rdx: 'edx', rdi: 'edi', r8: 'r8d', r9: 'r9d', r10: 'r10d', r11: 'r11d', r12: 'r12d', r13: 'r13d', r14: 'r14d', r15: 'r15d', rsi: 'esi' };
const R16: Record<string, string> = { rax: 'ax', rcx: 'cx', rdx: 'dx', rdi: 'di', r8: 'r8w', r9: 'r9w', r10: 'r10w', r11: 'r11w', r12: 'r12w', r13: 'r13w', r14: 'r14w', r15: 'r15w' };
const R8: Record<string, string> = { rax: 'al', rcx: 'cl', rdx: 'dl', rdi: 'dil', r8: 'r8b', r9: 'r9b', r10: 'r10b', r11: 'r11b', r12: 'r12b', r13: 'r13b', r14: 'r14b', r15: 'r15b' };
const ALU = ['add', 'sub', 'and', 'or', 'xor', 'cmp', 'test', 'adc', 'sbb'];
const CC = ['o', 'no', 'b', 'ae', 'e', 'ne', 'be', 'a', 's', 'ns', 'p', 'np', 'l', 'ge', 'le', 'g'];
/** Bytes of the data area the random memory operands address (RBX = DATA). */
export const DATA_SPAN = 0x200;

function imm32(r: Rng): string {
  return r.pick([0, 1, -1, 0x7fffffff, -0x80000000, 0x80, -0x81, r.int(1 << 16), -r.int(1 << 30), r.int(0x7fffffff)]).toString();
}
function imm64(r: Rng): string {
  return '0x' + r.pick([0n, 1n, 0xffffffffffffffffn, 0x8000000000000000n, 0x7fffffffffffffffn, 0xffffffffn, 0x100000000n, r.next64()]).toString(16);
}
function mem(r: Rng, size: number): string {
  const off = r.int(DATA_SPAN / size) * size + (r.chance(0.1) ? 1 : 0);
  return r.chance(0.3) ? `${off & ~7}(%rbx,%rsi,1)` : `${off}(%rbx)`;
}

/** One random instruction (or a short group) in AT&T syntax. `label` numbers the forward-branch labels. */
function instr(r: Rng, labels: { n: number }): string {
  const d = r.pick(R64), s = r.pick(R64);
  // Now and then a load through a random register: usually #GP/#PF (the program ends in the vector's stub), so
  // faults happen in the middle of blocks, with registers and flags of earlier instructions not yet stored.
  if (r.chance(0.002)) return `movq ${r.int(64)}(%${d}), %${s}`;
  // Over-represent the forms the compiler inlines, with the flag producers and consumers next to each other.
  if (r.chance(0.4)) {
    const op = r.pick(['add', 'sub', 'cmp', 'and', 'or', 'xor', 'test']);
    const w = r.chance(0.6);
    const src = r.chance(0.5) ? (w ? `%${s}` : `%${R32[s]}`) : `$${imm32(r)}`;
    const first = `${op}${w ? 'q' : 'l'} ${src}, %${w ? d : R32[d]}`;
    if (r.chance(0.5)) return first;
    if (r.chance(0.3)) return `${first}; cmov${r.pick(CC)}q %${r.pick(R64)}, %${r.pick(R64)}`;
    const l = ++labels.n;
    return `${first}; j${r.pick(CC)} ${l}f; ${instr(r, labels)}; ${l}:`;
  }
  const k = r.int(40);
  switch (k) {
    case 0: case 1: case 2: return `${r.pick(ALU)}q %${s}, %${d}`;
    case 3: case 4: return `${r.pick(ALU)}l %${R32[s]}, %${R32[d]}`;
    case 5: case 6: return `${r.pick(ALU)}q $${imm32(r)}, %${d}`;
    case 7: return `${r.pick(ALU)}l $${imm32(r)}, %${R32[d]}`;
    case 8: return `movq %${s}, %${d}`;
    case 9: return r.chance(0.5) ? `movl %${R32[s]}, %${R32[d]}` : `movabsq $${imm64(r)}, %${d}`;
    case 10: return `movl $${imm32(r)}, %${R32[d]}`;
    case 11: case 12: return `movq ${mem(r, 8)}, %${d}`;
    case 13: return `movl ${mem(r, 4)}, %${R32[d]}`;
    case 14: case 15: return `movq %${s}, ${mem(r, 8)}`;
    case 16: return `movl %${R32[s]}, ${mem(r, 4)}`;
    case 17: return `leaq ${r.int(4096) - 2048}(%${s},%${r.pick(R64)},${r.pick([1, 2, 4, 8])}), %${d}`;
    case 18: return r.chance(0.5) ? `leal ${r.int(64)}(%${s},%${r.pick(R64)},4), %${R32[d]}` : `leaq ${r.int(256)}(%${s}), %${d}`;
    case 19: return r.pick(['inc', 'dec']) + (r.chance(0.5) ? `q %${d}` : `l %${R32[d]}`);
    case 20: return `${r.pick(['shl', 'shr', 'sar', 'sal'])}q $${1 + r.int(63)}, %${d}`;
    case 21: return `${r.pick(['shl', 'shr', 'sar'])}l $${1 + r.int(31)}, %${R32[d]}`;
    case 22: return r.chance(0.5) ? `cmov${r.pick(CC)}q %${s}, %${d}` : `cmov${r.pick(CC)}l %${R32[s]}, %${R32[d]}`;
    case 23: case 24: {
      const l = ++labels.n;
      return `j${r.pick(CC)} ${l}f; ${instr(r, labels)}; ${l}:`;
    }
    case 25: return `imulq %${s}, %${d}`;
    case 26: return `imulq $${imm32(r)}, %${s}, %${d}`;
    case 27: return `${r.pick(ALU)}b %${R8[s]}, %${R8[d]}`;
    case 28: return `${r.pick(['add', 'sub', 'xor', 'or'])}w %${R16[s]}, %${R16[d]}`;
    case 29: return `${r.pick(['add', 'sub', 'and', 'xor'])}q %${s}, ${mem(r, 8)}`;
    case 30: return `pushq %${s}; popq %${d}`;
    case 31: return r.chance(0.5) ? `set${r.pick(CC)} %${R8[d]}` : `movzbl %${R8[s]}, %${R32[d]}`;
    case 32: return r.pick([`negq %${d}`, `notq %${d}`, `bswapq %${d}`, `xchgq %${s}, %${d}`, 'cqto', 'cltq', 'stc', 'clc', 'cmc']);
    case 33: return r.pick([`btq $${r.int(64)}, %${d}`, `bsfq %${s}, %${d}`, `rolq $${1 + r.int(63)}, %${d}`, `shlq %cl, %${d}`, `sarl %cl, %${R32[d]}`]);
    case 34: return r.pick([`lock addq %${s}, ${mem(r, 8)}`, `xaddq %${s}, %${d}`, `mulq %${s}`, `movsbq %${R8[s]}, %${d}`, `movslq %${R32[s]}, %${d}`]);
    case 35: return r.chance(0.3) ? 'pushfq; popq %rax' : `incq ${mem(r, 8)}`;
    case 36: return r.chance(0.2) ? 'pushq %rcx; pushq %rdi; movl %edx, %ecx; andl $15, %ecx; leaq 0x100(%rbx), %rdi; rep stosb; popq %rdi; popq %rcx' : `andl $0x1f8, %esi`;
    case 37: return r.chance(0.2) ? 'pushq %rbx; pushq %rcx; pushq %rdx; movl $1, %eax; cpuid; popq %rdx; popq %rcx; popq %rbx' : `jmp ${++labels.n}f; ${labels.n}:`;
    case 38: return `movb %${R8[s]}, smc+2(%rip)`; // rewrite the immediate of the ADD at `smc`
    default: {
      const l = ++labels.n;
      return `testq %${s}, %${d}; j${r.pick(CC)} ${l}f; ${instr(r, labels)}; ${l}:`;
    }
  }
}

/**
 * One instruction group that reaches a memory-access path of the interpreter the main mix above leaves out (for the
 * debug-unit differential, test/cpu/debug/debug-unit-diff.test.ts): string instructions of every size and
 * direction (REP MOVS/STOS/CMPS/SCAS, LODS, MOVS), PUSH/POP of memory and of 16-bit registers, near CALL/RET
 * (direct and through memory), ENTER/LEAVE, far transfers (JMP m16:32, LRETQ, IRETQ) that read the GDT, segment
 * loads and stores, SGDT/SIDT/LGDT/LIDT/STR/SLDT, INT n through an IST gate (reads the TSS, switches stacks) and on
 * the current stack, CMPXCHG/CMPXCHG8B/XADD/XCHG/BTS on memory, MOV via moffs and XLAT. RBX, RSP and RBP are left as
 * the main mix requires (RSI is saved around the groups that move it).
 */
export function memoryPathForm(r: Rng, labels: { n: number }): string {
  const d = r.pick(R64), s = r.pick(R64);
  const sz = r.pick([1, 2, 4, 8] as const);
  const suf = { 1: 'b', 2: 'w', 4: 'l', 8: 'q' }[sz];
  const sreg = sz === 8 ? s : sz === 4 ? R32[s] : sz === 2 ? R16[s] : R8[s];
  const k = r.int(24);
  switch (k < 6 ? 0 : k - 4) {
    case 0: {
      // A short string run inside the data area; DF=1 runs downward from the area's top half.
      const n = 1 + r.int(6);
      const down = r.chance(0.3);
      const src = down ? 0x100 + r.int(0x80) : r.int(0x80), dst = down ? 0x180 + r.int(0x70) : 0x100 + r.int(0x80);
      const op = [`rep movs${suf}`, `rep stos${suf}`, `repe cmps${suf}`, `repne scas${suf}`, `lods${suf}`, `movs${suf}`][k]!;
      return `pushq %rsi; pushq %rdi; pushq %rcx; leaq ${src}(%rbx), %rsi; leaq ${dst}(%rbx), %rdi; movl $${n}, %ecx; ${down ? 'std' : 'cld'}; ${op}; cld; popq %rcx; popq %rdi; popq %rsi`;
    }
    case 2: return `pushq ${mem(r, 8)}; popq ${mem(r, 8)}`;
    case 3: return `pushw %${R16[s]}; popw %${R16[d]}`;
    case 4: {
      const l = ++labels.n, m = ++labels.n;
      return `call ${l}f; jmp ${m}f; ${l}: ret; ${m}:`;
    }
    case 5: {
      const l = ++labels.n, m = ++labels.n, off = r.int(DATA_SPAN / 8) * 8;
      return `leaq ${l}f(%rip), %${d}; movq %${d}, ${off}(%rbx); call *${off}(%rbx); jmp ${m}f; ${l}: ret; ${m}:`;
    }
    case 6: return r.chance(0.5) ? 'enter $16, $0; leave' : 'enter $8, $1; leave';
    case 7: {
      // JMP m16:32 (no REX.W: the same on both vendors) reads the far pointer, then CS's descriptor in the GDT.
      const l = ++labels.n, off = r.int(DATA_SPAN / 8) * 8;
      return `leaq ${l}f(%rip), %${d}; movl %${R32[d]}, ${off}(%rbx); movw $8, ${off + 4}(%rbx); ljmpl *${off}(%rbx); ${l}:`;
    }
    case 8: {
      const l = ++labels.n;
      return `leaq ${l}f(%rip), %${d}; pushq $8; pushq %${d}; lretq; ${l}:`;
    }
    case 9: {
      const l = ++labels.n;
      return `movq %rsp, %${d}; pushq $0x10; pushq %${d}; pushfq; pushq $8; leaq ${l}f(%rip), %${d}; pushq %${d}; iretq; ${l}:`;
    }
    case 10: return r.pick([`movl $0x10, %${R32[d]}; movw %${R16[d]}, %ds`, `movl $0x10, %${R32[d]}; movw %${R16[d]}, %es`, `movw %ds, ${mem(r, 2)}`, `movw %ss, ${mem(r, 2)}`]);
    case 11: {
      const off = r.int((DATA_SPAN - 16) / 2) * 2;
      return r.pick([`sgdt ${off}(%rbx)`, `sidt ${off}(%rbx)`, `sgdt ${off}(%rbx); lgdt ${off}(%rbx)`, `sidt ${off}(%rbx); lidt ${off}(%rbx)`, `str ${off}(%rbx)`, `sldt ${off}(%rbx)`]);
    }
    case 12: case 13: return r.pick(['int $0x80', 'int $0x81']);
    case 14: return r.chance(0.5) ? `cmpxchg${suf} %${sreg}, ${mem(r, sz)}` : `lock xadd${suf} %${sreg}, ${mem(r, sz)}`;
    case 15: return `pushq %rcx; pushq %rbx; cmpxchg8b ${mem(r, 8)}; popq %rbx; popq %rcx`;
    case 16: return `xchg${suf} %${sreg}, ${mem(r, sz)}`;
    case 17: {
      // Bit string with a register offset (up to 0x7ff bits = 255 bytes past the operand: still in the data area).
      const w = r.chance(0.5);
      return `movl %${R32[s]}, %${R32[d]}; andl $0x7ff, %${R32[d]}; bts${w ? 'q' : 'l'} %${w ? d : R32[d]}, ${r.int(0x80)}(%rbx)`;
    }
    case 18: {
      const a = `0x${(DATA + r.int(DATA_SPAN)).toString(16)}`;
      return r.chance(0.5) ? `movabs ${a}, %al` : `movabs %al, ${a}`;
    }
    default: return 'xlatb';
  }
}

/** Forms for short loops that the block compiler turns into one looping region (test/cpu/jit/engines.test.ts): near
 *  CALL/RET (the compiler inlines both), a backward-free JMP, RDTSC (reads the virtual clock: the instruction count
 *  must be exact at a handler in the middle of a region), PUSH/POP and loads/stores (the count must be exact at
 *  every memory access too). */
export function loopForm(r: Rng, labels: { n: number }): string {
  switch (r.int(6)) {
    case 0: {
      const l = ++labels.n, m = ++labels.n;
      return `call ${l}f; jmp ${m}f; ${l}: addq $3, %r${8 + r.int(8)}; ret; ${m}:`;
    }
    case 1: return 'rdtsc; xorq %rax, %r14; addq %rdx, %r15';
    case 2: return `pushq %${r.pick(R64)}; popq %${r.pick(R64)}`;
    case 3: { const l = ++labels.n; return `jmp ${l}f; ${l}:`; }
    default: return instrNoSmc(r, labels);
  }
}

/** instr() without the store into the code (a loop that rewrites itself is retranslated every iteration). */
function instrNoSmc(r: Rng, labels: { n: number }): string {
  for (;;) { const s = instr(r, labels); if (!s.includes('smc')) return s; }
}

export interface Program {
  source: string;
  regs: bigint[];
}

/** A loop of `iters` iterations over a random body of `len` instructions, then HLT. With `extra`, that share of the
 *  body's instructions comes from extra.form instead (same Rng, so a seed still names one program). */
export function program(seed: number, len: number, iters: number, extra?: { form: (r: Rng, labels: { n: number }) => string; share: number },
  smc = true): Program {
  const r = new Rng(seed);
  const labels = { n: 0 };
  const body: string[] = [];
  // A third of the programs fault in their third-last iteration (#GP: RBX + 2^50 is not canonical), in the
  // middle of a block, after the inlined SHL left RAX and the flags modified and not yet stored.
  const faultAt = r.chance(0.33) ? r.int(len) : -1;
  for (let k = 0; k < len; k++) {
    body.push(extra !== undefined && r.chance(extra.share) ? extra.form(r, labels) : smc ? instr(r, labels) : instrNoSmc(r, labels));
    if (smc && k === len >> 1) body.push('smc: addl $1, %eax');
    if (k === faultAt) body.push('cmpl $3, %ebp; sete %al; movzbl %al, %eax; addq %rax, %r9; shlq $25, %rax; shlq $25, %rax; movq (%rbx,%rax,1), %rcx');
  }
  const source = [
    `movq $${DATA}, %rbx`, 'xorl %esi, %esi', `movl $${iters}, %ebp`,
    'top:', ...body.flatMap((b) => b.split('; ')), 'decl %ebp', 'jnz top', 'hlt',
  ].join('\n');
  const regs: bigint[] = [];
  for (let k = 0; k < 16; k++) regs.push(r.next64());
  return { source, regs };
}
